"""The alignment programme: lock sure pairs, then a dynamic programme in the band they leave.

Pass 1 scores every 1-1 pair once and *locks* the pairs that are sure: the best in
both their row and their column by a clear margin, and consistent in order with the
other locks (the longest chain increasing on both sides).  Pass 2 runs the monotone
dynamic programme only inside a band: the rectangles between consecutive locks,
widened by ``SLACK`` paragraphs so a merge may still take a locked paragraph in.  A
lock decides where the band runs, never a row: inside the band the programme is free.
With no locks the band is the whole grid.

An editor's pins (``Pins``, from ``alignment.yaml`` via ``site_src.overrides``) are
hard constraints: a pinned bead is the only step out of its corner and no other bead
may cross it, so every path passes through it; it also becomes a lock, so the band
holds it.  A paragraph pinned alone may only take a 1-0 or 0-1 bead.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Sequence

from ..model import AlignedRow, Paragraph
from .score import Evidence, Terms, bead_terms, bead_total, evidence, pair_total

# Beads the programme may take: (Chinese paragraphs, English paragraphs).  3-1 and 2-2
# exist because the hand-checked gold needs them (a Chinese translation splits one
# English answer into three paragraphs, and moves a sentence across a break).
PATTERNS = ((1, 1), (2, 1), (1, 2), (3, 1), (2, 2), (1, 0), (0, 1))
LOCK_SCORE = 3.0  # a 1-1 pair must score this much to be locked ...
LOCK_MARGIN = 2.0  # ... and beat every rival in its row and column by this much
SLACK = 3  # paragraphs the band extends past a lock on each side


Bead = tuple[int, int, int, int]  # (i0, i1, j0, j1): Chinese i0..i1-1 with English j0..j1-1


@dataclass(frozen=True)
class Pins:
    """Hard constraints on the programme.  ``beads`` must be in order on both sides and
    must not overlap (``site_src.overrides`` checks that before building a ``Pins``);
    ``alone_zh``/``alone_en`` hold paragraphs that may only stand alone."""

    beads: tuple[Bead, ...] = ()
    alone_zh: frozenset[int] = frozenset()
    alone_en: frozenset[int] = frozenset()

    @functools.cached_property
    def starts(self) -> dict[tuple[int, int], Bead]:
        """Pinned beads by the grid point they start from."""
        return {(b[0], b[2]): b for b in self.beads}

    def __bool__(self) -> bool:
        return bool(self.beads or self.alone_zh or self.alone_en)

    def moves(self, i: int, j: int) -> tuple[tuple[int, int], ...]:
        """The steps allowed out of grid point (i, j)."""
        pinned = self.starts.get((i, j))
        if pinned:
            return ((pinned[1] - i, pinned[3] - j),)
        return tuple((di, dj) for di, dj in PATTERNS if self._permits(i, i + di, j, j + dj))

    def _permits(self, i0: int, i1: int, j0: int, j1: int) -> bool:
        if i1 > i0 and j1 > j0 and (any(k in self.alone_zh for k in range(i0, i1))
                                    or any(k in self.alone_en for k in range(j0, j1))):
            return False
        # Entirely before or entirely after every pinned bead (pinned starts are handled
        # in ``moves``), so no path can go round one.
        return all((i1 <= b0 and j1 <= c0) or (i0 >= b1 and j0 >= c1) for b0, b1, c0, c1 in self.beads)

    def locks(self, found: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
        """Locks for the band: both ends of every pinned bead, and those ``found`` locks
        that agree with the pins (a lock on a paragraph pinned alone, or one crossing a
        pinned bead, would steer the band away from the only allowed paths)."""
        kept = [(i, j) for i, j in found if self._permits(i, i + 1, j, j + 1)]
        ends = [corner for b in self.beads for corner in ((b[0], b[2]), (b[1] - 1, b[3] - 1))]
        return tuple(sorted(set(kept + ends)))  # a one-paragraph-a-side pin starts and ends on one lock


NO_PINS = Pins()


def pair_scores(ev: Evidence) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(pair_total(ev, i, j) for j in range(len(ev.en))) for i in range(len(ev.zh)))


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
              ones: Sequence[Sequence[float]], pins: Pins = NO_PINS) -> list[Bead]:
    """Best monotone bead sequence inside ``allowed`` that satisfies ``pins``.

    ``ones`` holds the 1-1 scores already computed for the locks, so only merges are
    scored here."""
    n, m = len(ev.zh), len(ev.en)
    best = [[-math.inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    zr, er = ev.zh_run, ev.en_run
    moves = pins.moves if pins else None  # without pins every cell offers PATTERNS
    for i in range(n + 1):
        lo, hi = allowed[i]
        row = best[i]
        for j in range(lo, hi + 1):
            here = row[j]
            if here == -math.inf:
                continue
            pinned = moves is not None and (i, j) in pins.starts
            for di, dj in PATTERNS if moves is None else moves(i, j):
                ni, nj = i + di, j + dj
                if ni > n or nj > m or not allowed[ni][0] <= nj <= allowed[ni][1]:
                    continue
                if di and dj:
                    # An editor may pin any shape, across turns: only the aligner's own
                    # merges are limited to one turn.
                    if not pinned and (di > zr[i] or dj > er[j]):
                        continue
                    score = ones[i][j] if di == dj == 1 else bead_total(ev, i, ni, j, nj)
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


def align_pair(zh: Sequence[Paragraph], en: Sequence[Paragraph],
               pins: Pins = NO_PINS) -> tuple[AlignedRow, ...]:
    """Best monotone alignment of two paragraph lists (see the package docstring),
    under an editor's ``pins`` if any.  Rows keep their scored confidence and reason:
    saying that a row was pinned is the caller's business (``site_src.overrides``)."""
    ev = evidence(zh, en)
    ones = pair_scores(ev)
    found = locks(ones) if zh and en else ()
    allowed = band(len(zh), len(en), pins.locks(found) if pins else found)
    return tuple(_row(ev, *bead) for bead in programme(ev, allowed, ones, pins))
