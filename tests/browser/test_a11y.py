"""Accessibility in a real browser: axe-core (tests/tools, pinned) finds no serious or
critical violation on any page type of the shipped site, and the page can be used with
the keyboard alone — skip link first, script toggles and the cite menu with Enter and
Space.  (The ¶ links and the cite menu's arrow keys are in test_reading.py and
test_cite.py.)
"""
from __future__ import annotations

import pytest

from tests.browser.test_quality import BLOOMBERG, PAGES, PHOENIX, page_or_skip
from tests.tools import tool


def axe_problems(page) -> list[str]:  # type: ignore[no-untyped-def]
    # The pages' security policy refuses injected <script> tags, so axe comes in as an
    # init script (added by the browser itself, outside the policy) and the page reloads.
    page.add_init_script(path=str(tool("axe-core/axe.min.js")))
    page.reload()
    page.wait_for_load_state("load")
    result = page.evaluate("""() => axe.run(document, {resultTypes: ['violations']})""")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])}× e.g. "
            f"{v['nodes'][0]['target']} {v['nodes'][0]['failureSummary'][:300]!r}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_axe_violations(open_page, site_url, name: str) -> None:  # type: ignore[no-untyped-def]
    page_or_skip(site_url, PAGES[name])
    page = open_page(PAGES[name])
    page.wait_for_load_state("load")
    problems = axe_problems(page)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ["article-phoenix", "index"])
def test_no_serious_axe_violations_on_a_phone(open_page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Notes fold and rows stack under 75rem: the phone layout is checked too."""
    page = open_page(PAGES[name], width=390, height=844)
    page.wait_for_load_state("load")
    problems = axe_problems(page)
    assert not problems, "\n".join(problems)


def focused(page, what: str = "className"):  # type: ignore[no-untyped-def]
    return page.evaluate(f"document.activeElement && document.activeElement.{what}")


@pytest.mark.parametrize("name", ["index", "article-jiemian", "entity", "cleaning", "compare", "search"])
def test_skip_link_first_and_moves_focus_to_main(open_page, site_url, name: str) -> None:  # type: ignore[no-untyped-def]
    page_or_skip(site_url, PAGES[name])
    page = open_page(PAGES[name])
    page.keyboard.press("Tab")
    assert focused(page) == "skip" and page.locator(".skip").is_visible()  # shown while focused
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main'")
    # The next Tab goes on from inside main, not back to the masthead.
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")
    assert page.errors == []


def tab_to(page, predicate: str, limit: int = 40) -> None:  # type: ignore[no-untyped-def]
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(e => !!e && ({predicate}))(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate}")


def test_script_toggle_by_keyboard(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(BLOOMBERG + "index.html")
    tab_to(page, "e.matches('.script-toggle button')")
    assert focused(page, "dataset.script") == "" and focused(page, "getAttribute('aria-pressed')") == "true"
    page.keyboard.press("Tab")
    assert focused(page, "dataset.script") == "hant"
    page.keyboard.press("Enter")
    assert page.evaluate("document.documentElement.getAttribute('data-script')") == "hant"
    assert focused(page, "getAttribute('aria-pressed')") == "true"
    page.keyboard.press("Tab")
    assert focused(page, "dataset.script") == "hans"
    page.keyboard.press("Space")
    assert page.evaluate("document.documentElement.getAttribute('data-script')") == "hans"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page, "dataset.script") == ""
    page.keyboard.press("Space")
    assert page.evaluate("document.documentElement.getAttribute('data-script')") is None
    assert page.evaluate("localStorage.getItem('duizhao-script')") is None
    assert page.errors == []


def test_cite_menu_by_space_on_the_real_site(open_url, site_url) -> None:  # type: ignore[no-untyped-def]
    """test_cite.py drives the menu with Enter and arrows; Space works as well."""
    page = open_url(site_url + PHOENIX + "index.html")
    tab_to(page, "e.classList.contains('cite-button')", limit=80)
    side = focused(page, "dataset.cite")
    page.keyboard.press("Space")
    assert page.is_visible("#cite-menu") and focused(page, "textContent") == "Copy link"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('cite-status').textContent.startsWith('Copied citation')")
    assert not page.is_visible("#cite-menu") and focused(page, "dataset.cite") == side
    assert f"#{side}" in page.evaluate("navigator.clipboard.readText()")
    assert page.errors == [] and page.foreign == []
