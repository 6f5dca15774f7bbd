"""Stage 6 — render: turn the aligned archive into the site's files, in memory.

``render_site`` returns ``{relative path: bytes}`` and writes nothing; ``write.py``
puts the files in place.  Every page gets its template context from one small
builder function returning a TypedDict (``IndexPage``, ``ArticlePage``,
``CleaningPage``, ``SourcePage``, ``NotFoundPage``), so the keys a template may use
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
from pathlib import Path
from typing import Iterable, TypedDict

import jinja2

from .align import LOW_CONFIDENCE  # below it a row is shown as uncertain; `report` lists the same rows
from .annotate import fold
from .errors import Problem, RenderError
from .clean import RULES
from .export import article_json
from .model import (AlignedRow, Alias, Archive, Article, ArticleMeta, CleanResult, Flag, Paragraph, Relation,
                    SiteConfig, Speaker)
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


class ParagraphView(TypedDict):
    id: str  # "" for a side's first paragraph: the side's own id addresses it
    lang: str
    kind: str
    label: str
    speaker_role: str  # interviewer / interviewee / "" when no speaker is declared
    speaker_name: str
    segments: list[Segment]


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


class IndexPage(PageBase):
    articles: list[ArticleSummary]


class ArticlePage(PageBase):
    head: ArticleHead
    citation_meta: list[MetaTag]  # <meta> tags for the page's <head>, in order
    cite: CiteData
    aliases: dict[str, AliasView]  # old anchor → where it leads now, in anchor order
    credit: CreditView
    related: list[RelatedView]
    two_columns: bool
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


# ---------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------
def render_site(archive: Archive) -> dict[str, bytes]:
    """Every file of the site, keyed by its path relative to the output folder."""
    env = environment()
    site = site_view(archive.site)
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
        files[base + "source.txt"] = article.source.text.encode("utf-8")
        files[f"data/{article.slug}.json"] = article_json(article)
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
def site_view(site: SiteConfig) -> SiteView:
    return SiteView(
        title=site.title, subtitle=site.subtitle, description=site.description, language=site.language,
        editors=[EditorView(name=e.name, role=e.role) for e in site.editors],
        contact=site.contact,
        contact_is_link=site.contact.startswith(("https://", "http://", "mailto:")),
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
    return ArticlePage(
        root=ARTICLE_ROOT, page_title=f"{article.meta.title_zh} · {archive.site.title}", site=site,
        edition=archive.edition,
        head=article_head(article.meta),
        citation_meta=citation_meta(archive.site, article.meta, authors),
        cite=cite_data(archive, article, authors),
        aliases=alias_views(article.aliases),
        credit=credit_view(archive, article, ARTICLE_ROOT),
        related=[related_view(archive, r, ARTICLE_ROOT) for r in article.meta.relations],
        # One column when no row carries English, so a Chinese-only text is not set
        # beside an empty column.
        two_columns=any(row.en for row in article.rows),
        rows=[row_view(row, speakers, flags, article.slug) for row in article.rows],
        change_count=len(clean.changes), cut_count=len(clean.cuts),
        flag_count=sum(1 for f in clean.flags if not f.resolved),
        corrected_count=sum(1 for f in clean.flags if f.resolved),
    )


def flags_by_origin(archive: Archive, article: Article) -> dict[str, tuple[Flag, ...]]:
    """Flags of this article and of every article it borrows paragraphs from, keyed
    by slug: a borrowed English paragraph carries the damage of its own capture."""
    slugs = {article.slug} | {p.origin for row in article.rows for p in row.zh + row.en if p.origin}
    # Only damage still in the text is marked; a resolved flag's text is gone anyway.
    return {a.slug: tuple(f for f in clean_result(a).flags if not f.resolved)
            for a in archive.articles if a.slug in slugs}


def row_view(row: AlignedRow, speakers: dict[str, Speaker], flags: dict[str, tuple[Flag, ...]],
             slug: str) -> RowView:
    paragraphs = row.zh + row.en
    heading = bool(paragraphs) and all(p.kind == "heading" for p in paragraphs)
    speaker = speakers.get(row.speaker or "")
    return RowView(
        anchor=row.anchor, pattern=row.pattern, speaker=speaker.id if speaker else "",
        zh=side_view(row.anchor, "zh", row.zh, speakers, flags, slug),
        en=side_view(row.anchor, "en", row.en, speakers, flags, slug),
        heading=heading,
        full_width=heading and not (row.zh and row.en),
        turn_role=speaker.role if speaker else "",
        uncertain=(f"Uncertain alignment (confidence {row.confidence:.2f}): {row.reason}"
                   if row.confidence < LOW_CONFIDENCE else ""),
    )


def side_view(anchor: str, side: str, paragraphs: tuple[Paragraph, ...], speakers: dict[str, Speaker],
              flags: dict[str, tuple[Flag, ...]], slug: str) -> SideView | None:
    if not paragraphs:
        return None
    base = f"{anchor}-{side}"
    return SideView(
        id=base, lang=paragraphs[0].lang,
        # The side's id addresses its first paragraph; the 2nd, 3rd… get -2, -3.
        paragraphs=[paragraph_view(p, f"{base}-{n}" if n > 1 else "", speakers.get(p.speaker or ""),
                                   flags.get(p.origin or slug, ()))
                    for n, p in enumerate(paragraphs, 1)],
    )


def paragraph_view(p: Paragraph, element_id: str, speaker: Speaker | None, flags: tuple[Flag, ...]) -> ParagraphView:
    return ParagraphView(
        id=element_id, lang=p.lang, kind=p.kind, label=p.label or "",
        speaker_role=speaker.role if speaker else "",
        speaker_name=speaker_name(speaker) if speaker else "",
        segments=mark_flags(p.text, flags),
    )


def speaker_name(speaker: Speaker) -> str:
    names = " · ".join(n for n in (speaker.name_en, speaker.name_zh) if n)
    return f"{names} ({speaker.role})"


def mark_flags(text: str, flags: Iterable[Flag]) -> list[Segment]:
    """Split ``text`` into plain and damaged pieces.

    Every occurrence of every flag's text is marked.  Where two flagged spots
    overlap, the one starting first wins (the longer on a tie) and the other is
    dropped there: marks cannot nest, and the first is what a reader meets."""
    spots: list[tuple[int, int, str]] = []
    for flag in flags:
        if not flag.text:
            continue  # an empty flag text would "occur" everywhere
        start = text.find(flag.text)
        while start != -1:
            spots.append((start, start + len(flag.text), flag.message))
            start = text.find(flag.text, start + 1)
    spots.sort(key=lambda s: (s[0], -s[1]))
    segments: list[Segment] = []
    pos = 0
    for start, end, message in spots:
        if start < pos:
            continue
        if start > pos:
            segments.append(Segment(text=text[pos:start], flag=""))
        segments.append(Segment(text=text[start:end], flag=message))
        pos = end
    if pos < len(text) or not segments:
        segments.append(Segment(text=text[pos:], flag=""))
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
