"""`build.py serve` in a browser: a content error shows over the last good page, and
the fix clears it (the page reloads onto the new build)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from tests.browser.conftest import watched_page
from tests.test_serve import fetch_json, free_port, start_serve, stop, wait_for

OVERLAY = "#duizhao-overlay"


def test_overlay_shows_the_error_and_goes_when_fixed(browser, fixture_archive: Path,  # type: ignore[no-untyped-def]
                                                     tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc: subprocess.Popen[str] = start_serve(fixture_archive, tmp_path / "site", port)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        assert wait_for(lambda: (fetch_json(url + "_duizhao/status") or {}).get("ok") is True), "no first build"
        page = watched_page(context)
        page.goto(url + "articles/2025-03-test-interview/")
        assert page.locator(OVERLAY).count() == 0

        corrections = fixture_archive / "articles/2025-03-test-interview/corrections.yaml"
        corrections.write_text("- find: 這段文字不在稿件裏\n  replace: x\n  why: stale\n", encoding="utf-8")
        overlay = page.locator(OVERLAY)
        overlay.wait_for(state="visible", timeout=30_000)
        text = overlay.inner_text()
        assert "Build failed" in text and f"{corrections}:1:" in text, text
        assert page.locator("#p1").count() == 1, "the last good page stays under the overlay"

        corrections.unlink()
        overlay.wait_for(state="detached", timeout=30_000)
        page.locator("#p1").wait_for(state="attached")
        assert page.errors == [] and page.foreign == []  # type: ignore[attr-defined]
    finally:
        context.close()
        stop(proc)
