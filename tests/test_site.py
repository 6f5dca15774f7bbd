"""The built site from the shipped content, parsed as a reader's browser would get it."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from build import build
from site_src.load import load_archive
from site_src.render import Segment, convert_segments
from site_src.scripts import converter
from tests.conftest import CONTENT

PINYIN_RESIDUE = re.compile(r"[\u4e00-\u9fff]\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)")
JUNK = ("国产av", "熱議股票", "相關推薦", "相關(guān)推薦", "熱點推薦", "相关内容", "热门资讯", "?.?.?.", "</span>",
        "分享至", "免責聲明", "Notice: The content above", "特別聲明", "申請入駐", "網易首頁")
BILINGUAL = ("2026-02-ft-interview-netease", "2025-03-bloomberg-china-show", "2026-02-ft-interview-phoenix")
CHINESE_ONLY = ("2025-12-ft-op-ed-open-source", "2025-03-jiemian-interview")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil
    root = tmp_path_factory.mktemp("built")
    content = root / "content"
    shutil.copytree(CONTENT, content)
    build(content, root / "_site")
    return root


def page(site: Path, rel: str) -> BeautifulSoup:
    return BeautifulSoup((site / "_site" / rel).read_text(encoding="utf-8"), "html.parser")


def all_pages(site: Path) -> list[Path]:
    return sorted((site / "_site").rglob("*.html"))


def test_every_article_has_a_page(site: Path) -> None:
    index = page(site, "index.html")
    for slug in BILINGUAL + CHINESE_ONLY:
        assert index.find("a", href=re.compile(rf"articles/{slug}/")), slug
        assert (site / "_site/articles" / slug / "index.html").is_file()
        assert (site / "_site/data" / f"{slug}.json").is_file()


def test_no_scrape_residue_visible(site: Path) -> None:
    for path in all_pages(site):
        if path.name == "source.html" or path.name == "cleaning.html":
            continue  # these show the raw capture and the damage on purpose
        text = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text()
        assert not PINYIN_RESIDUE.search(text), (path, PINYIN_RESIDUE.search(text).group())
        for junk in JUNK:
            assert junk not in text, (path, junk)


def test_only_relative_links_and_no_other_host(site: Path) -> None:
    for path in all_pages(site):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(["script", "link", "img", "iframe", "source"]):
            ref = tag.get("src") or tag.get("href") or ""
            assert not re.match(r"^(https?:)?//", ref), (path, ref)
        if path.name == "404.html":
            continue
        for a in soup.find_all("a", href=True):
            assert not a["href"].startswith("/"), (path, a["href"])
    assert (site / "_site/.nojekyll").exists() and (site / "_site/404.html").exists()


@pytest.mark.parametrize("slug", BILINGUAL)
def test_bilingual_rows_side_by_side(site: Path, slug: str) -> None:
    soup = page(site, f"articles/{slug}/index.html")
    rows = [r for r in soup.find_all(id=re.compile(r"^p\d+$"))]
    both = [r for r in rows if r.find(id=f"{r['id']}-zh") and r.find(id=f"{r['id']}-en")]
    assert len(both) >= 15, (slug, len(both))
    for r in both:
        assert r.find(id=f"{r['id']}-zh").find(lang=re.compile("^zh-"))
        assert r.find(id=f"{r['id']}-en").find(lang="en") or r.find(id=f"{r['id']}-en").get("lang") == "en"


@pytest.mark.parametrize("slug", CHINESE_ONLY)
def test_chinese_only_has_no_english_column(site: Path, slug: str) -> None:
    soup = page(site, f"articles/{slug}/index.html")
    assert soup.find_all(id=re.compile(r"^p\d+-zh$"))
    assert not soup.find_all(id=re.compile(r"^p\d+-en$"))


def test_anchors_unique_and_registered(site: Path) -> None:
    archive = load_archive(site / "content")  # registries as the build wrote them
    for article in archive.articles:
        soup = page(site, f"articles/{article.slug}/index.html")
        ids = [t["id"] for t in soup.find_all(id=True)]
        assert len(ids) == len(set(ids)), article.slug
        rows = [i for i in ids if re.fullmatch(r"p\d+", i)]
        assert set(rows) <= article.registry.unpack().anchors()
        data = json.loads((site / "_site/data" / f"{article.slug}.json").read_text(encoding="utf-8"))
        assert [r["anchor"] for r in data["rows"]] == rows


def test_committed_registries_are_complete(site: Path) -> None:
    """Building the shipped content must not mint anchors: every published anchor is committed."""
    for folder in sorted((site / "content/articles").iterdir()):
        committed = CONTENT / "articles" / folder.name / "anchors.yaml"
        assert committed.is_file(), f"{committed} missing: run python build.py and commit it"
        assert (folder / "anchors.yaml").read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), \
            f"{committed} is stale: run python build.py and commit it"


def test_raw_capture_published_byte_for_byte(site: Path) -> None:
    for folder in sorted(CONTENT.glob("articles/*")):
        published = site / "_site/articles" / folder.name / "source.txt"
        assert published.read_bytes() == (folder / "source.txt").read_bytes()


def test_pages_credit_outlet(site: Path) -> None:
    archive = load_archive(CONTENT)
    for article in archive.articles:
        text = page(site, f"articles/{article.slug}/index.html").get_text()
        assert article.meta.outlet_zh in text
        assert archive.site.title in text


def test_tmx_is_valid_and_matches_json(site: Path) -> None:
    import xml.etree.ElementTree as ET
    XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
    for slug in BILINGUAL:
        data = json.loads((site / "_site/data" / f"{slug}.json").read_text(encoding="utf-8"))
        tmx = ET.parse(site / "_site/data" / f"{slug}.tmx").getroot()
        assert tmx.tag == "tmx" and tmx.get("version") == "1.4"
        header = tmx.find("header")
        for attr in ("creationtool", "creationtoolversion", "segtype", "o-tmf", "adminlang", "srclang", "datatype"):
            assert header.get(attr), attr  # required by TMX 1.4
        assert re.fullmatch(r"\d{8}T\d{6}Z", header.get("creationdate"))
        both = {r["anchor"]: r for r in data["rows"] if r["zh"] and r["en"]}
        units = tmx.findall("body/tu")
        assert [u.get("tuid") for u in units] == list(both)
        for unit in units:
            row = both[unit.get("tuid")]
            segs = {tuv.get(XML_LANG): tuv.findtext("seg") for tuv in unit.findall("tuv")}
            assert segs["en"] == "\n".join(row["en"])
            zh_lang = next(k for k in segs if k.startswith("zh-"))
            assert zh_lang in ("zh-Hant", "zh-Hans") and segs[zh_lang] == "\n".join(row["zh"])
    assert not (site / "_site/data/2025-03-jiemian-interview.tmx").exists()  # no English, no TMX


def test_archive_jsonl_has_every_row(site: Path) -> None:
    lines = (site / "_site/data/archive.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    total = 0
    for slug in BILINGUAL + CHINESE_ONLY:
        data = json.loads((site / "_site/data" / f"{slug}.json").read_text(encoding="utf-8"))
        mine = [r for r in records if r["slug"] == slug]
        assert [r["anchor"] for r in mine] == [r["anchor"] for r in data["rows"]]
        assert all(r["url"].endswith(f"articles/{slug}/#{r['anchor']}") for r in mine)
        total += len(data["rows"])
    assert len(records) == total


def test_quote_selectors_refind_each_paragraph(site: Path) -> None:
    data = json.loads((site / "_site/data/2026-02-ft-interview-netease.json").read_text(encoding="utf-8"))
    for side in ("zh", "en"):
        stream = "\n".join(t for r in data["rows"] for t in r[side])
        for row in data["rows"]:
            assert len(row["quotes"][side]) == len(row[side])
            for text, quote in zip(row[side], row["quotes"][side]):
                assert quote["type"] == "TextQuoteSelector" and quote["exact"] == text
                assert len(quote["prefix"]) <= 32 and len(quote["suffix"]) <= 32
                assert quote["prefix"] + text + quote["suffix"] in stream
                # The context makes a repeated text unambiguous in practice: one match.
                assert stream.count(quote["prefix"] + text + quote["suffix"]) == 1


def test_three_way_reading_of_the_ft_interview(site: Path) -> None:
    compare = page(site, "articles/2026-02-ft-interview-netease/compare.html")
    heads = [th.get("data-column") for th in compare.select("table.compare thead th")]
    assert heads == ["en", "2026-02-ft-interview-netease", "2026-02-ft-interview-phoenix"]
    netease = page(site, "articles/2026-02-ft-interview-netease/index.html")
    phoenix = page(site, "articles/2026-02-ft-interview-phoenix/index.html")
    for article in (netease, phoenix):
        assert article.find("a", href="../../articles/2026-02-ft-interview-netease/compare.html")
    # Every cell links to a row that exists on its translation's page, and every
    # Chinese row of both translations appears once.
    for slug, soup in (("2026-02-ft-interview-netease", netease), ("2026-02-ft-interview-phoenix", phoenix)):
        cells = compare.select(f'td[data-column="{slug}"] .compare-cell')
        anchors = [c["id"].removeprefix(slug + "-") for c in cells]
        rows = [r["id"] for r in soup.find_all(id=re.compile(r"^p\d+-zh$"))]
        assert [f"{a}-zh" for a in anchors] == rows
    # From a row of one translation to the same passage in the other.
    question = next(r for r in phoenix.find_all(id=re.compile(r"^p\d+$"))
                    if r.find(id=f"{r['id']}-zh") and "另外那99家" in r.find(id=f"{r['id']}-zh").get_text())
    other = question.select_one(".parallel a[href*='2026-02-ft-interview-netease/index.html#']")
    target = other["href"].split("#")[1]
    assert "另外99家" in netease.find(id=target).get_text()


def test_each_script_reads_the_same_as_opencc(site: Path) -> None:
    """What site.js shows for each choice (the page's tables and fixes, applied by
    convert_segments' steps) is exactly OpenCC's conversion of the published text:
    the jiemian capture is Traditional with stray Simplified characters, the FT ones
    Simplified.  tests/browser/test_reading.py runs site.js itself on the same pages."""
    seen = 0
    for path in sorted(site.glob("_site/articles/*/index.html")):
        html = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        maps = json.loads(html.find(id="script-maps").string)
        for sc in html.select(".sc"):
            nodes = [Segment(text=str(t), flag="", entity="", entity_name="") for t in sc.find_all(string=True)]
            published = "".join(n["text"] for n in nodes)
            for script, config in (("hant", "s2t"), ("hans", "t2s")):
                fixes = [tuple(f) for f in json.loads(sc.get(f"data-{script}", "[]"))]
                shown = "".join(convert_segments(nodes, maps[script], fixes))  # type: ignore[arg-type]
                assert shown == converter(config).convert(published), (path.parent.name, published)
                seen += shown != published
    assert seen > 100


def test_contents_list_the_questions_of_long_interviews(site: Path) -> None:
    jiemian = page(site, "articles/2025-03-jiemian-interview/index.html")
    entries = jiemian.select("details.toc li")
    assert len(entries) >= 20
    for li in entries:
        row = jiemian.find(id=li.a["href"][1:])
        assert "row" in row["class"]
        if "toc--question" in li["class"]:
            assert "turn--interviewer" in row["class"]
            label = li.get_text()
            assert len(label) <= 29 and row.find(class_="sc").get_text().startswith(label.rstrip("…"))
        else:
            assert "row--heading" in row["class"]
    # The op-ed has neither questions nor enough headings: no contents list.
    assert not page(site, "articles/2025-12-ft-op-ed-open-source/index.html").select("details.toc")


def test_article_pages_are_light(site: Path) -> None:
    """Issue #6: under 150 KB before compression (the search index aside)."""
    for path in sorted(site.glob("_site/articles/*/*.html")):
        if path.name == "index.html":
            assert path.stat().st_size < 150_000, (path.parent.name, path.stat().st_size)


def test_feed_sitemap_robots_and_open_graph(site: Path) -> None:
    import xml.etree.ElementTree as ET
    base = "https://duizhao.github.io/archive/"
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(site / "_site" / "feed.xml").getroot()
    entries = feed.findall(f"{atom}entry")
    slugs = sorted(p.name for p in (site / "content" / "articles").iterdir())
    assert sorted(e.find(f"{atom}id").text.split("/")[-2] for e in entries) == slugs
    dates = [e.find(f"{atom}updated").text for e in entries]
    assert dates == sorted(dates, reverse=True) and feed.find(f"{atom}updated").text == dates[0]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", d) for d in dates)
    for entry in entries:
        link = entry.find(f"{atom}link").get("href")
        assert link.startswith(base) and (site / "_site" / link[len(base):] / "index.html").exists()
        assert entry.find(f"{atom}summary").text
    assert feed.find(f"{atom}link[@rel='self']").get("href") == base + "feed.xml"

    sm = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locs = [u.find(f"{sm}loc").text for u in ET.parse(site / "_site" / "sitemap.xml").getroot()]
    pages = {str(p.relative_to(site / "_site")) for p in all_pages(site)} - {"404.html"}
    assert sorted(locs) == sorted(base + p.removesuffix("index.html") for p in pages)
    assert (site / "_site" / "robots.txt").read_text() == (
        f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n")

    article = page(site, "articles/2025-03-jiemian-interview/index.html")
    og = {m["property"]: m["content"] for m in article.find_all("meta", property=True)}
    assert og["og:type"] == "article" and og["og:url"] == base + "articles/2025-03-jiemian-interview/"
    assert og["og:title"].startswith("界面新聞") and og["og:description"].startswith("Jiemian News")
    assert article.find("link", rel="alternate", type="application/atom+xml")["href"] == "../../feed.xml"
    index = {m["property"]: m["content"] for m in page(site, "index.html").find_all("meta", property=True)}
    assert index["og:type"] == "website" and index["og:site_name"].startswith("對照")
