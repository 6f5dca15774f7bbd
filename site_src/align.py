"""Stage 4 — align: pair Chinese paragraphs with the English paragraphs they translate.

A monotone dynamic programme walks both paragraph lists at once.  Each step
("bead") takes 1-1, 2-1, 1-2, 3-1, 2-2, 1-0 or 0-1 paragraphs; the programme keeps
the sequence of beads with the highest total score.  3-1 and 2-2 exist because the
hand-checked gold needs them: the Chinese translations split one English answer
into three paragraphs, and move a sentence across a paragraph break.

Score of a bead that pairs a Chinese side Z with an English side E:

* pattern: 1-1 costs nothing, merges cost ``MERGE`` per extra paragraph;
* length: ``1 - LEN_WEIGHT * |ln(units(Z) / (RATIO * words(E)))|``, where a unit is
  a Chinese character or a Latin word inside Chinese, and RATIO is fitted on the
  Bloomberg gold (Chinese units per English word);
* speakers: same speaker +1, different speakers ``-4``, one side inside a turn and
  the other outside one ``-3`` (this keeps an introduction away from the interview);
  both sides opening a turn, or both continuing one, +0.5, otherwise -1;
* anchors: +``ANCHOR_BONUS`` for each shared number, amount, name or listed term
  (``$7 billion`` ↔ ``70 億美元`` both read ``$7e9``), at most ``ANCHOR_CAP`` of them.

Skipping a paragraph (1-0 or 0-1) scores ``SKIP``.  Merges may only join paragraphs
of one speaker where each later paragraph continues the turn: the translations
merge within a turn, never a question into its answer.

Worked example: Z = ``李開復:OpenAI 在 2024 年的運營成本為 70 億美元。`` has 12 units
(11 characters and the word OpenAI; digits are anchors, not length), E = ``A: OpenAI
spent $7 billion of operating cost in 2024.`` has 9 words.  Length: 12 / (1.6 * 9)
= 0.83, |ln| = 0.18, score 1 - 0.8 * 0.18 = 0.85; speakers both ``kfl`` +1, both open
a turn +0.5; shared ``openai``, ``2024``, ``$7e+09`` +1.8.  Total 4.15, against
2 * SKIP = -2 for leaving both out, so they pair with confidence
``1 / (1 + e^-4.15)`` = 0.985 and reason "speaker match, length ok, shared: $7e+09,
2024, openai".
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Sequence

from .model import AlignedRow, Article, Paragraph

RATIO = 1.6  # Chinese units per English word; see tests/test_align.py::test_ratio_fits_gold
LEN_WEIGHT = 0.8
MERGE = 0.8
SKIP = -1.0
ANCHOR_BONUS = 0.6
ANCHOR_CAP = 3
# Beads the programme may take: (Chinese paragraphs, English paragraphs).
PATTERNS = ((1, 1), (2, 1), (1, 2), (3, 1), (2, 2), (1, 0), (0, 1))

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.\-']*")
# Latin words too common in both languages to say anything about a pairing.
COMMON = {"ai", "ceo", "a", "i", "the", "of"}
# Hand-written key terms whose Chinese is not a Latin name (both scripts listed).
TERMS = (
    (("字節跳動", "字节跳动", "字節"), "bytedance"),
    (("阿里巴巴", "阿里"), "alibaba"),
    (("百度",), "baidu"),
    (("微軟", "微软"), "microsoft"),
    (("平安",), "ping an"),
    (("奧爾特曼", "奥尔特曼"), "altman"),
    (("辛頓", "辛顿"), "hinton"),
    (("吳恩達", "吴恩达"), "andrew ng"),
    (("開源", "开源"), "open-source"),
    (("閉源", "闭源"), "closed"),
    (("算命",), "fortune"),
    (("月球", "登月"), "moon"),
    (("新質生產力", "新质生产力"), "new quality productivity"),
    (("中間件", "中间件"), "middleware"),
    (("寡頭", "寡头"), "consolidat"),
)
CN_DIGITS = {"一": 1, "兩": 2, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9, "十": 10}
EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
              "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12}
CN_SCALE = {"萬億": 1e12, "万亿": 1e12, "億": 1e8, "亿": 1e8, "萬": 1e4, "万": 1e4}
EN_SCALE = {"tn": 1e12, "trillion": 1e12, "bn": 1e9, "billion": 1e9, "m": 1e6, "million": 1e6}


def _money(value: float) -> str:
    return f"${value:.3g}"


def zh_anchors(text: str) -> frozenset[str]:
    """Numbers (normalised), Latin names and listed terms found in Chinese text."""
    out: set[str] = set()
    for num, scale in re.findall(r"(\d+(?:\.\d+)?)\s*(萬億|万亿|億|亿|萬|万)?\s*美元", text):
        out.add(_money(float(num) * CN_SCALE.get(scale, 1)))
    out.update(f"{n}%" for n in re.findall(r"(\d+(?:\.\d+)?)\s*%", text))
    out.update(f"{n}x" for n in re.findall(r"(\d+)\s*倍", text))
    out.update(re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text))
    for num in re.findall(r"(\d+|[一兩两二三四五六七八九十])\s*個?个?月", text):
        out.add(f"{CN_DIGITS.get(num) or int(num)} months")
    for word in _LATIN_WORD.findall(text):
        if word.lower() not in COMMON and len(word) > 1:
            out.add(word.lower().rstrip("."))
    for chinese, key in TERMS:
        if any(c in text for c in chinese):
            out.add(key)
    return frozenset(out)


def en_anchors(text: str) -> frozenset[str]:
    """The same kinds of anchor read from English text, in the same normal forms."""
    out: set[str] = set()
    low = text.lower()
    for num, scale in re.findall(r"\$\s?(\d+(?:\.\d+)?)\s*(tn|trillion|bn|billion|million|m)?\b", low):
        out.add(_money(float(num) * EN_SCALE.get(scale, 1)))
    for num, scale in re.findall(r"(\d+(?:\.\d+)?)\s*(trillion|billion|million)\s+dollars", low):
        out.add(_money(float(num) * EN_SCALE[scale]))
    out.update(f"{n}%" for n in re.findall(r"(\d+(?:\.\d+)?)\s*(?:%|per ?cent)", low))
    for num in re.findall(r"(\d+|[a-z]+)\s+times\b", low):
        if num.isdigit() or num in EN_NUMBERS:
            out.add(f"{EN_NUMBERS.get(num) or int(num)}x")
    out.update(re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text))
    for num in re.findall(r"(\d+|[a-z]+)[\s-]+months?\b", low):
        if num.isdigit() or num in EN_NUMBERS:
            out.add(f"{EN_NUMBERS.get(num) or int(num)} months")
    for word in _LATIN_WORD.findall(text):
        out.add(word.lower().rstrip("."))
    for _, key in TERMS:
        if key in low:
            out.add(key)
    return frozenset(out)


def zh_units(text: str) -> int:
    return len(_CJK.findall(text)) + len(_LATIN_WORD.findall(text))


def en_words(text: str) -> int:
    return len(text.split())


@dataclass(frozen=True)
class Bead:
    score: float
    reason: str


def _continues(side: Sequence[Paragraph]) -> bool:
    """A merged side must stay inside one turn: later paragraphs carry no label and
    the same speaker as the first."""
    return all(p.label is None and p.speaker == side[0].speaker for p in side[1:])


def score_bead(zh: Sequence[Paragraph], en: Sequence[Paragraph]) -> Bead | None:
    """Score pairing ``zh`` with ``en`` (both non-empty); None if the bead is not allowed."""
    if not (_continues(zh) and _continues(en)):
        return None
    score = -MERGE * (len(zh) + len(en) - 2)
    notes = []
    units = sum(zh_units(p.text) for p in zh)
    words = sum(en_words(p.text) for p in en)
    dev = abs(math.log(max(units, 1) / (RATIO * max(words, 1))))
    score += 1 - LEN_WEIGHT * dev
    notes.append("length ok" if dev < 0.5 else "length off")
    zs, es = zh[0].speaker, en[0].speaker
    if zs and es:
        score += 1 if zs == es else -4
        notes.insert(0, "speaker match" if zs == es else "speaker mismatch")
    elif zs or es:
        score -= 3
        notes.insert(0, "turn vs. non-turn")
    score += 0.5 if (zh[0].label is None) == (en[0].label is None) else -1
    shared = sorted(zh_anchors(" ".join(p.text for p in zh)) & en_anchors(" ".join(p.text for p in en)))
    score += ANCHOR_BONUS * min(len(shared), ANCHOR_CAP)
    if shared:
        notes.append("shared: " + ", ".join(shared[:4]))
    return Bead(score, ", ".join(notes))


def confidence(score: float) -> float:
    return round(1 / (1 + math.exp(-score)), 3)


def align_pair(zh: Sequence[Paragraph], en: Sequence[Paragraph]) -> tuple[AlignedRow, ...]:
    """Best monotone alignment of two paragraph lists (see module docstring)."""
    n, m = len(zh), len(en)
    best = [[-math.inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, Bead] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if best[i][j] == -math.inf:
                continue
            for di, dj in PATTERNS:
                ni, nj = i + di, j + dj
                if ni > n or nj > m:
                    continue
                if di and dj:
                    bead = score_bead(zh[i:ni], en[j:nj])
                    if bead is None:
                        continue
                else:
                    bead = Bead(SKIP, "no English counterpart" if di else "no Chinese counterpart")
                total = best[i][j] + bead.score
                if total > best[ni][nj]:
                    best[ni][nj] = total
                    back[ni][nj] = (di, dj, bead)
    rows: list[AlignedRow] = []
    i, j = n, m
    while i or j:
        step = back[i][j]
        assert step is not None  # every cell is reachable through 1-0 and 0-1 beads
        di, dj, bead = step
        z, e = tuple(zh[i - di:i]), tuple(en[j - dj:j])
        # A skipped paragraph outside any turn (an introduction) is expected to lack a
        # counterpart; a skipped turn is suspicious, so it gets a lower confidence.
        conf = confidence(bead.score) if z and e else (0.8 if not (z + e)[0].speaker else 0.4)
        rows.append(AlignedRow(zh=z, en=e, confidence=conf, reason=bead.reason))
        i, j = i - di, j - dj
    rows.reverse()
    return tuple(rows)


def chinese_only(zh: Sequence[Paragraph]) -> tuple[AlignedRow, ...]:
    return tuple(AlignedRow(zh=(p,), en=(), confidence=1.0, reason="no English text") for p in zh)


def align_archive(articles: Sequence[Article]) -> tuple[Article, ...]:
    """Set ``rows`` on every article.  The English side is the article's own English
    paragraphs, else those of the article named by ``english_text_from``."""
    by_slug = {a.slug: a for a in articles}
    out = []
    for article in articles:
        en = article.en
        for slug in article.meta.related("english_text_from"):
            if not en and slug in by_slug:
                en = by_slug[slug].en
        rows = align_pair(article.zh, en) if en else chinese_only(article.zh)
        out.append(replace(article, rows=rows))
    return tuple(out)
