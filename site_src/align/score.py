"""Bead scores: how well a run of Chinese paragraphs matches a run of English ones.

Features are computed once per paragraph (``zh_features``/``en_features``) and the
expensive pairwise evidence once per (Chinese, English) pair (``Evidence``); a merged
bead sums its pairs' evidence, so the dynamic programme never re-reads text.  See the
package docstring for the formula and a worked example.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from ..model import Paragraph
from .lexicon import chinese_keys, english_keys
from .numbers import en_numbers, zh_numbers

# RATIO and the spread behind LEN_SD are fitted on the dev gold's beads
# (``python -m tests.align_score --fit``); the other weights were chosen on the dev
# sections only, from the middle of the range where every dev article scores its best.
RATIO = 1.66  # Chinese units per English word
LEN_SD = 0.5  # twice the fitted spread (0.25): gold beads are clean, candidates are not
LEN_WEIGHT = 1.0
LEN_FLOOR = -2.0  # an edited translation may cut or pad a lot: length alone never vetoes
MERGE = 1.0  # per paragraph beyond 1-1
# Per paragraph left without a counterpart.  Outside the interview (a translator's lede,
# an introduction) that is common; inside a turn a translation seldom adds a paragraph.
SKIP = -0.5
SKIP_TURN = -1.5
NUMBER_BONUS = 0.6
NUMBER_CAP = 3
LEX_WEIGHT = 15.0
LEX_BASE = 0.35  # word overlap that unrelated paragraphs of one interview reach anyway
LEX_FULL = 100.0  # IDF weight of both sides at which the overlap counts fully
SAME_SPEAKER, OTHER_SPEAKER, TURN_VS_NONE = 1.0, -4.0, -3.0
SAME_OPENING, OTHER_OPENING = 0.5, -1.0

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.\-']*")


def zh_units(text: str) -> int:
    """Length of Chinese text: characters plus Latin words (OpenAI counts once)."""
    return len(_CJK.findall(text)) + len(_LATIN_WORD.findall(text))


def en_words(text: str) -> int:
    return len(text.split())


@dataclass(frozen=True)
class ZhFeatures:
    units: int
    numbers: frozenset[str]
    words: tuple[tuple[str, frozenset[str]], ...]  # distinct content words and their keys


@dataclass(frozen=True)
class EnFeatures:
    words: int
    numbers: frozenset[str]
    keys: frozenset[str]


def zh_features(p: Paragraph) -> ZhFeatures:
    return ZhFeatures(zh_units(p.text), zh_numbers(p.text), chinese_keys(p.text))


def en_features(p: Paragraph) -> EnFeatures:
    return EnFeatures(en_words(p.text), en_numbers(p.text), english_keys(p.text))


def idf(documents: Sequence[frozenset[str]]) -> dict[str, float]:
    """``ln(1 + N / df)``: a word in every paragraph weighs ln 2, a word in one weighs ln(1 + N)."""
    df: dict[str, int] = {}
    for doc in documents:
        for item in doc:
            df[item] = df.get(item, 0) + 1
    n = len(documents)
    return {item: math.log(1 + n / count) for item, count in df.items()}


# IDF weights are kept as bit counts: a word of weight w owns round(w * BITS) bits of
# its paragraph's mask, so the weight of any set of words is the popcount of the OR of
# their masks.  That makes a merged bead's overlap exact (a word two partners both gloss
# counts once) at the price of one OR and one ``int.bit_count`` per paragraph.
BITS = 4


@dataclass(frozen=True)
class Evidence:
    """Everything the programme needs about two paragraph lists, computed once.

    ``zh_mask[i][j]`` holds the bits of Chinese paragraph i's words that have a gloss in
    English paragraph j; ``en_mask[i][j]`` the bits of j's words glossed by some word of
    i; ``zh_bits``/``en_bits`` count the bits of all words of a paragraph;
    ``shared[i][j]`` lists the numbers both state."""

    zh: tuple[Paragraph, ...]
    en: tuple[Paragraph, ...]
    units: tuple[int, ...]
    words: tuple[int, ...]
    zh_bits: tuple[int, ...]
    en_bits: tuple[int, ...]
    zh_mask: tuple[tuple[int, ...], ...]
    en_mask: tuple[tuple[int, ...], ...]
    shared: tuple[tuple[tuple[str, ...], ...], ...]
    zh_run: tuple[int, ...]  # how many paragraphs from here on may form one side
    en_run: tuple[int, ...]
    zh_skip: tuple[float, ...]  # score of leaving the paragraph without a counterpart
    en_skip: tuple[float, ...]


def skip_score(p: Paragraph) -> float:
    return SKIP_TURN if p.speaker else SKIP


def runs(paras: Sequence[Paragraph]) -> tuple[int, ...]:
    """For each paragraph, the length of the longest run starting there whose later
    paragraphs all continue its turn: only such a run may be merged into one side (the
    translations merge within a turn, never a question into its answer)."""
    out = [1] * len(paras)
    for k in range(len(paras) - 2, -1, -1):
        first, nxt = paras[k], paras[k + 1]
        if nxt.label is None and nxt.speaker == first.speaker and first.kind == nxt.kind == "p":
            out[k] = out[k + 1] + 1
    return tuple(out)


def _bit_ranges(items: Sequence[str], weight: dict[str, float]) -> tuple[dict[str, int], int]:
    """Give each item ``round(weight * BITS)`` bits of its own; return them and the total."""
    ranges, offset = {}, 0
    for item in items:
        width = max(1, round(weight[item] * BITS))
        ranges[item] = ((1 << width) - 1) << offset
        offset += width
    return ranges, offset


def evidence(zh: Sequence[Paragraph], en: Sequence[Paragraph]) -> Evidence:
    zf = [zh_features(p) for p in zh]
    ef = [en_features(p) for p in en]
    zh_idf = idf([frozenset(w for w, _ in f.words) for f in zf])
    en_idf = idf([f.keys for f in ef])
    en_ranges = [_bit_ranges(sorted(f.keys), en_idf) for f in ef]
    # Inverted index: English key -> paragraphs holding it, so a Chinese word's glosses
    # visit only the English paragraphs they can hit instead of all of them.
    postings: dict[str, list[int]] = {}
    for j, f in enumerate(ef):
        for key in f.keys:
            postings.setdefault(key, []).append(j)
    zh_mask, en_mask, zh_bits = [], [], []
    for f in zf:
        ranges, total = _bit_ranges([w for w, _ in f.words], zh_idf)
        zh_bits.append(total)
        zrow, erow = [0] * len(ef), [0] * len(ef)
        glossed: set[str] = set()
        for word, keys in f.words:
            for key in keys:
                for j in postings.get(key, ()):
                    zrow[j] |= ranges[word]
            glossed |= keys
        for key in glossed:
            for j in postings.get(key, ()):
                erow[j] |= en_ranges[j][0][key]
        zh_mask.append(tuple(zrow))
        en_mask.append(tuple(erow))
    shared = tuple(tuple(tuple(sorted(z.numbers & e.numbers)) for e in ef) for z in zf)
    return Evidence(
        zh=tuple(zh), en=tuple(en),
        units=tuple(f.units for f in zf), words=tuple(f.words for f in ef),
        zh_bits=tuple(zh_bits), en_bits=tuple(total for _, total in en_ranges),
        zh_mask=tuple(zh_mask), en_mask=tuple(en_mask), shared=shared,
        zh_run=runs(zh), en_run=runs(en),
        zh_skip=tuple(skip_score(p) for p in zh), en_skip=tuple(skip_score(p) for p in en))


@dataclass(frozen=True)
class Terms:
    """The parts of one bead's score, kept apart so the reason can name them."""

    pattern: float
    length: float
    speaker: float
    opening: float
    numbers: float
    lexical: float
    overlap: float  # the weighted word overlap in [0, 1] behind ``lexical``
    speaker_note: str
    shared: tuple[str, ...]

    @property
    def total(self) -> float:
        return self.pattern + self.length + self.speaker + self.opening + self.numbers + self.lexical

    def reason(self) -> str:
        notes = [self.speaker_note] if self.speaker_note else []
        notes.append("length ok" if self.length > 0 else "length off")
        notes.append(f"word overlap {self.overlap:.2f}")
        if self.shared:
            notes.append("shared: " + ", ".join(self.shared[:4]))
        return ", ".join(notes)


def bead_terms(ev: Evidence, i0: int, i1: int, j0: int, j1: int) -> Terms:
    """Score Chinese paragraphs ``i0..i1-1`` against English ``j0..j1-1`` (both non-empty)."""
    overlap, total = _overlap(ev, i0, i1, j0, j1)
    shared = sorted({n for i in range(i0, i1) for j in range(j0, j1) for n in ev.shared[i][j]})
    speaker, opening, note = _speakers(ev.zh[i0], ev.en[j0])
    return Terms(
        pattern=-MERGE * (i1 - i0 + j1 - j0 - 2), length=_length(sum(ev.units[i0:i1]), sum(ev.words[j0:j1])),
        speaker=speaker, opening=opening, numbers=NUMBER_BONUS * min(len(shared), NUMBER_CAP),
        lexical=_lexical(overlap, total), overlap=overlap, speaker_note=note, shared=tuple(shared))


def bead_total(ev: Evidence, i0: int, i1: int, j0: int, j1: int) -> float:
    """``bead_terms(...).total``, to the last bit, without what only a row's reason
    needs: the programme scores some 2,000 beads an article and keeps a few dozen."""
    overlap, total = _overlap(ev, i0, i1, j0, j1)
    shared = len({n for i in range(i0, i1) for j in range(j0, j1) for n in ev.shared[i][j]})
    speaker, opening, _ = _speakers(ev.zh[i0], ev.en[j0])
    # Summed in the order of ``Terms.total``.
    return (-MERGE * (i1 - i0 + j1 - j0 - 2) + _length(sum(ev.units[i0:i1]), sum(ev.words[j0:j1])) + speaker
            + opening + NUMBER_BONUS * min(shared, NUMBER_CAP) + _lexical(overlap, total))


def pair_total(ev: Evidence, i: int, j: int) -> float:
    """``bead_total`` of the 1-1 bead (i, j): every pair of an article is scored."""
    total = ev.zh_bits[i] + ev.en_bits[j]
    overlap = (ev.zh_mask[i][j].bit_count() + ev.en_mask[i][j].bit_count()) / total if total else 0.0
    speaker, opening, _ = _speakers(ev.zh[i], ev.en[j])
    return (-MERGE * 0 + _length(ev.units[i], ev.words[j]) + speaker + opening
            + NUMBER_BONUS * min(len(ev.shared[i][j]), NUMBER_CAP) + _lexical(overlap, total))


def _overlap(ev: Evidence, i0: int, i1: int, j0: int, j1: int) -> tuple[float, int]:
    """The share of the bead's word bits glossed on the other side, and the bits of
    all its words."""
    zh_hit = en_hit = 0
    for i in range(i0, i1):
        mask = 0
        for j in range(j0, j1):
            mask |= ev.zh_mask[i][j]
        zh_hit += mask.bit_count()
    for j in range(j0, j1):
        mask = 0
        for i in range(i0, i1):
            mask |= ev.en_mask[i][j]
        en_hit += mask.bit_count()
    total = sum(ev.zh_bits[i0:i1]) + sum(ev.en_bits[j0:j1])
    return ((zh_hit + en_hit) / total if total else 0.0), total


def _length(units: int, words: int) -> float:
    dev = math.log(max(units, 1) / (RATIO * max(words, 1)))
    return max(LEN_FLOOR, LEN_WEIGHT * (1 - (dev / LEN_SD) ** 2 / 2))


def _speakers(z: Paragraph, e: Paragraph) -> tuple[float, float, str]:
    """The speaker and opening terms of a bead starting with ``z`` and ``e``, and the note."""
    if z.speaker and e.speaker:
        speaker = SAME_SPEAKER if z.speaker == e.speaker else OTHER_SPEAKER
        note = "speaker match" if z.speaker == e.speaker else "speaker mismatch"
    elif z.speaker or e.speaker:
        speaker, note = TURN_VS_NONE, "turn vs. non-turn"
    else:
        speaker, note = 0.0, ""
    # Outside the interview (an introduction) there are no turns to open or continue.
    opening = 0.0 if not (z.speaker or e.speaker) else (
        SAME_OPENING if (z.label is None) == (e.label is None) else OTHER_OPENING)
    return speaker, opening, note


def _lexical(overlap: float, total: int) -> float:
    # Few words make a noisy overlap, so a short bead's word evidence counts less.
    return LEX_WEIGHT * (overlap - LEX_BASE) * min(1.0, total / (BITS * LEX_FULL))
