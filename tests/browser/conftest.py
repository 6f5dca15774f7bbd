"""Browser tests: Playwright driving Debian's Chromium, headless, against the built site
served on 127.0.0.1.  No browser is downloaded: Playwright only drives /usr/bin/chromium.

Outside CI a missing Chromium skips these tests with the reason; under CI=true it is a
failure, so a green CI always means the pages were seen in a real browser.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest

from build import build
from tests.conftest import CONTENT

CHROMIUM = os.environ.get("DUIZHAO_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="session")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(CONTENT, root / "content")
    build(root / "content", root / "_site")
    # Serve under a sub-path, as GitHub Pages serves a project site (/repo/).
    (root / "www").mkdir()
    (root / "www" / "archive").symlink_to(root / "_site")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root / "www"))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/archive/"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} not found: CI must install Debian's chromium (see .ci/run)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, site_url):  # type: ignore[no-untyped-def]
    """Open a page of the site at a given width; collect console errors and any request
    that leaves 127.0.0.1 (the site must not load anything from another host)."""
    contexts = []

    def opener(rel: str, width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.foreign = []  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("request", lambda r: not r.url.startswith(("http://127.0.0.1", "data:", "about:"))
                and page.foreign.append(r.url))
        page.goto(site_url + rel)
        return page

    yield opener
    for c in contexts:
        c.close()
