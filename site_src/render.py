"""Stage 6 — render: turn the aligned archive into the site's files, in memory.

``render_site`` returns ``{relative path: bytes}`` and writes nothing; ``write.py``
puts the files in place.  Every page gets its template context from one small
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

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TypedDict

import functools

import jinja2
import opencc

from .align import LOW_CONFIDENCE  # below it a row is shown as uncertain; `report` lists the same rows
from .annotate import fold
from .errors import Problem, RenderError
from .clean import RULES
from .export import article_json
from .parallel import parallel_rows, three_way, translation_groups
from .model import (AlignedRow, Alias, Archive, Article, ArticleMeta, CleanResult, CrossLink, Entity, Flag,
                    Mention, Note, Paragraph, Passage, Related, Relation, SiteConfig, Speaker)
from .segment import chinese_variety  # the same choice of lang as the paragraphs got

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Copied verbatim into assets/ (templates/static/<name> -> assets/<name>).
STATIC_FILES = ("style.css", "site.js", "favicon.svg")

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
    entity_name: str  # the entity's names, the link's tooltip


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


class ScriptVersion(TypedDict):
    script: str  # "hant" or "hans"
    lang: str  # zh-Hant / zh-Hans
    segments: list[Segment]


class ParagraphView(TypedDict):
    id: str  # "" for a side's first paragraph: the side's own id addresses it
    lang: str
    kind: str
    label: str
    speaker_role: str  # interviewer / interviewee / "" when no speaker is declared
    speaker_name: str
    segments: list[Segment]
    # The Chinese text in each script where that differs from the text as published,
    # for the reader's Traditional/Simplified choice (switched by CSS, no reload).
    scripts: list[ScriptVersion]
    notes: list[NoteRef]  # markers after the text: only on a side's last paragraph


class PassageLink(TypedDict):
    href: str
    title: str  # the article's title
    title_lang: str
    anchor: str  # p12 or p12-zh, as the link shows it


class CrossLinkView(TypedDict):
    """A curated "also said in": the other passages of a ``CrossLink``."""

    claim: str
    passages: list[PassageLink]


class RelatedPassageView(TypedDict):
    link: PassageLink
    shared: list[str]  # entity names and figures both passages have


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
    related_passages: list[RelatedPassageView]  # computed; shown on demand
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
    articles: list[ArticleSummary]


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
    pass


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


class EntityPage(PageBase):
    id: str
    kind: str
    kind_title: str
    name_en: str
    name_hant: str
    name_hans: str
    description: str
    links: list[ExternalLink]
    count: int
    groups: list[QuoteGroup]  # by article, in the front page's order


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


# ---------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------
def render_site(archive: Archive) -> dict[str, bytes]:
    """Every file of the site, keyed by its path relative to the output folder."""
    env = environment()
    site = site_view(archive.site, entities=bool(archive.glossary))
    files: dict[str, bytes] = {
        "index.html": render(env, "index.html", index_page(archive, site)),
        "404.html": render(env, "404.html", not_found_page(archive, site)),
        # Without it GitHub Pages runs Jekyll over the site: slow, and it would drop
        # any file whose name starts with "_".
        ".nojekyll": b"",
    }
    for name in STATIC_FILES:
        files[f"assets/{name}"] = (TEMPLATES / "static" / name).read_bytes()
    for article in archive.articles:
        base = f"articles/{article.slug}/"
        files[base + "index.html"] = render(env, "article.html", article_page(archive, article, site))
        files[base + "cleaning.html"] = render(env, "cleaning.html", cleaning_page(archive, article, site))
        files[base + "source.html"] = render(env, "source.html", source_page(archive, article, site))
        # Byte for byte as captured; objects built without the bytes (tests) publish the text.
        files[base + "source.txt"] = article.source.raw or article.source.text.encode("utf-8")
        files[f"data/{article.slug}.json"] = article_json(article)
    for source, translations in translation_groups(archive):
        files[f"articles/{source}/compare.html"] = render(env, "compare.html",
                                                          compare_page(archive, source, translations, site))
    if archive.glossary:
        files["entities/index.html"] = render(env, "entities.html", entities_index_page(archive, site))
        for entity in archive.glossary:
            files[f"entities/{entity.id}/index.html"] = render(env, "entity.html", entity_page(archive, entity, site))
    return files


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
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


def render(env: jinja2.Environment, template: str, context: PageBase) -> bytes:
    try:
        return env.get_template(template).render(context).encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(Problem(TEMPLATES / template if exc.filename is None else exc.filename,
                                  exc.lineno, exc.message or "template syntax error",
                                  "fix the template")) from None
    except jinja2.UndefinedError as exc:
        raise RenderError(Problem(TEMPLATES / template, None, exc.message or "undefined value",
                                  "templates may only use the keys of their page's TypedDict in render.py")) from None


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
    )


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
    titles = {a.slug: a.meta for a in archive.articles}
    meta = titles.get(relation.slug)
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
    return IndexPage(
        root="", page_title=archive.site.title, site=site, edition=archive.edition,
        articles=[ArticleSummary(href=f"articles/{a.slug}/index.html", head=article_head(a.meta))
                  for a in index_order(archive.articles)],
    )


# ---------------------------------------------------------------------------
# Article page
# ---------------------------------------------------------------------------
ARTICLE_ROOT = "../../"


def article_page(archive: Archive, article: Article, site: SiteView) -> ArticlePage:
    clean = clean_result(article)
    speakers = {s.id: s for s in article.meta.speakers}
    flags = flags_by_origin(archive, article)
    authors = byline_authors(article.meta.byline, archive)
    editorial = editorial_for(archive, article)
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
        change_count=len(clean.changes), cut_count=len(clean.cuts),
        flag_count=sum(1 for f in clean.flags if not f.resolved),
        corrected_count=sum(1 for f in clean.flags if f.resolved),
    )


def compare_href(archive: Archive, article: Article) -> str:
    for source, translations in translation_groups(archive):
        if article in translations:
            return f"{ARTICLE_ROOT}articles/{source}/compare.html"
    return ""


def compare_page(archive: Archive, source: str, translations: tuple[Article, ...], site: SiteView) -> ComparePage:
    """The English original with every Chinese translation beside it, band by band
    (see ``site_src.parallel.three_way``)."""
    carrier = archive.get(source)
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


def flags_by_origin(archive: Archive, article: Article) -> dict[str, tuple[Flag, ...]]:
    """Flags of this article and of every article it borrows paragraphs from, keyed
    by slug: a borrowed English paragraph carries the damage of its own capture."""
    slugs = {article.slug} | {p.origin for row in article.rows for p in row.zh + row.en if p.origin}
    # Only damage still in the text is marked; a resolved flag's text is gone anyway.
    return {a.slug: tuple(f for f in clean_result(a).flags if not f.resolved)
            for a in archive.articles if a.slug in slugs}


@dataclass(frozen=True)
class Editorial:
    """The editorial layer of one article, looked up by row while its rows are rendered."""

    entities: dict[str, Entity]  # the glossary by id
    mentions: dict[tuple[str, str, int], tuple[Mention, ...]]  # (anchor, side, paragraph index)
    notes: dict[str, tuple[Note, ...]]  # by row anchor, in number order
    also: dict[str, list[CrossLinkView]]  # by row anchor
    related: dict[str, list[RelatedPassageView]]  # by row anchor
    parallel: dict[str, list[PassageLink]]  # by row anchor: the same passage in other translations
    compare: str  # the three-way page of the article's English, "" when none


def editorial_for(archive: Archive, article: Article) -> Editorial:
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
    related: dict[str, list[RelatedPassageView]] = defaultdict(list)
    for r in article.related:
        related[r.anchor].append(related_passage_view(archive, r, entities, article.slug))
    # The other translation is named by its outlet: the rows already say which passage.
    parallel = {anchor: [PassageLink(passage_link(archive, p, article.slug), title=archive.get(p.slug).meta.outlet_zh)
                         for p in passages]
                for anchor, passages in parallel_rows(archive).get(article.slug, {}).items()}
    return Editorial(entities=entities, mentions={k: tuple(v) for k, v in mentions.items()},
                     notes={k: tuple(v) for k, v in notes.items()}, also=dict(also), related=dict(related),
                     parallel=parallel, compare=compare_href(archive, article))


def passage_id(passage: Passage) -> str:
    """The element id a passage names: the row (p12) or one side of it (p12-zh)."""
    return f"{passage.anchor}-{passage.side}" if passage.side else passage.anchor


def passage_link(archive: Archive, passage: Passage, from_slug: str) -> PassageLink:
    meta = archive.get(passage.slug).meta
    target = passage_id(passage)
    # A passage of the same page is linked by fragment alone: no reload.
    page = "" if passage.slug == from_slug else f"{ARTICLE_ROOT}articles/{passage.slug}/index.html"
    return PassageLink(href=f"{page}#{target}", title=meta.title_zh, title_lang=chinese_variety(meta), anchor=target)


def cross_link_view(archive: Archive, link: CrossLink, here: Passage, from_slug: str) -> CrossLinkView:
    return CrossLinkView(claim=link.claim,
                         passages=[passage_link(archive, p, from_slug) for p in link.passages if p != here])


def related_passage_view(archive: Archive, related: Related, entities: dict[str, Entity],
                         from_slug: str) -> RelatedPassageView:
    # ``shared`` mixes entity ids and figures; an id is shown by the entity's name.
    return RelatedPassageView(link=passage_link(archive, related.target, from_slug),
                              shared=[entities[x].name_en if x in entities else x for x in related.shared])


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
                                   markers if n == last else [])
                    for n, p in enumerate(paragraphs, 1)],
    )


def paragraph_view(p: Paragraph, element_id: str, speaker: Speaker | None, flags: tuple[Flag, ...],
                   links: list[LinkSpan], notes: list[NoteRef]) -> ParagraphView:
    return ParagraphView(
        id=element_id, lang=p.lang, kind=p.kind, label=p.label or "",
        speaker_role=speaker.role if speaker else "",
        speaker_name=speaker_name(speaker) if speaker else "",
        segments=(segments := mark_text(p.text, flags, links)),
        scripts=script_versions(p.lang, segments),
        notes=notes,
    )


# OpenCC configurations for the reader's choice of script: character conversions only
# (s2t, t2s), not the regional vocabulary variants (s2twp would turn 軟件 into 軟體),
# because the reader asked for another script, not for another wording.
SCRIPT_CONFIGS = {"hant": ("s2t", "zh-Hant"), "hans": ("t2s", "zh-Hans")}


@functools.lru_cache(maxsize=None)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def script_versions(lang: str, segments: list[Segment]) -> list[ScriptVersion]:
    """The paragraph in Traditional and in Simplified, each only where it differs from
    the published text: a Traditional capture with stray Simplified characters (003)
    gets both, so either choice shows it consistently."""
    if lang == "en":
        return []
    out = []
    for script, (config, target) in SCRIPT_CONFIGS.items():
        converted = [Segment(text=_converter(config).convert(s["text"]), flag=s["flag"], entity=s["entity"],
                             entity_name=s["entity_name"]) for s in segments]
        if [c["text"] for c in converted] != [s["text"] for s in segments]:
            out.append(ScriptVersion(script=script, lang=target, segments=converted))
    return out


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


def entity_names(entity: Entity) -> str:
    return " · ".join(dict.fromkeys(n for n in (entity.name_en, entity.name_hant, entity.name_hans) if n))


def entity_links(p: Paragraph, mentions: Iterable[Mention], entities: dict[str, Entity]) -> list[LinkSpan]:
    # Headings stay plain (annotate finds no mentions there; this holds for any
    # caller), and a mention of an entity the glossary no longer has links nowhere.
    if p.kind == "heading":
        return []
    return [LinkSpan(m.start, m.end, entity_href(ARTICLE_ROOT, m.entity), entity_names(entities[m.entity]))
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


def base_url(site: SiteConfig) -> str:
    return site.base_url if site.base_url.endswith("/") else site.base_url + "/"


def permanent_url(site: SiteConfig, slug: str) -> str:
    """The article's address as a citation gives it; an anchor is appended to it."""
    return f"{base_url(site)}articles/{slug}/"


def byline_authors(byline: str, archive: Archive) -> list[str]:
    """The people a byline credits as authors, editors left out.

    A name that is an interviewee's Chinese name (in either script: the op-ed's byline
    is 李开复, the interviews spell him 李開復) is given as that speaker's English name,
    the form under which his work is catalogued.  Articles are searched in slug order,
    so the choice never depends on the order of folders on disk."""
    english: dict[str, str] = {}
    for article in sorted(archive.articles, key=lambda a: a.slug):
        for speaker in article.meta.speakers:
            if speaker.role == "interviewee" and speaker.name_zh and speaker.name_en:
                english.setdefault(fold(speaker.name_zh), speaker.name_en)
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


def source_page(archive: Archive, article: Article, site: SiteView) -> SourcePage:
    return SourcePage(
        root=ARTICLE_ROOT, page_title=f"Raw capture · {article.meta.title_zh}", site=site, edition=archive.edition,
        head=article_head(article.meta), credit=credit_view(archive, article, ARTICLE_ROOT),
        lines=source_lines(article.source.text),
    )


def not_found_page(archive: Archive, site: SiteView) -> NotFoundPage:
    # Served at any depth, so its links go through the absolute base URL.
    return NotFoundPage(root=base_url(archive.site), page_title=f"Page not found · {archive.site.title}",
                        site=site, edition=archive.edition)


# ---------------------------------------------------------------------------
# Entities: one page per glossary entry, and an index by kind
# ---------------------------------------------------------------------------
ENTITY_ROOT = "../../"


def shown_mentions(article: Article) -> list[tuple[Mention, Paragraph]]:
    """The article's mentions with their paragraphs, in row order: those an entity
    page quotes and counts.  A mention in a heading (annotate finds none) or at a
    paragraph the row does not have is left out, as the article page leaves it unlinked."""
    rows = {r.anchor: r for r in article.rows}
    shown = []
    for m in article.mentions:
        paragraphs = getattr(rows[m.anchor], m.side) if m.anchor in rows else ()
        if m.paragraph < len(paragraphs) and paragraphs[m.paragraph].kind != "heading":
            shown.append((m, paragraphs[m.paragraph]))
    return shown


def mention_counts(archive: Archive) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for article in archive.articles:
        for m, _ in shown_mentions(article):
            counts[m.entity] += 1
    return counts


def entities_index_page(archive: Archive, site: SiteView) -> EntitiesIndexPage:
    """Kinds in ``KIND_TITLES`` order; within a kind, entities by English name
    (case-folded, then id), so the index does not follow the glossary's file order."""
    counts = mention_counts(archive)
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


def entity_page(archive: Archive, entity: Entity, site: SiteView) -> EntityPage:
    groups = []
    for article in index_order(archive.articles):
        quotes = [quote_view(m, p, article.slug) for m, p in shown_mentions(article) if m.entity == entity.id]
        if quotes:
            meta = article.meta
            groups.append(QuoteGroup(href=f"{ENTITY_ROOT}articles/{article.slug}/index.html", title=meta.title_zh,
                                     title_lang=chinese_variety(meta), date=meta.date, quotes=quotes))
    return EntityPage(
        root=ENTITY_ROOT, page_title=f"{entity.name_en} · {archive.site.title}", site=site, edition=archive.edition,
        id=entity.id, kind=entity.kind, kind_title=KIND_TITLES[entity.kind], name_en=entity.name_en,
        name_hant=entity.name_hant, name_hans=entity.name_hans, description=entity.description,
        links=[ExternalLink(title=title, url=url) for title, url in entity.links],
        count=sum(len(g["quotes"]) for g in groups), groups=groups,
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
