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
import sys
from dataclasses import replace
from pathlib import Path
from typing import Callable, Collection, Iterable, TypeVar

from . import anchors, annotate, schema
from .errors import ContentError, DuizhaoError, Problem, slug_fix
from .model import AnchorRegistry, Archive, Article, Source

T = TypeVar("T")


def read_text(path: Path) -> str:
    """Read a UTF-8 file; undecodable bytes are reported with their line and column."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(_undecodable(path, data, exc, "UTF-8",
                                        "save the file as UTF-8")) from None


def read_capture(path: Path, limit: int = schema.MAX_CAPTURE_KB * 1024) -> tuple[str, bytes]:
    """Read a raw capture, kept byte for byte: UTF-8, or GB18030 as Chinese pages are
    often saved.  Empty and binary files are refused: a capture is text.  So is one
    over ``limit`` bytes, judged by its size on disk before anything is read (see
    ``schema.MAX_CAPTURE_KB`` for why there is a limit at all).  Returns the text and
    the bytes it was decoded from."""
    size = path.stat().st_size
    if size > limit:
        raise ContentError(Problem(
            path, None, f"the capture is {size / 1024:,.0f} KB, over the limit of {limit // 1024:,} KB "
                        "(alignment time grows with the square of its length)",
            "split it into several articles, or raise max_capture_kb in site.yaml if you can wait"))
    data = path.read_bytes()
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise ContentError(Problem(path, line, "the capture is binary (it contains NUL bytes)",
                                   "save the page as text, not as a PDF, image or archive"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ContentError(_undecodable(path, data, utf8_error, "UTF-8 or GB18030",
                                            "re-import the capture converted from its original encoding")) from None
    # Judged on the text: a byte-order mark or ideographic spaces alone are still empty.
    if not text.replace("\ufeff", "").strip():
        raise ContentError(Problem(path, None, "the capture is empty", "import the page's text into source.txt"))
    return text, data


def _undecodable(path: Path, data: bytes, exc: UnicodeDecodeError, encodings: str, fix: str) -> Problem:
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return Problem(path, line, f"not valid {encodings}: byte 0x{data[exc.start]:02x} at column {column}", fix)


# Reads an anchor registry: anchors.parse_registry, or a cache's (Cache.registry).
RegistryParser = Callable[[str, Path], AnchorRegistry]


def load_archive(content_dir: Path, registries: RegistryParser = anchors.parse_registry) -> Archive:
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
    folders = sorted(p for p in (content_dir / "articles").glob("*") if p.is_dir())
    if not folders:
        problems.append(Problem(content_dir / "articles", None, "no article folders",
                                "add content/articles/<slug>/ with source.txt and article.yaml"))
    for folder in folders:
        try:
            articles.append(load_article(folder, max_capture, registries))
        except DuizhaoError as exc:
            problems.extend(exc.problems)
    problems.extend(_relation_problems(articles))
    problems.extend(_duplicate_captures(articles))
    glossary = _optional(content_dir / "glossary.yaml", annotate.parse_glossary, problems, ())
    links = _optional(content_dir / "links.yaml", annotate.parse_links, problems, ())
    if problems:
        raise ContentError(problems)
    assert site is not None
    return Archive(site=site, articles=archive_order(articles), content_dir=content_dir, glossary=glossary, links=links)


def archive_order(articles: Iterable[Article]) -> tuple[Article, ...]:
    # The archive's order: the index lists recent material at the top, and ties
    # between equally related passages go to the earlier article.
    return tuple(sorted(articles, key=lambda a: (a.meta.date, a.slug), reverse=True))


def reload_articles(archive: Archive, slugs: Collection[str]) -> Archive:
    """``archive`` with the articles ``slugs`` read again from their folders, as
    ``load_archive`` reads them; the others are kept as they are (serve, after an
    edit confined to these folders).  Relations and duplicate captures are checked
    over the whole archive again, as a full load would."""
    site_path = archive.content_dir / "site.yaml"
    _, max_capture = schema.site_settings(read_text(site_path), site_path)
    problems: list[Problem] = []
    fresh: dict[str, Article] = {}
    for slug in sorted(slugs):
        try:
            fresh[slug] = load_article(archive.content_dir / "articles" / slug, max_capture)
        except DuizhaoError as exc:
            problems.extend(exc.problems)
    articles = [fresh.get(a.slug, a) for a in archive.articles]
    problems.extend(_relation_problems(articles))
    problems.extend(_duplicate_captures(articles))
    if problems:
        raise ContentError(problems)
    return replace(archive, articles=archive_order(articles))


def capture(source: Source) -> tuple[str, bytes]:
    """A capture's text and bytes: as loaded, or read again from its file once prepare
    has let go of them.  A file that has changed since the build loaded it is refused:
    its pages would not show the text the rest of the build was made from."""
    if source.text is not None:
        return source.text, source.raw or source.text.encode("utf-8")
    text, raw = read_capture(source.path, limit=sys.maxsize)
    if hashlib.sha256(raw).hexdigest() != source.sha256:
        raise ContentError(Problem(source.path, None, "the capture changed while the site was being built",
                                   "build again"))
    return text, raw


def load_article(folder: Path, max_capture: int = schema.MAX_CAPTURE_KB * 1024,
                 registries: RegistryParser = anchors.parse_registry) -> Article:
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
            text, raw = read_capture(source_path, max_capture)
            # The bytes are kept only where the text does not give them back (a GB18030
            # capture): at 10,000 articles a second copy of every capture is 400 MB.
            source = Source(source_path, text, hashlib.sha256(raw).hexdigest(),
                            b"" if text.encode("utf-8") == raw else raw)
    except DuizhaoError as exc:
        problems.extend(exc.problems)
    corrections = _optional(corrections_path, schema.corrections, problems, ())
    overrides = _optional(overrides_path, schema.alignment_overrides, problems, ())
    notes = _optional(notes_path, annotate.parse_notes, problems, ())
    registry = _optional(anchors_path, registries, problems, AnchorRegistry(1, ()))
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


def _relation_problems(articles: list[Article]) -> list[Problem]:
    """Relations must name articles that exist, and English may be borrowed only from
    an article that carries English."""
    by_slug = {a.slug: a for a in articles}
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
