"""The Content-Security-Policy <meta> of every page (issue #8): our files and the one
hashed inline script run; nothing injected does, and nothing is loaded from elsewhere."""
from __future__ import annotations

import pytest

PAGES = ["", "articles/2025-03-jiemian-interview/", "articles/2025-03-jiemian-interview/cleaning.html",
         "articles/2025-03-jiemian-interview/source.html", "articles/2026-02-ft-interview-netease/compare.html",
         "entities/", "entities/deepseek/", "search.html", "404.html"]

VIOLATIONS = """() => { window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', e => window.cspViolations.push(e.violatedDirective)); }"""


@pytest.mark.parametrize("rel", PAGES)
def test_policy_holds_without_breaking_the_page(open_page, rel: str) -> None:  # type: ignore[no-untyped-def]
    page = open_page("", enforce_csp=True)
    page.add_init_script(VIOLATIONS.removeprefix("() => {").removesuffix("}"))
    page.goto(page.url + rel)
    page.wait_for_load_state("load")
    policy = page.get_attribute("meta[http-equiv='Content-Security-Policy']", "content")
    assert "script-src 'self' 'sha256-" in policy and "'unsafe-inline'" not in policy
    # site.js ran (it marks <html>; the 404 page, served at any depth, has none) and the
    # head script was allowed: no violation at all.
    assert page.evaluate("document.documentElement.classList.contains('js')") == (rel != "404.html")
    assert page.evaluate("window.cspViolations") == [] and page.errors == [] and page.foreign == []
    # A script that got into the page (as a capture or a note might try) does not run.
    ran = page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.injected = 1'; document.body.appendChild(s);
        const img = document.createElement('img'); img.setAttribute('onerror', 'window.injected = 2');
        img.src = 'data:,x'; document.body.appendChild(img);
        return new Promise(r => setTimeout(() => r(window.injected === undefined), 100)); }""")
    assert ran
    assert "script-src-elem" in page.evaluate("window.cspViolations") or \
        "script-src" in page.evaluate("window.cspViolations")


def test_404_keeps_its_inline_style(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("404.html", enforce_csp=True)
    # The inline stylesheet is allowed by its hash: the page is styled.
    assert page.evaluate("getComputedStyle(document.querySelector('.masthead')).display") != "inline"
    assert page.errors == []
