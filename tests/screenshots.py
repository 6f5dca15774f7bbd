"""Screenshots of the site in Chromium, on a laptop (1280×800) and a phone (390×844).

``python -m tests.screenshots`` builds the shipped content, serves it on 127.0.0.1 and
writes the README's pictures, ``docs/screenshot-desktop.png`` and
``docs/screenshot-phone.png`` (an article: Chinese beside the English, notes, glossary
links).  The browser tests (tests/browser/test_quality.py) use ``shoot`` to save the
index and an article in both sizes as test artifacts, into ``$DUIZHAO_ARTIFACTS``
(default ``tests/artifacts/``).

Chinese needs a CJK font in the browser's system: Debian's ``fonts-noto-cjk``.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
# The README's article, scrolled to a row with editor's notes, glossary links and links
# to the other translation (row anchors are permanent).
ARTICLE = "articles/2026-02-ft-interview-netease/index.html"
ARTICLE_ROW = "p12"


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("DUIZHAO_ARTIFACTS") or ROOT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(browser, url: str, path: Path, viewport: str, row: str = "") -> Path:  # type: ignore[no-untyped-def]
    """Open ``url`` at the ``viewport`` size ("desktop" or "phone"), scroll ``row`` (an
    element id) to the top without making it the target, and save a PNG to ``path``."""
    phone = viewport == "phone"
    context = browser.new_context(viewport=VIEWPORTS[viewport], is_mobile=phone, has_touch=phone,
                                  device_scale_factor=1, color_scheme="light", reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready")
        if row:
            page.evaluate("""id => { const e = document.getElementById(id);
                if (e) window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 12); }""", row)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
    finally:
        context.close()
    return path


def main() -> int:
    from playwright.sync_api import sync_playwright

    from build import build
    from tests.browser.conftest import ARGS, CHROMIUM, serve, served_url

    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: apt-get install -y chromium fonts-noto-cjk", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "content", root / "content")  # the build writes registries
        build(root / "content", root / "_site")
        server = serve(root, root / "_site")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                for viewport in VIEWPORTS:
                    out = shoot(browser, served_url(server) + ARTICLE, ROOT / "docs" / f"screenshot-{viewport}.png",
                                viewport, ARTICLE_ROW)
                    print(out.relative_to(ROOT))
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
