"""Stage 4 — align: pair Chinese paragraphs with the English paragraphs they translate.

A monotone dynamic programme walks both paragraph lists at once.  Each step ("bead")
takes 1-1, 2-1, 1-2, 3-1, 2-2, 1-0 or 0-1 paragraphs, and the programme keeps the
sequence of beads with the highest total score.  It runs in two passes
(``programme``): every 1-1 pair is scored once and sure pairs are locked; the
programme then searches only the band between locks.

Score of a bead pairing Chinese paragraphs Z with English paragraphs E
(``score.bead_terms``), a sum of five terms:

* **pattern**: 1-1 costs nothing, each paragraph beyond it costs ``MERGE``;
* **length**: with d = ln(units(Z) / (RATIO · words(E))), ``1 - (d / LEN_SD)² / 2``,
  never below ``LEN_FLOOR``.  A unit is a Chinese character or a Latin word inside
  Chinese; RATIO is fitted on the dev gold (``python -m tests.align_score --fit``);
* **speaker**: same speaker +1, different speakers -4, a turn against a non-turn -3
  (this keeps an introduction away from the interview); when a turn is involved, both
  sides opening a turn or both continuing one +0.5, otherwise -1;
* **numbers**: +0.6 for each number both state, at most 3; amounts are converted, so
  ``$7bn`` and ``70億美元`` both read ``$7e+09`` (``numbers``);
* **words**: Chinese is converted to Simplified, cut into CC-CEDICT's words and
  glossed by it; a Latin name inside Chinese (OpenAI, Palantir) is its own word; English
  words and glosses are cut to crude stems (``lexicon``).  Every
  word weighs its IDF over the pair's paragraphs, so a rare word (Palantir, 登月)
  says more than a common one (AI, 中國).  The overlap is the weight of Chinese words
  with a gloss in E plus the weight of English words glossed by Z, over the weight
  of all of them; the term is ``LEX_WEIGHT · (overlap - LEX_BASE)``, scaled down for
  short beads (all words under ``LEX_FULL`` IDF weight), whose overlap is noisy.

Leaving a paragraph out (1-0, 0-1) scores ``SKIP`` (-0.5) outside any turn, where a
translator's lede or an introduction is expected, and ``SKIP_TURN`` (-1.5) inside a
turn, where a translation rarely adds a paragraph but often merges one.  Merges only
join paragraphs of one turn.  A row's confidence is the logistic of its bead score.

Worked example (``tests/test_align.py::test_docstring_worked_example``), the two
paragraphs aligned alone, Z = ``李開復:OpenAI 在 2024 年的運營成本為 70 億美元。``
and E = ``A: OpenAI spent $7 billion of operating cost in 2024.``:

* pattern 1-1: 0;
* length: 12 units (11 characters and OpenAI; digits are not counted), 9 words;
  d = ln(12 / (1.66 · 9)) = -0.22, so 1 - (0.22 / 0.5)² / 2 = 0.90;
* speaker: both ``kfl`` +1, both open a turn +0.5;
* numbers: ``$7e+09`` and ``2024`` shared, +1.2;
* words: with one paragraph a side every word weighs ln 2 (3 bits, see ``score.BITS``).
  Z has 7 words (OpenAI 在 運營 成本 為 億 美元 → 21 bits; 年的, two characters the
  dictionary cannot join into a word, is one word without glosses), 3 of them glossed
  in E (OpenAI, 運營 "operate", 成本 "cost": 9 bits); E has 5 (spent, operating, cost,
  billion, OpenAI → 15 bits), 3 glossed by Z (9 bits).  Overlap 18 / 36 = 0.50; the
  bead holds 36 of the 400 bits of a full-weight bead, so the term is
  15 · (0.50 - 0.35) · 36 / 400 = 0.20.

Total 3.81 against 2 · -1.5 = -3 for leaving both out, so they pair, with confidence
``1 / (1 + e^-3.81)`` = 0.978 and reason "speaker match, length ok, word overlap 0.50,
shared: $7e+09, 2024".
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..model import AlignedRow, Article, Paragraph
from .programme import Pins, align_pair

# Rows below this confidence are marked as doubtful on the page and listed by
# ``build.py report``.  Read off the gold (``tests/test_align.py::
# test_low_confidence_threshold``): take every 1-1 candidate within three English
# paragraphs of a gold link.  In the dev sections, candidates from 0.3 to 0.6 are gold
# links 6 times in 32 and those from 0.6 to 0.9 17 times in 33 (held-out: 2 in 20, 6 in
# 10); above 0.9 all are.  So below 0.6 a pair's own evidence looks like a wrong
# pair's: the programme chose the row for its neighbours, and an editor should read
# it.  The counts are small and 0.5 or 0.7 would split them almost as well; 0.6 also
# sits between a skipped turn (0.4, suspicious) and a skipped introduction (0.8,
# expected), so the first is marked and the second is not.
LOW_CONFIDENCE = 0.6


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


__all__ = ["LOW_CONFIDENCE", "Pins", "align_archive", "align_pair", "chinese_only"]
