"""Hostile content: script payloads in every field an editor or a capture can fill must
come out of the build as text, never as markup a browser would run.

The fixture archive carries the payloads in article.yaml (every text field, speaker
names and labels, relation notes), the captures, notes.md (as raw HTML and as
Markdown links), glossary.yaml (names, aliases, descriptions, link titles and URLs),
links.yaml, site.yaml and corrections.yaml (the replacement text and the why).  Every
HTML page of the built site is parsed and checked for what would execute; the
executable inline scripts must be exactly those of a build of clean content.
"""
from __future__ import annotations

import json
import re
import xml.dom.minidom
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from build import build
from tests.conftest import write_archive

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(1)>'
JS = "javascript:alert(1)"
PAYLOAD = f"{SCRIPT} {IMG} {SVG} {JS}"
# How the payload would look if it reached a page as markup: none of these may occur in
# a page's bytes.  (As text it is escaped: &lt;script&gt;…)
RAW = ("<script>alert", "<img src=x onerror", "<svg onload")
# Attributes whose value a browser follows as a URL.
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc")
DANGEROUS_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.I)


def dump(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def article_yaml(title: str, languages: list[str], *, hostile: bool, speakers: bool) -> str:
    p = PAYLOAD if hostile else "x"
    data: dict[str, object] = {
        "title": {"zh": f"{title}{p}", "en": f"Title {p}"},
        "outlet": {"zh": f"測試網{p}", "en": f"Test Net {p}"},
        "byline": f"記者 {p}", "date": "2025-03-20", "date_note": f"From the page {p}",
        "url": f"https://example.org/a?{p}", "kind": "interview" if speakers else "op-ed",
        "languages": languages, "summary": f"Summary {p}", "source_note": f"Captured {p}",
        "english_original": f"Test Net {p}",
    }
    if speakers:
        data["speakers"] = [
            {"id": "host", "name": {"zh": f"主持人{p}", "en": f"Host {p}"}, "role": "interviewer",
             "labels": ["問", "Q"] + ([SVG] if hostile else [])},
            {"id": "kfl", "name": {"zh": f"李開復{p}", "en": f"Kai-Fu Lee {p}"}, "role": "interviewee",
             "labels": ["李開復", "A"]},
        ]
    else:
        data["relations"] = {"refers_to": [{"slug": "2025-03-test-interview", "note": f"Cites it {p}"}]}
    return dump(data)


def interview_source(hostile: bool) -> str:
    p = PAYLOAD if hostile else "x"
    return (f"問:OpenAI每年花多少錢?{p}\n"
            f"李開復:OpenAI 在 2024 年的運營成本為 70 億美元。{p}\n"
            + (f"{SVG}: 這一行以惡意標籤開頭,看它是否被當成說話人。\n" if hostile else "")
            + f"Q: How much does OpenAI spend? {p}\n"
            f"A: OpenAI spent $7 billion of operating cost in 2024. {p} &amp; <b>bold</b> 'quoted' \"double\"\n")


def oped_source(hostile: bool) -> str:
    p = PAYLOAD if hostile else "x"
    return f"测试文章\n\n今年 1 月,在 DeepSeek 发布 R1 大语言模型后,美国纳斯达克指数单日下跌3%。{p}\n第二段文字,说明更多的内容细节和背景。\n"


NOTES = f"""\
## p1 note
Raw: {SCRIPT} {IMG} {SVG}

<a href="{JS}">raw link</a> <a href=" JaVaScRiPt:alert(1)">spaced</a>
[md link]({JS}) [upper](JAVASCRIPT:alert(1)) [tab](java\tscript:alert(1)) [entity](javascript&#58;alert(1))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) <{JS}> ![img](x" onerror="alert(1))
[ref][r] <iframe src="{JS}"></iframe> <style>body{{display:none}}</style> <form action="{JS}"><button>go</button></form>

[r]: {JS}

## p1-en translation
<div onclick="alert(1)">click</div> <svg><a xlink:href="{JS}">x</a></svg>
"""


def glossary(hostile: bool) -> str:
    p = PAYLOAD if hostile else "x"
    return dump([{
        "id": "openai", "kind": "company",
        "name": {"en": f"OpenAI {p}", "zh-Hant": f"開放AI{p}", "zh-Hans": f"开放AI{p}"},
        # "alert" links the payload's own text to the entity, so the mention markup is
        # spliced into it: the splicing must escape both sides.
        "aliases": {"en": ["OpenAI"] + (["alert", SVG] if hostile else []), "zh": ["OpenAI"]},
        "description": f"An AI lab. {p}",
        "links": [{"title": f"Site {p}", "url": f"https://openai.com/?{p}"}],
    }])


def site_yaml(hostile: bool) -> str:
    p = PAYLOAD if hostile else "x"
    return dump({"title": f"Archive {p}", "subtitle": f"檔案 {p}", "description": f"About {p}",
                 "base_url": "https://example.org/archive/", "editors": [{"name": f"Ed {p}", "role": f"Role {p}"}],
                 "contact": JS if hostile else "mailto:editor@example.org"})


def write_content(root: Path, hostile: bool) -> Path:
    p = PAYLOAD if hostile else "x"
    content = write_archive(root, {
        "2025-03-test-interview": {
            "article.yaml": article_yaml("測試訪談", ["zh-Hant", "en"], hostile=hostile, speakers=True),
            "source.txt": interview_source(hostile)},
        "2025-12-test-op-ed": {
            "article.yaml": article_yaml("测试文章", ["zh-Hans"], hostile=hostile, speakers=False),
            "source.txt": oped_source(hostile),
            "corrections.yaml": dump([{"find": "第二段", "replace": f"第二段{p}", "why": f"Fixed {p}"}])},
    }, site=site_yaml(hostile))
    (content / "glossary.yaml").write_text(glossary(hostile), encoding="utf-8")
    (content / "links.yaml").write_text(dump([{"id": "spend", "claim": f"OpenAI's costs {p}", "passages": [
        "2025-03-test-interview#p1", "2025-12-test-op-ed#p1"]}]), encoding="utf-8")
    if hostile:
        (content / "articles/2025-03-test-interview/notes.md").write_text(NOTES, encoding="utf-8")
    return content


def pages(out: Path) -> dict[str, BeautifulSoup]:
    return {str(p.relative_to(out)): BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
            for p in sorted(out.rglob("*.html"))}


def executable_scripts(soup: BeautifulSoup) -> list[str]:
    """Inline scripts a browser would run (JSON data blocks are not run)."""
    return [s.get_text() for s in soup.find_all("script")
            if not s.get("src") and s.get("type", "text/javascript") != "application/json"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hostile")
    clean_out, hostile_out = root / "clean-site", root / "hostile-site"
    build(write_content(root / "clean", hostile=False), clean_out)
    build(write_content(root / "hostile", hostile=True), hostile_out)
    return clean_out, hostile_out


def test_every_page_was_built(built: tuple[Path, Path]) -> None:
    clean, hostile = built
    assert sorted(pages(hostile)) == sorted(pages(clean))
    assert "entities/openai/index.html" in pages(hostile)


def test_no_markup_from_the_payload_reaches_a_page(built: tuple[Path, Path]) -> None:
    _, out = built
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".tmx"):
            data = path.read_text(encoding="utf-8")
            for raw in RAW:
                assert raw not in data, (path.name, raw)
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))  # data, served as JSON: the payload is a string in it
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                json.loads(line)


def test_only_our_own_scripts(built: tuple[Path, Path]) -> None:
    clean, hostile = built
    clean_pages = pages(clean)
    for name, soup in pages(hostile).items():
        assert executable_scripts(soup) == executable_scripts(clean_pages[name]), name
        for script in soup.find_all("script"):
            if script.get("src"):
                assert re.fullmatch(r"(\.\./)*assets/[a-z]+\.js", script["src"]), (name, script["src"])
            elif script.get("type") == "application/json":
                json.loads(script.get_text())  # a payload closing the block early would break it


def url_values(soup: BeautifulSoup) -> set[str]:
    return {str(v) for tag in soup.find_all(True) for a, v in tag.attrs.items() if a.lower() in URL_ATTRIBUTES}


def test_no_event_handlers_and_no_script_urls(built: tuple[Path, Path]) -> None:
    clean, out = built
    clean_pages = pages(clean)
    for name, soup in pages(out).items():
        ours = url_values(clean_pages[name])  # the templates' own (an empty data: favicon)
        for tag in soup.find_all(True):
            for attribute, value in tag.attrs.items():
                assert not attribute.lower().startswith("on"), (name, tag.name, attribute)
                if attribute.lower() in URL_ATTRIBUTES and str(value) not in ours:
                    assert not DANGEROUS_SCHEME.match(browser_view(str(value))), (name, tag.name, attribute, value)
        for tag in ("iframe", "object", "embed", "form", "style", "svg", "img", "base", "input", "button", "link"):
            # As many as the templates make for clean content (the search page has a form).
            assert len(soup.find_all(tag)) == len(clean_pages[name].find_all(tag)), (name, tag)
        # <meta> tags vary with the content (one per author named); none may redirect.
        assert not any(m.get("http-equiv", "").lower() == "refresh" for m in soup.find_all("meta")), name
        assert not any("display:none" in s.get_text() for s in soup.find_all("style")), name  # a note's <style>


def browser_view(url: str) -> str:
    """A URL as a browser parses it: leading and trailing controls and spaces dropped,
    tabs and newlines removed anywhere (so ``java\tscript:`` is ``javascript:``)."""
    return re.sub(r"[\t\n\r]", "", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                              "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")


def test_payload_is_shown_as_text(built: tuple[Path, Path]) -> None:
    """Escaping, not deletion: what the content says is on the page, as text."""
    _, out = built
    soups = pages(out)
    article = soups["articles/2025-03-test-interview/index.html"].get_text()
    for field in (f"Title {PAYLOAD}", f"測試網{PAYLOAD}", f"Summary {PAYLOAD}", f"Archive {PAYLOAD}"):
        assert field in article or field in soups["index.html"].get_text(), field
    assert SCRIPT in article  # in the page title and header, as text
    # The capture's own tags are cut by the cleaner (stray-html) and logged; the log shows them as text.
    assert IMG in soups["articles/2025-03-test-interview/cleaning.html"].get_text()
    assert SCRIPT in soups["articles/2025-03-test-interview/source.html"].get_text()
    # An editor's correction may put the payload back; it is text in the paragraph.
    assert f"第二段{PAYLOAD}" in soups["articles/2025-12-test-op-ed/index.html"].get_text()
    assert f"An AI lab. {PAYLOAD}" in soups["entities/openai/index.html"].get_text()


def test_note_links_keep_only_web_schemes(built: tuple[Path, Path]) -> None:
    _, out = built
    soup = pages(out)["articles/2025-03-test-interview/index.html"]
    notes = soup.select(".note-body")
    assert notes, "the notes were not rendered"
    for body in notes:
        for a in body.find_all("a"):
            # A scheme, if any, is a web one; without one the link is relative to the page.
            scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", browser_view(a.get("href", "")))
            assert scheme is None or scheme[1].lower() in ("http", "https", "mailto"), a


def test_contact_that_is_a_script_url_is_not_a_link(built: tuple[Path, Path]) -> None:
    _, out = built
    soup = pages(out)["index.html"]
    assert JS in soup.get_text()
    assert not any(JS in (a.get("href") or "") for a in soup.find_all("a"))


def test_tmx_is_well_formed_xml(built: tuple[Path, Path]) -> None:
    _, out = built
    for path in (out / "data").glob("*.tmx"):
        xml.dom.minidom.parseString(path.read_bytes())  # raises on a payload that broke the markup
        assert '"&gt; javascript:alert(1)' in path.read_text(encoding="utf-8")
