"""Rebuilding after an edit confined to a few article folders — what ``serve`` does
between saves, so that one saved note in a large archive is not a whole build.

A full build runs every stage over every article; here the same stages run over the
articles the edit can reach, and everything else is kept from the last build:

* **reload** the edited articles' folders, plus every article that borrows English
  from one of them and every lender of those (``english_text_from``): alignment ties
  them together, so they are prepared together, as ``prepare_archive`` would;
* **prepare, anchors, annotate** those articles only (cleaning, segmentation and
  alignment come from the cache when only notes changed);
* **related passages** are kept when no row of those articles names a different set
  of entities and figures than before, and the order of the articles is the same:
  the lists depend on nothing else.  Otherwise the rows that share an item with a
  changed row are scored again (all rows, if the number of rows changed), from each
  article's items, kept between builds: as exact as a full build;
* **select** the pages whose content can differ (``Selection``): every file of the
  reloaded articles; the article page (not the cleaning log or source, which show
  nothing of other articles) of those whose related passages or parallel rows
  changed, and of any that names a reloaded article whose metadata changed (its
  title is shown there),
  with the front page and feed; the three-way pages of their translation groups;
  the pages of the entities they are quoted on differently (every entity they
  mention, before or after, when the title or date changed), and the entities' index
  when how often one is quoted changed.

When the edit changes what this cannot follow — a file outside an article folder
(``site.yaml``, ``glossary.yaml``, ``links.yaml``, templates), a folder added or
removed, translation groups or the interviewees' names that every byline reads —
``plan`` or ``update`` says so and the caller builds everything.  The result is the
full build's, byte for byte; ``tests/test_incremental.py`` compares the two after
edits of each kind.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Collection, Iterable

from .anchors import assign_article
from .annotate import RowItems, annotate_article, check_links, related_passages, row_items
from .cache import Cache
from .errors import ContentError, Problem
from .load import reload_articles
from .model import Archive, Articles, Packed, Related
from .pool import Standing
from .prepare import prepare_archive
from .render import (ArticleIndex, Lookups, Selection, article_index, article_quotes, index_after, linked,
                     lookups_after, lookups_for)


@dataclass(frozen=True)
class Built:
    """What the next incremental rebuild needs of the last build."""

    archive: Archive  # processed and annotated
    items: dict[str, RowItems]  # slug → annotate.row_items, what related passages are made of
    lookups: Lookups  # render's cross-article tables, compared to find pages that changed
    cited: ArticleIndex  # slug → the other articles whose related passages lead to it (``cited_index``)
    lent: ArticleIndex  # slug → the articles that borrow its English (``english_text_from``)


def built(archive: Archive) -> Built:
    """The record of a full build."""
    canon: dict[frozenset[str], frozenset[str]] = {}
    return Built(archive, {a.slug: row_items(a, canon) for a in archive.articles}, lookups_for(archive, quoted=True),
                 cited_index(archive), article_index(archive.articles.packed, _lenders))


def cited_index(archive: Archive) -> ArticleIndex:
    """Slug → the other articles whose related passages lead to it: the pages that show
    its title (``select``).  Kept between rebuilds: reading every article's related
    passages to find them after a title edit took 2.7 s at 10,000 articles."""
    return article_index(archive.articles.packed, _targets)


def _lenders(packed: Packed) -> tuple[str, ...]:
    """The articles this one borrows its English from: kept as ``Built.lent``, read
    the other way, so an edit finds its borrowers without reading every article's
    relations (15 ms at 10,000 articles)."""
    return packed.shell.meta.related("english_text_from")


def _targets(packed: Packed) -> list[str]:
    """The other articles the article's related passages lead to, once per passage."""
    related: tuple[Related, ...] = packed.part("related") or ()  # type: ignore[assignment]
    return [r.target.slug for r in related if r.target.slug != packed.slug]


Edit = dict[str, frozenset[str]]  # slug → the names of its files that changed


def plan(content: Path, changed: Iterable[Path], archive: Archive) -> Edit | None:
    """The articles whose folders hold every changed path, with the files changed in
    each, or None when some change lies elsewhere or adds or removes an article (a
    full build is needed)."""
    articles = (Path(content) / "articles").resolve()
    edit: dict[str, set[str]] = {}
    for path in changed:
        try:
            parts = Path(path).resolve().relative_to(articles).parts
        except ValueError:
            return None
        # A file directly in an article folder that still exists, of an article the
        # last build had; anything else (a new folder, a deleted one) is a full build.
        if len(parts) != 2 or not archive.has(parts[0]) or not (articles / parts[0]).is_dir():
            return None
        edit.setdefault(parts[0], set()).add(parts[1])
    return {slug: frozenset(names) for slug, names in edit.items()}


@dataclass(frozen=True)
class Edited:
    """An edit's articles prepared and annotated, their related passages as before the
    edit: all that the edited articles' own pages need but those lists (``finish``
    makes them again when the edit moved what they are made of)."""

    archive: Archive
    fresh: frozenset[str]  # the articles prepared again
    edited: frozenset[str]  # of those, the ones whose files changed (not only tied to them by alignment)
    items: dict[str, RowItems]  # every article's row items, after the edit
    lookups: Lookups  # after the edit: related passages change none of them

    def settled(self, last: Built) -> bool:
        """Whether every related passage list stands as it was (``finish`` only selects
        pages): nothing they are made of changed, nor the articles' order."""
        return _same_order(self.archive, last.archive) and all(self.items[s] == last.items[s] for s in self.fresh)


def update(last: Built, edit: Edit, cache: Cache) -> tuple[Built, Selection | None]:
    """The archive after ``edit``, and the pages to make again (None: all of them).
    Raises ContentError as a full build would."""
    return finish(last, edited(last, edit, cache))


def edited(last: Built, edit: Edit, cache: Cache, standing: Standing | None = None) -> Edited:
    """The first part of ``update``: every article the edit reaches, made again
    (on the ``standing`` workers, if any).  Raises ContentError as a full build would."""
    old = last.archive
    archive = reload_articles(old, edit)
    touched = _reach(archive, last.lent, edit)
    if touched != set(edit):
        # Those aligned with the edited articles, read again as loaded (overrides need
        # the registry before anchors replace it); the edited ones are read already.
        archive = reload_articles(archive, touched - set(edit))
    sub = prepare_archive(replace(archive, articles=Articles(archive.articles.among(touched))), cache,
                          standing=standing)
    problems: list[Problem] = []
    fresh = {a.slug: annotate_article(assign_article(a), archive.glossary, problems) for a in sub.articles}
    # The others stay packed as they were; an edited one keeps its related passages
    # until ``finish``.
    articles = archive.articles.replacing({slug: replace(a, related=old.get(slug).related) for slug, a in fresh.items()})
    problems += check_links(archive.links, articles, archive.content_dir / "links.yaml")
    if problems:
        raise ContentError(problems)
    archive = replace(archive, articles=articles, edition=old.edition)
    items = {**last.items, **{slug: row_items(a) for slug, a in fresh.items()}}
    return Edited(archive, frozenset(fresh), frozenset(edit), items,
                  lookups_after(last.lookups, old, archive, frozenset(fresh)))


def finish(last: Built, step: Edited) -> tuple[Built, Selection | None]:
    """The second part of ``update``: related passages made again where the edit moved
    what they are made of (at 10,000 articles, seconds), and the pages to make again."""
    old, archive, lookups = last.archive, step.archive, step.lookups
    moved: set[str] = set()
    if not step.settled(last):
        redo = _items_moved(last.items, step.items, step.fresh) if _same_order(archive, old) else None
        related = related_passages(list(archive.articles.shells()), archive.site.related, step.items, redo,
                                   before=_Related(old) if redo is not None else None)
        # With ``redo``, only the articles with a row scored again have a list in
        # ``related``: the others' stand as they are packed.  Lists are compared as
        # values: equal lists can pack to different bytes (a list partly kept from
        # ``before`` holds copies where a new one shares objects).
        remade = []
        for packed in archive.articles.packed:
            if redo is None or packed.slug in related:
                new = related.get(packed.slug, ())
                was = old.articles.find(packed.slug)
                if was is None or new != (was.part("related") or ()):
                    moved.add(packed.slug)
                    packed = packed.with_related(new)
            remade.append(packed)
        archive = replace(archive, articles=Articles(remade))
    # Related passages changed only where ``moved`` says (the edited articles keep
    # theirs until here), but the edited ones are looked at too, at no cost.
    now = Built(archive, step.items, lookups, index_after(last.cited, _targets, old, archive, step.fresh | moved),
                index_after(last.lent, _lenders, old, archive, step.fresh))
    return now, select(last, now, step.fresh, moved)


class _Related:
    """The related passages of an archive's articles by slug, each unpacked when asked
    for (``related_passages`` asks only for the articles it scores again)."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def get(self, slug: str, default: tuple[Related, ...] = ()) -> tuple[Related, ...]:
        packed = self.archive.articles.find(slug)
        return (packed.part("related") or default) if packed else default  # type: ignore[return-value]


def _same_order(archive: Archive, other: Archive) -> bool:
    return [p.slug for p in archive.articles.packed] == [p.slug for p in other.articles.packed]


def _items_moved(before: dict[str, RowItems], after: dict[str, RowItems], fresh: Collection[str]) -> set[str] | None:
    """The items of every row of ``fresh`` whose items, anchor or place changed, as they
    were and as they are (what ``related_passages`` must score again), or None when the
    number of rows changed: every item's weight moves then, and every list with it.
    Scoring every row again is the whole search (12 s at 10,000 articles)."""
    if sum(map(len, before.values())) != sum(map(len, after.values())):
        return None
    moved: set[str] = set()
    for slug in fresh:
        # By position: rows that only changed places move the order ties are broken in.
        was, now = before[slug], after[slug]
        for k in range(max(len(was), len(now))):
            old_row, new_row = was[k] if k < len(was) else None, now[k] if k < len(now) else None
            if old_row != new_row:
                moved |= (old_row[1] if old_row else frozenset()) | (new_row[1] if new_row else frozenset())
    return moved


def _reach(archive: Archive, lent: ArticleIndex, edit: Edit) -> frozenset[str]:
    """The edited articles, those borrowing English from one whose text may have
    changed (before the edit, by ``lent``, the last build's, or after it: only an
    edited article's relations can have changed), and every lender of those: what
    alignment ties together.  Notes are the one file a borrower's alignment does
    not read."""
    aligned = {slug for slug, names in edit.items() if names - {"notes.md"}}
    tied = set(edit) | {s for lender in aligned for s in lent.get(lender, ())}
    lenders = {d for s in tied for d in archive.shell(s).meta.related("english_text_from")}
    return frozenset(tied | lenders)


def select(last: Built, now: Built, fresh: frozenset[str], moved: Collection[str]) -> Selection | None:
    """The pages that can differ between the two builds (None: build them all)."""
    old, new = last.archive, now.archive
    if (last.lookups.groups != now.lookups.groups
            or last.lookups.english_names != now.lookups.english_names):
        return None
    renamed = {s for s in fresh if old.shell(s).meta != new.shell(s).meta}
    pages = set(fresh) | set(moved)
    members = {s for _, slugs in now.lookups.groups for s in slugs}
    pages |= {s for s in members if last.lookups.parallel.get(s) != now.lookups.parallel.get(s)}
    if renamed:
        # The title or outlet of a renamed article is shown wherever it is linked: by a
        # related passage (before or after the edit), a relation, parallel rows, a link.
        pages |= {s for r in renamed for s in last.cited.get(r, {}).keys() | now.cited.get(r, {}).keys()}
        pages |= {p.slug for p in new.articles.packed if linked(p.shell, new.links, now.lookups) & renamed}
        pages |= {p.slug for p in old.articles.packed if linked(p.shell, old.links, last.lookups) & renamed}
    entities: set[str] = set()
    counted = False  # the entities' index shows how often each is quoted
    for s in fresh:
        before, after = old.get(s), new.get(s)
        if before.meta != after.meta:
            # The article's title and date head its quotes, and the date orders them.
            entities |= {m.entity for m in before.mentions + after.mentions}
        if before.mentions == after.mentions and before.rows == after.rows:
            continue
        # Only the pages of entities the article is quoted on differently: an edit in
        # one paragraph leaves the others (those of much-quoted entities, at 10,000
        # articles, are the largest pages of the site).
        was, now_ = article_quotes(before), article_quotes(after)
        quoted = was.keys() | now_.keys()
        entities |= {e for e in quoted if was.get(e) != now_.get(e)}
        counted = counted or any(len(was.get(e, ())) != len(now_.get(e, ())) for e in quoted)
    return Selection(
        articles=fresh, pages=frozenset(pages - fresh),
        compare=frozenset(source for source, slugs in now.lookups.groups if any(s in fresh for s in slugs)),
        entities=frozenset(entities), index=bool(renamed), entities_index=counted)
