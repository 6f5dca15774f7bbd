"""Stage 1 — load: read ``content/`` into an :class:`Archive` (the input end of the I/O).

Layout::

    content/site.yaml
    content/articles/<slug>/source.txt        raw capture, byte for byte (never edited)
    content/articles/<slug>/article.yaml      metadata (schema in site_src.schema)
    content/articles/<slug>/corrections.yaml  optional editor's fixes
    content/articles/<slug>/anchors.yaml      anchor registry (written by the build)
    content/articles/<slug>/alignment.yaml    optional editor's pins for the aligner

Every problem in every file is collected before raising, so one build run shows the
editor the whole list.
"""
from __future__ import annotations

import hashlib
from collections import ChainMap
from dataclasses import replace
from pathlib import Path
from typing import Callable, Collection, Iterable, Iterator, Mapping, TypeVar

from . import anchors, annotate, schema
from .capture import read_capture, undecodable
from .errors import ContentError, DuizhaoError, Problem, slug_fix
from .model import Archive, Article, Articles, PackedRegistry, Source

T = TypeVar("T")


def read_text(path: Path) -> str:
    """Read a UTF-8 file; undecodable bytes are reported with their line and column."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(undecodable(path, data, exc, "UTF-8", "save the file as UTF-8")) from None


# Reads an anchor registry: ``parse_registry`` below, or a cache's (Cache.registry).
RegistryParser = Callable[[str, Path], PackedRegistry]


def parse_registry(text: str, path: Path) -> PackedRegistry:
    return PackedRegistry.of(anchors.parse_registry(text, path))


def load_archive(content_dir: Path, registries: RegistryParser = parse_registry) -> Archive:
    content_dir = Path(content_dir)
    site_path = content_dir / "site.yaml"
    if not site_path.is_file():
        raise ContentError(Problem(site_path, None, "missing", "create it (see the README's content schema)"))
    problems: list[Problem] = []
    site = None
    # The default limit applies while site.yaml is broken, so the captures are still checked.
    max_capture = schema.MAX_CAPTURE_KB * 1024
    try:
        site, max_capture = schema.site_settings(read_text(site_path), site_path)
    except DuizhaoError as exc:
        problems.extend(exc.problems)

    articles: list[Article] = []
    folders = article_folders(content_dir)
    if not folders:
        problems.append(Problem(content_dir / "articles", None, "no article folders",
                                "add content/articles/<slug>/ with source.txt and article.yaml"))
    for folder in folders:
        try:
            articles.append(load_article(folder, max_capture, registries))
        except DuizhaoError as exc:
            problems.extend(exc.problems)
    problems.extend(_relation_problems(articles, {a.slug: a for a in articles}))
    problems.extend(_duplicate_captures(articles))
    glossary = _optional(content_dir / "glossary.yaml", annotate.parse_glossary, problems, ())
    links = _optional(content_dir / "links.yaml", annotate.parse_links, problems, ())
    if problems:
        raise ContentError(problems)
    assert site is not None
    return Archive(site=site, articles=archive_order(articles), content_dir=content_dir, glossary=glossary, links=links)


def article_folders(content_dir: Path) -> list[Path]:
    """The folders of the archive's articles, by name (none if there is no ``articles``)."""
    return sorted(p for p in (Path(content_dir) / "articles").glob("*") if p.is_dir())


def archive_order(articles: Iterable[Article]) -> tuple[Article, ...]:
    # The archive's order: the index lists recent material at the top, and ties
    # between equally related passages go to the earlier article.
    return tuple(sorted(articles, key=lambda a: (a.meta.date, a.slug), reverse=True))


def reload_articles(archive: Archive, slugs: Collection[str]) -> Archive:
    """``archive`` with the articles ``slugs`` read again from their folders, as
    ``load_archive`` reads them; the others are kept as they are (serve, after an
    edit confined to these folders).  The archive-wide checks of a full load
    (relations, duplicate captures) are made where the articles read again can
    change their outcome: ``archive`` passed them, and no folder came or went."""
    site_path = archive.content_dir / "site.yaml"
    _, max_capture = schema.site_settings(read_text(site_path), site_path)
    problems: list[Problem] = []
    fresh: dict[str, Article] = {}
    for slug in sorted(slugs):
        try:
            fresh[slug] = load_article(archive.content_dir / "articles" / slug, max_capture)
        except DuizhaoError as exc:
            problems.extend(exc.problems)
    before = {slug: archive.shell(slug) for slug in fresh}
    by_slug = ChainMap(fresh, _Shells(archive.articles))  # type: ignore[arg-type]
    # Articles are checked in the folders' order (``fresh`` is read in it), as
    # load_archive reads them, so that a problem is told of the same article in the
    # same words.
    if any("en" in before[s].meta.languages and "en" not in a.meta.languages for s, a in fresh.items()):
        # Whoever borrows English from it must now be told.
        problems.extend(_relation_problems([by_slug[slug] for slug in sorted(by_slug)], by_slug))
    else:
        problems.extend(_relation_problems(fresh.values(), by_slug))
    changed = {a.source.sha256 for s, a in fresh.items() if a.source.sha256 != before[s].source.sha256}
    if changed:
        # Only a capture that changed can now be another's: the articles holding one.
        holding = {p.shell.slug for p in archive.articles.packed if p.shell.source.sha256 in changed}
        holding |= {slug for slug, a in fresh.items() if a.source.sha256 in changed}
        problems.extend(_duplicate_captures([by_slug[slug] for slug in sorted(holding)]))
    if problems:
        raise ContentError(problems)
    if all(a.meta.date == before[s].meta.date for s, a in fresh.items()):
        return replace(archive, articles=archive.articles.replacing(fresh))  # the order is by date and slug
    return replace(archive, articles=Articles(a if a.slug in fresh else archive.articles.find(a.slug)  # type: ignore[misc]
                                              for a in archive_order(by_slug.values())))


class _Shells(Mapping[str, Article]):
    """The articles by slug, each read as its shell (``Packed.shell``) when asked for:
    a mapping of the archive that costs nothing to make."""

    def __init__(self, articles: Articles) -> None:
        self.articles = articles

    def __getitem__(self, slug: str) -> Article:
        found = self.articles.find(slug)
        if found is None:
            raise KeyError(slug)
        return found.shell

    def __iter__(self) -> Iterator[str]:
        return (p.slug for p in self.articles.packed)

    def __len__(self) -> int:
        return len(self.articles)


def load_article(folder: Path, max_capture: int = schema.MAX_CAPTURE_KB * 1024,
                 registries: RegistryParser = parse_registry) -> Article:
    slug = folder.name
    problems: list[Problem] = []
    if not schema.SLUG_RE.match(slug):
        problems.append(Problem(folder, None, f"folder name '{slug}' is not a readable slug",
                                "use lowercase words and digits joined by '-', e.g. 2025-03-bloomberg-china-show"))
    meta_path, source_path = folder / "article.yaml", folder / "source.txt"
    corrections_path, anchors_path = folder / "corrections.yaml", folder / "anchors.yaml"
    overrides_path, notes_path = folder / "alignment.yaml", folder / "notes.md"
    for path in (meta_path, source_path):
        if not path.is_file():
            problems.append(Problem(path, None, "missing", "every article folder needs article.yaml and source.txt"))
    meta = _optional(meta_path, lambda text, path: schema.article_meta(text, path, slug), problems, None)
    source = None
    try:
        if source_path.is_file():
            # Read to be checked (and its problems reported with the others) and hashed
            # for the cache, not kept: cleaning reads it again (``capture``), only for
            # the articles the cache lacks.  Held from here to the end of prepare, the
            # captures were some 240 MB of a cold build's peak at 10,000 articles.
            _, raw = read_capture(source_path, max_capture)
            source = Source(source_path, None, hashlib.sha256(raw).hexdigest())
    except DuizhaoError as exc:
        problems.extend(exc.problems)
    corrections = _optional(corrections_path, schema.corrections, problems, ())
    overrides = _optional(overrides_path, schema.alignment_overrides, problems, ())
    notes = _optional(notes_path, annotate.parse_notes, problems, ())
    registry = _optional(anchors_path, registries, problems, anchors.EMPTY)
    if problems:
        raise ContentError(problems)
    assert meta is not None and source is not None
    return Article(meta=meta, source=source, folder=folder, corrections=corrections,
                   corrections_path=corrections_path if corrections_path.is_file() else None,
                   anchors_path=anchors_path, registry=registry, overrides=overrides,
                   overrides_path=overrides_path if overrides_path.is_file() else None,
                   notes=notes, notes_path=notes_path if notes_path.is_file() else None)


def _optional(path: Path, parse: Callable[[str, Path], T], problems: list[Problem], default: T) -> T:
    """Parse a file if it exists; its problems join the others instead of stopping the
    load, so one run reports everything wrong with the content."""
    if not path.is_file():
        return default
    try:
        return parse(read_text(path), path)
    except DuizhaoError as exc:
        problems.extend(exc.problems)
        return default


def _duplicate_captures(articles: list[Article]) -> list[Problem]:
    """The same capture imported under two slugs would publish the text twice, with
    two sets of anchors for one source."""
    seen: dict[str, Article] = {}
    problems = []
    for a in articles:
        first = seen.setdefault(a.source.sha256, a)
        if first is not a:
            problems.append(Problem(a.source.path, None, f"the same capture as {first.source.path}",
                                    "keep one article folder per capture"))
    return problems


def _relation_problems(articles: Iterable[Article], by_slug: Mapping[str, Article]) -> list[Problem]:
    """Relations must name articles that exist (``by_slug``: every article), and
    English may be borrowed only from an article that carries English."""
    problems = []
    for a in articles:
        for rel in a.meta.relations:
            target = by_slug.get(rel.slug)
            if target is None:
                message, fix = f"relation {rel.kind} names unknown article '{rel.slug}'", \
                    slug_fix(rel.slug, by_slug.keys() - {a.slug})
            elif rel.kind == "english_text_from" and "en" not in target.meta.languages:
                message, fix = f"english_text_from '{rel.slug}', which has no English", \
                    "point it at an article whose languages include en"
            elif rel.slug == a.slug:
                message, fix = "an article cannot relate to itself", "remove that relation"
            else:
                continue  # the common case: no path is made (serve checks 10,000 articles per edit)
            problems.append(Problem(a.folder / "article.yaml", rel.line or None, message, fix))
    return problems
