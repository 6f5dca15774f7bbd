"""Stage 6 — render: turn the aligned archive into the site's files.

``iter_site`` yields ``(relative path, bytes)`` one file at a time and writes nothing;
``write.py`` puts each in place as it comes (``render_site`` collects them in a dict,
for tests).  What several pages derive from the whole archive is computed once per
build (``Lookups``), so rendering stays linear in the number of articles.  Every page gets its template context from one small
builder function returning a TypedDict (``IndexPage``, ``ArticlePage``,
``CleaningPage``, ``SourcePage``, ``NotFoundPage``, ``EntityPage``,
``EntitiesIndexPage``), so the keys a template may use
are listed in one place; the Jinja environment uses ``StrictUndefined`` so a
template that reaches for anything else fails the build instead of printing blanks.

Escaping: autoescape is on for every template and nothing from the archive is ever
marked safe.  Damaged spots (``Flag``) are therefore not spliced into the text as
markup: a paragraph is split into ``Segment``s and the template wraps the flagged
ones in ``<mark>``.

Links: every page links to the others relatively (``root`` is the way back to the
site's top from the page), so the site works from any folder, from ``file://`` and
under a GitHub Pages project path.  The one exception is ``404.html``, which the
host serves at whatever depth the missing address had: it links through the
absolute ``site.base_url`` and carries its stylesheet inline.

Editorial layer (``site_src.annotate``): a note's ``html`` is the one piece of markup
from content that reaches a page unescaped, because annotate has already sanitised it
with an allow-list.  Glossary mentions become ``Segment``s too (a link to the entity's
page), composed with damaged spots in ``mark_text``.  Notes sit in an ``<aside>`` in
their row (a margin column on wide screens, folded under the row on narrow ones),
each reached from one superscript marker in the text; curated cross-links ("also
said in") and computed related passages (a closed ``<details>``) follow the row's
text.  Entity pages (``entities/<id>/index.html``) quote every mention with a link
to its paragraph, and ``entities/index.html`` lists them by kind.

Citing: an article page carries what a citation needs once per page, not per
paragraph: ``<meta name="citation_…">`` tags in its head (what Google Scholar and
Zotero read), a JSON block ``#cite-data`` (permanent address, archive, edition,
outlet, date, authors, speakers) and a JSON block ``#anchor-aliases`` (published
anchors that now lead to another row).  ``site.js`` builds the citation from these,
the row's ``data-speaker`` and the quoted text as the page shows it at copy time.
The JSON goes through Jinja's ``tojson``, which escapes ``<``, ``>``, ``&`` and
``'``, so no text from the archive can close the ``<script>`` element.  Permanent
addresses are absolute (``site.base_url``): they are text to copy, never loaded.
"""
from __future__ import annotations

import pickle
import re
import sys
import tempfile
import traceback
from collections import Counter, defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping, TypedDict

import base64
import functools
import hashlib

import jinja2
from markupsafe import Markup

from .align import LOW_CONFIDENCE  # below it a row is shown as uncertain; `report` lists the same rows
from .annotate import fold
from .errors import Carried, DuizhaoError, Problem, RenderError
from .clean import RULES
from .export import article_json
from .feeds import atom_feed, base_url, robots, sitemap
from .cache import render_version
from .capture import capture
from .parallel import Groups, english_source, parallel_rows, three_way, translation_groups
from .model import (NO_REGISTRY, AlignedRow, Alias, Archive, Article, ArticleMeta, Articles, CleanResult, CrossLink,
                    Entity, Flag, Mention, Note, Packed, Paragraph, Passage, Related, Relation, SiteConfig, Speaker,
                    light)
from .pool import forked, give_back_memory, ordered, spread
from .scripts import converter
from .segment import chinese_variety  # the same choice of lang as the paragraphs got

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Where compiled templates are kept, as Python keeps compiled modules: beside the
# program, in its __pycache__ folder, whatever the build's cache (the aligner's
# dictionary index is kept the same way).  They are the program's, not the archive's:
# Jinja checks each against its template's source before using it, and the folder is
# named after Jinja's version and the interpreter, which the bytecode depends on.
# In a five-article build without a cache, ``warm_up`` took 130-230 ms compiling
# them, 50-90 ms reading them back (most of it then the script converter's start).
KEPT_BYTECODE = Path(__file__).resolve().parent / "__pycache__" / \
    f"templates-jinja2-{jinja2.__version__}-{sys.implementation.cache_tag}"


class _KeptBytecode(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode folder, made when first written to; one that cannot be made,
    read or written (a read-only installation) leaves the templates compiled in each
    process, as without a folder.  Jinja's own lets some of those errors end the build."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            pass  # as if not there: compiled, and the bucket filled from the source

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


# Copied verbatim into assets/ (templates/static/<name> -> assets/<name>).
STATIC_FILES = ("style.css", "site.js", "favicon.svg", "search.js")

LANGUAGE_NAMES = {"zh-Hant": "Traditional Chinese", "zh-Hans": "Simplified Chinese", "en": "English"}
RELATION_TITLES = {
    "english_text_from": "English text from",
    "translation_of": "Translation of",
    "same_source_as": "Same source as",
    "refers_to": "Refers to",
}
NOTE_LABELS = {"note": "Editor's note", "translation": "Translation", "correction": "Correction",
               "sic": "[sic]", "context": "Context"}
# Headings of the entities index, in the order the index shows the kinds.
KIND_TITLES = {"person": "People", "company": "Companies", "organisation": "Organisations",
               "model": "Models", "product": "Products", "term": "Terms"}
QUOTE_CONTEXT = 80  # characters kept on each side of a mention quoted on an entity page
# Articles whose passages an entity page quotes, the newest; older ones are listed by
# title.  Quoting every article made the page of an entity most articles name grow
# with the archive: 0.7 MB at 100 articles, some 70 MB at 10,000.
QUOTED_ARTICLES = 100


# ---------------------------------------------------------------------------
# Template contexts: one TypedDict per page kind, and the pieces they share
# ---------------------------------------------------------------------------
class EditorView(TypedDict):
    name: str
    role: str


class SiteView(TypedDict):
    title: str
    subtitle: str
    description: str
    language: str
    editors: list[EditorView]
    contact: str
    contact_is_link: bool  # a URL or mailto: is linked, anything else shown as text
    entities: bool  # the archive has a glossary, so the header links the entities index
    head_script: Markup  # templates/head.js, inlined in <head> so it runs before paint
    csp: str  # the Content-Security-Policy of every page, allowing head_script by hash


class RelatedView(TypedDict):
    kind: str  # RELATION_TITLES value
    href: str
    title: str
    title_lang: str
    note: str


class CreditView(TypedDict):
    """Who published what a page shows; printed in the footer of article pages."""

    outlet_zh: str
    outlet_en: str
    byline: str
    url: str
    english_original: str
    english_from: list[RelatedView]  # articles whose capture supplies the English shown


class Segment(TypedDict):
    text: str
    flag: str  # the Flag message when this piece is a damaged spot, else ""
    entity: str  # href of the entity's page when this piece names a glossary entity, else ""
    entity_name: str  # the entity's other names, the link's tooltip ("" for none)


class NoteRef(TypedDict):
    """The superscript number in the text that leads to a note."""

    number: int
    id: str  # the note's element id, n3
    label: str  # the note's kind as shown (Translation, [sic] …), for the marker's accessible name


class NoteView(TypedDict):
    number: int
    id: str  # n3
    kind: str  # Note.kind, for the class
    label: str  # NOTE_LABELS value
    html: str  # sanitised by annotate: the only markup from content rendered unescaped
    target: str  # what the note addresses and its back-link leads to: p12, p12-zh


class ScriptMaps(TypedDict):
    """Character by character, how OpenCC (at build time) turns this page's Chinese
    into each script: one table per page instead of a second and third copy of the
    text, which made long interviews twice their size."""

    hant: dict[str, str]
    hans: dict[str, str]


# Where a page's table gives another character than OpenCC did in context (后 is 後
# or stays 后): [text node index, code-point offset, code points replaced, replacement].
Fix = tuple[int, int, int, str]


class ScText(TypedDict):
    """Chinese words outside a paragraph (a contents entry) that follow the reader's
    choice of script like the paragraphs do."""

    text: str
    fixes: dict[str, list[Fix]]


class TocEntry(TypedDict):
    anchor: str
    kind: str  # "heading" or "question"
    lang: str
    label: ScText  # the heading, or the question's first words
    convertible: bool  # Chinese: shown in the reader's script


class ParagraphView(TypedDict):
    id: str  # "" for a side's first paragraph: the side's own id addresses it
    lang: str
    kind: str
    label: str
    speaker_role: str  # interviewer / interviewee / "" when no speaker is declared
    speaker_name: str
    segments: list[Segment]
    # Chinese text is shown in the reader's choice of script (site.js converts it with
    # the page's ScriptMaps); these are the conversions the maps get wrong, by script.
    convertible: bool
    fixes: dict[str, list[Fix]]
    notes: list[NoteRef]  # markers after the text: only on a side's last paragraph


class PassageLink(TypedDict):
    href: str
    title: str  # the article's title
    title_lang: str
    anchor: str  # p12 or p12-zh, as the link shows it


class PassageGroup(TypedDict):
    """Passages of one article: its title is said once, not per link."""

    title: str
    title_lang: str
    passages: list[PassageLink]


class CrossLinkView(TypedDict):
    """A curated "also said in": the other passages of a ``CrossLink``, by article."""

    claim: str
    groups: list[PassageGroup]


class RelatedPassageView(TypedDict):
    href: str
    anchor: str  # p12 or p12-zh, as the link shows it
    shared: list[str]  # entity names and figures both passages have


class RelatedGroup(TypedDict):
    """A row's related passages in one article: the title is said once, not per link
    (on long interviews the repeated titles were a fifth of the page)."""

    title: str
    title_lang: str
    passages: list[RelatedPassageView]


class SideView(TypedDict):
    id: str
    lang: str
    paragraphs: list[ParagraphView]


class RowView(TypedDict):
    anchor: str
    pattern: str
    speaker: str  # Speaker.id of the row's turn, "" when none: site.js names the speaker in a citation
    zh: SideView | None
    en: SideView | None
    heading: bool  # every paragraph of the row is a heading
    full_width: bool  # a heading with one side spans both columns
    turn_role: str  # the speaker's role for the row, to tint interviewer turns
    uncertain: str  # tooltip for a low-confidence alignment, "" otherwise
    notes: list[NoteView]  # in number order
    also: list[CrossLinkView]
    related_passages: list[RelatedGroup]  # computed; shown on demand, by article in score order
    related_count: int
    parallel: list[PassageLink]  # the same passage in another translation of the same English
    compare: str  # this row in the three-way reading, "" when the article has none


class ArticleHead(TypedDict):
    title_zh: str
    title_en: str
    zh_lang: str
    outlet_zh: str
    outlet_en: str
    byline: str
    date: str
    date_note: str
    kind: str
    languages: str
    summary: str
    source_note: str


class ArticleSummary(TypedDict):
    href: str
    head: ArticleHead
    # Filter values (FilterOption.value) the card matches, for site.js.
    outlet: str
    year: str
    language: str


class FilterOption(TypedDict):
    value: str
    label: str
    count: int


class IndexFilter(TypedDict):
    name: str  # outlet / year / language / kind: the card's data-* attribute and the ?name= query
    label: str
    options: list[FilterOption]  # most articles first, then by label


class YearGroup(TypedDict):
    """The timeline: newest year first, its articles newest first."""

    year: str
    articles: list[ArticleSummary]


class PageBase(TypedDict):
    root: str  # prefix leading from the page back to the site's top folder
    page_title: str
    site: SiteView
    edition: str  # Archive.edition, shown in the footer; "" when the build named none


class MetaTag(TypedDict):
    name: str
    content: str


class SpeakerCite(TypedDict):
    name: str  # as a citation prints it: the English name, else the Chinese one
    name_zh: str


class CiteData(TypedDict):
    """The page's ``#cite-data`` JSON: everything a citation of one of its paragraphs
    needs apart from the anchor, the speaker id and the quoted text."""

    url: str  # the article's permanent address; site.js appends "#<anchor>"
    slug: str
    archive: str
    edition: str
    title_zh: str
    title_en: str
    outlet_zh: str
    outlet_en: str
    date: str  # ISO, possibly partial
    date_parts: list[int]  # [2025, 3] for "2025-03": CSL-JSON's "issued"
    kind: str
    authors: list[str]  # from the byline, for paragraphs no speaker says
    speakers: dict[str, SpeakerCite]  # by Speaker.id


class AliasView(TypedDict):
    target: str
    kind: str  # "merged" | "removed"


class CompareColumn(TypedDict):
    slug: str
    title: str
    title_lang: str
    outlet: str
    href: str  # the translation's article page


class CompareCell(TypedDict):
    anchor: str
    href: str  # the row on its article page
    lang: str
    paragraphs: list[str]


class CompareBand(TypedDict):
    en: list[str]
    cells: list[list[CompareCell]]  # one list per column, in column order


class ComparePage(PageBase):
    head: ArticleHead  # of the article carrying the English
    credit: CreditView
    columns: list[CompareColumn]
    bands: list[CompareBand]


class IndexPage(PageBase):
    years: list[YearGroup]
    filters: list[IndexFilter]
    total: int


class ArticlePage(PageBase):
    head: ArticleHead
    compare_href: str  # the three-way reading of its English and all its translations, or ""
    citation_meta: list[MetaTag]  # <meta> tags for the page's <head>, in order
    cite: CiteData
    aliases: dict[str, AliasView]  # old anchor → where it leads now, in anchor order
    credit: CreditView
    related: list[RelatedView]
    two_columns: bool
    has_notes: bool  # some row has a note: the page makes room for a margin column
    rows: list[RowView]
    toc: list[TocEntry]  # [] for short texts
    script_maps: ScriptMaps
    # Sizes of the cleaning log, shown beside the link to it.
    change_count: int
    cut_count: int
    flag_count: int  # damaged spots still visible (no correction yet)
    corrected_count: int  # damaged spots an editor's correction repaired


class ChangeView(TypedDict):
    rule: str
    line: int
    href: str
    before: str
    after: str
    note: str


class ChangeGroup(TypedDict):
    rule: str
    about: str  # what the rule does, for a reader of the log
    changes: list[ChangeView]
    open: bool  # shown expanded; long runs of routine residue start collapsed


class CutView(TypedDict):
    rule: str
    first: int
    last: int
    href: str
    preview: str


class FlagView(TypedDict):
    rule: str
    line: int
    href: str
    text: str
    message: str
    resolved: bool


class CorrectionView(TypedDict):
    find: str
    replace: str
    why: str
    line: int


class CleaningPage(PageBase):
    head: ArticleHead
    credit: CreditView
    change_count: int
    groups: list[ChangeGroup]
    cuts: list[CutView]
    flags: list[FlagView]
    corrections: list[CorrectionView]


class SourceLine(TypedDict):
    number: int
    text: str


class SourcePage(PageBase):
    head: ArticleHead
    credit: CreditView
    lines: list[SourceLine]


class NotFoundPage(PageBase):
    inline_style: Markup  # style.css: this page is served at any depth
    csp: str  # the site's policy, plus the inline style's hash


class ExternalLink(TypedDict):
    title: str
    url: str


class QuoteView(TypedDict):
    """One mention quoted on an entity page: the paragraph, shortened around it."""

    href: str
    anchor: str  # the paragraph's id, p12-zh or p12-zh-2
    lang: str
    before: str  # starts with "…" when shortened
    match: str
    after: str  # ends with "…" when shortened


class QuoteGroup(TypedDict):
    href: str
    title: str
    title_lang: str
    date: str
    quotes: list[QuoteView]


class EarlierArticle(TypedDict):
    """An article an entity page names without quoting it (past ``QUOTED_ARTICLES``)."""

    href: str
    title: str
    title_lang: str
    date: str
    count: int  # its passages naming the entity


@dataclass(frozen=True)
class EntityQuotes:
    """What an entity's page shows of the archive: ``quote_groups``."""

    groups: list[QuoteGroup]  # the newest QUOTED_ARTICLES articles, by article in the front page's order
    earlier: list[EarlierArticle]  # the older ones, in the same order
    count: int  # passages naming it, in all of them


class EntityPage(PageBase):
    id: str
    kind: str
    kind_title: str
    name_en: str
    name_hant: str
    name_hans: str
    description: str
    links: list[ExternalLink]
    count: int  # passages naming it in the whole archive
    articles: int  # articles naming it
    groups: list[QuoteGroup]  # by article, in the front page's order
    earlier: list[EarlierArticle]


class EntityEntry(TypedDict):
    href: str
    id: str
    name_en: str
    name_zh: str  # Traditional, else Simplified, "" if neither
    name_zh_lang: str
    count: int  # mentions across the archive


class KindGroup(TypedDict):
    kind: str
    title: str
    entities: list[EntityEntry]


class EntitiesIndexPage(PageBase):
    count: int  # entities in the glossary
    kinds: list[KindGroup]


class SearchPage(PageBase):
    """``search.html``: the box and its results; search.js queries the index that
    ``site_src.search`` writes into pagefind/ when the site is written."""

    article_count: int
    row_count: int  # rows searched: each is one record of the index


# ---------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------
def render_site(archive: Archive) -> dict[str, bytes]:
    """Every file of the site, keyed by its path relative to the output folder."""
    return dict(iter_site(archive))


# A key (an entity's id, an article's slug) → {slug of an article that names it: how
# many times}: serve's indexes of which articles' pages show what (``Lookups.quoted``,
# ``incremental.Built.cited``), kept between rebuilds and updated by ``index_after``.
ArticleIndex = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Lookups:
    """What page builders would otherwise each derive from the whole archive: made once
    per build, so that rendering N articles is linear in N, not quadratic."""

    groups: tuple[tuple[str, tuple[str, ...]], ...]  # translation_groups: (English source, slugs)
    parallel: dict[str, dict[str, tuple[Passage, ...]]]  # parallel_rows
    compare: dict[str, str]  # slug → its three-way page, for the translations of a group
    english_names: dict[str, str]  # folded Chinese name → English name (byline_authors)
    flags: dict[str, tuple[Flag, ...]]  # slug → its damaged spots still in the text
    # entity id → {slug: how often its page quotes the article}, for serve's partial
    # rebuilds (None in a build, which makes every entity page in one pass anyway).
    quoted: ArticleIndex | None = None


def lookups_for(archive: Archive, quoted: bool = False) -> Lookups:
    """``quoted``: with the index of the entity pages' quotes (serve keeps it between
    rebuilds: without it, the pages of a few entities and the entities' index after
    an edit read every article's mentions, 8 s at 10,000 articles)."""
    groups = tuple(translation_groups(archive))
    return Lookups(
        groups=groups, parallel=parallel_rows(archive, groups), compare=compare_pages(groups),
        english_names=speaker_names(archive),
        flags={p.slug: open_flags(p.part("clean")) for p in archive.articles.packed},  # type: ignore[arg-type]
        quoted=article_index(archive.articles.packed, quoted_entities) if quoted else None,
    )


def quoted_entities(packed: Packed) -> Iterator[str]:
    """The entities the article is quoted on, once per quote (``shown_mentions``)."""
    return (m.entity for m, _ in shown_mentions(packed))


def article_index(articles: Iterable[Packed], keys: Callable[[Packed], Iterable[str]]) -> ArticleIndex:
    """The ``ArticleIndex`` of the ``keys`` each article names."""
    index: dict[str, dict[str, int]] = defaultdict(dict)
    for packed in articles:
        for key, n in Counter(keys(packed)).items():
            index[key][packed.slug] = n
    return dict(index)


def index_after(old: ArticleIndex, keys: Callable[[Packed], Iterable[str]], before: Archive, archive: Archive,
                touched: Collection[str]) -> ArticleIndex:
    """``old``, the ``article_index`` of ``before`` by ``keys``, with the ``touched``
    articles' entries as they are in ``archive``: the others' are as they were."""
    def of(a: Archive) -> ArticleIndex:
        return article_index((p for p in map(a.articles.find, touched) if p is not None), keys)
    was, now = of(before), of(archive)
    index = dict(old)
    for key in was.keys() | now.keys():
        # A copy without the touched articles that had the key (``old`` is ``before``'s),
        # not a comprehension over every article that has it: an entity quoted by most
        # of 10,000 articles took 8 ms that way.
        slugs = dict(index.get(key, {}))
        for s in was.get(key, ()):
            del slugs[s]
        slugs.update(now.get(key, {}))
        if slugs:
            index[key] = slugs
        else:
            index.pop(key, None)
    return index


def lookups_after(old: Lookups, before: Archive, archive: Archive, touched: Collection[str]) -> Lookups:
    """``lookups_for(archive)``, where ``old`` is that of ``before`` and only the
    articles ``touched`` differ between the two (serve's incremental rebuild: a full
    one reads every row of every article).  Unless a touched article joins, leaves or
    changes its translation group, the groups are the old ones with the new articles,
    and the parallel rows of the other groups stand."""
    quoted = None if old.quoted is None else index_after(old.quoted, quoted_entities, before, archive, touched)
    packed = [archive.articles.find(s) for s in touched]
    now = {(english_source(p), p.slug) for p in packed if p and english_source(p) and p.bilingual}
    if now != {(source, s) for source, slugs in old.groups for s in slugs if s in touched}:
        return replace(lookups_for(archive), quoted=quoted)
    moved = [(source, slugs) for source, slugs in old.groups if any(s in touched for s in slugs)]
    renamed = any(before.shell(s).meta.speakers != archive.shell(s).meta.speakers for s in touched)
    return Lookups(
        groups=old.groups, parallel={**old.parallel, **parallel_rows(archive, moved)}, compare=old.compare,
        english_names=speaker_names(archive) if renamed else old.english_names,
        flags={**old.flags, **{s: open_flags(archive.articles.find(s).part("clean")) for s in touched}},  # type: ignore
        quoted=quoted,
    )


def compare_pages(groups: Groups) -> dict[str, str]:
    return {slug: f"{ARTICLE_ROOT}articles/{source}/compare.html" for source, slugs in groups for slug in slugs}


def open_flags(clean: CleanResult | None) -> tuple[Flag, ...]:
    # Only damage still in the text is marked; a resolved flag's text is gone anyway.
    return tuple(f for f in clean.flags if not f.resolved) if clean else ()


@dataclass(frozen=True)
class Selection:
    """The pages an incremental rebuild makes again (``serve``, see site_src.incremental);
    every other page of the site is as the last build left it.  The small pages
    (404, search, robots.txt, the assets) are always made; the sitemap never is."""

    articles: frozenset[str] = frozenset()  # slugs: page, cleaning log, source view, source.txt, data JSON
    pages: frozenset[str] = frozenset()  # slugs whose article page alone is made (it names other articles)
    compare: frozenset[str] = frozenset()  # English sources whose three-way page is made
    entities: frozenset[str] = frozenset()  # glossary ids whose page is made
    index: bool = False  # the front page and the feed: the list of articles
    entities_index: bool = False


def iter_site(archive: Archive, only: Selection | None = None, lookups: Lookups | None = None,
              processes: int | None = None, pages: ArticlePages | None = None,
              env: jinja2.Environment | None = None) -> Iterator[tuple[str, bytes]]:
    """Every file of the site as ``(path relative to the output folder, bytes)``, one
    at a time, so that a writer can put each on disk before the next is made: at
    10,000 articles the pages together are gigabytes.  ``only``: just these pages
    (None: all).  ``lookups``: ``lookups_for(archive)`` if the caller has it.
    ``processes``: the workers that make the articles' own pages in a whole build
    (None: every core; see ``_all_article_files``).  ``pages``:
    where a whole build records what each article's own pages were made from, and
    finds the last site's pages to reuse (``ArticlePages``).  ``env``: the environment
    to render with, its templates perhaps compiled already (``warm_up``; a new one if
    None)."""
    env = environment() if env is None else env
    site = site_view(archive.site, entities=bool(archive.glossary))
    lookups = lookups_for(archive) if lookups is None else lookups
    paths: list[str] = []

    def page(path: str, data: bytes) -> tuple[str, bytes]:
        paths.append(path)
        return path, data

    if only is None or only.index:
        yield page("index.html", render(env, "index.html", index_page(archive, site)))
    yield page("404.html", render(env, "404.html", not_found_page(archive, site)))
    yield page("search.html", render(env, "search.html", search_page(archive, site)))
    # Without it GitHub Pages runs Jekyll over the site: slow, and it would drop any
    # file whose name starts with "_".
    yield page(".nojekyll", b"")
    for name in STATIC_FILES:
        yield page(f"assets/{name}", (TEMPLATES / "static" / name).read_bytes())
    # In the order of the data files' paths, which is the search records' order: the
    # index can then be made while the pages are written (write.BackgroundIndex).
    shown = archive.articles.packed if only is None else archive.articles.among(only.articles | only.pages)
    articles = sorted(shown, key=lambda p: f"{p.slug}.json")
    if only is None and spread(len(articles), processes):
        for files in _all_article_files(archive, articles, site, lookups, processes, pages):
            for path, data in files:
                yield page(path, data)
    else:
        whole = {p.slug for p in articles if only is None or p.slug in only.articles}
        made = [p for p in articles if p.slug in whole or p.slug in only.pages]  # type: ignore[union-attr]
        # In a whole build, the last articles' pages are made by a process forked now
        # while this one makes the others' (``elsewhere``).
        there = elsewhere(made) if only is None else []

        def make_there() -> list[list[tuple[str, bytes]]]:
            return [article_files(env, archive, packed.unpack(), site, lookups) for packed in there]
        with forked(make_there, processes) if there else nullcontext(list) as made_there:
            # Here every data file comes before the pages, so the indexer has all the
            # records while they are made: at five articles it finished 0.3 s after the
            # last page, when the last data file came with the last article's pages.
            # (The workers' files come an article at a time: a large archive's data
            # files are too many to hold, and it is indexed a shard at a time anyway.)
            for packed in articles:
                if packed.slug in whole:
                    yield page(*data_file(packed.unpack("text")))
            for packed in made[:len(made) - len(there)]:
                for path, data in article_files(env, archive, packed.unpack(), site, lookups, packed.slug in whole):
                    yield page(path, data)
            for files in made_there():
                for path, data in files:
                    yield page(path, data)
    for source, translations in lookups.groups:
        if only is None or source in only.compare:
            yield page(f"articles/{source}/compare.html",
                       render(env, "compare.html", compare_page(archive, source, translations, site)))
    if archive.glossary:
        wanted = [e for e in archive.glossary if only is None or e.id in only.entities]
        # With serve's index of who quotes whom, only the articles that quote a wanted
        # entity are read.
        among = None if only is None or lookups.quoted is None else \
            {s for e in wanted for s in lookups.quoted.get(e.id, ())}
        quoted = quote_groups(archive, {e.id for e in wanted}, among=among) if wanted else {}
        if only is None or only.entities_index:
            # With every entity's page, the index's counts are theirs: one pass over
            # the archive's mentions instead of two; serve's index has them too.
            counts = {e: q.count for e, q in quoted.items()} if len(wanted) == len(archive.glossary) else (
                None if lookups.quoted is None else {e: sum(slugs.values()) for e, slugs in lookups.quoted.items()})
            yield page("entities/index.html", render(env, "entities.html", entities_index_page(archive, site, counts)))
        for entity in wanted:
            yield page(f"entities/{entity.id}/index.html",
                       render(env, "entity.html", entity_page(archive, entity, site, quoted.get(entity.id))))
    if only is None or only.index:
        yield page("feed.xml", atom_feed(archive))
    yield page("robots.txt", robots(archive.site))
    if only is None:
        # Last: it lists every page above.  A selection keeps the set of pages (see
        # site_src.incremental), so the sitemap it leaves is still right.
        yield "sitemap.xml", sitemap(archive.site, paths)


# The share of the articles' own pages made by the forked process in a build too small
# for the pool's workers (``elsewhere``): this process also writes every file, makes
# the data files and the pages of the whole site, and feeds the search indexer.  At
# five articles, with half, this process asked for the forked pages after 0.19–0.22 s
# and found them ready; with 0.85 it asked after 0.07–0.12 s and waited up to 0.12 s.
ELSEWHERE = 0.6


def elsewhere(articles: list[Packed]) -> list[Packed]:
    """The last of ``articles`` (in order), whose pages a forked process makes
    (``pool.forked``) while this one makes the others': as many as hold some
    ``ELSEWHERE`` of the articles' packed bytes, a measure of their pages' work.  At
    five articles, pages whose making (0.1–0.14 s) took this process a third of the
    time it spent on the pages, while the other core ran only the search indexer.
    None of a single article."""
    if len(articles) < 2:
        return []
    weights = [sum(map(len, p.parts)) for p in articles]
    share, taken = ELSEWHERE * sum(weights), 0
    cut = len(articles)
    while cut > 1 and taken + weights[cut - 1] <= share:
        cut -= 1
        taken += weights[cut]
    return articles[cut:]


def data_file(article: Article) -> tuple[str, bytes]:
    """An article's data file (export.article_json), which its search records are made from."""
    return f"data/{article.slug}.json", article_json(article)


def article_files(env: jinja2.Environment, archive: Archive, article: Article, site: SiteView, lookups: Lookups,
                  whole: bool = True) -> list[tuple[str, bytes]]:
    """An article's own pages: its page and, when ``whole``, its cleaning log, source
    view and capture (its data file is ``data_file``).  They read nothing of other
    articles but their metadata (``light``)."""
    base = f"articles/{article.slug}/"
    files = [(base + "index.html", render(env, "article.html", article_page(archive, article, site, lookups)))]
    if whole:
        text, raw = capture(article.source)  # read again: the build does not keep every capture
        files += [
            (base + "cleaning.html", render(env, "cleaning.html", cleaning_page(archive, article, site))),
            (base + "source.html", render(env, "source.html", source_page(archive, article, site, text))),
            (base + "source.txt", raw),  # byte for byte as captured
        ]
    return files


# Articles whose pages are made between two trims of the heap (``give_back_memory``):
# the pages come back from the workers, each unpickled here and freed once written,
# and the process grew steadily through the pages of 10,000 articles.
TRIM_EVERY = 500


@dataclass(frozen=True)
class Context:
    """What ``article_files`` reads besides the article, for the workers: the archive
    without its articles, and the lookups without the parallel passages.  Each task
    brings the rest its article's pages read (``Neighbourhood``).  With every
    article's metadata (``light``) and every parallel passage, the context grew with
    the archive in each worker: 27 MB at 3,000 articles, when a worker was 87 MB."""

    archive: Archive
    site: SiteView
    lookups: Lookups


@dataclass(frozen=True)
class Neighbourhood:
    """What an article's own pages read of other articles: the metadata (``light``)
    of those they link to, itself among them, and its parallel passages."""

    shells: tuple[Article, ...]
    parallel: dict[str, tuple[Passage, ...]]  # lookups.parallel of the article


def linked(article: Article, links: Iterable[CrossLink], lookups: Lookups) -> set[str]:
    """The other articles an article's page names, but for its related passages: read
    from its metadata (relations, ``related_view``), the cross-links among ``links``
    that hold one of its passages (``editorial_for``) and its parallel passages."""
    out = {r.slug for r in article.meta.relations}
    out |= {p.slug for passages in lookups.parallel.get(article.slug, {}).values() for p in passages}
    out |= {p.slug for link in links if any(p.slug == article.slug for p in link.passages) for p in link.passages}
    return out - {article.slug}


def neighbourhood(archive: Archive, packed: Packed, lookups: Lookups,
                  links: Mapping[str, tuple[CrossLink, ...]]) -> Neighbourhood:
    """``packed``'s neighbourhood: itself, the articles its page names (``linked``) and
    those of the related passages its rows show (``editorial_for``).  ``links``: the
    archive's cross-links by the slugs of their passages."""
    related: tuple[Related, ...] = packed.part("related") or ()  # type: ignore[assignment]
    slugs = {packed.slug, *linked(packed.shell, links.get(packed.slug, ()), lookups), *(r.target.slug for r in related)}
    return Neighbourhood(tuple(light(archive.shell(s)) for s in sorted(slugs) if archive.has(s)),
                         lookups.parallel.get(packed.slug, {}))


def links_by_slug(links: Iterable[CrossLink]) -> dict[str, tuple[CrossLink, ...]]:
    found: dict[str, list[CrossLink]] = defaultdict(list)
    for link in links:
        for slug in dict.fromkeys(p.slug for p in link.passages):
            found[slug].append(link)
    return {slug: tuple(held) for slug, held in found.items()}


def _all_article_files(archive: Archive, articles: list[Packed], site: SiteView, lookups: Lookups,
                       processes: int | None, pages: ArticlePages | None = None) -> Iterator[list[tuple[str, bytes]]]:
    """Every article's ``data_file`` and ``article_files``, in the order of ``articles``, made by
    ``processes`` workers (``pool.ordered``): they are most of a build's rendering,
    which was otherwise on one core while the other idled.  The context goes to the
    workers once, as a file each reads when it starts; an article goes with each
    task, packed, and is unpacked in the worker.  With ``pages``, an article whose
    pages the last site holds, made from the same inputs, has them from there."""
    context = Context(replace(archive, articles=Articles(())), site, replace(lookups, parallel={}))
    keys = _page_keys(archive, site, lookups, articles) if pages is not None else {}
    kept = {a.slug for a in articles if pages is not None and pages.has(a.slug, keys[a.slug])}
    with tempfile.TemporaryDirectory(prefix="duizhao-render-") as folder:
        path = Path(folder) / "context.pickle"
        path.write_bytes(pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL))
        links = links_by_slug(archive.links)

        def task(packed: Packed) -> tuple[Path, Packed, Neighbourhood]:
            return path, packed, neighbourhood(archive, packed, lookups, links)
        # Each task made as it is sent: a neighbourhood is held only while its article is out.
        made_here = ordered(_article_files_in_worker, (task(a) for a in articles if a.slug not in kept),
                            len(articles) - len(kept), processes)
        for n, packed in enumerate(articles, 1):
            # A kept article's files are read when its turn comes, not all at once
            # (gigabytes at 10,000 articles); should one fail to be read, or name
            # its edition where it cannot be replaced, the article is made here.
            made = pages.read(packed.slug, archive.edition) if pages is not None and packed.slug in kept else None
            if made is None:
                made = _article_files_in_worker(task(packed)) if packed.slug in kept else next(made_here)
            if isinstance(made, Carried):
                raise made.kind(list(made.problems))
            if pages is not None:
                pages.made[packed.slug] = (keys[packed.slug], tuple(rel for rel, _ in made))
            yield made
            if n % TRIM_EVERY == 0:
                give_back_memory()


# An article's files besides its folder and capture: none of them is read by the pages
# of another article (render, export and feeds read no ``*_path`` of an article).
UNREAD_PATHS = ("corrections_path", "anchors_path", "overrides_path", "notes_path")


def _page_keys(archive: Archive, site: SiteView, lookups: Lookups, articles: Iterable[Packed]) -> dict[str, str]:
    """slug → a hash of all that an article's own pages are made from, but the edition:
    the code, templates and packages (``cache.render_version``), every article's
    metadata, the lookups and the article, packed.  (An article's pages read the
    metadata of the few it links to, ``neighbourhood``; hashing every article's keeps
    the key simple, and an archive's metadata changes seldom.)  Its
    anchor registry and what assigning anchors left of it (``anchoring``) are left
    out: the pages never read them, and after a build that minted anchors they are
    all that differs in the next one.  So are the other articles' files but their
    capture (``UNREAD_PATHS``): a first note on one article gives it a ``notes_path``,
    which no other article's page reads."""
    others = Articles(replace(light(shell), **dict.fromkeys(UNREAD_PATHS)) for shell in archive.articles.shells())
    blank = Context(replace(archive, edition="", articles=others), site, lookups)
    base = hashlib.sha256(render_version(TEMPLATES).encode() + b"\0"
                          + pickle.dumps(blank, protocol=pickle.HIGHEST_PROTOCOL))
    keys = {}
    for packed in articles:
        digest = base.copy()
        shell = replace(packed.shell, anchoring=None, registry=NO_REGISTRY)
        digest.update(pickle.dumps(shell, protocol=pickle.HIGHEST_PROTOCOL))
        for part in packed.parts:
            digest.update(b"\0" + part)
        keys[packed.slug] = digest.hexdigest()
    return keys


# Where a page names its edition: the footer and the citation data.  A kept page's
# edition is replaced only there; a page that still holds the old edition after that
# (a template that names it elsewhere, or a text that quotes it) is made anew.
EDITION_PLACES = ('<span class="edition-id">{}</span>', '"edition": "{}"')


def swap_edition(page: bytes, old: str, new: str) -> bytes | None:
    """``page`` as it would be made under edition ``new`` instead of ``old``; None if
    it cannot be told where ``old`` stands (see ``EDITION_PLACES``)."""
    if old == new:
        return page
    for place in EDITION_PLACES:
        page = page.replace(place.format(old).encode("utf-8"), place.format(new).encode("utf-8"))
    return None if old.encode("utf-8") in page else page


@dataclass
class ArticlePages:
    """The articles' own pages (``article_files`` and ``data_file``) across two builds:
    ``made`` records what this build made each article's from (slug → key of
    ``_page_keys``, paths), to be kept with the site (``write.keep_site``); ``kept``
    is the same of the last site, whose files are in ``folder`` and name the edition
    ``edition``, with each file's size and modification time when it was kept.

    After an edit of an article's notes, its edition changes every page, but the
    other articles' pages differ from the last site's in the edition alone: those
    are read from the kept site with the edition replaced (``swap_edition``),
    instead of being made again.  ``files`` and ``stamp`` (the inputs the kept site
    was built from) also serve ``write.restore_site``, which puts the whole kept
    site in place when nothing changed."""

    folder: Path | None = None
    edition: str = ""
    kept: Mapping[str, tuple[str, Collection[str]]] = field(default_factory=dict)
    files: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    made: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    reused: set[str] = field(default_factory=set)
    stamp: str = ""  # the inputs the kept site was built from (cache.inputs_stamp)

    def has(self, slug: str, key: str) -> bool:
        """Whether the kept files of ``slug`` were made from ``key`` and are unchanged."""
        entry = self.kept.get(slug)
        return entry is not None and entry[0] == key and all(map(self.unchanged, entry[1]))

    def unchanged(self, rel: str) -> bool:
        """Whether the kept file ``rel`` is as it was kept: a site file written in place
        shares its bytes with the kept one, and its size or time would differ."""
        if self.folder is None:
            return False
        try:
            info = (self.folder / rel).stat()
        except OSError:
            return False
        return (info.st_size, info.st_mtime_ns) == tuple(self.files.get(rel, ()))

    def read(self, slug: str, edition: str) -> list[tuple[str, bytes]] | None:
        """The kept files of ``slug`` (``has``) under ``edition``; None if one cannot be
        read or its edition replaced."""
        assert self.folder is not None  # as ``has`` found
        files = []
        for rel in self.kept[slug][1]:
            try:
                page = swap_edition((self.folder / rel).read_bytes(), self.edition, edition)
            except OSError:
                return None
            if page is None:
                return None
            files.append((rel, page))
        self.reused.add(slug)
        return files


def _article_files_in_worker(task: tuple[Path, Packed, Neighbourhood]) -> list[tuple[str, bytes]] | Carried:
    path, packed, near = task
    context, env = _worker_context(path)
    archive = replace(context.archive, articles=Articles(near.shells))
    lookups = replace(context.lookups, parallel={packed.slug: near.parallel})
    try:
        article = packed.unpack()
        return [data_file(article), *article_files(env, archive, article, context.site, lookups)]
    except DuizhaoError as exc:  # a template's, or a capture changed since load
        return Carried(type(exc), tuple(exc.problems))


@functools.lru_cache(maxsize=1)
def _worker_context(path: Path) -> tuple[Context, jinja2.Environment]:
    """The context of ``_all_article_files``, read once per worker process."""
    context: Context = pickle.loads(path.read_bytes())
    return context, environment()


class Environment(jinja2.Environment):
    """Jinja's environment, looking a dict's keys up first: every page context is
    made of TypedDicts, and ``row.anchor`` otherwise first asks the dict for an
    attribute, failing with an exception each time (a fifth of template time).  No
    context has a key named like a dict method (``items``, ``get`` …), which this
    would shadow; ``test_render`` checks."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def environment(bytecode: Path | None = KEPT_BYTECODE) -> jinja2.Environment:
    """The templates' environment; ``bytecode``: the folder of compiled templates
    (``KEPT_BYTECODE``; None: compile them in this process)."""
    env = Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # Parsing and compiling the templates was half of a small build's render time;
        # Jinja checks each entry against its template's source before using it.
        bytecode_cache=_KeptBytecode(str(bytecode)) if bytecode else None,
        # An environment lives for one build (serve makes a new one for each rebuild, a
        # worker one per build's context): the templates it loaded are not asked again
        # whether their file changed.  Jinja's default stats a template's file each
        # time a page asks for it, its base and its macros included.
        auto_reload=False,
        autoescape=True,  # for every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # ``tojson`` still escapes <, >, & and ' (that is what makes it safe inside
    # <script>); Chinese is left readable.  Keys keep the order the builders give them
    # (fixed by the TypedDicts and by ``alias_views``), not sorted as text, which
    # would put p10 before p2.
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}
    return env


def warm_up(env: jinja2.Environment) -> None:
    """Load what the pages need before the first is made: the converter to Traditional
    (OpenCC ``s2t``, 70 ms) and every template, compiled into ``env`` (70 ms; read
    back from its bytecode folder, if it has one, in 4 ms) and into that folder: for
    the time a build waits for its articles to be aligned (build.py), which then
    renders with ``env``.  A template that does not compile is left to ``render``,
    which reports it with its file and line when a page uses it."""
    converter("s2t")
    for name in env.list_templates(filter_func=lambda name: not name.startswith("static/")):
        try:
            env.get_template(name)
        except jinja2.TemplateError:
            continue


def render(env: jinja2.Environment, template: str, context: PageBase) -> bytes:
    try:
        return dedent_html(env.get_template(template).render(context)).encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(Problem(TEMPLATES / template if exc.filename is None else exc.filename,
                                  exc.lineno, exc.message or "template syntax error",
                                  "fix the template")) from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(Problem(*template_line(exc, template), f"template {exc.name} not found",
                                  f"restore it in {TEMPLATES} or fix the name that includes it")) from None
    except jinja2.UndefinedError as exc:
        raise RenderError(Problem(*template_line(exc, template), exc.message or "undefined value",
                                  "templates may only use the keys of their page's TypedDict in render.py")) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # A mistake inside a template's expression (a filter given the wrong kind of value…).
        raise RenderError(Problem(*template_line(exc, template), f"{type(exc).__name__}: {exc}",
                                  "fix the expression on that line of the template")) from None


def template_line(exc: BaseException, template: str) -> tuple[Path, int | None]:
    """The template file and line where a render error arose: Jinja rewrites its
    tracebacks so that template code appears as frames of the .html file (the
    innermost one is the block or macro at fault, base.html for an inherited block)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".html") and Path(frame.filename).is_relative_to(TEMPLATES):
            return Path(frame.filename), frame.lineno
    return TEMPLATES / template, None


# Lines of <pre> and <textarea> keep their leading white space (none of the templates
# has one today, but a note or a future template may), and inline <script> and <style>
# stay byte for byte: the security policy allows them by the hash of their text.
_PREFORMATTED = re.compile(r"(<(pre|textarea|script|style)\b.*?</\2>)", re.DOTALL | re.IGNORECASE)
_INDENT = re.compile(r"\n[ \t]+")


def dedent_html(html: str) -> str:
    """Drop the templates' indentation: outside preformatted elements a newline
    followed by spaces renders exactly as the newline alone, and on a long interview
    the indentation was 11 KB of the page."""
    parts = _PREFORMATTED.split(html)
    # split() with two groups yields [text, whole, tagname, text, whole, tagname, ...].
    return "".join(_INDENT.sub("\n", part) if i % 3 == 0 else part if i % 3 == 1 else ""
                   for i, part in enumerate(parts))


# ---------------------------------------------------------------------------
# Pieces shared by every page
# ---------------------------------------------------------------------------
def site_view(site: SiteConfig, entities: bool) -> SiteView:
    return SiteView(
        title=site.title, subtitle=site.subtitle, description=site.description, language=site.language,
        editors=[EditorView(name=e.name, role=e.role) for e in site.editors],
        contact=site.contact,
        contact_is_link=site.contact.startswith(("https://", "http://", "mailto:")),
        entities=entities,
        head_script=Markup(head_script := (TEMPLATES / "head.js").read_text(encoding="utf-8").strip()),
        csp=content_security_policy([source_hash(head_script)]),
    )


def source_hash(text: str) -> str:
    """A CSP source expression allowing one inline script or style by its content."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(scripts: list[str], styles: list[str] = []) -> str:
    """Scripts: our own files and the hashed inline ones, nothing inline else (so no
    injected <script> or on* handler runs, whatever a capture or a note contains);
    'wasm-unsafe-eval' for the search index's WebAssembly.  Nothing from other hosts.
    (frame-ancestors cannot be set from a <meta>; GitHub Pages sends no headers.)"""
    return "; ".join([
        "default-src 'self'",
        " ".join(["script-src 'self'", *scripts, "'wasm-unsafe-eval'"]),
        " ".join(["style-src 'self'", *styles]),
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ])


def article_head(meta: ArticleMeta) -> ArticleHead:
    return ArticleHead(
        title_zh=meta.title_zh, title_en=meta.title_en, zh_lang=chinese_variety(meta),
        outlet_zh=meta.outlet_zh, outlet_en=meta.outlet_en, byline=meta.byline,
        date=meta.date, date_note=meta.date_note, kind=meta.kind,
        languages=" + ".join(LANGUAGE_NAMES[lang] for lang in meta.languages),
        summary=meta.summary, source_note=meta.source_note,
    )


def related_view(archive: Archive, relation: Relation, root: str) -> RelatedView:
    """A link to another article of the archive.  A slug that is not in the archive
    is shown by name without a link, so a stale relation never makes a dead link."""
    meta = archive.shell(relation.slug).meta if archive.has(relation.slug) else None
    return RelatedView(
        kind=RELATION_TITLES[relation.kind],
        href=f"{root}articles/{relation.slug}/index.html" if meta else "",
        title=(meta.title_zh if meta else relation.slug),
        title_lang=(chinese_variety(meta) if meta else "en"),
        note=relation.note,
    )


def credit_view(archive: Archive, article: Article, root: str) -> CreditView:
    meta = article.meta
    return CreditView(
        outlet_zh=meta.outlet_zh, outlet_en=meta.outlet_en, byline=meta.byline, url=meta.url,
        english_original=meta.english_original,
        english_from=[related_view(archive, r, root) for r in meta.relations if r.kind == "english_text_from"],
    )


def clean_result(article: Article) -> CleanResult:
    # An article rendered before the clean stage (a preview of metadata only) has
    # nothing to log; showing an empty log is truer than failing.
    return article.clean or CleanResult(lines=(), changes=(), cuts=(), flags=())


# ---------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------
def index_order(articles: Iterable[Article]) -> list[Article]:
    """Newest first; ISO dates (even partial ones, ``2026-02``) sort as strings, and
    the slug breaks ties so the order never depends on the order of folders on disk."""
    by_slug = sorted(articles, key=lambda a: a.slug)
    return sorted(by_slug, key=lambda a: a.meta.date, reverse=True)


def index_page(archive: Archive, site: SiteView) -> IndexPage:
    summaries = [article_summary(a.meta) for a in index_order(archive.articles.shells())]
    years: list[YearGroup] = []
    for summary in summaries:
        if not years or years[-1]["year"] != summary["year"]:
            years.append(YearGroup(year=summary["year"], articles=[]))
        years[-1]["articles"].append(summary)
    outlets = {s["outlet"]: s["head"]["outlet_en"] or s["head"]["outlet_zh"] for s in summaries}
    return IndexPage(
        root="", page_title=archive.site.title, site=site, edition=archive.edition,
        years=years, total=len(summaries),
        filters=[
            index_filter("outlet", "Outlet", [s["outlet"] for s in summaries], outlets),
            index_filter("year", "Year", [s["year"] for s in summaries], {}),
            index_filter("language", "Languages", [s["language"] for s in summaries], LANGUAGE_FILTERS),
            index_filter("kind", "Kind", [s["head"]["kind"] for s in summaries], {}),
        ],
    )


# The language filter asks what a reader can read the text in, not which script.
LANGUAGE_FILTERS = {"zh+en": "Chinese with English", "zh": "Chinese only", "en": "English only"}


def article_summary(meta: ArticleMeta) -> ArticleSummary:
    families = sorted({"en" if lang == "en" else "zh" for lang in meta.languages}, key=["zh", "en"].index)
    return ArticleSummary(href=f"articles/{meta.slug}/index.html", head=article_head(meta),
                          outlet=re.sub(r"[^a-z0-9]+", "-", (meta.outlet_en or meta.outlet_zh).lower()).strip("-")
                          or meta.outlet_zh,
                          year=meta.date[:4], language="+".join(families))


def index_filter(name: str, label: str, values: list[str], labels: dict[str, str]) -> IndexFilter:
    counts = Counter(values)
    # Years newest first, as the timeline; other filters by how many articles they hold.
    order = sorted(counts, reverse=True) if name == "year" else sorted(counts, key=lambda v: (-counts[v], labels.get(v, v)))
    return IndexFilter(name=name, label=label,
                       options=[FilterOption(value=v, label=labels.get(v, v), count=counts[v]) for v in order])


# ---------------------------------------------------------------------------
# Article page
# ---------------------------------------------------------------------------
ARTICLE_ROOT = "../../"


def article_page(archive: Archive, article: Article, site: SiteView, lookups: Lookups) -> ArticlePage:
    clean = clean_result(article)
    speakers = {s.id: s for s in article.meta.speakers}
    flags = flags_by_origin(article, lookups)
    authors = byline_authors(article.meta.byline, lookups.english_names)
    editorial = editorial_for(archive, article, lookups)
    return ArticlePage(
        root=ARTICLE_ROOT, page_title=f"{article.meta.title_zh} · {archive.site.title}", site=site,
        edition=archive.edition,
        head=article_head(article.meta),
        citation_meta=citation_meta(archive.site, article.meta, authors),
        cite=cite_data(archive, article, authors),
        aliases=alias_views(article.aliases),
        compare_href=editorial.compare,
        credit=credit_view(archive, article, ARTICLE_ROOT),
        related=[related_view(archive, r, ARTICLE_ROOT) for r in article.meta.relations],
        # One column when no row carries English, so a Chinese-only text is not set
        # beside an empty column.
        two_columns=any(row.en for row in article.rows),
        has_notes=bool(article.notes),
        rows=[row_view(row, speakers, flags, article.slug, editorial) for row in article.rows],
        toc=toc_entries(article, speakers, editorial.script_maps),
        script_maps=editorial.script_maps,
        change_count=len(clean.changes), cut_count=len(clean.cuts),
        flag_count=sum(1 for f in clean.flags if not f.resolved),
        corrected_count=sum(1 for f in clean.flags if f.resolved),
    )


# A contents list helps from this many entries on; shorter texts are read at a glance.
TOC_MIN_ENTRIES = 5
# Characters of a question shown in the contents (Chinese is about twice as dense).
TOC_LABEL_CHARS = {"zh": 28, "en": 60}


def toc_entries(article: Article, speakers: dict[str, Speaker], maps: ScriptMaps) -> list[TocEntry]:
    """The text's section headings and the interviewer's questions, in reading order,
    each leading to its row: the way into a long interview."""
    entries: list[TocEntry] = []
    for row in article.rows:
        paragraphs = row.zh or row.en
        if not paragraphs:
            continue
        first = paragraphs[0]
        speaker = speakers.get(row.speaker or "")
        if first.kind == "heading":
            kind = "heading"
        elif speaker is not None and speaker.role == "interviewer" and first.kind == "p":
            kind = "question"
        else:
            continue
        text = " ".join(first.text.split())
        limit = TOC_LABEL_CHARS["en" if first.lang == "en" else "zh"]
        if kind == "question" and len(text) > limit:
            text = text[:limit].rstrip() + "…"
        convertible = first.lang != "en"
        entries.append(TocEntry(anchor=row.anchor, kind=kind, lang=first.lang, convertible=convertible,
                                label=sc_text(text, maps) if convertible else ScText(text=text, fixes={})))
    return entries if len(entries) >= TOC_MIN_ENTRIES else []


def sc_text(text: str, maps: ScriptMaps) -> ScText:
    return ScText(text=text, fixes=script_fixes([Segment(text=text, flag="", entity="", entity_name="")], maps))


def compare_page(archive: Archive, source: str, slugs: tuple[str, ...], site: SiteView) -> ComparePage:
    """The English original with every Chinese translation beside it, band by band
    (see ``site_src.parallel.three_way``)."""
    carrier = archive.get(source)
    translations = [carrier if s == source else archive.get(s) for s in slugs]
    columns = [CompareColumn(slug=a.slug, title=a.meta.title_zh, title_lang=chinese_variety(a.meta),
                             outlet=a.meta.outlet_en or a.meta.outlet_zh, href=f"../{a.slug}/index.html")
               for a in translations]
    bands = [CompareBand(en=[p.text for p in band.en],
                         cells=[[CompareCell(anchor=row.anchor, href=f"../{a.slug}/index.html#{row.anchor}-zh",
                                             lang=chinese_variety(a.meta), paragraphs=[p.text for p in row.zh])
                                 for row in band.rows.get(a.slug, ()) if row.zh]
                                for a in translations])
             for band in three_way(carrier.en, translations)]
    return ComparePage(root=ARTICLE_ROOT, page_title=f"Translations compared · {carrier.meta.title_zh}", site=site,
                       edition=archive.edition, head=article_head(carrier.meta),
                       credit=credit_view(archive, carrier, ARTICLE_ROOT), columns=columns, bands=bands)


def flags_by_origin(article: Article, lookups: Lookups) -> dict[str, tuple[Flag, ...]]:
    """Flags of this article and of every article it borrows paragraphs from, keyed
    by slug: a borrowed English paragraph carries the damage of its own capture."""
    slugs = {article.slug} | {p.origin for row in article.rows for p in row.zh + row.en if p.origin}
    return {slug: lookups.flags[slug] for slug in slugs if slug in lookups.flags}


@dataclass(frozen=True)
class Editorial:
    """The editorial layer of one article, looked up by row while its rows are rendered."""

    entities: dict[str, Entity]  # the glossary by id
    mentions: dict[tuple[str, str, int], tuple[Mention, ...]]  # (anchor, side, paragraph index)
    notes: dict[str, tuple[Note, ...]]  # by row anchor, in number order
    also: dict[str, list[CrossLinkView]]  # by row anchor
    related: dict[str, list[RelatedGroup]]  # by row anchor
    parallel: dict[str, list[PassageLink]]  # by row anchor: the same passage in other translations
    compare: str  # the three-way page of the article's English, "" when none
    script_maps: ScriptMaps  # not editorial, but per article like the rest: see script_maps()


def editorial_for(archive: Archive, article: Article, lookups: Lookups) -> Editorial:
    mentions: dict[tuple[str, str, int], list[Mention]] = defaultdict(list)
    for m in article.mentions:
        mentions[(m.anchor, m.side, m.paragraph)].append(m)
    notes: dict[str, list[Note]] = defaultdict(list)
    for note in sorted(article.notes, key=lambda n: n.number):
        notes[note.anchor].append(note)
    also: dict[str, list[CrossLinkView]] = defaultdict(list)
    for link in archive.links:
        for passage in link.passages:
            if passage.slug == article.slug:
                also[passage.anchor].append(cross_link_view(archive, link, passage, article.slug))
    entities = {e.id: e for e in archive.glossary}
    by_row: dict[str, list[Related]] = defaultdict(list)
    for r in article.related:
        by_row[r.anchor].append(r)
    related = {anchor: related_groups(archive, rs, entities, article.slug) for anchor, rs in by_row.items()}
    # The other translation is named by its outlet: the rows already say which passage.
    parallel = {anchor: [PassageLink(passage_link(archive, p, article.slug), title=archive.shell(p.slug).meta.outlet_zh)
                         for p in passages]
                for anchor, passages in lookups.parallel.get(article.slug, {}).items()}
    return Editorial(entities=entities, mentions={k: tuple(v) for k, v in mentions.items()},
                     notes={k: tuple(v) for k, v in notes.items()}, also=dict(also), related=dict(related),
                     parallel=parallel, compare=lookups.compare.get(article.slug, ""),
                     script_maps=script_maps(p.text for p in article.paragraphs if p.lang != "en"))


def passage_id(passage: Passage) -> str:
    """The element id a passage names: the row (p12) or one side of it (p12-zh)."""
    return f"{passage.anchor}-{passage.side}" if passage.side else passage.anchor


def passage_link(archive: Archive, passage: Passage, from_slug: str) -> PassageLink:
    meta = archive.shell(passage.slug).meta
    target = passage_id(passage)
    # A passage of the same page is linked by fragment alone: no reload.  Links go
    # from one article's folder to another's, so ../ reaches them (article pages carry
    # hundreds of these links).
    page = "" if passage.slug == from_slug else f"../{passage.slug}/index.html"
    return PassageLink(href=f"{page}#{target}", title=meta.title_zh, title_lang=chinese_variety(meta), anchor=target)


def cross_link_view(archive: Archive, link: CrossLink, here: Passage, from_slug: str) -> CrossLinkView:
    groups: dict[str, PassageGroup] = {}
    for passage in link.passages:
        if passage != here:
            view = passage_link(archive, passage, from_slug)
            groups.setdefault(passage.slug, PassageGroup(title=view["title"], title_lang=view["title_lang"],
                                                         passages=[]))["passages"].append(view)
    return CrossLinkView(claim=link.claim, groups=list(groups.values()))


def related_groups(archive: Archive, related: list[Related], entities: dict[str, Entity],
                   from_slug: str) -> list[RelatedGroup]:
    """Grouped by article, articles in the order of their best passage (``related`` is
    in score order)."""
    groups: dict[str, RelatedGroup] = {}
    for r in related:
        link = passage_link(archive, r.target, from_slug)
        group = groups.setdefault(r.target.slug, RelatedGroup(title=link["title"], title_lang=link["title_lang"],
                                                               passages=[]))
        # ``shared`` mixes entity ids and figures; an id is shown by the entity's name.
        group["passages"].append(RelatedPassageView(
            href=link["href"], anchor=link["anchor"],
            shared=[entities[x].name_en if x in entities else x for x in r.shared]))
    return list(groups.values())


def note_view(note: Note) -> NoteView:
    return NoteView(number=note.number, id=f"n{note.number}", kind=note.kind, label=NOTE_LABELS[note.kind],
                    html=note.html, target=f"{note.anchor}-{note.side}" if note.side else note.anchor)


def row_view(row: AlignedRow, speakers: dict[str, Speaker], flags: dict[str, tuple[Flag, ...]],
             slug: str, editorial: Editorial) -> RowView:
    paragraphs = row.zh + row.en
    heading = bool(paragraphs) and all(p.kind == "heading" for p in paragraphs)
    speaker = speakers.get(row.speaker or "")
    notes = editorial.notes.get(row.anchor, ())
    # A side note's marker goes in that side; a row note's in the row's first side
    # (the Chinese when there is one), so each note has exactly one marker.
    first = "zh" if row.zh else "en"
    markers = {side: [NoteRef(number=n.number, id=f"n{n.number}", label=NOTE_LABELS[n.kind])
                      for n in notes if (n.side or first) == side] for side in ("zh", "en")}
    return RowView(
        anchor=row.anchor, pattern=row.pattern, speaker=speaker.id if speaker else "",
        zh=side_view(row.anchor, "zh", row.zh, speakers, flags, slug, editorial, markers["zh"]),
        en=side_view(row.anchor, "en", row.en, speakers, flags, slug, editorial, markers["en"]),
        heading=heading,
        full_width=heading and not (row.zh and row.en),
        turn_role=speaker.role if speaker else "",
        uncertain=(f"Uncertain alignment (confidence {row.confidence:.2f}): {row.reason}"
                   if row.confidence < LOW_CONFIDENCE else ""),
        notes=[note_view(n) for n in notes],
        also=editorial.also.get(row.anchor, []),
        related_passages=editorial.related.get(row.anchor, []),
        related_count=sum(len(g["passages"]) for g in editorial.related.get(row.anchor, [])),
        parallel=editorial.parallel.get(row.anchor, []),
        compare=f"{editorial.compare}#{slug}-{row.anchor}" if editorial.compare and row.zh else "",
    )


def side_view(anchor: str, side: str, paragraphs: tuple[Paragraph, ...], speakers: dict[str, Speaker],
              flags: dict[str, tuple[Flag, ...]], slug: str, editorial: Editorial,
              markers: list[NoteRef]) -> SideView | None:
    if not paragraphs:
        return None
    base = f"{anchor}-{side}"
    last = len(paragraphs)
    return SideView(
        id=base, lang=paragraphs[0].lang,
        # The side's id addresses its first paragraph; the 2nd, 3rd… get -2, -3.
        # Note markers follow the side's last words.
        paragraphs=[paragraph_view(p, f"{base}-{n}" if n > 1 else "", speakers.get(p.speaker or ""),
                                   flags.get(p.origin or slug, ()),
                                   entity_links(p, editorial.mentions.get((anchor, side, n - 1), ()),
                                                editorial.entities),
                                   markers if n == last else [], editorial.script_maps)
                    for n, p in enumerate(paragraphs, 1)],
    )


def paragraph_view(p: Paragraph, element_id: str, speaker: Speaker | None, flags: tuple[Flag, ...],
                   links: list[LinkSpan], notes: list[NoteRef], maps: ScriptMaps) -> ParagraphView:
    return ParagraphView(
        id=element_id, lang=p.lang, kind=p.kind, label=p.label or "",
        speaker_role=speaker.role if speaker else "",
        speaker_name=speaker_name(speaker) if speaker else "",
        segments=(segments := mark_text(p.text, flags, links)),
        convertible=p.lang != "en",
        fixes=script_fixes(segments, maps) if p.lang != "en" else {},
        notes=notes,
    )


# OpenCC configurations for the reader's choice of script: character conversions only
# (s2t, t2s), not the regional vocabulary variants (s2twp would turn 軟件 into 軟體),
# because the reader asked for another script, not for another wording.
SCRIPT_CONFIGS = {"hant": ("s2t", "zh-Hant"), "hans": ("t2s", "zh-Hans")}


# script_maps converts each paragraph and script_fixes each of its segments, which for
# most paragraphs (no link, no damage) is the same text: converted once, not twice.
@functools.lru_cache(maxsize=4096)
def converted(config: str, text: str) -> str:
    return converter(config).convert(text)


def script_maps(texts: Iterable[str]) -> ScriptMaps:
    """For each script, the character OpenCC most often gives for each character of
    ``texts`` that it changes.  OpenCC converts by phrase, so a character can go two
    ways; ``script_fixes`` records where the table is wrong."""
    texts = list(texts)
    maps = {}
    for script, (config, _) in SCRIPT_CONFIGS.items():
        # Pairs counted by Counter's C loop: a vote per character was a tenth of a
        # warm build.
        votes: Counter[tuple[str, str]] = Counter()
        for text in texts:
            into = converted(config, text)
            if len(into) == len(text):  # else script_fixes replaces the whole text
                votes.update(zip(text, into))
        best: dict[str, tuple[str, int]] = {}
        # Ties go to the first pair seen: Counter keeps insertion order, and only a
        # larger count displaces the best so far.
        for (a, b), n in votes.items():
            if a not in best or n > best[a][1]:
                best[a] = (b, n)
        maps[script] = {a: b for a, (b, _) in sorted(best.items()) if b != a}
    return ScriptMaps(hant=maps["hant"], hans=maps["hans"])


def script_fixes(segments: list[Segment], maps: ScriptMaps) -> dict[str, list[Fix]]:
    """Per script, the corrections that make the page's table give exactly OpenCC's
    conversion of each segment (one non-empty segment is one text node in the page)."""
    fixes: dict[str, list[Fix]] = {}
    for script, (config, _) in SCRIPT_CONFIGS.items():
        table: dict[str, str] = maps[script]  # type: ignore[literal-required]
        out: list[Fix] = []
        for node, text in enumerate(text_nodes(segments)):
            wanted = converted(config, text)
            if len(wanted) != len(text):
                out.append((node, 0, len(text), wanted))
                continue
            if "".join(map(table.get, text, text)) == wanted:
                continue  # the table gives it all: most text nodes, checked in C
            run: list[int] = []  # offsets of adjacent wrong characters, fixed as one
            for at, (a, b) in enumerate(zip(text, wanted)):
                if table.get(a, a) != b:
                    if run and run[-1] != at - 1:
                        out.append((node, run[0], len(run), wanted[run[0]:run[-1] + 1]))
                        run = []
                    run.append(at)
            if run:
                out.append((node, run[0], len(run), wanted[run[0]:run[-1] + 1]))
        if out:
            fixes[script] = out
    return fixes


def text_nodes(segments: list[Segment]) -> list[str]:
    # An empty segment makes no text node in the browser's DOM.
    return [s["text"] for s in segments if s["text"]]


def convert_segments(segments: list[Segment], table: dict[str, str], fixes: list[Fix]) -> list[str]:
    """What site.js shows for ``segments`` in a script: the table, then the fixes.
    The same steps as ``convert`` in site.js; the tests hold both to OpenCC."""
    texts = ["".join(table.get(ch, ch) for ch in text) for text in text_nodes(segments)]
    for node, at, length, replacement in fixes:
        texts[node] = texts[node][:at] + replacement + texts[node][at + length:]
    return texts


def speaker_name(speaker: Speaker) -> str:
    names = " · ".join(n for n in (speaker.name_en, speaker.name_zh) if n)
    return f"{names} ({speaker.role})"


@dataclass(frozen=True)
class LinkSpan:
    """Characters ``start:end`` of a paragraph to be linked to ``href``."""

    start: int
    end: int
    href: str
    title: str


def entity_href(root: str, entity_id: str) -> str:
    return f"{root}entities/{entity_id}/index.html"


def entity_names(entity: Entity, shown: str = "") -> str:
    """The entity's names, less the one the link already shows (in either script):
    the tooltip says what the reader does not see, in a few bytes per mention."""
    names = dict.fromkeys(n for n in (entity.name_en, entity.name_hant, entity.name_hans) if n)
    return " · ".join(n for n in names if _name_key(n) != _name_key(shown))


# The same few hundred names and aliases, asked for each of an article's mentions
# (a hundred and more): folded once each, not four times a mention.
@functools.lru_cache(maxsize=4096)
def _name_key(name: str) -> str:
    return fold(name).casefold()


def entity_links(p: Paragraph, mentions: Iterable[Mention], entities: dict[str, Entity]) -> list[LinkSpan]:
    # Headings stay plain (annotate finds no mentions there; this holds for any
    # caller), and a mention of an entity the glossary no longer has links nowhere.
    if p.kind == "heading":
        return []
    return [LinkSpan(m.start, m.end, entity_href(ARTICLE_ROOT, m.entity),
                     entity_names(entities[m.entity], p.text[m.start:m.end]))
            for m in mentions if m.entity in entities]


def flag_spots(text: str, flags: Iterable[Flag]) -> list[tuple[int, int, str]]:
    """Every occurrence of every flag's text, as (start, end, message), without overlaps.

    Where two flagged spots overlap, the one starting first wins (the longer on a
    tie) and the other is dropped there: marks cannot nest, and the first is what a
    reader meets."""
    spots: list[tuple[int, int, str]] = []
    for flag in flags:
        if not flag.text:
            continue  # an empty flag text would "occur" everywhere
        start = text.find(flag.text)
        while start != -1:
            spots.append((start, start + len(flag.text), flag.message))
            start = text.find(flag.text, start + 1)
    spots.sort(key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int, str]] = []
    for spot in spots:
        if not kept or spot[0] >= kept[-1][1]:
            kept.append(spot)
    return kept


def mark_text(text: str, flags: Iterable[Flag], links: Iterable[LinkSpan] = ()) -> list[Segment]:
    """Split ``text`` into plain, damaged and linked pieces.

    Damaged spots are marked first (``flag_spots``); a link that overlaps one is
    dropped, since a link cannot sit inside a mark nor a mark inside a link, and the
    damage is what the reader must not miss.  Links that overlap each other keep the
    first (by start, then the longer)."""
    pieces = [(start, end, Segment(text=text[start:end], flag=message, entity="", entity_name=""))
              for start, end, message in flag_spots(text, flags)]
    for link in sorted(links, key=lambda s: (s.start, -s.end)):
        if not 0 <= link.start < link.end <= len(text):
            continue  # offsets from another version of the text: leave it unlinked
        if any(link.start < end and start < link.end for start, end, _ in pieces):
            continue
        pieces.append((link.start, link.end, Segment(text=text[link.start:link.end], flag="",
                                                     entity=link.href, entity_name=link.title)))
    pieces.sort(key=lambda piece: piece[0])
    segments: list[Segment] = []
    pos = 0
    for start, end, segment in pieces:
        if start > pos:
            segments.append(Segment(text=text[pos:start], flag="", entity="", entity_name=""))
        segments.append(segment)
        pos = end
    if pos < len(text) or not segments:
        segments.append(Segment(text=text[pos:], flag="", entity="", entity_name=""))
    return segments


# ---------------------------------------------------------------------------
# Citing: head metadata, the page's citation data, anchor aliases
# ---------------------------------------------------------------------------
# Bylines name editors beside the reporter ("伍洋宇(記者)、劉方遠(編輯)"); an editor is
# not an author of the piece.  Roles are compared folded to Simplified.
EDITOR_ROLES = frozenset({"编辑", "责编", "责任编辑"})
BYLINE_SEPARATORS = re.compile(r"\s*[、,，;；/]\s*")
BYLINE_ROLE = re.compile(r"^(?P<name>.+?)\s*[(（](?P<role>[^)）]*)[)）]$")


def permanent_url(site: SiteConfig, slug: str) -> str:
    """The article's address as a citation gives it; an anchor is appended to it."""
    return f"{base_url(site)}articles/{slug}/"


def speaker_names(archive: Archive) -> dict[str, str]:
    """Interviewees' Chinese names (folded to one script) → their English names.
    Articles are read in slug order, so the choice never depends on the order of
    folders on disk."""
    english: dict[str, str] = {}
    for article in sorted(archive.articles.shells(), key=lambda a: a.slug):
        for speaker in article.meta.speakers:
            if speaker.role == "interviewee" and speaker.name_zh and speaker.name_en:
                english.setdefault(fold(speaker.name_zh), speaker.name_en)
    return english


def byline_authors(byline: str, english: dict[str, str]) -> list[str]:
    """The people a byline credits as authors, editors left out.

    A name that is an interviewee's Chinese name (in either script: the op-ed's byline
    is 李开复, the interviews spell him 李開復) is given as that speaker's English name
    (``speaker_names``), the form under which his work is catalogued."""
    authors: list[str] = []
    for part in BYLINE_SEPARATORS.split(byline.strip()):
        match = BYLINE_ROLE.match(part)
        name, role = (match["name"], match["role"]) if match else (part, "")
        if not name or fold(role.strip()) in EDITOR_ROLES:
            continue
        authors.append(english.get(fold(name), name))
    return authors


def date_parts(date: str) -> list[int]:
    """``2025-03-20`` → [2025, 3, 20]; a partial date gives fewer parts."""
    return [int(part) for part in date.split("-") if part.isdigit()]


def citation_meta(site: SiteConfig, meta: ArticleMeta, authors: list[str]) -> list[MetaTag]:
    """The Highwire ``citation_*`` tags Google Scholar asks for, then Dublin Core."""
    url = permanent_url(site, meta.slug)
    tags = [MetaTag(name="citation_title", content=meta.title_zh)]
    tags += [MetaTag(name="citation_author", content=name) for name in authors]
    tags += [
        # Scholar's format is YYYY/MM/DD, and it accepts the year or year/month alone.
        MetaTag(name="citation_publication_date", content=meta.date.replace("-", "/")),
        MetaTag(name="citation_publisher", content=meta.outlet_zh),
    ]
    tags += [MetaTag(name="citation_language", content=lang) for lang in meta.languages]
    tags += [
        MetaTag(name="citation_public_url", content=url),
        MetaTag(name="citation_abstract_html_url", content=url),
        MetaTag(name="DC.title", content=meta.title_zh),
        MetaTag(name="DC.date", content=meta.date),
        MetaTag(name="DC.publisher", content=meta.outlet_zh),
    ]
    return tags


def cite_data(archive: Archive, article: Article, authors: list[str]) -> CiteData:
    meta = article.meta
    return CiteData(
        url=permanent_url(archive.site, meta.slug), slug=meta.slug,
        archive=archive.site.title, edition=archive.edition,
        title_zh=meta.title_zh, title_en=meta.title_en, outlet_zh=meta.outlet_zh, outlet_en=meta.outlet_en,
        date=meta.date, date_parts=date_parts(meta.date), kind=meta.kind, authors=authors,
        speakers={s.id: SpeakerCite(name=s.name_en or s.name_zh, name_zh=s.name_zh) for s in meta.speakers},
    )


def alias_views(aliases: Iterable[Alias]) -> dict[str, AliasView]:
    # Anchor order (p2 before p10: shorter first, then as text) so the JSON block is
    # the same bytes whatever order the registry listed them in.
    ordered = sorted(aliases, key=lambda a: (len(a.anchor), a.anchor))
    return {a.anchor: AliasView(target=a.target, kind=a.kind) for a in ordered}


# ---------------------------------------------------------------------------
# Cleaning log and raw capture
# ---------------------------------------------------------------------------
def cleaning_page(archive: Archive, article: Article, site: SiteView) -> CleaningPage:
    clean = clean_result(article)
    return CleaningPage(
        root=ARTICLE_ROOT, page_title=f"Cleaning log · {article.meta.title_zh}", site=site, edition=archive.edition,
        head=article_head(article.meta), credit=credit_view(archive, article, ARTICLE_ROOT),
        change_count=len(clean.changes),
        groups=change_groups(clean),
        cuts=[CutView(rule=c.rule, first=c.first, last=c.last, href=f"source.html#L{c.first}",
                      preview=c.preview) for c in clean.cuts],
        flags=[FlagView(rule=f.rule, line=f.line, href=f"source.html#L{f.line}", text=f.text,
                        message=f.message, resolved=f.resolved) for f in clean.flags],
        corrections=[CorrectionView(find=c.find, replace=c.replace, why=c.why, line=c.line)
                     for c in article.corrections],
    )


COLLAPSE_OVER = 30  # changes; beyond this a group is routine residue, folded by default


def change_groups(clean: CleanResult) -> list[ChangeGroup]:
    """Changes grouped by rule, in the order of ``clean.RULES``: repairs that restore
    text come before the hundreds of routine pinyin removals, so a reader checking a
    quotation sees what matters first."""
    order = {rule: i for i, rule in enumerate(RULES)}
    groups: dict[str, list[ChangeView]] = {}
    for c in clean.changes:
        groups.setdefault(c.rule, []).append(ChangeView(
            rule=c.rule, line=c.line, href=f"source.html#L{c.line}", before=c.before, after=c.after, note=c.note))
    return [ChangeGroup(rule=rule, about=RULES.get(rule, ""), changes=views, open=len(views) <= COLLAPSE_OVER)
            for rule, views in sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order)))]


def source_lines(text: str) -> list[SourceLine]:
    """Lines numbered as the cleaner numbers them (``text.split("\\n")``), so the line
    numbers in the cleaning log land on the right line; a final newline ends the last
    line rather than starting an empty one."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [SourceLine(number=n, text=line) for n, line in enumerate(lines, 1)]


def source_page(archive: Archive, article: Article, site: SiteView, text: str) -> SourcePage:
    """``text``: the capture (``capture.capture``)."""
    return SourcePage(
        root=ARTICLE_ROOT, page_title=f"Raw capture · {article.meta.title_zh}", site=site, edition=archive.edition,
        head=article_head(article.meta), credit=credit_view(archive, article, ARTICLE_ROOT),
        lines=source_lines(text),
    )


def search_page(archive: Archive, site: SiteView) -> SearchPage:
    return SearchPage(root="", page_title=f"Search · {archive.site.title}", site=site, edition=archive.edition,
                      article_count=len(archive.articles), row_count=sum(p.row_count for p in archive.articles.packed))


def not_found_page(archive: Archive, site: SiteView) -> NotFoundPage:
    # Served at any depth, so its links go through the absolute base URL, and its
    # stylesheet is inline: the policy allows that one by hash.
    style = (TEMPLATES / "static" / "style.css").read_text(encoding="utf-8")
    return NotFoundPage(root=base_url(archive.site), page_title=f"Page not found · {archive.site.title}",
                        site=site, edition=archive.edition, inline_style=Markup(style),
                        csp=content_security_policy([source_hash(str(site["head_script"]))], [source_hash(style)]))


# ---------------------------------------------------------------------------
# Entities: one page per glossary entry, and an index by kind
# ---------------------------------------------------------------------------
ENTITY_ROOT = "../../"


def shown_mentions(article: Article | Packed, wanted: Collection[str] | None = None) -> list[tuple[Mention, Paragraph]]:
    """The article's mentions (of the ``wanted`` entities, or all) with their
    paragraphs, in row order: those an entity page quotes and counts.  A mention in a
    heading (annotate finds none) or at a paragraph the row does not have is left
    out, as the article page leaves it unlinked.  A packed article is read without
    its other parts (the pass over every article for the entity pages), and its rows
    not at all when it names none of the entities (serve remakes a few entities'
    pages after an edit)."""
    packed = isinstance(article, Packed)
    named: tuple[Mention, ...] = (article.part("mentions") or ()) if packed else article.mentions  # type: ignore
    mentions = [m for m in named if wanted is None or m.entity in wanted]
    if not mentions:
        return []
    rows = {r.anchor: r for r in (article.part("text")[1] if packed else article.rows)}  # type: ignore
    shown = []
    for m in mentions:
        paragraphs = getattr(rows[m.anchor], m.side) if m.anchor in rows else ()
        if m.paragraph < len(paragraphs) and paragraphs[m.paragraph].kind != "heading":
            shown.append((m, paragraphs[m.paragraph]))
    return shown


def mention_counts(archive: Archive) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for article in archive.articles.packed:
        for m, _ in shown_mentions(article):
            counts[m.entity] += 1
    return counts


def entities_index_page(archive: Archive, site: SiteView, counts: Mapping[str, int] | None = None) -> EntitiesIndexPage:
    """Kinds in ``KIND_TITLES`` order; within a kind, entities by English name
    (case-folded, then id), so the index does not follow the glossary's file order.
    ``counts``: ``mention_counts(archive)`` if known."""
    counts = defaultdict(int, mention_counts(archive) if counts is None else counts)
    kinds = []
    for kind, title in KIND_TITLES.items():
        members = sorted((e for e in archive.glossary if e.kind == kind), key=lambda e: (e.name_en.casefold(), e.id))
        if members:
            kinds.append(KindGroup(kind=kind, title=title, entities=[EntityEntry(
                href=f"{e.id}/index.html", id=e.id, name_en=e.name_en, name_zh=chinese_name(e),
                name_zh_lang="zh-Hant" if e.name_hant else "zh-Hans", count=counts[e.id]) for e in members]))
    return EntitiesIndexPage(root="../", page_title=f"Entities · {archive.site.title}", site=site,
                             edition=archive.edition, count=len(archive.glossary), kinds=kinds)


def chinese_name(entity: Entity) -> str:
    """The Chinese name to show beside the English one: none when it is the same
    word (OpenAI is OpenAI in Chinese texts too)."""
    name = entity.name_hant or entity.name_hans
    return "" if name == entity.name_en else name


def quote_groups(archive: Archive, wanted: Collection[str], quoted: int = QUOTED_ARTICLES,
                 among: Collection[str] | None = None) -> dict[str, EntityQuotes]:
    """Entity id → what its page shows, by article in the front page's order, for the
    ``wanted`` entities: the passages of the newest ``quoted`` articles naming it,
    then the older articles by title.  One pass over the archive for all of them (a
    pass for each page was 80 passes over every article's mentions); an older
    article's passages are counted, not quoted.  ``among``: the articles known to
    name a wanted entity, if known (the others are not read)."""
    groups: dict[str, list[QuoteGroup]] = defaultdict(list)
    earlier: dict[str, list[EarlierArticle]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for article in index_order(archive.articles.shells()):
        if among is not None and article.slug not in among:
            continue
        meta = article.meta
        href = f"{ENTITY_ROOT}articles/{article.slug}/index.html"
        shown = shown_mentions(archive.articles.find(article.slug), wanted)  # type: ignore[arg-type]
        named = Counter(m.entity for m, _ in shown)
        found: dict[str, list[QuoteView]] = defaultdict(list)
        for m, p in shown:
            if len(groups[m.entity]) < quoted:
                found[m.entity].append(quote_view(m, p, article.slug))
        for entity, n in named.items():
            counts[entity] += n
            if entity in found:
                groups[entity].append(QuoteGroup(href=href, title=meta.title_zh, title_lang=chinese_variety(meta),
                                                 date=meta.date, quotes=found[entity]))
            else:
                earlier[entity].append(EarlierArticle(href=href, title=meta.title_zh,
                                                      title_lang=chinese_variety(meta), date=meta.date, count=n))
    return {e: EntityQuotes(groups[e], earlier[e], counts[e]) for e in counts}


def article_quotes(article: Article, wanted: Collection[str] | None = None) -> dict[str, list[QuoteView]]:
    """Entity id → the article's quotes on its page (of the ``wanted`` entities, or all)."""
    quotes: dict[str, list[QuoteView]] = defaultdict(list)
    for m, p in shown_mentions(article):
        if wanted is None or m.entity in wanted:
            quotes[m.entity].append(quote_view(m, p, article.slug))
    return quotes


def entity_page(archive: Archive, entity: Entity, site: SiteView, quotes: EntityQuotes | None) -> EntityPage:
    """``quotes``: the entity's ``quote_groups`` (None: no article names it)."""
    quotes = quotes or EntityQuotes([], [], 0)
    return EntityPage(
        root=ENTITY_ROOT, page_title=f"{entity.name_en} · {archive.site.title}", site=site, edition=archive.edition,
        id=entity.id, kind=entity.kind, kind_title=KIND_TITLES[entity.kind], name_en=entity.name_en,
        name_hant=entity.name_hant, name_hans=entity.name_hans, description=entity.description,
        links=[ExternalLink(title=title, url=url) for title, url in entity.links],
        count=quotes.count, articles=len(quotes.groups) + len(quotes.earlier), groups=quotes.groups,
        earlier=quotes.earlier,
    )


def quote_view(mention: Mention, paragraph: Paragraph, slug: str) -> QuoteView:
    side = f"{mention.anchor}-{mention.side}"
    # The same ids the article page gives: the side's id is its first paragraph's.
    anchor = side if mention.paragraph == 0 else f"{side}-{mention.paragraph + 1}"
    before, match, after = excerpt(paragraph.text, mention.start, mention.end)
    return QuoteView(href=f"{ENTITY_ROOT}articles/{slug}/index.html#{anchor}", anchor=anchor, lang=paragraph.lang,
                     before=before, match=match, after=after)


def excerpt(text: str, start: int, end: int, context: int = QUOTE_CONTEXT) -> tuple[str, str, str]:
    """``text`` around ``start:end`` as (before, match, after), each outer part cut to
    ``context`` characters with "…" where something was left out.  Where the cut
    falls inside a word of spaced text (English), it moves to the nearest space
    within, unless that would drop more than half of what was kept."""
    before, after = text[:start], text[end:]
    if len(before) > context:
        kept = before[-context:]
        space = kept.find(" ")
        inside_word = before[-context - 1] != " "
        before = "…" + (kept[space + 1:] if inside_word and 0 <= space < context // 2 else kept)
    if len(after) > context:
        kept = after[:context]
        space = kept.rfind(" ")
        inside_word = after[context] != " "
        after = (kept[:space] if inside_word and space > context // 2 else kept) + "…"
    return before, text[start:end], after
