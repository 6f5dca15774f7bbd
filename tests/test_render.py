"""render_site and article_json over a small synthetic archive built in memory.

Two articles: a bilingual interview (a 1-2 row, a heading, a caption, a flagged
paragraph, a low-confidence row, an attempted script injection) and a Chinese-only
op-ed.  Pages are parsed with BeautifulSoup, as a reader's browser would get them.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path

import jinja2
import pytest
from bs4 import BeautifulSoup

from site_src.annotate import render_markdown
from site_src.errors import RenderError
from site_src.export import article_json
from site_src.model import (AlignedRow, Alias, Archive, Article, ArticleMeta, Change, CleanResult, Correction, CrossLink,
                            Cut, Editor, Entity, Flag, Mention, Note, Paragraph, Passage, Related, Relation, SiteConfig,
                            Source, Speaker)
from site_src.render import (LinkSpan, ScriptMaps, Segment, byline_authors, convert_segments, date_parts,
                             dedent_html, script_fixes, script_maps, speaker_names, excerpt, index_order, mark_text, render, render_site,
                             source_lines)
from site_src.scripts import converter

INTERVIEW = "2025-03-test-interview"
OPED = "2025-12-test-op-ed"
EVIL = "<script>alert(1)</script>"
DAMAGED = "因?yàn)槲覀"
ORIGINAL_URL = "https://news.example.com/a/123"
CONTACT = "https://example.org/issues"


def site_config() -> SiteConfig:
    return SiteConfig(title="Test archive", subtitle="測試檔案", description="A fixture archive.",
                      base_url="https://example.org/archive/", editors=(Editor("Test Editor", "notes"),),
                      contact=CONTACT)


def meta(slug: str, **overrides: object) -> ArticleMeta:
    fields: dict[str, object] = dict(
        slug=slug, title_zh="測試訪談", title_en="A test interview", outlet_zh="測試網", outlet_en="Test Net",
        byline="記者甲", date="2025-03-20", date_note="Read from the text.", url=ORIGINAL_URL, kind="interview",
        languages=("zh-Hant", "en"), summary="A bilingual fixture.", source_note="Synthetic.",
        speakers=(Speaker("host", "主持人", "Host", "interviewer", ("問", "Q")),
                  Speaker("kfl", "李開復", "Kai-Fu Lee", "interviewee", ("答", "A"))),
        relations=(Relation("refers_to", OPED, "Mentions the op-ed."),),
        english_original="Test Television")
    fields.update(overrides)
    return ArticleMeta(**fields)  # type: ignore[arg-type]


def zh(text: str, line: int, **kw: object) -> Paragraph:
    return Paragraph(lang="zh-Hant", text=text, line=line, origin=INTERVIEW, **kw)  # type: ignore[arg-type]


def en(text: str, line: int, **kw: object) -> Paragraph:
    return Paragraph(lang="en", text=text, line=line, origin=INTERVIEW, **kw)  # type: ignore[arg-type]


def interview() -> Article:
    rows = (
        AlignedRow((zh("第一部分", 2, kind="heading"),), (en("Part one", 20, kind="heading"),), 0.9, "heading", "p1"),
        AlignedRow((zh("你好嗎?", 3, speaker="host", label="問"),),
                   (en("How are you?", 21, speaker="host", label="Q"),), 0.95, "speaker match", "p2"),
        AlignedRow((zh("很好。" + EVIL, 4, speaker="kfl", label="答"),),
                   (en("Fine.", 22, speaker="kfl", label="A"), en("Really fine.", 23, speaker="kfl")),
                   0.8, "length ok", "p3"),
        AlignedRow((zh("李開復在現場", 5, kind="caption"),), (), 0.8, "no English counterpart", "p4"),
        AlignedRow((zh("能拿到訂單,就是" + DAMAGED + "開", 6, speaker="kfl"),), (en("We got orders.", 24, speaker="kfl"),),
                   0.3, "length off", "p5"),
    )
    source = "標題\n第一部分\n你好嗎?\n很好。\n李開復在現場\n能拿到訂單\n\r\nEnglish\n"
    clean = CleanResult(
        lines=(),
        changes=(Change("pinyin-residue", 3, "你(nǐ)好", "你好", "pinyin after a character"),
                 Change("gbk-mojibake", 6, "鍦ㄦ", "在", ""),
                 Change("correction", 4, "很號", "很好", "typo")),
        cuts=(Cut("nav-junk", 7, 9, "網易首頁 > 科技"),),
        flags=(Flag("gbk-mojibake", 6, DAMAGED, "damaged GBK run could not be repaired"),),
    )
    return Article(meta=meta(INTERVIEW), source=Source(Path("source.txt"), source, "0" * 64), folder=Path("."),
                   corrections=(Correction("很號", "很好", "typo in the capture", 1),),
                   clean=clean, rows=rows)


def oped() -> Article:
    m = meta(OPED, title_zh="测试文章", title_en="", outlet_zh="测试网", outlet_en="", byline="", date="2025-12",
             url="", kind="op-ed", languages=("zh-Hans",), speakers=(), relations=(), english_original="")
    rows = tuple(AlignedRow((Paragraph("zh-Hans", t, line=n, origin=OPED),), (), 1.0, "no English text", f"p{n}")
                 for n, t in ((1, "今年一月,美国股市下跌。"), (2, "中国开源模型进步很快。")))
    return Article(meta=m, source=Source(Path("source.txt"), "测试文章\n今年一月。", "1" * 64), folder=Path("."),
                   clean=CleanResult((), (), (), ()), rows=rows)


@pytest.fixture(scope="module")
def archive() -> Archive:
    return Archive(site=site_config(), articles=(interview(), oped()), content_dir=Path("content"))


@pytest.fixture(scope="module")
def files(archive: Archive) -> dict[str, bytes]:
    return render_site(archive)


def soup(files: dict[str, bytes], rel: str) -> BeautifulSoup:
    return BeautifulSoup(files[rel].decode("utf-8"), "html.parser")


def html_pages(files: dict[str, bytes]) -> list[str]:
    return sorted(rel for rel in files if rel.endswith(".html"))


# ---------------------------------------------------------------------------
# The set of files
# ---------------------------------------------------------------------------
def test_site_has_every_file(files: dict[str, bytes]) -> None:
    for slug in (INTERVIEW, OPED):
        for name in ("index.html", "cleaning.html", "source.html", "source.txt"):
            assert f"articles/{slug}/{name}" in files
        assert f"data/{slug}.json" in files
    for rel in ("index.html", "404.html", "assets/style.css", "assets/site.js"):
        assert files[rel]
    assert files[".nojekyll"] == b""


def test_source_txt_is_byte_for_byte(files: dict[str, bytes], archive: Archive) -> None:
    for article in archive.articles:
        assert files[f"articles/{article.slug}/source.txt"] == article.source.text.encode("utf-8")


# ---------------------------------------------------------------------------
# Article page structure
# ---------------------------------------------------------------------------
def test_row_and_side_ids_and_langs(files: dict[str, bytes]) -> None:
    page = soup(files, f"articles/{INTERVIEW}/index.html")
    row = page.find(id="p3")
    assert "row" in row["class"]
    zh_side, en_side = row.find(id="p3-zh"), row.find(id="p3-en")
    assert zh_side["lang"] == "zh-Hant" and en_side["lang"] == "en"
    # The 1-2 row: the side's id covers its first paragraph, the second gets -2.
    second = row.find(id="p3-en-2")
    assert second.name == "p" and second["lang"] == "en" and "Really fine." in second.get_text()
    assert not page.find(id="p3-en-1") and not page.find(id="p3-zh-2")
    for p in page.select(".side p, .side h2, .side figcaption span[lang]"):
        assert p.get("lang") in ("zh-Hant", "en"), p


def test_row_ids_follow_rows_and_are_unique(files: dict[str, bytes], archive: Archive) -> None:
    page = soup(files, f"articles/{INTERVIEW}/index.html")
    ids = [t["id"] for t in page.find_all(id=True)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if re.fullmatch(r"p\d+", i)] == [r.anchor for r in archive.get(INTERVIEW).rows]


def test_pilcrows_for_rows_and_sides_are_focusable(files: dict[str, bytes]) -> None:
    page = soup(files, f"articles/{INTERVIEW}/index.html")
    for target in ("p3", "p3-zh", "p3-en"):
        link = page.find("a", class_="pilcrow", href=f"#{target}")
        assert link is not None, target
        assert link.get_text() == "¶"
        assert link["aria-label"] == f"Link to paragraph {target}"
        # An <a href> is in the Tab order unless removed from it.
        assert link.get("tabindex") in (None, "0")
    css = files["assets/style.css"].decode()
    assert re.search(r"\.pilcrow:focus[^{]*\{[^}]*opacity:\s*1", css)


def test_chinese_only_article_has_one_column(files: dict[str, bytes]) -> None:
    page = soup(files, f"articles/{OPED}/index.html")
    assert "rows--one" in page.find(class_="rows")["class"]
    assert page.find_all(id=re.compile(r"^p\d+-zh$"))
    assert not page.find_all(id=re.compile(r"-en"))
    assert not page.find_all(class_="side--en")
    bilingual = soup(files, f"articles/{INTERVIEW}/index.html")
    assert "rows--two" in bilingual.find(class_="rows")["class"]


def test_speaker_labels_bold_with_role_and_name(files: dict[str, bytes]) -> None:
    page = soup(files, f"articles/{INTERVIEW}/index.html")
    question = page.find(id="p2-zh").find("b", class_="speaker")
    assert question.get_text() == "問"
    assert "speaker--interviewer" in question["class"] and "Host" in question["title"]
    answer = page.find(id="p3-en").find("b", class_="speaker")
    assert answer.get_text() == "A" and "speaker--interviewee" in answer["class"]
    assert "Kai-Fu Lee" in answer["title"]
    # The label is shown once, before the text, not repeated on continuation paragraphs.
    assert not page.find(id="p3-en-2").find("b")


def test_heading_and_caption(files: dict[str, bytes]) -> None:
    page = soup(files, f"articles/{INTERVIEW}/index.html")
    assert "row--heading" in page.find(id="p1")["class"]
    assert page.find(id="p1-zh").find("h2").get_text(strip=True) == "第一部分"
    caption = page.find(id="p4-zh").find("figure").find("figcaption")
    assert "not captured" in caption.get_text() and "李開復在現場" in caption.get_text()
    assert not page.find(id="p4-en")


def test_low_confidence_row_is_marked(files: dict[str, bytes]) -> None:
    page = soup(files, f"articles/{INTERVIEW}/index.html")
    marker = page.find(id="p5").find(class_="uncertain")
    assert marker is not None and "length off" in marker["title"] and "0.30" in marker["title"]
    assert page.find(id="p3").find(class_="uncertain") is None  # confidence 0.8


def test_flagged_text_is_marked(files: dict[str, bytes]) -> None:
    page = soup(files, f"articles/{INTERVIEW}/index.html")
    mark = page.find(id="p5-zh").find("mark", class_="damaged")
    assert mark.get_text() == DAMAGED
    assert mark["title"] == "damaged GBK run could not be repaired"
    assert page.find(id="p5-zh").find("p").get_text() == "能拿到訂單,就是" + DAMAGED + "開"  # nothing lost around it


def test_archive_text_is_escaped(files: dict[str, bytes]) -> None:
    raw = files[f"articles/{INTERVIEW}/index.html"].decode()
    assert EVIL not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    page = soup(files, f"articles/{INTERVIEW}/index.html")
    assert EVIL in page.find(id="p3-zh").get_text()
    # No inline script came from the text: every script is a file, inert JSON data, or
    # the fixed snippet in <head> that applies the reader's script choice before paint.
    inline = [s for s in page.find_all("script") if not s.get("src") and s.get("type") != "application/json"]
    assert [s.parent.name for s in inline] == ["head"]
    head_js = (Path(__file__).parent.parent / "templates" / "head.js").read_text(encoding="utf-8").strip()
    assert inline[0].string == head_js
    # ... and it is the one inline script the security policy allows, by its hash.
    policy = page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    digest = base64.b64encode(hashlib.sha256(head_js.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}' 'wasm-unsafe-eval'" in policy
    assert "unsafe-inline" not in policy and "default-src 'self'" in policy and "object-src 'none'" in policy


def test_header_credits_and_related(files: dict[str, bytes]) -> None:
    page = soup(files, f"articles/{INTERVIEW}/index.html")
    text = page.get_text(" ")
    for needed in ("測試訪談", "A test interview", "測試網", "Test Net", "記者甲", "2025-03-20", "Read from the text.",
                   "interview", "Traditional Chinese + English", "A bilingual fixture.", "Synthetic."):
        assert needed in text, needed
    credit = page.find(class_="credit").get_text(" ")
    for needed in ("測試網", "記者甲", ORIGINAL_URL, "Test Television"):
        assert needed in credit, needed
    related = page.find(class_="related")
    link = related.find("a", href=f"../../articles/{OPED}/index.html")
    assert link.get_text() == "测试文章" and "Mentions the op-ed." in related.get_text()
    assert page.find("a", href="source.txt") and page.find("a", href="cleaning.html")
    footer = page.find("footer").get_text(" ")
    assert "Test archive" in footer and "Test Editor" in footer and CONTACT in footer


def test_borrowed_english_is_credited() -> None:
    """An article whose English comes from another capture says so and links to it."""
    borrower = interview()
    borrower = Article(meta=meta("2025-03-borrower", relations=(
        Relation("english_text_from", INTERVIEW, "The English is at the end of the other capture."),)),
        source=borrower.source, folder=Path("."), clean=CleanResult((), (), (), ()), rows=borrower.rows[:2])
    archive = Archive(site_config(), (interview(), borrower), Path("content"))
    page = soup(render_site(archive), "articles/2025-03-borrower/index.html")
    borrowed = page.find(class_="borrowed")
    assert borrowed.find("a", href=f"../../articles/{INTERVIEW}/index.html")
    assert "not in its capture" in borrowed.get_text()
    assert "The English is at the end of the other capture." in page.find(class_="related").get_text()
    assert "English text taken from" in page.find(class_="credit").get_text()


# ---------------------------------------------------------------------------
# Links: relative, and nothing from another host
# ---------------------------------------------------------------------------
def test_links_are_relative_except_404(files: dict[str, bytes], archive: Archive) -> None:
    # The only absolute addresses allowed are links (never loads) out to the original
    # article and to the editors' contact, marked rel=external.
    declared = {a.meta.url for a in archive.articles if a.meta.url} | {archive.site.contact}
    for rel in html_pages(files):
        if rel == "404.html":
            continue
        for tag in soup(files, rel).find_all(href=True) + soup(files, rel).find_all(src=True):
            ref = tag.get("href") or tag.get("src")
            if tag.name == "a" and "external" in (tag.get("rel") or []):
                assert ref in declared, (rel, ref)
                continue
            assert not re.match(r"^[a-z][a-z0-9+.-]*:", ref, re.I), (rel, ref)
            assert not ref.startswith("/"), (rel, ref)


def test_nothing_loaded_from_another_host(files: dict[str, bytes]) -> None:
    for rel in html_pages(files):
        page = soup(files, rel)
        for tag in page.find_all(["script", "link", "img", "iframe", "source"]):
            ref = tag.get("src") or tag.get("href") or ""
            assert not re.match(r"^([a-z]+:)?//", ref), (rel, ref)
            assert not ref.startswith("/"), (rel, ref)
    css = files["assets/style.css"].decode()
    assert "@import" not in css and "url(" not in css and "@font-face" not in css


def test_404_links_through_base_url_and_inlines_style(files: dict[str, bytes]) -> None:
    page = soup(files, "404.html")
    assert page.find("a", href="https://example.org/archive/index.html")
    assert not page.find("link", rel="stylesheet")
    assert ".pilcrow" in page.find("style").get_text()  # the whole stylesheet, inline


def assert_links_resolve(files: dict[str, bytes]) -> int:
    """Every relative link points at a file the site contains and its #fragment, if
    any, at an element id of that page; returns how many fragments were checked."""
    from posixpath import dirname, join, normpath
    ids: dict[str, set[str]] = {}
    checked = 0
    for rel in html_pages(files):
        if rel == "404.html":
            continue
        for tag in soup(files, rel).find_all(["a", "link", "script"]):
            ref, _, fragment = (tag.get("href") or tag.get("src") or "").partition("#")
            if "external" in (tag.get("rel") or []):
                continue
            target = normpath(join(dirname(rel), ref)) if ref else rel
            assert target in files, (rel, ref)
            if fragment:
                if target not in ids:
                    ids[target] = {t["id"] for t in soup(files, target).find_all(id=True)}
                assert fragment in ids[target], (rel, tag.get("href"))
                checked += 1
    return checked


def test_relative_links_resolve_to_files(files: dict[str, bytes]) -> None:
    assert assert_links_resolve(files) > 0


# ---------------------------------------------------------------------------
# Index, cleaning log, raw capture
# ---------------------------------------------------------------------------
def test_index_lists_articles_newest_first(files: dict[str, bytes]) -> None:
    page = soup(files, "index.html")
    links = [a["href"] for a in page.select(".article-card h3 a")]
    assert links == [f"articles/{OPED}/index.html", f"articles/{INTERVIEW}/index.html"]
    card = page.select(".article-card")[1]
    for needed in ("2025-03-20", "測試網", "interview", "Traditional Chinese + English", "A bilingual fixture."):
        assert needed in card.get_text(" "), needed
    # Filter values on each card, and options with counts (site.js does the filtering).
    assert (card["data-year"], card["data-language"], card["data-kind"]) == ("2025", "zh+en", "interview")
    options = {s["name"]: [(o["value"], o.get_text()) for o in s.find_all("option")]
               for s in page.select("#filters select")}
    assert options["year"] == [("", "All"), ("2025", "2025 (2)")]
    assert options["kind"] == [("", "All"), ("interview", "interview (1)"), ("op-ed", "op-ed (1)")]
    assert ("zh+en", "Chinese with English (1)") in options["language"]
    assert card["data-outlet"] in [v for v, _ in options["outlet"]]
    # The timeline: one section per year, newest first.
    assert [h.get_text() for h in page.select(".year-h")] == ["2025"]


def test_cleaning_log_puts_repairs_before_routine_residue() -> None:
    from site_src.model import Change
    from site_src.render import COLLAPSE_OVER, change_groups
    clean = CleanResult(lines=(), cuts=(), flags=(), changes=tuple(
        [Change("pinyin", n, f"網(wǎng){n}", f"網{n}") for n in range(COLLAPSE_OVER + 1)]
        + [Change("gbk-mojibake", 5, "?!崩铋_", "。”李開"), Change("correction", 21, "黃埔軍!;", "黃埔軍校”;", "why")]))
    groups = change_groups(clean)
    assert [g["rule"] for g in groups] == ["correction", "gbk-mojibake", "pinyin"]
    assert [g["open"] for g in groups] == [True, True, False]
    assert all(g["about"] for g in groups)


def test_every_cleaning_rule_is_described() -> None:
    from site_src.capture import capture
    from site_src.clean import RULES, clean_article
    from site_src.load import load_archive
    from tests.conftest import CONTENT
    for article in load_archive(CONTENT).articles:
        clean = clean_article(article, capture(article.source)[0]).clean
        for rule in {c.rule for c in clean.changes} | {c.rule for c in clean.cuts}:
            assert rule in RULES, rule


def test_index_order_breaks_date_ties_by_slug() -> None:
    a, b, c = interview(), oped(), interview()
    b = Article(meta=meta("2025-03-aaa", date="2025-03-20"), source=b.source, folder=Path("."))
    c = Article(meta=meta("2026-01-new", date="2026-01"), source=c.source, folder=Path("."))
    assert [x.slug for x in index_order([a, b, c])] == ["2026-01-new", "2025-03-aaa", INTERVIEW]
    assert [x.slug for x in index_order([b, c, a])] == ["2026-01-new", "2025-03-aaa", INTERVIEW]


def test_cleaning_page_lists_every_change_cut_flag_and_correction(files: dict[str, bytes], archive: Archive) -> None:
    page = soup(files, f"articles/{INTERVIEW}/cleaning.html")
    clean = archive.get(INTERVIEW).clean
    assert len(page.select("tr.change")) == len(clean.changes)
    for rule in {c.rule for c in clean.changes}:
        group = page.select_one(f"details#rule-{rule}")
        assert rule in group.find("summary").get_text()
        changes = [c for c in clean.changes if c.rule == rule]
        for row, change in zip(group.select("tr.change"), changes):  # log order kept within a rule
            assert row.find("a")["href"] == f"source.html#L{change.line}"
            assert row.find("del").get_text() == change.before and row.find("ins").get_text() == change.after
            assert change.note in row.get_text()
    cut = page.select_one("tr.cut")
    assert cut.find("a")["href"] == "source.html#L7" and "7–9" in cut.get_text()
    assert "網易首頁 > 科技" in cut.get_text()
    flag = page.select_one("tr.flag")
    assert flag.find("a")["href"] == "source.html#L6" and DAMAGED in flag.get_text()
    correction = page.select_one("tr.correction")
    assert "typo in the capture" in correction.get_text() and "corrections.yaml:1" in correction.get_text()


def test_source_page_numbers_every_line(files: dict[str, bytes], archive: Archive) -> None:
    page = soup(files, f"articles/{INTERVIEW}/source.html")
    text = archive.get(INTERVIEW).source.text
    expected = text.split("\n")[:-1]  # the final newline ends line 8; it opens no line 9
    lines = page.select(".src-line")
    assert [line["id"] for line in lines] == [f"L{n}" for n in range(1, len(expected) + 1)]
    assert lines[1].find(class_="src-text").get_text() == "第一部分"
    assert lines[0].find("a")["href"] == "#L1"


def test_source_lines_match_the_cleaners_numbering() -> None:
    assert [s["number"] for s in source_lines("a\nb")] == [1, 2]
    assert [s["text"] for s in source_lines("a\n\nb\n")] == ["a", "", "b"]
    # "\r" and other separators str.splitlines() honours do not start a new line here.
    assert [s["text"] for s in source_lines("a\rb\u2028c\n")] == ["a\rb\u2028c"]


# ---------------------------------------------------------------------------
# Flag marking
# ---------------------------------------------------------------------------
def test_mark_flags_overlaps_and_repeats() -> None:
    flags = [Flag("r", 1, "bcd", "one"), Flag("r", 1, "cde", "two"), Flag("r", 1, "", "empty"), Flag("r", 1, "x", "x")]
    segments = mark_text("abcdefxx", flags)
    assert [(s["text"], s["flag"]) for s in segments] == [
        ("a", ""), ("bcd", "one"), ("ef", ""), ("x", "x"), ("x", "x")]
    assert "".join(s["text"] for s in segments) == "abcdefxx"
    assert [(s["text"], s["flag"]) for s in mark_text("plain", flags)] == [("plain", "")]


# ---------------------------------------------------------------------------
# JSON export
# ---------------------------------------------------------------------------
def test_json_matches_rows(files: dict[str, bytes], archive: Archive) -> None:
    article = archive.get(INTERVIEW)
    doc = json.loads(files[f"data/{INTERVIEW}.json"])
    assert files[f"data/{INTERVIEW}.json"] == article_json(article)
    assert doc["slug"] == INTERVIEW and doc["title"] == {"zh": "測試訪談", "en": "A test interview"}
    assert doc["date"] == "2025-03-20" and doc["languages"] == ["zh-Hant", "en"]
    assert [r["anchor"] for r in doc["rows"]] == [r.anchor for r in article.rows]
    for out, row in zip(doc["rows"], article.rows):
        assert out["zh"] == [p.text for p in row.zh] and out["en"] == [p.text for p in row.en]
        assert out["pattern"] == row.pattern and out["confidence"] == row.confidence
        assert out["reason"] == row.reason and out["speaker"] == row.speaker
    p3 = doc["rows"][2]
    assert p3["pattern"] == "1-2" and p3["speaker"] == "kfl"
    assert p3["speaker_zh_label"] == "答" and p3["speaker_en_label"] == "A"
    assert doc["rows"][0]["zh_kinds"] == ["heading"] and "zh_kinds" not in p3
    assert "speaker_zh_label" not in doc["rows"][0]
    assert list(doc) == ["slug", "title", "outlet", "date", "languages", "rows"]


def test_json_is_stable_and_readable(archive: Archive) -> None:
    data = article_json(archive.get(OPED))
    assert data == article_json(oped())
    assert "今年一月" in data.decode("utf-8")  # not \u-escaped
    assert json.loads(data)["rows"][0]["speaker"] is None
    # One row a line, whole: an edition's diff names the rows that changed.
    lines = data.decode("utf-8").split("\n")
    rows = json.loads(data)["rows"]
    assert lines[0].endswith('"rows": [') and lines[-2:] == ["]}", ""]
    assert [json.loads(line.rstrip(",")) for line in lines[1:-2]] == rows and len(rows) > 1


# ---------------------------------------------------------------------------
# Templates and stylesheet
# ---------------------------------------------------------------------------
def test_template_using_an_unknown_key_fails_the_build() -> None:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": "{{ site.nope }}"}),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    with pytest.raises(RenderError, match="nope"):
        render(env, "t.html", {"root": "", "page_title": "", "site": {"title": "x"}})  # type: ignore[typeddict-item]


def test_stylesheet_has_layouts_dark_mode_and_print(files: dict[str, bytes]) -> None:
    css = files["assets/style.css"].decode()
    assert "grid-template-columns: minmax(0, 1fr) minmax(0, 1fr)" in css  # side by side
    assert re.search(r"@media \(max-width: [\d.]+rem\)", css)  # stacked on narrow screens
    assert "@media (prefers-color-scheme: dark)" in css and "@media print" in css


# ---------------------------------------------------------------------------
# Citing: head metadata, cite controls and data, aliases, edition
# ---------------------------------------------------------------------------
EDITION = "2026-11-23.3fa2c1b"
HOSTILE_TITLE = '"<script>alert(2)</script>'
PERMANENT = f"https://example.org/archive/articles/{INTERVIEW}/"


@pytest.fixture(scope="module")
def cited() -> dict[str, bytes]:
    """The fixture archive with an edition, two aliases (registry order p10, p7) and an
    op-ed whose title tries to break out of an attribute and of the JSON block."""
    article = interview()
    article = Article(meta=article.meta, source=article.source, folder=Path("."), clean=article.clean,
                      rows=article.rows, aliases=(Alias("p10", "p3", "merged"), Alias("p7", "p2", "removed")))
    op_ed = oped()
    op_ed = Article(meta=meta(OPED, title_zh=HOSTILE_TITLE, byline="李开复", date="2025-12", languages=("zh-Hans",),
                              speakers=(), relations=()),
                    source=op_ed.source, folder=Path("."), clean=op_ed.clean, rows=op_ed.rows)
    return render_site(Archive(site_config(), (article, op_ed), Path("content"), edition=EDITION))


def metas(page: BeautifulSoup) -> list[tuple[str, str]]:
    return [(m["name"], m["content"]) for m in page.head.find_all("meta", attrs={"name": True})
            if m["name"].startswith(("citation_", "DC."))]


def json_block(page: BeautifulSoup, element_id: str) -> object:
    block = page.find("script", id=element_id)
    assert block is not None and block["type"] == "application/json", element_id
    return json.loads(block.string)


def test_head_carries_citation_metadata(cited: dict[str, bytes]) -> None:
    page = soup(cited, f"articles/{INTERVIEW}/index.html")
    assert metas(page) == [
        ("citation_title", "測試訪談"),
        ("citation_author", "記者甲"),
        ("citation_publication_date", "2025/03/20"),
        ("citation_publisher", "測試網"),
        ("citation_language", "zh-Hant"),
        ("citation_language", "en"),
        ("citation_public_url", PERMANENT),
        ("citation_abstract_html_url", PERMANENT),
        ("DC.title", "測試訪談"),
        ("DC.date", "2025-03-20"),
        ("DC.publisher", "測試網"),
    ]
    # Only the article page is the citable work.
    assert not metas(soup(cited, f"articles/{INTERVIEW}/cleaning.html"))
    assert not metas(soup(cited, "index.html"))


def test_head_metadata_partial_date_and_interviewee_byline(cited: dict[str, bytes]) -> None:
    tags = dict(metas(soup(cited, f"articles/{OPED}/index.html")))
    assert tags["citation_publication_date"] == "2025/12" and tags["DC.date"] == "2025-12"
    # The op-ed's byline 李开复 (Simplified) is the interviewee 李開復 of the other article.
    assert tags["citation_author"] == "Kai-Fu Lee"


def test_head_metadata_is_escaped(cited: dict[str, bytes]) -> None:
    raw = cited[f"articles/{OPED}/index.html"].decode()
    head = raw.split("</head>")[0]
    assert HOSTILE_TITLE not in raw and "<script>alert(2)" not in raw
    assert '<meta name="citation_title" content="&#34;&lt;script&gt;alert(2)&lt;/script&gt;">' in head
    assert dict(metas(soup(cited, f"articles/{OPED}/index.html")))["citation_title"] == HOSTILE_TITLE


def test_byline_authors() -> None:
    names = speaker_names(Archive(site_config(), (interview(),), Path("content")))
    assert names == {"李开复": "Kai-Fu Lee"}  # the interviewee, folded to one script
    assert byline_authors("伍洋宇(記者)、劉方遠(編輯)", names) == ["伍洋宇"]  # the editor is no author
    assert byline_authors("甲（记者）, 乙（责任编辑）", names) == ["甲"]
    assert byline_authors("李開復", names) == ["Kai-Fu Lee"]
    assert byline_authors("李开复", names) == ["Kai-Fu Lee"]
    assert byline_authors("主持人", names) == ["主持人"]  # an interviewer keeps the byline's form
    assert byline_authors("", names) == []


def test_date_parts() -> None:
    assert date_parts("2025-03-20") == [2025, 3, 20]
    assert date_parts("2025-03") == [2025, 3]
    assert date_parts("2026") == [2026]


def test_cite_control_per_side(cited: dict[str, bytes]) -> None:
    page = soup(cited, f"articles/{INTERVIEW}/index.html")
    sides = page.select(".side")
    assert len(sides) == 9
    for side in sides:
        # The ¶ link is a real link in the page; site.js puts the cite button after it
        # (tests/browser/test_cite.py checks the button's attributes in Chromium).
        assert side.find("a", class_="pilcrow--side", href=f"#{side['id']}", recursive=False)
        assert not side.find("button", class_="cite-button")
    menu = page.find(id="cite-menu")
    assert menu["role"] == "menu" and menu.has_attr("hidden")
    assert [b["data-copy"] for b in menu.find_all("button", role="menuitem")] == ["link", "citation", "bibtex", "csl"]
    assert [b.get_text() for b in menu.find_all("button")] == [
        "Copy link", "Copy citation", "Copy BibTeX", "Copy CSL-JSON"]
    status = page.find(id="cite-status")
    assert status["role"] == "status" and status["aria-live"] == "polite"
    # Speaker ids on the rows that have one, for the citation's "who".
    assert page.find(id="p3")["data-speaker"] == "kfl" and page.find(id="p2")["data-speaker"] == "host"
    assert not page.find(id="p4").has_attr("data-speaker")


def test_cite_data_block(cited: dict[str, bytes]) -> None:
    data = json_block(soup(cited, f"articles/{INTERVIEW}/index.html"), "cite-data")
    assert data == {
        "url": PERMANENT, "slug": INTERVIEW, "archive": "Test archive", "edition": EDITION,
        "title_zh": "測試訪談", "title_en": "A test interview", "outlet_zh": "測試網", "outlet_en": "Test Net",
        "date": "2025-03-20", "date_parts": [2025, 3, 20], "kind": "interview", "authors": ["記者甲"],
        "speakers": {"host": {"name": "Host", "name_zh": "主持人"}, "kfl": {"name": "Kai-Fu Lee", "name_zh": "李開復"}},
    }
    # Once per page: the quoted text is read from the page, never copied into data.
    raw = cited[f"articles/{INTERVIEW}/index.html"].decode()
    assert raw.count('id="cite-data"') == 1 and raw.count("How are you?") == 1


def test_json_blocks_cannot_close_their_script(cited: dict[str, bytes]) -> None:
    raw = cited[f"articles/{OPED}/index.html"].decode()
    block = raw.split('<script type="application/json" id="cite-data">')[1].split("</script>")[0]
    assert "<" not in block and ">" not in block  # escaped as \u003c, \u003e
    assert json.loads(block)["title_zh"] == HOSTILE_TITLE


def test_alias_block_in_anchor_order(cited: dict[str, bytes]) -> None:
    raw = cited[f"articles/{INTERVIEW}/index.html"].decode()
    aliases = json_block(soup(cited, f"articles/{INTERVIEW}/index.html"), "anchor-aliases")
    assert aliases == {"p7": {"target": "p2", "kind": "removed"}, "p10": {"target": "p3", "kind": "merged"}}
    # p7 before p10 although the registry listed p10 first and "p10" < "p7" as text.
    assert raw.index('"p7"') < raw.index('"p10"')
    assert json_block(soup(cited, f"articles/{OPED}/index.html"), "anchor-aliases") == {}


def test_edition_in_every_footer(cited: dict[str, bytes], files: dict[str, bytes]) -> None:
    for rel in html_pages(cited):
        footer = soup(cited, rel).find("footer")
        assert footer.find(class_="edition").get_text(" ", strip=True) == f"Edition {EDITION}", rel
    for rel in html_pages(files):  # an archive without an edition id shows none
        assert soup(files, rel).find(class_="edition") is None, rel


def media_block(css: str, query: str) -> str:
    start = css.index(query)
    depth, pos = 0, css.index("{", start)
    for pos in range(pos, len(css)):
        depth += {"{": 1, "}": -1}.get(css[pos], 0)
        if depth == 0:
            break
    return css[start:pos]


def test_print_stylesheet(files: dict[str, bytes]) -> None:
    printed = media_block(files["assets/style.css"].decode(), "@media print")
    hidden = re.search(r"([^{}]*)\{\s*display:\s*none", printed).group(1)
    for selector in (".cite-button", ".cite-menu", ".cite-status", ".alias-notice", ".pilcrow"):
        assert selector in hidden, selector
    assert 'content: " <" attr(href) ">"' in printed  # external link addresses printed
    assert "content: attr(id)" in printed  # each row's anchor in the margin
    assert "grid-template-columns: minmax(0, 1fr) minmax(0, 1fr)" in printed  # both languages kept


# ---------------------------------------------------------------------------
# The editorial layer: notes, entity links and pages, cross-links, related passages
# ---------------------------------------------------------------------------
NOTE_EVIL = "Said <script>alert(3)</script> **twice**."
LONG_BEFORE, LONG_AFTER = "甲" * 120, "乙" * 120
DEEPSEEK_SITE = "https://www.deepseek.example/"


def mention(entity: str, anchor: str, side: str, text: str, name: str, paragraph: int = 0) -> Mention:
    start = text.index(name)
    return Mention(entity, anchor, side, paragraph, start, start + len(name), name)  # type: ignore[arg-type]


def note(anchor: str, side: str, kind: str, markdown: str, number: int) -> Note:
    return Note(anchor, side, kind, markdown, render_markdown(markdown), line=number * 3, number=number)  # type: ignore[arg-type]


def editorial_archive() -> Archive:
    """The interview with names in both languages, a flagged spot a mention overlaps,
    a long paragraph, notes on a row and on sides; the op-ed naming DeepSeek; one
    cross-link between them and one computed related passage each way."""
    p2_zh, p2_en = "李開復說,DeepSeek很便宜。", "Kai-Fu Lee said DeepSeek is cheap."
    p3_zh = "能拿到訂單,就是" + DAMAGED + "開"
    p3_en2 = "DeepSeek helped."
    p4_zh = LONG_BEFORE + "李開復" + LONG_AFTER
    rows = (
        AlignedRow((zh("李開復談開源", 2, kind="heading"),), (en("Kai-Fu Lee on open source", 20, kind="heading"),),
                   0.9, "heading", "p1"),
        AlignedRow((zh(p2_zh, 3, speaker="kfl", label="答"),), (en(p2_en, 21, speaker="kfl", label="A"),),
                   0.9, "names", "p2"),
        AlignedRow((zh(p3_zh, 4, speaker="kfl"),), (en("We got orders.", 22, speaker="kfl"), en(p3_en2, 23)),
                   0.9, "length", "p3"),
        AlignedRow((zh(p4_zh, 5),), (), 0.9, "no English counterpart", "p4"),
    )
    base = interview()
    mentions = (
        mention("kai-fu-lee", "p1", "zh", "李開復談開源", "李開復"),  # in a heading: never linked
        mention("kai-fu-lee", "p2", "zh", p2_zh, "李開復"), mention("deepseek", "p2", "zh", p2_zh, "DeepSeek"),
        mention("kai-fu-lee", "p2", "en", p2_en, "Kai-Fu Lee"), mention("deepseek", "p2", "en", p2_en, "DeepSeek"),
        # Overlaps the damaged run: dropped, the damage stays marked.
        Mention("deepseek", "p3", "zh", 0, p3_zh.index("就是"), p3_zh.index("就是") + 4, "就是因?"),
        mention("deepseek", "p3", "en", p3_en2, "DeepSeek", paragraph=1),
        mention("kai-fu-lee", "p4", "zh", p4_zh, "李開復"),
    )
    notes = (note("p2", "", "context", "Said **on air**.", 1), note("p2", "en", "sic", "Spelled so.", 2),
             note("p3", "zh", "translation", NOTE_EVIL, 3))
    talk = Article(meta=base.meta, source=base.source, folder=Path("."), clean=base.clean, rows=rows,
                   mentions=mentions, notes=notes,
                   related=(Related("p2", Passage(OPED, "p1", ""), 3.2, ("deepseek", "2025")),))
    op_ed = oped()
    op_p1 = "DeepSeek的模型很好。"
    op_ed = Article(meta=op_ed.meta, source=op_ed.source, folder=Path("."), clean=op_ed.clean,
                    rows=(AlignedRow((Paragraph("zh-Hans", op_p1, line=1, origin=OPED),), (), 1.0, "", "p1"),
                          op_ed.rows[1]),
                    mentions=(mention("deepseek", "p1", "zh", op_p1, "DeepSeek"),),
                    related=(Related("p1", Passage(INTERVIEW, "p2", ""), 3.2, ("deepseek",)),))
    glossary = (
        Entity("sam-altman", "person", "Sam Altman", "薩姆·奧爾特曼", "萨姆·奥尔特曼", ("Sam Altman",), (), "Runs OpenAI.",
               (), 1),
        Entity("kai-fu-lee", "person", "Kai-Fu Lee", "李開復", "李开复", ("Kai-Fu Lee",), ("李開復",),
               "Investor <b>and</b> author.", (("Wikipedia", "https://en.wikipedia.example/wiki/Kai-Fu_Lee"),), 5),
        Entity("deepseek", "company", "DeepSeek", "深度求索", "深度求索", ("DeepSeek",), ("DeepSeek",),
               "A Hangzhou AI lab.", (("Official site", DEEPSEEK_SITE),), 9),
    )
    links = (CrossLink("cheap", "Chinese models are cheap.", (Passage(INTERVIEW, "p2", "en"), Passage(OPED, "p1", "")), 1),)
    return Archive(site_config(), (talk, op_ed), Path("content"), glossary=glossary, links=links)


@pytest.fixture(scope="module")
def annotated() -> dict[str, bytes]:
    return render_site(editorial_archive())


TALK = f"articles/{INTERVIEW}/index.html"
OPED_PAGE = f"articles/{OPED}/index.html"


def test_note_markers_numbers_ids_and_back_links(annotated: dict[str, bytes]) -> None:
    page = soup(annotated, TALK)
    # (note, the element its marker sits in, the row or side it addresses, its label)
    expected = [("n1", "p2-zh", "p2", "Context"), ("n2", "p2-en", "p2-en", "[sic]"),
                ("n3", "p3-zh", "p3-zh", "Translation")]
    for note_id, marked, target, label in expected:
        markers = page.select(f'.note-ref a[href="#{note_id}"]')
        assert len(markers) == 1, note_id  # one marker per note
        marker = markers[0]
        assert marker.find_parent(id=marked) is not None, (note_id, marked)
        assert marker.find_parent("sup").has_attr("data-cite-skip")  # not part of a quotation
        assert marker.get_text() == note_id[1:] and label in marker["aria-label"]
        box = page.find(id=note_id)
        assert box.name == "details" and "note" in box["class"]
        assert box.find_parent(class_="row")["id"] == target.split("-")[0]  # beside its own row
        assert box.find(class_="note-kind").get_text() == label
        assert box.find("a", class_="note-back")["href"] == f"#{target}"
    # A row note's marker follows the first side's last words; a side's marker its own.
    assert page.find(id="p2-zh").find("p").contents[-1].name == "sup"
    assert [n["id"] for n in page.select("details.note")] == ["n1", "n2", "n3"]
    assert page.find(id="p3").find(class_="row-links") is None


def test_note_html_is_sanitised_and_rendered(annotated: dict[str, bytes]) -> None:
    raw = annotated[TALK].decode()
    assert "<script>alert(3)" not in raw and "alert(3)" not in raw
    body = soup(annotated, TALK).find(id="n3").find(class_="note-body")
    assert body.find("strong").get_text() == "twice"
    assert soup(annotated, TALK).find(id="n1").find("strong").get_text() == "on air"


def test_notes_make_room_only_where_there_are_notes(annotated: dict[str, bytes]) -> None:
    talk, op_ed = soup(annotated, TALK), soup(annotated, OPED_PAGE)
    assert "rows--notes" in talk.find(class_="rows")["class"] and "has-notes" in talk.body["class"]
    assert "rows--notes" not in op_ed.find(class_="rows")["class"] and "has-notes" not in op_ed.body["class"]
    assert not op_ed.select(".notes, .note-ref")
    css = annotated["assets/style.css"].decode()
    wide = media_block(css, "@media (min-width: 75rem)")
    assert "minmax(0, 1fr) minmax(0, 1fr) 15rem" in wide  # two text columns and the margin


def test_entity_links_in_both_languages(annotated: dict[str, bytes]) -> None:
    page = soup(annotated, TALK)
    for side, names in (("p2-zh", ["李開復", "DeepSeek"]), ("p2-en", ["Kai-Fu Lee", "DeepSeek"])):
        links = page.find(id=side).select("a.entity")
        assert [a.get_text() for a in links] == names
        assert [a["href"] for a in links] == ["../../entities/kai-fu-lee/index.html",
                                              "../../entities/deepseek/index.html"]
    # The tooltip gives the names the link does not show, in either script.
    assert page.find(id="p2-en").find("a", class_="entity")["title"] == "李開復 · 李开复"
    assert page.find(id="p2-zh").find("a", class_="entity")["title"] == "Kai-Fu Lee"
    # Nothing is lost around the links.
    assert page.find(id="p2-en").find("p").get_text().startswith("A Kai-Fu Lee said DeepSeek is cheap.")
    # The second English paragraph of p3 keeps its own link.
    assert page.find(id="p3-en-2").find("a", class_="entity").get_text() == "DeepSeek"
    # Headings stay plain even when a mention is given for one.
    assert not page.find(id="p1").select("a.entity")


def test_mention_over_damage_is_dropped(annotated: dict[str, bytes]) -> None:
    side = soup(annotated, TALK).find(id="p3-zh")
    assert side.find("mark", class_="damaged").get_text() == DAMAGED
    assert not side.select("a.entity")
    assert side.find("p").get_text().startswith("能拿到訂單,就是" + DAMAGED + "開")
    for page in (soup(annotated, TALK), soup(annotated, OPED_PAGE)):
        assert not page.select("a a, mark a, a mark, mark mark")  # nothing nested


def test_mark_text_composes_flags_and_links() -> None:
    flags = [Flag("r", 1, "cd", "damaged")]
    links = [LinkSpan(0, 2, "x/", "X"), LinkSpan(3, 5, "y/", "Y"),  # the second overlaps the flag
             LinkSpan(6, 8, "z/", "Z"), LinkSpan(6, 7, "w/", "W"),  # overlapping links: the longer wins
             LinkSpan(8, 12, "out/", "O")]  # past the end of the text
    segments = mark_text("abcdefgh", flags, links)
    assert [(s["text"], s["flag"], s["entity"]) for s in segments] == [
        ("ab", "", "x/"), ("cd", "damaged", ""), ("ef", "", ""), ("gh", "", "z/")]
    assert [s["entity_name"] for s in segments] == ["X", "", "", "Z"]


def test_entity_page(annotated: dict[str, bytes]) -> None:
    page = soup(annotated, "entities/deepseek/index.html")
    head = page.find(class_="entity-head").get_text(" ")
    for needed in ("DeepSeek", "深度求索", "company", "A Hangzhou AI lab.", "Companies"):
        assert needed in head, needed
    external = page.find("a", href=DEEPSEEK_SITE)
    assert {"external", "noopener"} <= set(external["rel"])
    # Grouped by article, newest first, each group headed by title and date.
    groups = page.select(".mention-group")
    assert [g.find("h3").find("a")["href"] for g in groups] == [f"../../{OPED_PAGE}", f"../../{TALK}"]
    assert "2025-03-20" in groups[1].find("h3").get_text() and "测试文章" in groups[0].find("h3").get_text()
    # The mention over damaged text is not linked in the article, but it is quoted here.
    assert [a["href"].split("#")[1] for a in groups[1].select("a.quote-link")] == ["p2-zh", "p2-en", "p3-zh",
                                                                                   "p3-en-2"]
    assert [m.get_text() for m in page.select("mark.mention")] == ["DeepSeek"] * 3 + ["就是因?", "DeepSeek"]
    quote = groups[1].select("blockquote")[1]
    assert quote["lang"] == "en" and quote.get_text() == "Kai-Fu Lee said DeepSeek is cheap."
    assert "5 passages" in page.find(id="mentions-h").get_text()


def test_entity_page_shortens_long_paragraphs_and_escapes(annotated: dict[str, bytes]) -> None:
    page = soup(annotated, "entities/kai-fu-lee/index.html")
    quote = [q for q in page.select("li.quote") if q.find("a")["href"].endswith("#p4-zh")][0]
    text = quote.find("blockquote").get_text()
    assert text.startswith("…") and text.endswith("…") and "李開復" in text and len(text) < 200
    raw = annotated["entities/kai-fu-lee/index.html"].decode()
    assert "<b>and</b>" not in raw and "&lt;b&gt;and&lt;/b&gt;" in raw
    # The heading mention is quoted nowhere (it was not linked either).
    assert "#p1-zh" not in raw


def test_excerpt_cuts_around_the_mention() -> None:
    assert excerpt("short text", 0, 5) == ("", "short", " text")
    words = " ".join(f"w{n:02}" for n in range(60))
    start = words.index("w30")
    before, match, after = excerpt(words, start, start + 3, context=20)
    assert match == "w30" and before.startswith("…") and after.endswith("…")
    # Cut at spaces: no word is shown in part, and a cut that falls between words keeps them all.
    assert (before, after) == ("…w25 w26 w27 w28 w29 ", " w31 w32 w33 w34 w35…")
    # One character later, both cuts fall inside a word: they move to a space.
    assert excerpt(words, start + 1, start + 3, context=20) == ("…w26 w27 w28 w29 w", "30", " w31 w32 w33 w34 w35…")
    assert excerpt(words, start, start + 2, context=20) == ("…w25 w26 w27 w28 w29 ", "w3", "0 w31 w32 w33 w34…")
    chinese = "甲" * 50 + "乙" + "丙" * 50
    assert excerpt(chinese, 50, 51, context=10) == ("…" + "甲" * 10, "乙", "丙" * 10 + "…")


def test_entities_index_by_kind_with_counts(annotated: dict[str, bytes]) -> None:
    page = soup(annotated, "entities/index.html")
    kinds = page.select("section.entity-kind")
    assert [k["id"] for k in kinds] == ["kind-person", "kind-company"]  # KIND_TITLES order, empty kinds left out
    people = kinds[0].select("li")
    # By English name, not glossary order (Sam Altman comes first in the file).
    assert [li.find("a")["href"] for li in people] == ["kai-fu-lee/index.html", "sam-altman/index.html"]
    assert "3 mentions" in people[0].get_text() and "0 mentions" in people[1].get_text()
    assert "5 mentions" in kinds[1].get_text()
    assert "5 passages" in soup(annotated, "entities/deepseek/index.html").find(id="mentions-h").get_text()
    # The entity without mentions still has its page, saying so.
    assert "No text of the archive names it yet." in soup(annotated, "entities/sam-altman/index.html").get_text()


def test_header_links_entities_only_with_a_glossary(annotated: dict[str, bytes], files: dict[str, bytes]) -> None:
    for rel, href in (("index.html", "entities/index.html"), (TALK, "../../entities/index.html"),
                      ("entities/index.html", "../entities/index.html"),
                      ("entities/deepseek/index.html", "../../entities/index.html")):
        assert soup(annotated, rel).find("header").find("a", href=href), rel
    assert not any(rel.startswith("entities/") for rel in files)
    assert not soup(files, "index.html").find("a", href=re.compile("entities"))


def test_also_said_in_links_resolve(annotated: dict[str, bytes]) -> None:
    talk, op_ed = soup(annotated, TALK), soup(annotated, OPED_PAGE)
    also = talk.find(id="p2").find(class_="also")
    link = also.find("a")
    assert link["href"] == f"../{OPED}/index.html#p1" and "测试文章" in also.get_text()
    assert "Chinese models are cheap." in also.find(class_="also-claim").get_text()
    assert also.find("span", lang=re.compile("^zh")).get_text()  # the article's title, once
    back = op_ed.find(id="p1").find(class_="also").find("a")
    assert back["href"] == f"../{INTERVIEW}/index.html#p2-en"
    # Each fragment names an element of the page it leads to.
    assert op_ed.find(id="p1") and talk.find(id="p2-en")
    assert not talk.find(id="p3").find(class_="also")


def test_related_passages_hidden_until_asked(annotated: dict[str, bytes]) -> None:
    talk = soup(annotated, TALK)
    control = talk.find(id="p2").find("details", class_="nearby")
    assert not control.has_attr("open") and "Related passages (1)" in control.find("summary").get_text()
    item = control.find("li")
    assert item.find("a")["href"] == f"../{OPED}/index.html#p1" and item.find("a").get_text() == "¶\xa0p1"
    assert "DeepSeek, 2025" in item.find(class_="shared").get_text()  # the id shown by name
    assert item.find("span")["lang"].startswith("zh")  # the article's title, said once per article
    # Rows without related passages have no control at all.
    assert [d.find_parent(class_="row")["id"] for d in talk.select("details.nearby")] == ["p2"]


def test_editorial_links_resolve_and_external_ones_are_declared(annotated: dict[str, bytes]) -> None:
    assert assert_links_resolve(annotated) >= 10
    declared = {ORIGINAL_URL, CONTACT, DEEPSEEK_SITE, "https://en.wikipedia.example/wiki/Kai-Fu_Lee"}
    for rel in html_pages(annotated):
        if rel == "404.html":
            continue
        for a in soup(annotated, rel).find_all("a", href=re.compile(r"^[a-z]+:")):
            assert a["href"] in declared and "external" in a["rel"], (rel, a["href"])


def segs(*texts: str) -> list[Segment]:
    return [Segment(text=t, flag="", entity="", entity_name="") for t in texts]


def test_script_tables_and_fixes_give_opencc() -> None:
    # 003: 后 is a stray Simplified form in a Traditional capture; 後 is what OpenCC
    # gives there, but 后 stays 后 in 皇后: the table takes the majority, a fix the rest.
    texts = ["平臺背后的行業", "皇后", "之后後來"]
    maps = script_maps(texts)
    assert maps["hant"] == {"后": "後"} and maps["hans"]["臺"] == "台" and maps["hans"]["後"] == "后"
    assert script_fixes(segs("皇后"), maps) == {"hant": [(0, 1, 1, "后")]}
    for text in texts:
        for script, config in (("hant", "s2t"), ("hans", "t2s")):
            fixes = script_fixes(segs(text, "", "行業"), maps).get(script, [])
            assert convert_segments(segs(text, "", "行業"), maps[script], fixes) == [
                converter(config).convert(text), converter(config).convert("行業")]
    assert script_fixes(segs("開源"), script_maps(["開源"])) == {}  # the table says it all
    # A tie goes to the conversion seen first.
    assert "后" not in script_maps(["皇后", "之后"])["hant"]
    assert script_maps(["之后", "皇后"])["hant"]["后"] == "後"


def test_a_conversion_that_changes_length_replaces_its_text_node() -> None:
    maps = ScriptMaps(hant={}, hans={})
    fixes = script_fixes(segs("ab", "后来"), maps)
    assert fixes["hant"] == [(1, 0, 2, "後來")]
    assert convert_segments(segs("ab", "后来"), {}, fixes["hant"]) == ["ab", "後來"]


def test_indentation_dropped_except_in_preformatted_text() -> None:
    html = "<div>\n   <p>a\n   b</p>\n  <pre>x\n   y</pre>\n  <TEXTAREA>\n  z</TEXTAREA>\n end<style>\n  a {}</style>"
    assert dedent_html(html) == "<div>\n<p>a\nb</p>\n<pre>x\n   y</pre>\n<TEXTAREA>\n  z</TEXTAREA>\nend<style>\n  a {}</style>"


def test_no_page_context_key_is_named_like_a_dict_method() -> None:
    # render.Environment looks a dict's keys up before its attributes, so a key named
    # "items" would hide the method a template calls (fixes.items()).
    import typing

    from site_src import render as render_module
    contexts = [c for c in vars(render_module).values() if typing.is_typeddict(c)]
    assert len(contexts) > 10
    clashes = {(c.__name__, k) for c in contexts for k in c.__annotations__ if hasattr(dict, k)}
    assert clashes == set()
    env = render_module.environment()
    assert env.getattr({"anchor": "p1"}, "anchor") == "p1"
    assert env.getattr({"hant": 1}, "items")() == {"hant": 1}.items()
    assert isinstance(env.getattr({}, "missing"), jinja2.Undefined)


def test_entity_page_quotes_the_newest_articles_and_lists_the_older() -> None:
    from site_src.render import entity_page, environment, quote_groups, site_view
    archive = editorial_archive()
    quotes = quote_groups(archive, {"deepseek", "kai-fu-lee"}, quoted=1)
    deepseek = quotes["deepseek"]
    assert [g["href"] for g in deepseek.groups] == [f"../../{OPED_PAGE}"]  # the newest one, quoted
    assert [(a["href"], a["count"]) for a in deepseek.earlier] == [(f"../../{TALK}", 4)]  # counted, not quoted
    assert deepseek.count == 5 and quotes["kai-fu-lee"].count == 3 and not quotes["kai-fu-lee"].earlier
    entity = next(e for e in archive.glossary if e.id == "deepseek")
    html = render(environment(), "entity.html", entity_page(archive, entity, site_view(archive.site, entities=True), deepseek))
    page = BeautifulSoup(html.decode("utf-8"), "html.parser")
    assert page.find(id="mentions-h").get_text() == "Named in 5 passages of 2 articles"
    assert len(page.select(".mention-group")) == 1 and page.select_one('a[href="#earlier-h"]')
    older = page.select(".earlier-list li")
    assert len(older) == 1 and older[0].find("a")["href"] == f"../../{TALK}" and "4 passages" in older[0].get_text()
    # With the default, every article of this small archive is quoted, and none listed.
    assert not quote_groups(archive, {"deepseek"})["deepseek"].earlier


def test_warm_up_compiles_every_template_into_the_bytecode_folder(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from site_src import render
    templates = [p.name for p in render.TEMPLATES.iterdir() if p.is_file()]
    render.warm_up(render.environment(tmp_path / "bytecode"))  # the folder is made
    assert len(list((tmp_path / "bytecode").iterdir())) == len(templates)
    # A template that does not compile is left for render() to report with its line.
    folder = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, folder)
    (folder / "entity.html").write_text("{% blok %}", encoding="utf-8")
    monkeypatch.setattr(render, "TEMPLATES", folder)
    render.warm_up(render.environment(tmp_path / "again"))
    assert len(list((tmp_path / "again").iterdir())) == len(templates) - 1
    with pytest.raises(RenderError, match="entity.html"):
        render.render(render.environment(tmp_path / "again"), "entity.html", {})  # type: ignore[arg-type]


def test_compiled_templates_are_kept_with_the_program_for_this_jinja_and_python() -> None:
    """Builds with and without a cache read the templates compiled by an earlier one
    from beside the program, in a folder of this Jinja's and this Python's."""
    import sys

    from site_src import render
    folder = render.KEPT_BYTECODE
    assert folder.parent == Path(render.__file__).resolve().parent / "__pycache__"
    assert jinja2.__version__ in folder.name and sys.implementation.cache_tag in folder.name
    env = render.environment()
    assert isinstance(env.bytecode_cache, jinja2.FileSystemBytecodeCache)
    assert Path(env.bytecode_cache.directory) == folder
    render.warm_up(env)
    kept = env.bytecode_cache
    for name in ("base.html", "article.html"):
        _, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        assert (folder / (kept.pattern % kept.get_cache_key(name, filename))).is_file()


def test_a_bytecode_folder_that_cannot_be_made_leaves_the_templates_compiled_here(tmp_path: Path) -> None:
    from site_src import render
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    env = render.environment(tmp_path / "file" / "bytecode")
    render.warm_up(env)  # compiles every template; keeping them fails, quietly
    assert env.get_template("base.html") is not None
    assert (tmp_path / "file").read_text(encoding="utf-8") == "not a folder"


def test_a_build_without_a_cache_renders_with_the_templates_warm_up_compiled(
        fixture_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a bytecode folder (``--no-cache``) the templates were compiled a second
    time for the pages, after warm_up had compiled them while the articles were
    aligned (70 ms of a five-article build): the build renders with warm_up's environment."""
    import build
    from site_src import render
    from site_src.cache import NO_CACHE

    made: list[jinja2.Environment] = []
    warmed: list[jinja2.Environment] = []
    original = render.environment

    def environment(bytecode: Path | None = None) -> jinja2.Environment:
        made.append(original(bytecode))
        return made[-1]

    def warm_up(env: jinja2.Environment) -> None:
        warmed.append(env)
        render.warm_up(env)

    monkeypatch.setattr(build, "environment", environment)
    monkeypatch.setattr(build, "warm_up", warm_up)
    monkeypatch.setattr(render, "environment", lambda *_: pytest.fail("a second environment was made"))
    monkeypatch.setattr(build, "run_apart", lambda *_, **__: pytest.fail("not apart: a small archive"))
    assert isinstance(build.build(fixture_archive, tmp_path / "site", NO_CACHE), build.Archive)
    assert len(made) == 1 and warmed == made  # warm_up ran (the helper aligned), on the environment used
    assert (tmp_path / "site" / "index.html").is_file()
