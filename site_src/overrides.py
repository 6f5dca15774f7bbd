"""Stage 4b — overrides: make the aligned rows obey the editor's ``alignment.yaml``.

Runs between align and anchors (``build.py``: after ``align_archive``, before
``assign_article``), while ``Article.registry`` is still the registry as loaded.  Two
kinds of entry: ``pair`` (the named paragraphs form one row) and ``alone`` (the named
paragraph has a row of its own).  If every entry already holds, the article is returned
as it is.  Otherwise the article is aligned again with all entries as hard constraints
(``site_src.align.Pins``); the rows an entry changed get confidence 1.0 and a reason
naming its line.  The anchor stage then names the new rows against the same registry,
so rows that did not change keep their anchors.

Names.  ``p12-zh`` is the first Chinese paragraph of row p12, ``p12-en-2`` its second
English one.  Names are those the anchor stage gives to the rows the aligner makes on
its own, i.e. the page's anchors wherever no entry changed the rows.  They are not the
anchors of the pinned rows on purpose: an entry must mean the same paragraphs in every
build, and once a pinned row is published, the registry keeps recognising the unpinned
rows under their old anchors (an anchor freed by a pin keeps its fingerprints; one whose
row grew still matches its part by head or tail), while the pinned row may carry any
of the anchors it absorbed.

An entry that names nothing, names paragraphs that are not consecutive, or conflicts
with an earlier entry never stops the build: it becomes a warning on the article and
is ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from .align import Pins, align_pair
from .anchors import assign
from .model import AlignedRow, AlignmentOverride, AnchorRegistry, Article, Notice

SIDE_NAMES = {"zh": "Chinese", "en": "English"}
Span = tuple[int, int, int, int]  # a row as (zh start, zh stop, en start, en stop) in paragraph positions
# The range recorded for a side without paragraphs, whatever the row's position, so an
# ``alone`` entry and the 1-0 or 0-1 row that satisfies it have the same span.
NO_PARAGRAPH = (-1, -1)


@dataclass(frozen=True)
class _Pin:
    """An entry resolved to the paragraph positions of the row it asks for."""

    entry: AlignmentOverride
    span: Span


class _Stale(Exception):
    def __init__(self, problem: str, fix: str):
        super().__init__(problem)
        self.problem, self.fix = problem, fix


def apply_overrides(article: Article) -> Article:
    if not article.overrides:
        return article
    sides = {"zh": tuple(p for r in article.rows for p in r.zh), "en": tuple(p for r in article.rows for p in r.en)}
    names = _names(article.rows, article.registry.unpack())
    pins: list[_Pin] = []
    warnings = []
    # File order decides conflicts: each entry is checked against those accepted before
    # it, so of two entries naming one paragraph the earlier stays in force.
    for entry in article.overrides:
        try:
            pin = _Pin(entry, _span(entry, names))
            _check_fits(pin, pins)
        except _Stale as stale:
            warnings.append(Notice(article.overrides_path or article.folder / "alignment.yaml", entry.line,
                                   f"override {_describe(entry)} no longer matches: {stale.problem} "
                                   f"— fix: {stale.fix}"))
            continue
        pins.append(pin)
    article = replace(article, warnings=article.warnings + tuple(warnings))
    current = set(_spans(article.rows))
    changing = [pin for pin in pins if pin.span not in current]
    if not changing:
        return article
    rows = align_pair(sides["zh"], sides["en"], _constraints(pins))
    source = article.overrides_path.name if article.overrides_path else "alignment.yaml"
    return replace(article, rows=_marked(rows, changing, source))


# ---------------------------------------------------------------------------
# Resolving names
# ---------------------------------------------------------------------------
def _names(rows: Sequence[AlignedRow], registry: AnchorRegistry) -> dict[tuple[str, str], range]:
    """(anchor, side) → positions of that side's paragraphs, under the anchors the anchor
    stage gives these rows (see the module docstring)."""
    named, _ = assign(rows, registry)
    out: dict[tuple[str, str], range] = {}
    start = {"zh": 0, "en": 0}
    for row in named:
        for side in ("zh", "en"):
            count = len(getattr(row, side))
            if count:
                out[(row.anchor, side)] = range(start[side], start[side] + count)
            start[side] += count
    return out


def _position(ref: str, names: dict[tuple[str, str], range]) -> tuple[str, int]:
    anchor, side, *nth = ref.split("-")
    run = names.get((anchor, side))
    if run is None:
        problem = (f"row {anchor} has no {SIDE_NAMES[side]} paragraph" if any(a == anchor for a, _ in names)
                   else f"there is no row {anchor} in this article")
        raise _Stale(problem, "name paragraphs by the anchors the page shows now, or delete the entry")
    k = int(nth[0]) if nth else 1
    if k > len(run):
        raise _Stale(f"row {anchor} has {len(run)} {SIDE_NAMES[side]} paragraph{'s' if len(run) > 1 else ''}, "
                     f"not {k}", "name paragraphs by the anchors the page shows now, or delete the entry")
    return side, run[k - 1]


def _span(entry: AlignmentOverride, names: dict[tuple[str, str], range]) -> Span:
    positions: dict[str, list[int]] = {"zh": [], "en": []}
    for ref in entry.refs:
        side, at = _position(ref, names)
        positions[side].append(at)
    bounds = []
    for side in ("zh", "en"):
        found = sorted(set(positions[side]))
        if found and found != list(range(found[0], found[-1] + 1)):
            raise _Stale(f"its {SIDE_NAMES[side]} paragraphs are not consecutive",
                         "name every paragraph between them too, or make two entries")
        bounds.append((found[0], found[-1] + 1) if found else NO_PARAGRAPH)
    return bounds[0] + bounds[1]


# ---------------------------------------------------------------------------
# Checking and applying
# ---------------------------------------------------------------------------
def _check_fits(pin: _Pin, earlier: Sequence[_Pin]) -> None:
    """An entry must not share a paragraph with an earlier one, and two pairs must keep
    both languages in the same order, or no monotone alignment satisfies both."""
    for other in earlier:
        if _overlap(pin.span[0:2], other.span[0:2]) or _overlap(pin.span[2:4], other.span[2:4]):
            raise _Stale(f"it names a paragraph the entry on line {other.entry.line} names too",
                         "keep one of the two entries")
        if pin.entry.kind == other.entry.kind == "pair":
            before = pin.span[1] <= other.span[0] and pin.span[3] <= other.span[2]
            after = pin.span[0] >= other.span[1] and pin.span[2] >= other.span[3]
            if not (before or after):
                raise _Stale(f"it crosses the entry on line {other.entry.line}: one language of a pair comes "
                             "before the other entry's, the other after", "check the anchors of both entries")


def _overlap(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _spans(rows: Sequence[AlignedRow]) -> list[Span]:
    """Each row's paragraph positions, a missing side as ``NO_PARAGRAPH``."""
    out, zh, en = [], 0, 0
    for row in rows:
        z, e = len(row.zh), len(row.en)
        out.append(((zh, zh + z) if z else NO_PARAGRAPH) + ((en, en + e) if e else NO_PARAGRAPH))
        zh, en = zh + z, en + e
    return out


def _constraints(pins: Sequence[_Pin]) -> Pins:
    # Pins wants its beads in order; ``_check_fits`` made them monotone, so sorting by
    # the Chinese start orders the English too.
    pairs = sorted((p.span[0], p.span[1], p.span[2], p.span[3]) for p in pins if p.entry.kind == "pair")
    alone = [p.span for p in pins if p.entry.kind == "alone"]
    return Pins(beads=tuple(pairs), alone_zh=frozenset(s[0] for s in alone if s[0:2] != NO_PARAGRAPH),
                alone_en=frozenset(s[2] for s in alone if s[2:4] != NO_PARAGRAPH))


def _marked(rows: Sequence[AlignedRow], changing: Sequence[_Pin], source: str) -> tuple[AlignedRow, ...]:
    by_span = {pin.span: pin.entry for pin in changing}
    out = []
    for row, span in zip(rows, _spans(rows)):
        entry = by_span.get(span)
        if entry is not None:
            verb = "pinned" if entry.kind == "pair" else "kept alone"
            row = replace(row, confidence=1.0, reason=f"{verb} by {source}:{entry.line}")
        out.append(row)
    return tuple(out)


def _describe(entry: AlignmentOverride) -> str:
    return f"pair [{', '.join(entry.refs)}]" if entry.kind == "pair" else f"alone {entry.refs[0]}"
