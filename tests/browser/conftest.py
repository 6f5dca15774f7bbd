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
from typing import Callable, Iterator

import pytest

from build import build
from tests.conftest import CONTENT

CHROMIUM = os.environ.get("DUIZHAO_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"]


def serve(root: Path, site: Path) -> http.server.ThreadingHTTPServer:
    """Serve ``site`` on 127.0.0.1 under a sub-path, as GitHub Pages serves a project
    site (/repo/): ``http://127.0.0.1:<port>/archive/``."""
    (root / "www").mkdir()
    (root / "www" / "archive").symlink_to(site)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root / "www"))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def served_url(server: http.server.ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/archive/"


@pytest.fixture(scope="session")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(CONTENT, root / "content")
    build(root / "content", root / "_site")
    server = serve(root, root / "_site")
    yield served_url(server)
    server.shutdown()


@pytest.fixture
def serve_files(tmp_path: Path) -> Iterator[Callable[[dict[str, bytes]], str]]:
    """Write ``render_site(...)`` output (a synthetic archive) to a folder and serve it;
    returns the site's address."""
    servers = []

    def server_for(files: dict[str, bytes]) -> str:
        root = tmp_path / f"site{len(servers)}"
        for rel, data in files.items():
            (root / "_site" / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / "_site" / rel).write_bytes(data)
        servers.append(serve(root, root / "_site"))
        return served_url(servers[-1])

    yield server_for
    for server in servers:
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


def watched_page(context):  # type: ignore[no-untyped-def]
    """A new page of ``context`` that collects console errors and any request that
    leaves 127.0.0.1 (the site must not load anything from another host)."""
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.foreign = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: not r.url.startswith(("http://127.0.0.1", "data:", "about:"))
            and page.foreign.append(r.url))
    return page


@pytest.fixture
def open_page(browser, site_url):  # type: ignore[no-untyped-def]
    """Open a page of the site at a given width (see ``watched_page``)."""
    contexts = []

    def opener(rel: str, width: int = 1280, height: int = 900,  # type: ignore[no-untyped-def]
               enforce_csp: bool = False):
        # Playwright polls wait_for_function's predicate with eval(), which the pages'
        # security policy forbids; test_csp.py opens pages with the policy enforced.
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=not enforce_csp)
        contexts.append(context)
        page = watched_page(context)
        page.goto(site_url + rel)
        return page

    yield opener
    for c in contexts:
        c.close()


@pytest.fixture
def open_url(browser):  # type: ignore[no-untyped-def]
    """Open an absolute address (a synthetic site from ``serve_files``) in a context
    that may read and write the clipboard; pages are watched as by ``open_page``."""
    contexts = []

    def opener(url: str, width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": width, "height": height},
                                      permissions=["clipboard-read", "clipboard-write"], bypass_csp=True)
        contexts.append(context)
        page = watched_page(context)
        page.goto(url)
        return page

    yield opener
    for c in contexts:
        c.close()
