"""The alignment programme: lock sure pairs, then a dynamic programme in the band they leave.

Pass 1 scores every 1-1 pair once and *locks* the pairs that are sure: the best in
both their row and their column by a clear margin, and consistent in order with the
other locks (the longest chain increasing on both sides).  Pass 2 runs the monotone
dynamic programme only inside a band: the rectangles between consecutive locks,
widened by ``SLACK`` paragraphs so a merge may still take a locked paragraph in.  A
lock decides where the band runs, never a row: inside the band the programme is free.
With no locks the band is the whole grid.
"""
from __future__ import annotations

import math
from typing import Sequence

from ..model import AlignedRow, Paragraph
from .score import Evidence, Terms, bead_terms, evidence

# Beads the programme may take: (Chinese paragraphs, English paragraphs).  3-1 and 2-2
# exist because the hand-checked gold needs them (a Chinese translation splits one
# English answer into three paragraphs, and moves a sentence across a break).
PATTERNS = ((1, 1), (2, 1), (1, 2), (3, 1), (2, 2), (1, 0), (0, 1))
LOCK_SCORE = 3.0  # a 1-1 pair must score this much to be locked ...
LOCK_MARGIN = 2.0  # ... and beat every rival in its row and column by this much
SLACK = 3  # paragraphs the band extends past a lock on each side


def pair_scores(ev: Evidence) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(bead_terms(ev, i, i + 1, j, j + 1).total for j in range(len(ev.en)))
                 for i in range(len(ev.zh)))


def locks(scores: Sequence[Sequence[float]]) -> tuple[tuple[int, int], ...]:
    """Sure 1-1 pairs, in order (see the module docstring)."""
    n = len(scores)
    m = len(scores[0]) if n else 0
    col_best = [max(range(n), key=lambda i: scores[i][j]) for j in range(m)]
    sure = []
    for i in range(n):
        j = max(range(m), key=lambda k: scores[i][k])
        s = scores[i][j]
        if s < LOCK_SCORE or col_best[j] != i:
            continue
        rivals = [scores[i][k] for k in range(m) if k != j] + [scores[k][j] for k in range(n) if k != i]
        if not rivals or s - max(rivals) >= LOCK_MARGIN:
            sure.append((i, j))
    # Longest chain increasing in both i and j; sure pairs are already sorted by i.
    chain_len = [1] * len(sure)
    prev = [-1] * len(sure)
    for b in range(len(sure)):
        for a in range(b):
            if sure[a][1] < sure[b][1] and chain_len[a] + 1 > chain_len[b]:
                chain_len[b], prev[b] = chain_len[a] + 1, a
    out = []
    # Of equally long chains the one ending first wins (``max`` keeps the first maximum).
    k = max(range(len(sure)), key=chain_len.__getitem__) if sure else -1
    while k >= 0:
        out.append(sure[k])
        k = prev[k]
    return tuple(reversed(out))


def band(n: int, m: int, locked: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Allowed English positions ``(lo, hi)`` for each Chinese position 0..n of the grid."""
    corners = [(0, 0)] + [(i, j) for i, j in locked] + [(n, m)]
    lo, hi = [m] * (n + 1), [0] * (n + 1)
    for (ia, ja), (ib, jb) in zip(corners, corners[1:]):
        # The rectangle from one lock to the grid point just after the next one.
        ib, jb = min(ib + 1, n), min(jb + 1, m)
        for i in range(max(ia - SLACK, 0), min(ib + SLACK, n) + 1):
            lo[i] = min(lo[i], max(ja - SLACK, 0))
            hi[i] = max(hi[i], min(jb + SLACK, m))
    return tuple(zip(lo, hi))


def programme(ev: Evidence, allowed: Sequence[tuple[int, int]],
              ones: Sequence[Sequence[float]]) -> list[tuple[int, int, int, int]]:
    """Best monotone bead sequence inside ``allowed``; returns beads as (i0, i1, j0, j1).

    ``ones`` holds the 1-1 scores already computed for the locks, so only merges are
    scored here."""
    n, m = len(ev.zh), len(ev.en)
    best = [[-math.inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    zr, er = ev.zh_run, ev.en_run
    for i in range(n + 1):
        lo, hi = allowed[i]
        row = best[i]
        for j in range(lo, hi + 1):
            here = row[j]
            if here == -math.inf:
                continue
            for di, dj in PATTERNS:
                ni, nj = i + di, j + dj
                if ni > n or nj > m or not allowed[ni][0] <= nj <= allowed[ni][1]:
                    continue
                if di and dj:
                    if di > zr[i] or dj > er[j]:
                        continue
                    score = ones[i][j] if di == dj == 1 else bead_terms(ev, i, ni, j, nj).total
                else:
                    score = ev.zh_skip[i] if di else ev.en_skip[j]
                # Strictly greater: an exact tie keeps the path found first.  Cells are
                # visited in order, so between leaving out an earlier or a later
                # paragraph the earlier one is left out (where translators add ledes).
                if here + score > best[ni][nj]:
                    best[ni][nj] = here + score
                    back[ni][nj] = (di, dj)
    beads = []
    i, j = n, m
    while i or j:
        step = back[i][j]
        assert step is not None  # the band holds a path of 1-0 and 0-1 beads from corner to corner
        di, dj = step
        beads.append((i - di, i, j - dj, j))
        i, j = i - di, j - dj
    beads.reverse()
    return beads


def confidence(score: float) -> float:
    return round(1 / (1 + math.exp(-score)), 3)


def _row(ev: Evidence, i0: int, i1: int, j0: int, j1: int) -> AlignedRow:
    z, e = ev.zh[i0:i1], ev.en[j0:j1]
    if z and e:
        terms: Terms = bead_terms(ev, i0, i1, j0, j1)
        return AlignedRow(zh=z, en=e, confidence=confidence(terms.total), reason=terms.reason())
    # A skipped paragraph outside any turn (an introduction) is expected to lack a
    # counterpart; a skipped turn is suspicious, so it gets a lower confidence.
    lone = (z + e)[0]
    return AlignedRow(zh=z, en=e, confidence=0.8 if not lone.speaker else 0.4,
                      reason="no English counterpart" if z else "no Chinese counterpart")


def align_pair(zh: Sequence[Paragraph], en: Sequence[Paragraph]) -> tuple[AlignedRow, ...]:
    """Best monotone alignment of two paragraph lists (see the package docstring)."""
    ev = evidence(zh, en)
    ones = pair_scores(ev)
    allowed = band(len(zh), len(en), locks(ones) if zh and en else ())
    return tuple(_row(ev, *bead) for bead in programme(ev, allowed, ones))
