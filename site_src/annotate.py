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
  ``min_score`` (``site.yaml`` → ``related``).  An inverted index from each item to
  its rows, read rarest item first and cut off once no unread row could still make
  the list, keeps it near linear in the number of rows (see ``_best_matches``).

Problems (a note or link to an anchor that does not exist, an alias claimed by two
entities) are collected over the whole archive and raised together.
"""
from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Collection, Iterable, Mapping, Sequence

import markdown as md
import nh3
import opencc
from yaml.nodes import Node

from .align.numbers import en_numbers, zh_numbers
from .errors import ContentError, Problem
from .model import (AlignedRow, Archive, Article, CrossLink, Entity, Mention, Note, Notice, Passage, Related,
                    RelatedConfig)
from .pool import mapper, workers
from .schema import SLUG_RE, Checker, compose, validated

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
def render_markdown(text: str) -> str:
    html = md.markdown(text, output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer")


def parse_notes(text: str, path: Path) -> tuple[Note, ...]:
    """``## p12-en sic`` headings, each followed by its Markdown body."""
    problems: list[Problem] = []
    notes: list[Note] = []
    current: dict[str, object] | None = None
    body: list[str] = []
    in_comment = False

    def close() -> None:
        if current is None:
            return
        markdown = "\n".join(body).strip()
        if not markdown:
            problems.append(Problem(path, int(current["line"]), f"note on {current['anchor']} is empty",
                                    "write the note below its heading, or delete the heading"))
        notes.append(Note(anchor=str(current["anchor"]), side=str(current["side"]), kind=current["kind"],  # type: ignore[arg-type]
                          markdown=markdown, html=render_markdown(markdown), line=int(current["line"])))

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
@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Chinese folded to Simplified for matching.  OpenCC may rewrite a phrase with a
    different length; matching needs offsets that map back, so then we fold
    character by character instead."""
    folded = _t2s().convert(text)
    if len(folded) == len(text):
        return folded
    return "".join(_t2s().convert(ch) for ch in text)


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
    # miss; "Meta" in "Metaverse" must not match).
    return re.compile("|".join(rf"(?<![A-Za-z0-9]){re.escape(a)}(?![A-Za-z0-9])" if re.search(r"[A-Za-z0-9]$", a)
                               else re.escape(a) for a in ordered))


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
                    out.append(Mention(entity, row.anchor, side, index, m.start(), m.end(),  # type: ignore[arg-type]
                                       paragraph.text[m.start():m.end()]))
    return tuple(out)


# ---------------------------------------------------------------------------
# Related passages
# ---------------------------------------------------------------------------
RowItems = tuple[tuple[str, frozenset[str]], ...]  # (anchor, its items) for each row of an article


def row_items(article: Article) -> RowItems:
    """(anchor, the entities and figures it names) for each row of the article."""
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
        out.append((row.anchor, frozenset(i for i in items if not re.fullmatch(r"n:#?\d{1,2}", i))))
    return tuple(out)


# Rows to score from which the work is shared among the cores (about 1,000 articles:
# 3 s of scoring on one core, against a second to start the workers and hand them
# the rows).
PARALLEL_ROWS = 50_000


def related_passages(articles: Sequence[Article], config: RelatedConfig,
                     items: dict[str, RowItems] | None = None, redo: Collection[str] | None = None,
                     before: Mapping[str, Sequence[Related]] | None = None) -> dict[str, tuple[Related, ...]]:
    """slug → its rows' related passages.  ``items``: each article's ``row_items`` where
    already known (serve keeps them between rebuilds); the rest are worked out.

    ``redo`` and ``before`` (serve, after an edit that leaves the number of rows as it
    was): only the rows naming one of the ``redo`` items are scored again, the others
    keep their lists from ``before``.  Exact when ``redo`` holds every item, before and
    after, of each row whose items or anchor changed: a row's list depends on the rows
    it shares items with, their order, and the items' weights, which move only for
    items whose count of rows changed (and for all if the number of rows did)."""
    known = items or {}
    rows = [(a.slug, anchor, row_set) for a in articles
            for anchor, row_set in (known[a.slug] if a.slug in known else row_items(a))]
    todo = [i for i, (_, _, row_set) in enumerate(rows) if redo is None or not row_set.isdisjoint(redo)]
    if len(todo) < PARALLEL_ROWS:
        matches = _score_rows((rows, todo, config))
    else:
        # Each row's list is found on its own: the rows are shared out among the cores,
        # each of which indexes them again (a second or two at 10,000 articles).
        cores = workers()
        with mapper(len(todo), cores) as map_:
            done = map_(_score_rows, [(rows, todo[k::cores], config) for k in range(cores)])
        matches = {}
        for part in done:
            matches.update(part)
    kept: dict[tuple[str, str], list[Related]] = defaultdict(list)
    for slug, related in (before or {}).items():
        for r in related:
            kept[(slug, r.anchor)].append(r)
    out: dict[str, list[Related]] = defaultdict(list)
    for i, (slug, anchor, row_set) in enumerate(rows):
        if i not in matches:
            out[slug] += kept.get((slug, anchor), ())
            continue
        for score, j in matches[i]:
            shared = tuple(sorted(x.split(":", 1)[1] for x in row_set & rows[j][2]))
            out[slug].append(Related(anchor, Passage(rows[j][0], rows[j][1], ""), round(score, 2), shared))
    return {slug: tuple(v) for slug, v in out.items() if v}


def _score_rows(job: tuple[Sequence[tuple[str, str, frozenset[str]]], Sequence[int], RelatedConfig]
                ) -> dict[int, list[tuple[float, int]]]:
    """Row number → its best matches, for the rows numbered in ``job``."""
    rows, todo, config = job
    index: dict[str, list[int]] = defaultdict(list)
    for i, (_, _, row_set) in enumerate(rows):
        for item in row_set:
            index[item].append(i)
    weight = {item: math.log(len(rows) / len(hits)) for item, hits in index.items()}
    return {i: _best_matches(i, rows, index, weight, config) for i in todo}


def _best_matches(i: int, rows: Sequence[tuple[str, str, frozenset[str]]], index: dict[str, list[int]],
                  weight: dict[str, float], config: RelatedConfig) -> list[tuple[float, int]]:
    """The ``per_row`` rows of other articles scoring highest against row ``i`` (at
    least ``min_score``; equal scores go to the earlier row), as (score, row), best first.

    Scoring every row that shares any item was quadratic: a common entity ("AI") is
    shared with a fixed share of all rows.  Instead the items' row lists are read
    rarest (heaviest) item first.  A row sharing none of the items read so far can
    score at most ``bound``, the weights of the items still to come; once that is
    below ``min_score`` or below the last of ``per_row`` matches found, no unread row
    can make the list.  Within a list rows come in order, so once ``bound`` cannot
    beat the last match and the rows are later than it, they would lose the tie too.

    The result is exactly that of scoring every row: a score is the weights of the
    shared items added one at a time in the order of row ``i``'s item names, and so is
    ``bound``; floating-point addition of non-negative weights is monotonic, so a
    subset's sum never exceeds ``bound`` even in the last bit."""
    slug, _, items = rows[i]
    if config.per_row < 1 or not items:
        return []
    # Added up in name order: a frozenset's own order follows the string hashes, which
    # differ from process to process, and floating-point sums in another order can
    # differ in the last bit and break a tie the other way.
    weighted = [(x, weight[x]) for x in sorted(items)]
    rare_first = sorted(items, key=lambda x: (-weight[x], x))
    seen: set[int] = set()
    best: list[tuple[float, int]] = []  # sorted by (-score, row)
    for k, item in enumerate(rare_first):
        read = set(rare_first[:k])
        bound = 0.0
        for x, w in weighted:
            if x not in read:
                bound += w
        if bound < config.min_score or (len(best) == config.per_row and bound < best[-1][0]):
            break
        for j in index[item]:
            if len(best) == config.per_row and bound <= best[-1][0] and j > best[-1][1]:
                break
            if j in seen or rows[j][0] == slug:
                continue
            seen.add(j)
            other = rows[j][2]
            score = 0.0
            for x, w in weighted:
                if x in other:
                    score += w
            if score >= config.min_score and (len(best) < config.per_row or (-score, j) < (-best[-1][0], best[-1][1])):
                # Kept in place by (-score, row): sorting the list again for each
                # candidate was a sixth of the search.
                bisect.insort(best, (score, j), key=lambda sj: (-sj[0], sj[1]))
                del best[config.per_row:]
    return best


# ---------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------
def annotate_archive(archive: Archive) -> Archive:
    problems: list[Problem] = []
    articles = [annotate_article(a, archive.glossary, problems) for a in archive.articles]
    problems += check_links(archive.links, articles, archive.content_dir / "links.yaml")
    if problems:
        raise ContentError(problems)
    related = related_passages(articles, archive.site.related)
    return replace(archive, articles=tuple(replace(a, related=related.get(a.slug, ())) for a in articles))


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


def check_links(links: Sequence[CrossLink], articles: Sequence[Article], where: Path) -> list[Problem]:
    by_slug = {a.slug: a for a in articles}
    named = {p.slug for link in links for p in link.passages}
    # Only the articles a link names: serve checks the links after every edit.
    rows = {a.slug: {r.anchor: r for r in a.rows} for s in named if (a := by_slug.get(s)) is not None}
    # A passage named by an anchor that was since merged or removed follows its alias.
    for slug, article_rows in rows.items():
        for alias in by_slug[slug].aliases:
            article_rows.setdefault(alias.anchor, article_rows[alias.target])
    problems = []
    for link in links:
        for p in link.passages:
            row = rows.get(p.slug, {}).get(p.anchor)
            if p.slug not in rows:
                problems.append(Problem(where, link.line, f"cross-link '{link.id}' names unknown article '{p.slug}'",
                                        "use an article folder's name"))
            elif row is None:
                problems.append(Problem(where, link.line, f"cross-link '{link.id}' names {p.slug}#{p.anchor}, "
                                        "which is not a row", "use an anchor shown on the article page"))
            elif p.side and not getattr(row, p.side):
                problems.append(Problem(where, link.line, f"cross-link '{link.id}' names the {p.side} side of "
                                        f"{p.slug}#{p.anchor}, which has none", f"name {p.slug}#{p.anchor}"))
    return problems
