"""Stage 5 — anchors: give every aligned row a short id that never changes.

Readers cite ``page#p12``.  A position would shift whenever a paragraph is added, so
anchors live in a registry committed with the content
(``content/articles/<slug>/anchors.yaml``) that records, for every anchor ever
published, a fingerprint of each language side of its row:

* ``hash`` – of the side's normalised text, for exact re-identification;
* ``head``/``tail`` – its first and last characters (normalised), so a row whose text
  was edited (typo fixed, mojibake repaired, paragraph split or merged) is still
  recognised by whichever end survived;
* ``length`` – to keep a fuzzy match from jumping to a much shorter/longer row.

Matching a build's rows against the registry, in this order (each pass only sees
what earlier passes left unmatched, so an exact match is never stolen by a fuzzy one):

1. exact: a side's hash equals the registered hash of the same language;
2. fuzzy: the best head/tail similarity of the same language above ``FUZZY_MIN``;
3. otherwise a new anchor ``p<next>`` is minted.  ``next`` only grows, so a number
   once published is never given to other text, even after its row disappears.

Matched entries get their fingerprints refreshed, so small edits accumulate safely.
Entries that match nothing stay in the registry (their anchors remain reserved).
"""
from __future__ import annotations

import functools
import hashlib
import re
import sys
import unicodedata
from dataclasses import replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Sequence

import yaml

from . import schema
from .edition import registry_changes
from .errors import AnchorError, Problem
from .model import (
    NO_REGISTRY,
    Alias,
    AlignedRow,
    Anchoring,
    AnchorRegistry,
    Article,
    Entry,
    Fingerprint,
    Paragraph,
)

EDGE = 24  # characters kept at each end of a side's text
FUZZY_MIN = 0.75  # head/tail similarity needed to keep an anchor across an edit
MIN_EDGE = 8  # shortest head/tail taken as evidence that a row absorbed another's text
ANCHOR_RE = re.compile(r"^p[1-9][0-9]*$")
SIDES = ("zh", "en")
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


# What normalise drops: every character that is not str.isalnum (\w is isalnum or
# "_"; the same for every code point, checked in tests/test_anchors.py).
NOT_ALNUM = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Compatibility-fold and keep only letters and digits, so whitespace,
    punctuation width and casing never change an anchor."""
    return NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).casefold())


def fingerprint(paragraphs: Sequence[Paragraph]) -> Fingerprint | None:
    text = normalise("".join(p.text for p in paragraphs))
    if not text:
        return None
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    return Fingerprint(digest, text[:EDGE], text[-EDGE:], len(text))


def row_sides(row: AlignedRow) -> dict[str, Fingerprint]:
    out = {}
    for side, paragraphs in (("zh", row.zh), ("en", row.en)):
        fp = fingerprint(paragraphs)
        if fp:
            out[side] = fp
    return out


# Score of a row that is the first or last part of a registered text (a split).
PART_SCORE = 0.9


def _similarity(a: Fingerprint, b: Fingerprint) -> float:
    """How likely the row fingerprinted ``a`` holds the registered text ``b``."""
    if _part_of(a, b):
        return PART_SCORE
    if min(a.length, b.length) < 0.5 * max(a.length, b.length):
        return 0.0
    head = SequenceMatcher(None, a.head, b.head).ratio()
    tail = SequenceMatcher(None, a.tail, b.tail).ratio()
    return max(head, tail)


def _part_of(a: Fingerprint, b: Fingerprint) -> bool:
    """Whether ``a`` is the start or the end of ``b``'s text, as a split leaves it.

    Needed for short paragraphs: when the whole text fits in ``EDGE``, each half of a
    split has a head and tail of half the length, which head/tail similarity alone
    scores at 2/3 (below ``FUZZY_MIN``), and the anchor would be taken for removed.
    A part must be at least ``MIN_EDGE`` long or half the text, so that a short new
    line (a heading, 中國) does not take the anchor of a paragraph it merely begins."""
    if a.length >= b.length or not (a.length >= MIN_EDGE or 2 * a.length >= b.length):
        return False
    starts = len(a.head) <= len(b.head) and b.head.startswith(a.head) and (a.length <= EDGE or a.head == b.head)
    ends = len(a.tail) <= len(b.tail) and b.tail.endswith(a.tail) and (a.length <= EDGE or a.tail == b.tail)
    return starts or ends


def assign(rows: Sequence[AlignedRow], registry: AnchorRegistry) -> tuple[tuple[AlignedRow, ...], AnchorRegistry]:
    """Give each row its anchor; return the rows and the updated registry (pure)."""
    sides = [row_sides(r) for r in rows]
    free = {e.anchor: e for e in registry.entries}
    chosen: list[str | None] = [None] * len(rows)

    # Pass 1: exact hash of either language side.
    for i, fp in enumerate(sides):
        for anchor, entry in free.items():
            if any(side in entry.sides and entry.sides[side].hash == f.hash for side, f in fp.items()):
                chosen[i] = anchor
                break
        if chosen[i]:
            del free[chosen[i]]

    # Pass 2: best fuzzy match, strongest pairs first so a weak pair never blocks a strong
    # one; anchors the last edition showed before those already retired (an alias), so an
    # edited row keeps its live anchor even when a paragraph deleted earlier read more
    # like its new text.
    candidates = []
    for i, fp in enumerate(sides):
        if chosen[i]:
            continue
        for anchor, entry in free.items():
            score = max((_similarity(f, entry.sides[s]) for s, f in fp.items() if s in entry.sides), default=0.0)
            if score >= FUZZY_MIN:
                candidates.append((entry.alias is not None, score, i, anchor))
    for _, score, i, anchor in sorted(candidates, key=lambda c: (c[0], -c[1], c[2])):
        if chosen[i] is None and anchor in free:
            chosen[i] = anchor
            del free[anchor]

    # Pass 3: mint, in document order, so a fresh registry numbers rows p1, p2, ….
    next_number = registry.next
    for i in range(len(rows)):
        if chosen[i] is None:
            chosen[i] = f"p{next_number}"
            next_number += 1

    refreshed = {e.anchor: e for e in registry.entries}
    for position, (anchor, fp) in enumerate(zip(chosen, sides)):
        old = refreshed.get(anchor)
        merged = dict(old.sides) if old else {}
        merged.update(fp)
        refreshed[anchor] = Entry(anchor, merged, prev=chosen[position - 1] if position else "")
    # The live rows' texts, for the aliases of anchors left without a row (most builds
    # have none, and are spared normalising every row twice).
    texts = {a: {s: normalise("".join(p.text for p in getattr(r, s))) for s in SIDES}
             for a, r in zip(chosen, rows)} if free else {}
    for anchor in free:
        refreshed[anchor] = replace(refreshed[anchor], alias=_alias_for(refreshed[anchor], texts, refreshed))
    ordered = sorted(refreshed.values(), key=lambda e: int(e.anchor[1:]))
    new_rows = tuple(replace(r, anchor=a) for r, a in zip(rows, chosen))
    return new_rows, AnchorRegistry(next_number, tuple(ordered))


def _holds(body: str, fp: Fingerprint) -> bool:
    """Whether the normalised ``body`` contains the text ``fp`` fingerprints, whole."""
    at = body.find(fp.head)
    while at >= 0:
        if hashlib.sha1(body[at:at + fp.length].encode("utf-8")).hexdigest()[:12] == fp.hash:
            return True
        at = body.find(fp.head, at + 1)
    return False


def _alias_for(entry: Entry, texts: dict[str, dict[str, str]], entries: dict[str, Entry]) -> Alias | None:
    """Where a published anchor without a row of its own now leads.

    Merged: a live row contains the start or the end of the entry's text (a merge keeps
    both paragraphs' words in one row).  Otherwise removed: follow the chain of rows
    that stood before it until one is live, so the reader lands where the text was."""
    if not texts:
        return None
    # A text shorter than MIN_EDGE (問:為什麼?) is too common to look for everywhere, but
    # the rows either side of where it stood are where a merge puts it.
    order = list(texts)
    at = order.index(entry.prev) if entry.prev in texts else -1
    near = set(order[max(at, 0):at + 2])
    # A row holding the entry's whole text first: a start or end alone can be shared
    # by a copy of the paragraph that differs in its middle (a typo in one of two
    # repeated paragraphs, then merged into its neighbour).
    for anchor, sides in texts.items():
        for side, fp in entry.sides.items():
            if _holds(sides.get(side, ""), fp):
                return Alias(entry.anchor, anchor, "merged")
    for anchor, sides in texts.items():
        for side, fp in entry.sides.items():
            body = sides.get(side, "")
            if body and any(len(edge) >= MIN_EDGE and edge in body for edge in (fp.head, fp.tail)):
                return Alias(entry.anchor, anchor, "merged")
            if body and anchor in near and fp.length <= EDGE and fp.head in body:
                return Alias(entry.anchor, anchor, "merged")
    seen = {entry.anchor}
    prev = entry.prev
    while prev and prev not in texts and prev not in seen:
        seen.add(prev)
        prev = entries[prev].prev if prev in entries else ""
    return Alias(entry.anchor, prev if prev in texts else next(iter(texts)), "removed")


def aliases(registry: AnchorRegistry) -> tuple[Alias, ...]:
    return tuple(e.alias for e in registry.entries if e.alias is not None)


EMPTY = NO_REGISTRY  # an assigned article's registry: let go, see model.Anchoring


def assign_article(article: Article) -> Article:
    published = article.registry.unpack()
    rows, updated = assign(article.rows, published)
    path = article.anchors_path
    text = ""
    if path is not None and (updated != published or not path.is_file()):
        text = dump_registry(updated)
    minted = sorted(updated.anchors() - published.anchors(), key=lambda a: int(a[1:]))
    anchoring = Anchoring.of(text, tuple(registry_changes(published, updated)) if text else (), tuple(minted),
                          tuple(_lost(rows, updated)))
    return replace(article, rows=rows, registry=EMPTY, anchoring=anchoring, aliases=aliases(updated))


def unresolved(article: Article) -> list[str]:
    """Registry anchors a reader could follow to nowhere (``build.py check``), once
    anchors are assigned."""
    return list(article.anchoring.lost) if article.anchoring else []


def _lost(rows: Sequence[AlignedRow], registry: AnchorRegistry) -> list[str]:
    live = {r.anchor for r in rows}
    return [e.anchor for e in registry.entries
            if e.anchor not in live and (e.alias is None or e.alias.target not in live)]


# ---------------------------------------------------------------------------
# Registry file (read at load time, written by the write stage)
# ---------------------------------------------------------------------------
HEADER = """\
# Anchor registry: every anchor ever published for this article, with a fingerprint of
# the text of each language side of its row. Written by `python build.py`; commit it.
# Never renumber or reuse an entry: published citations point at these anchors.
"""


def parse_registry(text: str, path: Path) -> AnchorRegistry:
    # Read in the layout the build writes (``written_layout``), or else loaded by YAML
    # once, and composed (for the line of a syntax error) only when loading fails: the
    # registries are the largest YAML files, and composing them doubled the time.
    data = written_layout(text)
    if data is None:
        try:
            data = yaml.load(text, Loader=schema.LOADER)
        except yaml.YAMLError:
            schema.compose(text, path)  # a syntax error: raised, naming file and line
            data = []  # well-formed but not plain data, e.g. a list used as a key
    if data is None:
        return AnchorRegistry(1, ())
    problems = []
    if not isinstance(data, dict) or not isinstance(data.get("next"), int) or not isinstance(data.get("anchors"), dict):
        raise AnchorError(Problem(path, 1, "expected keys 'next' (number) and 'anchors' (mapping)",
                                  "restore the file from git; it is written by the build"))
    entries = []
    lines = _key_lines(text)  # once: looking each anchor up in the text was quadratic
    for anchor, sides in data["anchors"].items():
        line = lines.get(f"{anchor}:")
        if not isinstance(anchor, str) or not ANCHOR_RE.match(anchor):
            problems.append(Problem(path, line, f"'{anchor}' is not an anchor (p<number>)", "restore it from git"))
            continue
        if int(anchor[1:]) >= data["next"]:
            problems.append(Problem(path, line, f"{anchor} is not below next ({data['next']})",
                                    "set next above the largest anchor number"))
        sides = sides or {}
        if not isinstance(sides, dict):
            problems.append(Problem(path, line, f"{anchor} has a malformed fingerprint", "restore it from git"))
            continue
        try:
            # Names interned: "p12", "zh" and "en" recur in every registry, and at 10,000
            # articles the parsed registries are the largest part of the archive.
            fps = {sys.intern(s): Fingerprint(str(v["hash"]), str(v["head"]), str(v["tail"]), int(v["length"]))
                   for s, v in sides.items() if s in SIDES}
            alias = sides.get("alias")
            alias = Alias(anchor, str(alias["to"]), alias["kind"]) if alias else None
        except (TypeError, KeyError, ValueError):
            problems.append(Problem(path, line, f"{anchor} has a malformed fingerprint", "restore it from git"))
            continue
        if alias and alias.kind not in ("merged", "removed"):
            problems.append(Problem(path, line, f"{anchor} has alias kind '{alias.kind}'", "use merged or removed"))
            continue
        entries.append(Entry(sys.intern(anchor), fps, prev=sys.intern(str(sides.get("prev") or "")), alias=alias))
    if problems:
        raise AnchorError(problems)
    return AnchorRegistry(data["next"], tuple(entries))


def dump_registry(registry: AnchorRegistry) -> str:
    written = _written(registry)
    return _emitted(registry) if written is None else written


def _emitted(registry: AnchorRegistry, dumper: type = DUMPER) -> str:
    """``registry`` as YAML's emitter writes it.  LibYAML's emitter where PyYAML has it
    (``DUMPER``, as schema.LOADER for reading): five times faster than the Python
    one, and the same text for these plain mappings."""
    data = {"next": registry.next, "anchors": {e.anchor: _entry_data(e) for e in registry.entries}}
    return HEADER + yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=1000)


class _NotPlain(Exception):
    """A value ``_written`` leaves to YAML's emitter."""


def _written(registry: AnchorRegistry) -> str | None:
    """The text ``yaml.dump`` writes of ``registry`` (the layout ``written_layout``
    reads), when every value is a number or a word ``_scalar`` writes as YAML would;
    None otherwise.  A cold build writes a registry for every article: PyYAML's
    representer, which is Python even with LibYAML, took 3.9 ms for the Jiemian
    interview's, this 0.15 ms (at 10,000 articles, half a minute on the core that
    assigns anchors)."""
    try:
        lines = [f"{HEADER}next: {registry.next}", "anchors:"]
        for e in registry.entries:
            lines.append(f"  {_scalar(e.anchor)}:")
            for side, f in sorted(e.sides.items()):
                lines.append(f"    {_scalar(side)}:\n      hash: {_scalar(f.hash)}\n      head: {_scalar(f.head)}\n"
                             f"      tail: {_scalar(f.tail)}\n      length: {_scalar(f.length)}")
            lines.append(f"    prev: {_scalar(e.prev)}")
            if e.alias:
                lines.append(f"    alias:\n      to: {_scalar(e.alias.target)}\n      kind: {_scalar(e.alias.kind)}")
    except _NotPlain:
        return None
    lines.append("")
    return "\n".join(lines)


def _scalar(value: str | int) -> str:
    """``value`` as YAML's emitter writes it in a registry: a number or a word plain,
    quoted if YAML would read the word as something else (0123, yes), '' for
    nothing.  LibYAML escapes every character beyond the Basic Multilingual Plane,
    and anything but a word may need other quoting: those raise ``_NotPlain``."""
    if type(value) is int:
        return str(value)
    if not isinstance(value, str):
        raise _NotPlain(value)
    if not value:
        return "''"
    if not _WORD.fullmatch(value) or max(value) > "\uffff":
        raise _NotPlain(value)
    return value if _reads_as_str(value) else f"'{value}'"


def _entry_data(entry: Entry) -> dict[str, object]:
    data: dict[str, object] = {s: {"hash": f.hash, "head": f.head, "tail": f.tail, "length": f.length}
                               for s, f in sorted(entry.sides.items())}
    data["prev"] = entry.prev
    if entry.alias:
        data["alias"] = {"to": entry.alias.target, "kind": entry.alias.kind}
    return data


# One ``key: value`` or ``key:`` line of a block mapping, as dump_registry writes them.
_LAYOUT_LINE = re.compile(r"( *)([a-z0-9_]+):(?: (.*))?")
_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_NUMBER = re.compile(r"0|[1-9][0-9]*")
_WORD = re.compile(r"\w+")
# First characters of the plain scalars YAML may read as something other than a string
# (true, null, 0o17 …): only a word starting with one of these is asked of its resolver.
_RESOLVED = frozenset(k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k)
_STR = "tag:yaml.org,2002:str"


def written_layout(text: str) -> dict[str, object] | None:
    """``text`` as ``yaml.load`` reads it, when it is in the layout ``dump_registry``
    writes: comment lines, then block mappings of one key a line, each value a
    decimal number, a word, or a single-quoted string.  None for anything else
    (another layout, flow style, a comment after a value, a word YAML reads as a
    boolean), which is then left to YAML.

    At 10,000 articles, a build without a cache (a fresh clone) spent 76 s under the
    profiler in PyYAML's constructor, which is Python even with LibYAML: the
    registries of 1,000 articles took 2.1–2.3 s to load, 0.6–0.7 s here.  Each
    mapping's keys must stand at one indentation, deeper than their parent's, as
    YAML requires."""
    root: dict[str, object] = {}
    # The open mappings, innermost last: the indentation of their keys (-1 until the
    # first is read) and the mapping.
    stack: list[tuple[int, dict[str, object]]] = [(0, root)]
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _LAYOUT_LINE.fullmatch(line)
        if match is None:
            return None
        indent, key, value = len(match[1]), match[2], match[3]
        if not _reads_as_str(key):
            return None  # a key YAML reads as a number or a boolean
        while len(stack) > 1 and indent < stack[-1][0]:
            stack.pop()
        at, mapping = stack[-1]
        if at < 0:
            if indent <= stack[-2][0]:
                return None  # "key:" with nothing under it: YAML reads None
            stack[-1] = (at := indent, mapping)
        if indent != at or key in mapping:
            return None
        if value is None:
            child: dict[str, object] = {}
            mapping[key] = child
            stack.append((-1, child))
            continue
        scalar = _layout_scalar(value)
        if scalar is None:
            return None
        mapping[key] = scalar
    if any(not mapping for _, mapping in stack) or not root:
        return None
    return root


def _layout_scalar(value: str) -> str | int | None:
    """A value of ``written_layout``'s layout as YAML reads it; None for any other."""
    if (quoted := _QUOTED.fullmatch(value)) is not None:
        return quoted[1].replace("''", "'")
    if _NUMBER.fullmatch(value):
        return int(value)
    return value if _WORD.fullmatch(value) and _reads_as_str(value) else None


# Registries repeat their keys and words: each is asked of YAML's resolver once.
@functools.lru_cache(maxsize=4096)
def _reads_as_str(word: str) -> bool:
    return word[0] not in _RESOLVED or yaml.resolver.Resolver().resolve(yaml.ScalarNode, word, (True, False)) == _STR


def _key_lines(text: str) -> dict[str, int]:
    """The first line on which each ``key:`` of the registry's mappings stands."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        key, colon, _ = line.strip().partition(":")
        if colon:
            lines.setdefault(key + ":", number)
    return lines
