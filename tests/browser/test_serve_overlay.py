"""`build.py serve` in a browser: a content error shows over the last good page, and
the fix clears it (the page reloads onto the new build); a page reloads only when a
build rewrote it."""
from __future__ import annotations

import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from tests.browser.conftest import watched_page
from tests.test_serve import fetch_json, free_port, start_serve, stop, wait_for

OVERLAY = "#duizhao-overlay"
PAGE = "articles/2025-03-test-interview/"


@contextmanager
def served_page(browser, content: Path, tmp_path: Path) -> Iterator[tuple[Any, str]]:  # type: ignore[no-untyped-def]
    """serve on ``content``, and PAGE open in a browser once the first build is in
    place: (the page, the server's address)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc: subprocess.Popen[str] = start_serve(content, tmp_path / "site", port)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        assert wait_for(lambda: (fetch_json(url + "_duizhao/status") or {}).get("ok") is True), "no first build"
        page = watched_page(context)
        page.goto(url + PAGE)
        yield page, url
        assert page.errors == [] and page.foreign == []
    finally:
        context.close()
        stop(proc)


def test_overlay_shows_the_error_and_goes_when_fixed(browser, fixture_archive: Path,  # type: ignore[no-untyped-def]
                                                     tmp_path: Path) -> None:
    with served_page(browser, fixture_archive, tmp_path) as (page, _):
        assert page.locator(OVERLAY).count() == 0

        corrections = fixture_archive / PAGE / "corrections.yaml"
        corrections.write_text("- find: 這段文字不在稿件裏\n  replace: x\n  why: stale\n", encoding="utf-8")
        overlay = page.locator(OVERLAY)
        overlay.wait_for(state="visible", timeout=30_000)
        text = overlay.inner_text()
        assert "Build failed" in text and f"{corrections}:1:" in text, text
        assert page.locator("#p1").count() == 1, "the last good page stays under the overlay"

        corrections.unlink()
        overlay.wait_for(state="detached", timeout=30_000)
        page.locator("#p1").wait_for(state="attached")


def test_a_page_reloads_when_a_build_rewrote_it_and_not_otherwise(browser, fixture_archive: Path,  # type: ignore[no-untyped-def]
                                                                  tmp_path: Path) -> None:
    with served_page(browser, fixture_archive, tmp_path) as (page, url):
        page.evaluate("window.kept = 1")  # gone if the page reloads
        build = fetch_json(url + "_duizhao/status")["build"]  # type: ignore[index]

        # Another article's note: this page's file is not rewritten, it stays as it is.
        (fixture_archive / "articles/2025-12-test-op-ed/notes.md").write_text(
            "## p1 note\nAn editor's note on the other article.\n", encoding="utf-8")
        assert wait_for(lambda: (fetch_json(url + "_duizhao/status") or {}).get("build", 0) > build)
        page.wait_for_timeout(1000)
        assert page.evaluate("window.kept") == 1

        # Its own note: rewritten, so it reloads and shows the note.
        (fixture_archive / PAGE / "notes.md").write_text("## p1 note\nAn editor's note on this article.\n",
                                                         encoding="utf-8")
        page.get_by_text("An editor's note on this article.").wait_for(timeout=30_000)
        assert page.evaluate("window.kept") is None
