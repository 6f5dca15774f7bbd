"""Stage 6 — annotate and link: the editorial layer over the aligned rows.

* **Notes** (``content/articles/<slug>/notes.md``): one note per ``## <anchor> <kind>``
  heading, Markdown below it, rendered and sanitised with an allow-list (editors' text
  is untrusted like the captures: no scripts, no event handlers, no ``javascript:``).
* **Glossary** (``content/glossary.yaml``): entities with names and aliases in English and
  Chinese.  Mentions are found in both languages; Chinese is compared after OpenCC
  ``t2s`` on both sides, so a Simplified alias finds a Traditional mention and back.
  Longest alias first at each position; headings are skipped; only the first mention
  of an entity per row and side is kept, so pages stay readable.
* **Cross-links** (``content/links.yaml``): passages of different articles that make the
  same claim; every passage must name an existing row.
* **Related passages**, computed: for each row, rows of *other* articles that share its
  entities and figures, scored by the sum of the shared items' inverse document
  frequency (a rarely named thing says more than "AI"), at most ``per_row`` above
  ``min_score`` (``site.yaml`` → ``related``).  Rows naming the same items are
  searched once; an inverted index from each item to the item sets naming it is read
  rarest item first and cut off once no unread set could still place a row (see
  ``_best_sets``).

Problems (a note or link to an anchor that does not exist, an alias claimed by two
entities) are collected over the whole archive and raised together.
"""
from __future__ import annotations

import heapq
import itertools
import math
import re
import sys
from collections import defaultdict
from dataclasses import replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Collection, Iterable, Iterator, Mapping, Protocol, Sequence

import markdown as md
import nh3
from yaml.nodes import Node

from .align.numbers import en_numbers, zh_numbers
from .errors import ContentError, Problem, slug_fix
from .model import (AlignedRow, Archive, Article, Articles, CrossLink, Entity, Mention, Note, Notice, Packed,
                    Passage, Related, RelatedConfig)
from .pool import Mapper, give_back_memory
from .schema import SLUG_RE, Checker, compose, validated
from .scripts import converter

NOTE_KINDS = ("note", "translation", "correction", "sic", "context")
ENTITY_KINDS = ("person", "company", "organisation", "model", "product", "term")
NOTE_HEADING = re.compile(r"^## +(?P<anchor>p[1-9][0-9]*)(?:-(?P<side>zh|en))?(?: +(?P<kind>\S+))? *$")
PASSAGE = re.compile(r"^(?P<slug>[a-z0-9-]+)#(?P<anchor>p[1-9][0-9]*)(?:-(?P<side>zh|en))?$")
# Tags and attributes a note may use after Markdown; everything else is dropped.
ALLOWED_TAGS = {"p", "em", "strong", "code", "a", "ul", "ol", "li", "blockquote", "br", "sup", "sub"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


# ---------------------------------------------------------------------------
# Parsing (pure: text in, typed objects out, problems with file and line)
# ---------------------------------------------------------------------------
def render_markdown(text: str, converter: md.Markdown | None = None) -> str:
    """The note's Markdown as sanitised HTML.  ``converter``: a Markdown converter to
    use again (made for each note, its parser was a third of the time of reading the
    notes of the five articles, 83 of them)."""
    html = md.markdown(text, output_format="html") if converter is None else converter.reset().convert(text)
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer")


def parse_notes(text: str, path: Path) -> tuple[Note, ...]:
    """``## p12-en sic`` headings, each followed by its Markdown body."""
    problems: list[Problem] = []
    notes: list[Note] = []
    current: dict[str, object] | None = None
    body: list[str] = []
    in_comment = False
    converter = md.Markdown(output_format="html")

    def close() -> None:
        if current is None:
            return
        markdown = "\n".join(body).strip()
        if not markdown:
            problems.append(Problem(path, int(current["line"]), f"note on {current['anchor']} is empty",
                                    "write the note below its heading, or delete the heading"))
        notes.append(Note(anchor=str(current["anchor"]), side=str(current["side"]), kind=current["kind"],  # type: ignore[arg-type]
                          markdown=markdown, html=render_markdown(markdown, converter),
                          line=int(current["line"])))

    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if in_comment or stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if line.startswith("## "):
            close()
            body = []
            match = NOTE_HEADING.match(line.rstrip())
            if not match:
                problems.append(Problem(path, number, f"heading '{line.strip()}' does not name an anchor",
                                        "write '## p12 note', '## p12-zh translation' or '## p12-en sic'"))
                current = None
                continue
            kind = match["kind"] or "note"
            if kind not in NOTE_KINDS:
                problems.append(Problem(path, number, f"unknown note kind '{kind}'", f"use one of: {', '.join(NOTE_KINDS)}"))
                kind = "note"
            current = {"anchor": match["anchor"], "side": match["side"] or "", "kind": kind, "line": number}
        elif current is not None:
            body.append(line)
        elif stripped and not line.startswith("# "):
            problems.append(Problem(path, number, "text before the first note heading",
                                    "start each note with '## <anchor> <kind>'"))
    close()
    if problems:
        raise ContentError(problems)
    return tuple(notes)


def parse_glossary(text: str, path: Path) -> tuple[Entity, ...]:
    def build(c: Checker, node: Node | None) -> tuple[Entity, ...]:
        entities = []
        for item in c.items(node, "glossary.yaml"):
            f = c.mapping(item, "an entity", {"id": True, "kind": True, "name": True, "aliases": False,
                                              "description": True, "links": False})
            name = c.mapping(f.get("name"), "name", {"en": True, "zh-Hant": False, "zh-Hans": False})
            aliases = c.mapping(f.get("aliases"), "aliases", {"en": False, "zh": False}) if "aliases" in f else {}
            links = []
            for link in c.items(f.get("links"), "links"):
                lf = c.mapping(link, "a link", {"title": True, "url": True})
                url = c.text(lf.get("url"), "url")
                if url and not url.startswith(("https://", "http://")):
                    c.fail(lf["url"], f"link '{url}' is not a web address", "write the full https://… address")
                links.append((c.text(lf.get("title"), "title"), url))
            entities.append(Entity(
                id=c.text(f.get("id"), "id", pattern=SLUG_RE), kind=c.text(f.get("kind"), "kind", choices=ENTITY_KINDS),  # type: ignore[arg-type]
                name_en=c.text(name.get("en"), "name.en"), name_hant=c.text(name.get("zh-Hant"), "name.zh-Hant"),
                name_hans=c.text(name.get("zh-Hans"), "name.zh-Hans"),
                aliases_en=c.texts(aliases.get("en"), "aliases.en"), aliases_zh=c.texts(aliases.get("zh"), "aliases.zh"),
                description=c.text(f.get("description"), "description"), links=tuple(links), line=c.line(item)))
        _glossary_conflicts(c, node, entities)
        return tuple(entities)

    return validated(path, compose(text, path), build)


def _glossary_conflicts(c: Checker, node: Node | None, entities: list[Entity]) -> None:
    """Two entities may not share an id, nor claim the same alias (after script
    normalisation): a mention could not say which one it names."""
    seen_ids: dict[str, Entity] = {}
    owners: dict[str, Entity] = {}
    for e in entities:
        if e.id in seen_ids:
            c.problems.append(Problem(c.path, e.line, f"duplicate id '{e.id}' (also at line {seen_ids[e.id].line})",
                                      "give each entity its own id, or merge the two"))
        seen_ids.setdefault(e.id, e)
        for alias in {key for key, _ in alias_keys(e)}:
            other = owners.setdefault(alias, e)
            if other is not e and other.id != e.id:
                c.problems.append(Problem(c.path, e.line,
                                          f"alias '{alias}' of '{e.id}' is also an alias of '{other.id}' (line {other.line})",
                                          "keep the alias on one entity only"))


def parse_links(text: str, path: Path) -> tuple[CrossLink, ...]:
    def build(c: Checker, node: Node | None) -> tuple[CrossLink, ...]:
        out = []
        for item in c.items(node, "links.yaml"):
            f = c.mapping(item, "a cross-link", {"id": True, "claim": True, "passages": True})
            passages = []
            for p in c.items(f.get("passages"), "passages"):
                value = c.text(p, "a passage")
                match = PASSAGE.match(value)
                if not match:
                    c.fail(p, f"passage '{value}' is not <slug>#<anchor>", "write e.g. 2025-03-jiemian-interview#p12-zh")
                    continue
                passages.append(Passage(match["slug"], match["anchor"], match["side"] or ""))
            if len(passages) < 2 and "passages" in f:
                c.fail(f["passages"], "a cross-link needs at least two passages", "add the passage it links to")
            out.append(CrossLink(c.text(f.get("id"), "id", pattern=SLUG_RE), c.text(f.get("claim"), "claim"),
                                 tuple(passages), c.line(item)))
        return tuple(out)

    return validated(path, compose(text, path), build)


# ---------------------------------------------------------------------------
# Mentions
# ---------------------------------------------------------------------------
def fold(text: str) -> str:
    """Chinese folded to Simplified for matching.  OpenCC may rewrite a phrase with a
    different length; matching needs offsets that map back, so then we fold
    character by character instead."""
    folded = converter("t2s").convert(text)
    if len(folded) == len(text):
        return folded
    return "".join(converter("t2s").convert(ch) for ch in text)


def alias_keys(entity: Entity) -> list[tuple[str, str]]:
    """(matching key, side) pairs: English aliases as written, Chinese ones folded."""
    keys = [(a, "en") for a in entity.aliases_en if a]
    keys += [(fold(a), "zh") for a in entity.aliases_zh if a]
    return keys


def _pattern(aliases: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(aliases), key=lambda a: (-len(a), a))  # longest first at each position
    if not ordered:
        return None
    # A Latin alias must not match inside a longer Latin word (AGI in "AGIs" is fine to
    # miss; "Meta" in "Metaverse" must not match).  The look back comes after the
    # alias's first character, not before it (it then spans two characters): an
    # alternative that begins with a literal is skipped at once where that character
    # is not, and matching took a tenth of a warm build when every alternative began
    # with the look back.
    return re.compile("|".join(rf"{re.escape(a[0])}(?<![A-Za-z0-9][\s\S]){re.escape(a[1:])}(?![A-Za-z0-9])"
                               if re.search(r"[A-Za-z0-9]$", a) else re.escape(a) for a in ordered))


@lru_cache(maxsize=4)
def _matchers(glossary: tuple[Entity, ...]) -> tuple[dict[tuple[str, str], str], dict[str, re.Pattern[str] | None]]:
    """(alias key, side) → entity id, and the pattern of each side.  Made once per
    glossary, not once per article: compiling the alternation of every alias cost more
    than matching it."""
    owners: dict[tuple[str, str], str] = {}
    for e in glossary:
        for key, side in alias_keys(e):
            owners.setdefault((key, side), e.id)
    return owners, {side: _pattern(k for k, s in owners if s == side) for side in ("zh", "en")}


def find_mentions(rows: Sequence[AlignedRow], glossary: Sequence[Entity]) -> tuple[Mention, ...]:
    owners, patterns = _matchers(tuple(glossary))
    out: list[Mention] = []
    for row in rows:
        for side in ("zh", "en"):
            pattern = patterns[side]
            if pattern is None:
                continue
            seen: set[str] = set()
            for index, paragraph in enumerate(getattr(row, side)):
                if paragraph.kind == "heading":
                    continue
                haystack = fold(paragraph.text) if side == "zh" else paragraph.text
                for m in pattern.finditer(haystack):
                    entity = owners[(m.group(0), side)]
                    if entity in seen:
                        continue
                    seen.add(entity)
                    # Interned: the same few alias spellings recur in every article.
                    out.append(Mention(entity, row.anchor, side, index, m.start(), m.end(),  # type: ignore[arg-type]
                                       sys.intern(paragraph.text[m.start():m.end()])))
    return tuple(out)


# ---------------------------------------------------------------------------
# Related passages
# ---------------------------------------------------------------------------
RowItems = tuple[tuple[str, frozenset[str]], ...]  # (anchor, its items) for each row of an article


class Lookup(Protocol):
    """slug → an article's related passages, as serve keeps them (``Mapping.get``)."""

    def get(self, slug: str, default: tuple[Related, ...] = ...) -> Sequence[Related]: ...


def row_items(article: Article, canon: dict[frozenset[str], frozenset[str]] | None = None) -> RowItems:
    """(anchor, the entities and figures it names) for each row of the article.
    ``canon``: sets already made, for rows naming the same items to share one (the
    benchmark's archive has a tenth as many distinct sets as rows, and every
    article's are held until related passages are made)."""
    canon = {} if canon is None else canon
    mentions: dict[str, list[Mention]] = defaultdict(list)
    for m in article.mentions:
        mentions[m.anchor].append(m)
    out = []
    for row in article.rows:
        items = {f"e:{m.entity}" for m in mentions.get(row.anchor, ())}
        for p in row.zh:
            items |= {f"n:{n}" for n in zh_numbers(p.text)}
        for p in row.en:
            items |= {f"n:{n}" for n in en_numbers(p.text)}
        # Bare small integers (years aside) are too common to relate passages.
        found = frozenset(i for i in items if not re.fullmatch(r"n:#?\d{1,2}", i))
        out.append((row.anchor, canon.setdefault(found, found)))
    return tuple(out)


def related_passages(articles: Sequence[Article], config: RelatedConfig,
                     items: dict[str, RowItems] | None = None, redo: Collection[str] | None = None,
                     before: Lookup | None = None) -> dict[str, tuple[Related, ...]]:
    """slug → its rows' related passages.  ``items``: each article's ``row_items`` where
    already known (serve keeps them between rebuilds); the rest are worked out.

    ``redo`` and ``before`` (serve, after an edit that leaves the number of rows as it
    was): only the rows naming one of the ``redo`` items are scored again, the others
    keep their lists from ``before``, and only the articles with such a row are in
    the result (the others' lists stand as they are).  Exact when ``redo`` holds
    every item, before and after, of each row whose items or anchor changed: a row's
    list depends on the rows it shares items with, their order, and the items'
    weights, which move only for items whose count of rows changed (and for all if
    the number of rows did)."""
    return dict(iter_related(articles, config, items, redo, before))


def iter_related(articles: Sequence[Article], config: RelatedConfig, items: dict[str, RowItems] | None = None,
                 redo: Collection[str] | None = None, before: Lookup | None = None
                 ) -> Iterator[tuple[str, tuple[Related, ...]]]:
    """``related_passages`` an article at a time, in the order of ``articles``: each
    list can be packed before the next is made."""
    known = items or {}
    rows: list[tuple[str, str, frozenset[str]]] = []
    spans: list[tuple[str, range]] = []  # each article's rows
    for a in articles:
        start = len(rows)
        rows += ((a.slug, anchor, row_set) for anchor, row_set in (known[a.slug] if a.slug in known else row_items(a)))
        spans.append((a.slug, range(start, len(rows))))
    matches = _score_rows(rows, redo, config)
    # One Passage per row pointed at and one tuple per set of shared names: a popular
    # row is the target of thousands of rows at 10,000 articles.
    passages: dict[int, Passage] = {}
    names: dict[frozenset[str], tuple[str, ...]] = {}
    for slug, span in spans:
        if redo is not None and not any(i in matches for i in span):
            continue  # its rows, their order and anchors are as they were
        was = (before or {}).get(slug, ())
        kept: dict[str, list[Related]] = defaultdict(list)
        for r in was:
            kept[r.anchor].append(r)
        found: list[Related] = []
        for i in span:
            _, anchor, row_set = rows[i]
            if i not in matches:
                found += kept.get(anchor, ())
                continue
            for score, j in matches[i]:
                shared = row_set & rows[j][2]
                if shared not in names:
                    names[shared] = tuple(sorted(x.split(":", 1)[1] for x in shared))
                if j not in passages:
                    passages[j] = Passage(rows[j][0], rows[j][1], "")
                found.append(Related(anchor, passages[j], round(score, 2), names[shared]))
        if found or redo is not None:  # with ``redo``, an empty list replaces the one before
            yield slug, tuple(found)


def _score_rows(rows: Sequence[tuple[str, str, frozenset[str]]], redo: Collection[str] | None,
                config: RelatedConfig) -> dict[int, tuple[tuple[float, int], ...]]:
    """Row number → its best matches (score, row), for the rows naming one of the
    ``redo`` items (None: every row).

    A score depends only on the two rows' item sets, and archives repeat them: a
    passage quoted or translated in several articles, a boilerplate line (the synthetic
    benchmark archive has a tenth as many sets as rows, or fewer).  So the index and the search
    are over distinct sets, each searched once for all its rows."""
    members: dict[frozenset[str], list[int]] = defaultdict(list)  # a set → its rows, in order
    for i, (_, _, row_set) in enumerate(rows):
        members[row_set].append(i)
    sets, rows_of = list(members), list(members.values())
    index: dict[str, set[int]] = defaultdict(set)  # an item → the sets naming it
    count: dict[str, int] = defaultdict(int)  # an item → the rows naming it
    for g, row_set in enumerate(sets):
        for item in row_set:
            index[item].add(g)
            count[item] += len(rows_of[g])
    weight = {item: math.log(len(rows) / n) for item, n in count.items()}
    size: dict[str, int] = defaultdict(int)  # an article → its rows
    for slug, _, _ in rows:
        size[slug] += 1
    asked = range(len(sets)) if redo is None else sorted(set().union(*(index[x] for x in redo if x in index)))
    out: dict[int, tuple[tuple[float, int], ...]] = {}
    # The rows of a set mostly get the same matches (those of other articles): one
    # tuple for all of them, where a list per row held a list, its tuples and their
    # floats for every row of the archive at once.
    same: dict[tuple[tuple[float, int], ...], tuple[tuple[float, int], ...]] = {}
    for g in asked:
        row_set, mine = sets[g], rows_of[g]
        if config.per_row < 1 or not row_set:
            out.update((i, ()) for i in mine)
            continue
        slugs = {rows[i][0] for i in mine}
        ranked = _best_sets(row_set, sets, rows_of, index, weight, rows, slugs, max(size[s] for s in slugs), config)
        walk = _RowsInOrder(ranked, rows_of)
        for i in mine:
            found = tuple(walk.best(rows, rows[i][0], config.per_row))
            out[i] = same.setdefault(found, found)
    return out


def _best_sets(items: frozenset[str], sets: Sequence[frozenset[str]], rows_of: Sequence[Sequence[int]],
               index: Mapping[str, set[int]], weight: Mapping[str, float],
               rows: Sequence[tuple[str, str, frozenset[str]]], slugs: Collection[str], spare: int,
               config: RelatedConfig) -> list[tuple[float, int]]:
    """The sets whose rows can be among the ``per_row`` best of any row of ``slugs``
    naming ``items``, as (score, set), best first (at least ``min_score``).

    Scoring every set that shares any item was quadratic: a common entity ("AI") is
    shared with a fixed share of all rows.  Instead the sets naming all of ``items``
    are scored first (found by intersecting the items' sets; they tie for the top
    score), then the items' set lists are read rarest (heaviest) item first.  An
    unscored set lacks one of ``items``, and once lists are read, all of the items
    read; so it scores at most ``bound``: at first the weights of all items but the
    lightest, then those of the items still unread.  Once ``bound`` is below
    ``min_score``, or the sets already scored above it hold ``per_row`` rows of
    other articles for every one of ``slugs``, no unscored set can place a row.

    The result is exactly that of scoring every row: a score is the weights of the
    shared items added one at a time in the order of the item names, and so is
    ``bound``; floating-point addition of non-negative weights is monotonic, so a
    subset's sum never exceeds ``bound`` even in the last bit.  Added in name order
    too because a frozenset's own order follows the string hashes, which differ from
    process to process: sums in another order can differ in the last bit and break a
    tie the other way."""
    weighted = [(x, weight[x]) for x in sorted(items)]

    def total(left_out: Collection[str]) -> float:
        out = 0.0
        for x, w in weighted:
            if x not in left_out:
                out += w
        return out

    scores: dict[int, float] = {}
    by_shared: dict[frozenset[str], float] = {}  # few distinct subsets of ``items`` are shared

    def score(candidates: Iterable[int]) -> None:
        for g in candidates:
            if g not in scores:
                shared = items & sets[g]
                if shared not in by_shared:
                    by_shared[shared] = total(items - shared)
                scores[g] = by_shared[shared]

    score(set.intersection(*sorted((index[x] for x in items), key=len)))
    rare_first = sorted(items, key=lambda x: (-weight[x], x))
    for k, item in enumerate(rare_first):
        bound = total(rare_first[:k]) if k else max(total((x,)) for x in items)
        if bound < config.min_score or _placed(scores, bound, rows_of, rows, slugs, spare, config.per_row):
            break
        score(index[item])
    return sorted(((s, g) for g, s in scores.items() if s >= config.min_score), key=lambda sg: (-sg[0], sg[1]))


def _placed(scores: Mapping[int, float], bound: float, rows_of: Sequence[Sequence[int]],
            rows: Sequence[tuple[str, str, frozenset[str]]],
            slugs: Collection[str], spare: int, per_row: int) -> bool:
    """Whether the sets scoring above ``bound`` hold ``per_row`` rows outside each of
    ``slugs``.  Counted row by row only when the total is too close to tell: ``spare``
    is the most rows one of those articles has, so a total of ``per_row + spare``
    leaves enough whichever article asks."""
    above = [rows_of[g] for g, s in scores.items() if s > bound]
    total = sum(map(len, above))
    if total < per_row:
        return False
    if total >= per_row + spare:
        return True
    own: dict[str, int] = defaultdict(int)
    for group in above:
        for j in group:
            own[rows[j][0]] += 1
    return all(total - own[s] >= per_row for s in slugs)


class _RowsInOrder:
    """The rows of ranked sets in the order they win: higher score first, and among
    equal scores (several sets can tie) the earlier row.  Made as far as asked, once
    for all the rows that share the searched set: a set naming one common item ties
    with every set that names it, and most of their rows are never asked for."""

    def __init__(self, ranked: Sequence[tuple[float, int]], rows_of: Sequence[Sequence[int]]) -> None:
        self._next = self._order(ranked, rows_of).__next__
        self._made: list[tuple[float, int]] = []

    @staticmethod
    def _order(ranked: Sequence[tuple[float, int]], rows_of: Sequence[Sequence[int]]) -> Iterator[tuple[float, int]]:
        for score, tied in itertools.groupby(ranked, key=lambda sg: sg[0]):
            for j in heapq.merge(*(rows_of[g] for _, g in tied)):
                yield score, j

    def best(self, rows: Sequence[tuple[str, str, frozenset[str]]], slug: str, n: int) -> list[tuple[float, int]]:
        """The first ``n`` rows of articles other than ``slug``."""
        out: list[tuple[float, int]] = []
        for k in itertools.count():
            if len(out) == n:
                break
            if k == len(self._made):
                try:
                    self._made.append(self._next())
                except StopIteration:
                    break
            score, j = self._made[k]
            if rows[j][0] != slug:
                out.append((score, j))
        return out


# ---------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------
def annotate_archive(archive: Archive, map_: Mapper = map) -> Archive:
    """``map_``: a map keeping the order, a pool's or not (see ``Articles.staged``),
    for the work on each article alone."""
    problems: list[Problem] = []
    packed: list[Packed] = []
    items: dict[str, RowItems] = {}
    canon: dict[frozenset[str], frozenset[str]] = {}  # see row_items
    for done, (found, row_sets) in archive.articles.staged(partial(_annotated, archive.glossary), map_):
        packed.append(done)
        problems += found
        items[done.slug] = tuple((anchor, canon.setdefault(s, s)) for anchor, s in row_sets)
    articles = Articles(packed)
    problems += check_links(archive.links, articles, archive.content_dir / "links.yaml")
    if problems:
        raise ContentError(problems)
    # Each article's list packed as it comes: held as objects until the last was made,
    # they were the largest part of the stage's peak.
    related = iter_related(list(articles.shells()), archive.site.related, items)
    pending = next(related, None)
    remade = []
    for p in articles.packed:
        if pending is not None and pending[0] == p.slug:
            remade.append(p.with_related(pending[1]))
            pending = next(related, None)
        else:
            remade.append(p)
    items.clear()
    canon.clear()
    give_back_memory()  # what related passages were made of, freed
    return replace(archive, articles=Articles(remade))


def _annotated(glossary: Sequence[Entity], article: Article) -> tuple[Article, tuple[list[Problem], RowItems]]:
    """``annotate_article``, and its problems and the article's ``row_items`` (what
    related passages read, made while it is unpacked)."""
    problems: list[Problem] = []
    done = annotate_article(article, glossary, problems)
    return done, (problems, row_items(done))


def annotate_article(article: Article, glossary: Sequence[Entity], problems: list[Problem]) -> Article:
    """Mentions and checked notes: what annotation does to one article alone (related
    passages need the whole archive)."""
    warnings: list[Notice] = []
    notes = _check_notes(article, problems, warnings)
    return replace(article, mentions=find_mentions(article.rows, glossary), notes=notes,
                   warnings=article.warnings + tuple(warnings))


def _check_notes(article: Article, problems: list[Problem], warnings: list[Notice]) -> tuple[Note, ...]:
    """Notes must address an existing row (and a side that row has); they are
    numbered in page order."""
    if not article.notes:
        return ()
    order = {r.anchor: i for i, r in enumerate(article.rows)}
    sides = {r.anchor: {"zh": bool(r.zh), "en": bool(r.en)} for r in article.rows}
    moved = {a.anchor: a.target for a in article.aliases}
    ok = []
    for note in article.notes:
        if note.anchor not in order and note.anchor in moved:
            # A note on a row that was since merged or removed follows the anchor's alias,
            # as a reader's link would; the editor is told to update notes.md.
            warnings.append(Notice(article.notes_path or "notes.md", note.line,
                                   f"note addresses {note.anchor}, which now leads to {moved[note.anchor]} — "
                                   f"fix: move the note to {moved[note.anchor]}"))
            target = moved[note.anchor]
            note = replace(note, anchor=target, side=note.side if note.side and sides[target][note.side] else "")
        if note.anchor not in order:
            problems.append(Problem(article.notes_path or "notes.md", note.line,
                                    f"note addresses {note.anchor}, which is not a row of {article.slug}",
                                    "use an anchor shown on the article page (¶ links)"))
        elif note.side and not sides[note.anchor][note.side]:
            problems.append(Problem(article.notes_path or "notes.md", note.line,
                                    f"note addresses {note.anchor}-{note.side}, but that row has no {note.side} side",
                                    f"address {note.anchor} instead"))
        else:
            ok.append(note)
    ok.sort(key=lambda n: (order[n.anchor], n.side != "", n.side, n.line))
    return tuple(replace(n, number=i) for i, n in enumerate(ok, 1))


def check_links(links: Sequence[CrossLink], articles: Articles, where: Path) -> list[Problem]:
    named = {p.slug for link in links for p in link.passages}
    rows: dict[str, dict[str, AlignedRow]] = {}
    # Only the articles a link names are unpacked: serve checks the links after every edit.
    for slug in named:
        packed = articles.find(slug)
        if packed is None:
            continue
        article = packed.unpack()
        rows[slug] = {r.anchor: r for r in article.rows}
        # A passage named by an anchor that was since merged or removed follows its alias.
        for alias in article.aliases:
            rows[slug].setdefault(alias.anchor, rows[slug][alias.target])
    problems = []
    for link in links:
        for p in link.passages:
            row = rows.get(p.slug, {}).get(p.anchor)
            if p.slug not in rows:
                problems.append(Problem(where, link.line, f"cross-link '{link.id}' names unknown article '{p.slug}'",
                                        slug_fix(p.slug, [a.slug for a in articles.shells()])))
            elif row is None:
                problems.append(Problem(where, link.line, f"cross-link '{link.id}' names {p.slug}#{p.anchor}, "
                                        "which is not a row", "use an anchor shown on the article page"))
            elif p.side and not getattr(row, p.side):
                problems.append(Problem(where, link.line, f"cross-link '{link.id}' names the {p.side} side of "
                                        f"{p.slug}#{p.anchor}, which has none", f"name {p.slug}#{p.anchor}"))
    return problems
