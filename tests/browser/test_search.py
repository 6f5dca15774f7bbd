"""Full-text search in a real browser: the site served under /archive/ (see conftest),
queries in either Chinese script and in English, a result followed to its highlighted
paragraph, the keyboard, and the page under a strict Content-Security-Policy."""
from __future__ import annotations

import base64
import hashlib
import http.server
import re
import threading
import urllib.error
import urllib.request
from typing import Iterator

import pytest

from tests.browser.conftest import watched_page

NETEASE = "articles/2026-02-ft-interview-netease/index.html"
DISTILLING = NETEASE + "#p20"  # "…cut corners by distilling its reasoning model" / 模型蒸餾
STUDY_GROUP = NETEASE + "#p24"  # "more like a study group" / 學習小組


def search(page, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Type ``query`` in the box as a reader would; the hrefs of the results."""
    page.fill("#search-input", "")
    page.type("#search-input", query)
    page.wait_for_function("q => document.getElementById('search-status').textContent.includes(q)", arg=query)
    return page.eval_on_selector_all("#search-results > li > a", "links => links.map(a => a.getAttribute('href'))")


@pytest.mark.parametrize("query, expected", [
    ("蒸餾", DISTILLING),  # as NetEase printed it (Traditional)
    ("蒸馏", DISTILLING),  # Simplified finds the Traditional text
    ("distilling", DISTILLING),  # the English beside it
    ("學習小組", STUDY_GROUP),  # a word inside unsegmented Chinese
    ("学习小组", STUDY_GROUP),
    ("study group", STUDY_GROUP),
])
def test_query_finds_the_ft_passage(open_page, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    page = open_page("search.html")
    hrefs = search(page, query)
    assert expected in hrefs, hrefs
    assert page.errors == [] and page.foreign == []


def test_both_scripts_find_the_same_rows(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("search.html")
    assert sorted(search(page, "學習小組")) == sorted(search(page, "学习小组"))
    # and a Traditional query finds a text published in Simplified (the op-ed)
    assert any("ft-op-ed" in href for href in search(page, "開源模型"))


def test_follow_a_result_by_keyboard_to_the_highlighted_paragraph(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("search.html")
    hrefs = search(page, "蒸餾")
    page.focus("#search-input")
    page.keyboard.press("ArrowDown")  # into the results
    for _ in range(hrefs.index(DISTILLING)):
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('href')") == DISTILLING
    page.keyboard.press("Enter")
    page.wait_for_url("**/archive/" + DISTILLING)
    row = page.locator("#p20")
    assert "蒸餾" in row.inner_text() and "distilling" in row.inner_text()
    assert page.evaluate("document.getElementById('p20').matches(':target')")
    background = page.evaluate("getComputedStyle(document.getElementById('p20')).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), background  # highlighted
    page.go_back()
    page.wait_for_function("document.querySelectorAll('#search-results a').length > 0")
    assert page.input_value("#search-input") == "蒸餾"  # the query is kept in the address
    assert page.errors == [] and page.foreign == []


def test_results_are_an_announced_list_of_links(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("search.html?q=distilling")
    page.wait_for_function("document.querySelectorAll('#search-results a').length > 0")
    assert page.evaluate("document.getElementById('search-input').labels[0].textContent") == "Search the archive"
    status = page.locator("#search-status")
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    assert re.match(r"\d+ paragraphs? match", status.inner_text())
    assert page.evaluate("document.getElementById('search-results').tagName") == "OL"
    excerpt = page.locator("#search-results li").first.locator(".result-excerpt mark").first.inner_text()
    assert excerpt.lower().startswith("distil")
    search(page, "qwertyuiopzz")
    assert status.inner_text().startswith("No paragraph matches")
    assert page.locator("#search-results").is_hidden()


def test_excerpt_follows_the_chosen_script(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("search.html")
    search(page, "蒸馏")
    first = page.locator(f"#search-results li:has(a[href='{DISTILLING}']) .result-excerpt")
    assert "蒸餾" in first.inner_text()  # as NetEase published it
    page.click(".script-toggle button[data-script='hans']")
    assert "蒸馏" in first.inner_text() and "蒸餾" not in first.inner_text()
    page.click(".script-toggle button[data-script='']")
    assert "蒸餾" in first.inner_text()


def test_each_result_is_a_row_whose_text_its_excerpt_quotes(open_page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    """Articles are indexed with a section per row (search.py record_html): every
    result must link to the row its excerpt comes from, across articles and with
    many rows of one article among the results."""
    import json

    from site_src.search import simplified

    page = open_page("search.html")
    hrefs = search(page, "DeepSeek")
    status = page.inner_text("#search-status")
    assert re.fullmatch(r"\d+ paragraphs match “DeepSeek”; the best 50 are listed\.", status), status
    assert len(hrefs) == 50 and len(set(hrefs)) == 50
    assert len({h.split("#")[0] for h in hrefs}) >= 3  # several articles, several rows each
    excerpts = page.eval_on_selector_all("#search-results .result-excerpt", "e => e.map(x => x.textContent)")
    shown = page.eval_on_selector_all("#search-results .result-anchor", "e => e.map(x => x.textContent)")
    rows: dict[str, dict[str, str]] = {}
    for href, excerpt, label in zip(hrefs, excerpts, shown):
        path, anchor = href.split("#")
        slug = path.split("/")[1]
        if slug not in rows:
            doc = json.loads(urllib.request.urlopen(site_url + f"data/{slug}.json").read())
            rows[slug] = {r["anchor"]: " ".join(r["zh"] + r["en"]) for r in doc["rows"]}
        quoted = " ".join(excerpt.removeprefix("… ").removesuffix(" …").split())
        text = " ".join(rows[slug][anchor].split())
        assert label == f"¶ {anchor}"
        assert "DeepSeek" in quoted and (quoted in text or quoted in simplified(text)), (href, quoted, text)
    assert page.errors == [] and page.foreign == []


def test_rows_with_more_of_the_query_come_first(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("search.html")
    # The FT's row that says "study group" twice (NetEase's and Phoenix's copy of it,
    # which share the English), then the rows that say it once, then "group" alone.
    hrefs = search(page, "study group")
    texts = page.eval_on_selector_all("#search-results .result-excerpt", "e => e.map(x => x.textContent.toLowerCase())")
    times = [t.count("study group") for t in texts]
    assert STUDY_GROUP in hrefs[:2] and times[0] == 2, list(zip(hrefs, texts))
    assert times == sorted(times, reverse=True) and times[-1] == 0 and 1 in times, list(zip(hrefs, times))


def test_masthead_links_to_search(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("articles/2025-03-jiemian-interview/index.html")
    page.click(".site-nav a:text('Search')")
    page.wait_for_url("**/archive/search.html")
    assert page.locator("#search-input").is_visible()


# ---- A strict Content-Security-Policy, sent as a header on every response ----------
def inline_script_hashes(html: str) -> list[str]:
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>(.*?)</script>", html, re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


@pytest.fixture
def csp_url(site_url: str) -> Iterator[str]:
    """The site of ``site_url``, passed through a server that adds a CSP header to
    every response: only the site's own files, the page's inline script by its hash,
    and WebAssembly."""
    page = urllib.request.urlopen(site_url + "search.html").read().decode("utf-8")
    policy = ("default-src 'self'; script-src 'self' " + " ".join(inline_script_hashes(page))
              + " 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy", policy)
            super().end_headers()

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # proxy to the site server, adding the header
            try:
                with urllib.request.urlopen(upstream + self.path.removeprefix("/")) as response:
                    body = response.read()
                    kind = response.headers.get("Content-Type", "application/octet-stream")
            except urllib.error.HTTPError as exc:
                self.send_error(exc.code)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    upstream = site_url.removesuffix("archive/")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/archive/"
    server.shutdown()


def test_search_works_under_a_strict_csp(browser, csp_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    try:
        page = watched_page(context)
        violations: list[str] = []
        page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
        response = page.goto(csp_url + "search.html")
        assert "wasm-unsafe-eval" in response.headers["content-security-policy"]
        # The policy is in force: an inline script nobody hashed does not run.
        page.evaluate("""() => { const s = document.createElement('script');
            s.textContent = 'window.unhashed = true'; document.body.appendChild(s); }""")
        assert page.evaluate("window.unhashed") is None
        assert violations, "the probe above should have been reported"
        violations.clear()
        page.errors.clear()
        hrefs = search(page, "蒸餾")
        assert DISTILLING in hrefs
        assert violations == [] and page.errors == [] and page.foreign == []
    finally:
        context.close()


def test_no_serious_axe_violations_with_results_shown(open_page) -> None:  # type: ignore[no-untyped-def]
    """test_a11y.py checks the page as loaded; this checks it with results and marks."""
    from tests.tools import tool

    page = open_page("search.html")
    # axe comes in as an init script: the page's security policy refuses injected tags.
    page.add_init_script(path=str(tool("axe-core/axe.min.js")))
    page.reload()
    search(page, "蒸餾")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [f"{v['id']}: {v['help']} {v['nodes'][0]['target']}" for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def test_sharded_index_finds_rows_of_every_shard(browser, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """A large archive's index is written in shards (search.SHARD_BYTES) and merged by
    search.js: re-index the shipped site in shards of one article and search again."""
    import json
    import shutil
    from pathlib import Path

    from build import build
    from site_src.search import search_records, write_index
    from tests.browser.conftest import serve, served_url
    from tests.conftest import CONTENT

    root = tmp_path_factory.mktemp("sharded")
    shutil.copytree(CONTENT, root / "content")
    build(root / "content", root / "_site")
    site = root / "_site"
    files = {str(p.relative_to(site)): p.read_bytes() for p in (site / "data").glob("*.json")}
    shutil.rmtree(site / "pagefind")
    write_index(search_records({f"data/{Path(k).name}": v for k, v in files.items()}), site, shard_bytes=1)
    assert len(json.loads((site / "pagefind" / "duizhao-fold.json").read_text())["shards"]) == 4  # five bundles
    server = serve(root, site)
    try:
        context = browser.new_context(bypass_csp=True)
        page = watched_page(context)
        page.goto(served_url(server) + "search.html")
        # The FT articles sort after the Bloomberg and Jiemian ones: in the later shards.
        assert DISTILLING in search(page, "蒸餾") and STUDY_GROUP in search(page, "學習小組")
        assert any("jiemian" in h for h in search(page, "蒸餾"))  # and rows of an earlier shard
        assert page.errors == [] and page.foreign == []
        context.close()
    finally:
        server.shutdown()


def test_more_texts_than_are_read_say_so(browser, site_url: str, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """Only the best-ranked 50 texts are read for their rows: with more, the status
    says how many texts match rather than a paragraph count it cannot know."""
    from site_src.search import SearchRecord, SearchRow, write_index
    from tests.browser.conftest import serve, served_url

    root = tmp_path_factory.mktemp("many")
    site = root / "_site"
    # The search page of the shipped archive, over an index of 60 made-up texts.
    for rel in ("search.html", "assets/search.js", "assets/site.js", "assets/style.css", "assets/favicon.svg"):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(urllib.request.urlopen(site_url + rel).read())
    meta = {"title": "標題", "title_en": "", "outlet": "X", "date": "2026-01", "lang": "zh-Hant"}
    write_index([SearchRecord(f"/articles/many-{n:02d}/index.html", meta,
                              tuple(SearchRow(f"p{i}", "", (f"zzword {n} {i}",)) for i in (1, 2)))
                 for n in range(60)], site)
    server = serve(root, site)
    try:
        page = watched_page(browser.new_context())
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(served_url(server) + "search.html")
        hrefs = search(page, "zzword")
        # Read ten texts at a time until 50 rows are found: two rows a text, 30 texts.
        assert page.inner_text("#search-status") == (
            "Paragraphs of 60 texts match “zzword”; the best 50 paragraphs of the 30 best-ranked texts are listed.")
        fragments = [u for u in requested if "/pagefind/fragment/" in u]
        assert len(fragments) == 30, fragments
        assert len(hrefs) == 50 and all(re.fullmatch(r"articles/many-\d\d/index\.html#p[12]", h) for h in hrefs)
        assert page.errors == [] and page.foreign == []
        page.context.close()
    finally:
        server.shutdown()


def test_the_search_benchmark_times_a_site_against_a_peer(tmp_path, browser) -> None:  # type: ignore[no-untyped-def]
    """bench/search_page.py's table for a built site: what the first query fetched and
    what the page said (the timings themselves are not asserted)."""
    import shutil
    import sys

    from build import build
    from tests.conftest import CONTENT, ROOT
    sys.path.insert(0, str(ROOT / "bench"))
    import search_page
    shutil.copytree(CONTENT, tmp_path / "content")
    build(tmp_path / "content", tmp_path / "_site")
    site = tmp_path / "_site"
    lines = search_page.table(browser, [("site", site), ("peer", site)], ["distilling"], 1)
    rows = [line.split(" | ") for line in lines if line.startswith("| distilling")]
    assert len(rows) == 1
    cells = rows[0]
    assert float(cells[1]) > 0 and float(cells[2]) > 0 and cells[3].endswith("×")
    requests, kib = cells[7].split(", ")
    assert int(requests) >= 3 and float(kib.replace(",", "")) > 0  # script, WebAssembly, index…
    assert "distilling" in cells[9]  # the page reported the query's results
