"""Quality of every page type of the shipped site in Chromium: no console error, no failed
request, nothing asked of any host but 127.0.0.1 (requests elsewhere are intercepted,
refused and reported), no sideways scrolling on a phone (390×844) or a laptop; article
pages light enough to load on a phone; and screenshots saved as test artifacts
(``$DUIZHAO_ARTIFACTS``, default ``tests/artifacts/``).
"""
from __future__ import annotations

import struct
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.conftest import CONTENT
from tests.screenshots import ARTICLE, ARTICLE_ROW, VIEWPORTS, artifacts_dir, shoot

JIEMIAN = "articles/2025-03-jiemian-interview/"
PHOENIX = "articles/2026-02-ft-interview-phoenix/"
BLOOMBERG = "articles/2025-03-bloomberg-china-show/"

# One page of every type; the articles are the longest (jiemian) and the richest in
# notes, entities and cross-links (phoenix).
PAGES = {
    "index": "index.html",
    "article-jiemian": JIEMIAN + "index.html",
    "article-phoenix": PHOENIX + "index.html",
    "entity": "entities/kai-fu-lee/index.html",
    "entities": "entities/index.html",
    "cleaning": JIEMIAN + "cleaning.html",
    "compare": "articles/2026-02-ft-interview-netease/compare.html",
    "source": BLOOMBERG + "source.html",
    "404": "404.html",
    "search": "search.html",
}

# An article page (its HTML alone, before CSS, JS and fonts) must stay light for phones:
# under 150 KB (decimal kilobytes, 150 000 bytes).
ARTICLE_LIMIT = 150_000
SLUGS = sorted(p.name for p in (CONTENT / "articles").iterdir() if (p / "article.yaml").exists())


def fetch(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read()  # type: ignore[no-any-return]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def page_or_skip(site_url: str, rel: str) -> None:
    """search.html is new: until the build publishes it, its checks skip, naming it."""
    if rel == "search.html" and fetch(site_url + rel) is None:
        pytest.skip("search.html is not published by the build yet (the search page of issue #6)")


@pytest.fixture
def quality_page(browser):  # type: ignore[no-untyped-def]
    """Open a page at a viewport size, recording console errors, uncaught exceptions,
    failed requests, error responses and requests to any other host (refused)."""
    contexts = []

    def opener(url: str, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        problems: list[str] = []

        def route(r) -> None:  # type: ignore[no-untyped-def]
            if urlsplit(r.request.url).hostname == "127.0.0.1":
                r.continue_()
            else:
                problems.append(f"request to another host: {r.request.url}")
                r.abort("blockedbyclient")

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: urlsplit(r.url).hostname == "127.0.0.1"
                and problems.append(f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
        page.goto(url)
        page.wait_for_load_state("networkidle")  # late requests (fetches by site.js) count too
        return page, problems

    yield opener
    for c in contexts:
        c.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_and_fits(quality_page, site_url, name: str, viewport: str) -> None:  # type: ignore[no-untyped-def]
    page_or_skip(site_url, PAGES[name])
    page, problems = quality_page(site_url + PAGES[name], VIEWPORTS[viewport])
    # Open the disclosure widgets too (folded notes, related passages): what they show must fit.
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.wait_for_timeout(50)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className)""")
        problems.append(f"sideways scrolling: scrollWidth {widths[0]} > {widths[1]}, e.g. {wide}")
    assert problems == []


def test_the_checks_catch_what_they_look_for(quality_page, serve_files) -> None:  # type: ignore[no-untyped-def]
    """The watcher reports another host, a missing file, a script error and overflow."""
    url = serve_files({"index.html": b'<!doctype html><html lang="en"><title>t</title>'
                       b'<img src="https://example.org/x.png" alt=""><img src="missing.png" alt="">'
                       b'<div style="width:2000px">wide</div><script>undefinedCall()</script></html>'})
    page, problems = quality_page(url + "index.html", VIEWPORTS["phone"])
    text = "\n".join(problems)
    for needed in ("request to another host: https://example.org/x.png", "HTTP 404", "undefinedCall"):
        assert needed in text, (needed, problems)
    assert page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.mark.parametrize("slug", SLUGS)
def test_article_page_weight(site_url, slug: str) -> None:  # type: ignore[no-untyped-def]
    body = fetch(site_url + f"articles/{slug}/index.html")
    assert body is not None
    assert len(body) < ARTICLE_LIMIT, f"{slug}: {len(body):,} bytes, the limit is {ARTICLE_LIMIT:,}"


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", ["index", "article"])
def test_screenshots_saved(browser, site_url, name: str, viewport: str) -> None:  # type: ignore[no-untyped-def]
    path = artifacts_dir() / f"{name}-{viewport}.png"
    if name == "index":
        shoot(browser, site_url + "index.html", path, viewport)
    else:
        shoot(browser, site_url + ARTICLE, path, viewport, ARTICLE_ROW)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (VIEWPORTS[viewport]["width"], VIEWPORTS[viewport]["height"])
