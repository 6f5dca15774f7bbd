"""Citing in a real browser: the cite menu by keyboard, what lands on the clipboard,
target highlighting, and old anchors (aliases) followed from another site.

A synthetic archive is rendered with ``render_site`` and served like the real site:
forty rows, with p7 merged into p30 and p8 removed after p31, so the targets sit far
down the page and "in view" means the page really scrolled.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from site_src.model import AlignedRow, Alias, Archive, Article, CleanResult, Paragraph, Source
from site_src.render import render_site
from tests.test_render import INTERVIEW, meta, site_config

EDITION = "2026-11-23.3fa2c1b"
PAGE = f"articles/{INTERVIEW}/index.html"
PERMANENT = f"https://example.org/archive/articles/{INTERVIEW}/"
ZH_QUOTE = "OpenAI在2024年的運營成本為70億美元。"
EN_QUOTE = "OpenAI spent $7 billion of operating cost in 2024."


def para(lang: str, text: str, **kw: object) -> Paragraph:
    return Paragraph(lang=lang, text=text, origin=INTERVIEW, **kw)  # type: ignore[arg-type]


def row(n: int) -> AlignedRow:
    if n in (1, 30):  # the rows the tests cite: an answer by the interviewee
        return AlignedRow((para("zh-Hant", ZH_QUOTE, speaker="kfl", label="答"),),
                          (para("en", EN_QUOTE, speaker="kfl", label="A"),), 0.9, "numbers", f"p{n}")
    filler = "這一段只是為了讓頁面夠長。" * 4
    return AlignedRow((para("zh-Hant", f"{n}. {filler}"),), (para("en", f"{n}. Filler to make the page long. " * 3),),
                      0.9, "length", f"p{n}")


def archive() -> Archive:
    rows = tuple(row(n) for n in range(1, 41) if n not in (7, 8))
    article = Article(meta=meta(INTERVIEW, relations=()), source=Source(Path("source.txt"), "x\n", "0" * 64),
                      folder=Path("."), clean=CleanResult((), (), (), ()), rows=rows,
                      aliases=(Alias("p7", "p30", "merged"), Alias("p8", "p31", "removed")))
    return Archive(site_config(), (article,), Path("content"), edition=EDITION)


@pytest.fixture
def article_url(serve_files) -> str:  # type: ignore[no-untyped-def]
    return serve_files(render_site(archive())) + PAGE


def clipboard(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate("navigator.clipboard.readText()")


def active(page, what: str) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(f"document.activeElement && document.activeElement.{what}")


def copy_with_keyboard(page, side: str, downs: int) -> None:  # type: ignore[no-untyped-def]
    """Focus the side's cite button, open the menu with Enter, walk down, choose."""
    page.focus(f'.cite-button[data-cite="{side}"]')
    page.keyboard.press("Enter")
    for _ in range(downs):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('cite-status').textContent.startsWith('Copied')")


def in_view(page, element_id: str) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("""id => { const b = document.getElementById(id).getBoundingClientRect();
                                    return b.top >= 0 && b.top < window.innerHeight; }""", element_id)


def classes(page, element_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate("id => [...document.getElementById(id).classList]", element_id)


def clean_run(page) -> None:  # type: ignore[no-untyped-def]
    assert page.errors == [] and page.foreign == [], (page.errors, page.foreign)


# ---------------------------------------------------------------------------
# The cite menu
# ---------------------------------------------------------------------------
def test_one_cite_button_per_side_after_its_pilcrow(open_url, article_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(article_url)
    sides = page.evaluate("""Array.from(document.querySelectorAll('.side')).map(function (s) {
        var b = s.querySelectorAll(':scope > .cite-button');
        return [s.id, b.length, b.length && b[0].previousElementSibling.className,
                b.length && [b[0].type, b[0].dataset.cite, b[0].getAttribute('aria-haspopup'),
                             b[0].getAttribute('aria-expanded'), b[0].getAttribute('aria-controls'),
                             b[0].getAttribute('aria-label')]];
    })""")
    assert len(sides) > 10
    for side_id, count, before, attrs in sides:
        assert count == 1 and "pilcrow--side" in before, side_id
        assert attrs == ["button", side_id, "menu", "false", "cite-menu", f"Cite paragraph {side_id}"]


def test_tab_to_cite_control_and_copy_citation(open_url, article_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(article_url)
    for _ in range(40):
        page.keyboard.press("Tab")
        if active(page, "className") == "cite-button":
            break
    else:
        raise AssertionError("no cite button reached by Tab")
    assert active(page, "dataset.cite") == "p1-zh"
    assert page.evaluate("getComputedStyle(document.activeElement).opacity") != "0"
    page.keyboard.press("Enter")
    assert page.is_visible("#cite-menu") and active(page, "textContent") == "Copy link"
    assert page.get_attribute('.cite-button[data-cite="p1-zh"]', "aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    assert active(page, "textContent") == "Copy citation"
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('cite-status').textContent.startsWith('Copied')")
    text = clipboard(page)
    for needed in (PERMANENT + "#p1-zh", ZH_QUOTE, "Kai-Fu Lee", "測試網", "2025-03-20", "Test archive", EDITION):
        assert needed in text, (needed, text)
    assert "答" not in text  # the speaker label is not part of the quotation
    # The menu closed, focus went back to the control, the confirmation is visible.
    assert not page.is_visible("#cite-menu") and active(page, "dataset.cite") == "p1-zh"
    assert page.is_visible("#cite-status") and "p1-zh" in page.inner_text("#cite-status")
    clean_run(page)


def test_escape_closes_menu_and_returns_focus(open_url, article_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(article_url)
    page.focus('.cite-button[data-cite="p1-en"]')
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    assert page.is_visible("#cite-menu")
    page.keyboard.press("Escape")
    assert not page.is_visible("#cite-menu")
    assert active(page, "dataset.cite") == "p1-en"
    assert page.get_attribute('.cite-button[data-cite="p1-en"]', "aria-expanded") == "false"
    clean_run(page)


def test_copy_link_bibtex_and_csl_json(open_url, article_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(article_url)
    copy_with_keyboard(page, "p1-en", 0)
    assert clipboard(page) == PERMANENT + "#p1-en"
    copy_with_keyboard(page, "p1-en", 2)
    bib = clipboard(page)
    assert bib.startswith("@misc{") and f"url = {{{PERMANENT}#p1-en}}" in bib
    assert "author = {{Kai-Fu Lee}}" in bib and "year = {2025}" in bib
    assert "OpenAI spent \\$7 billion" in bib  # TeX specials escaped outside the url
    copy_with_keyboard(page, "p1-en", 3)
    items = page.evaluate("navigator.clipboard.readText().then(t => JSON.parse(t))")
    item = items[0]
    assert item["URL"] == PERMANENT + "#p1-en" and item["title"].startswith("測試訪談")
    assert item["issued"] == {"date-parts": [[2025, 3, 20]]}
    assert item["author"] == [{"literal": "Kai-Fu Lee"}] and item["version"] == EDITION
    assert EN_QUOTE in item["note"]
    clean_run(page)


def test_citation_quotes_the_text_as_shown_now(open_url, article_url) -> None:  # type: ignore[no-untyped-def]
    """A later change of the shown text (a Traditional/Simplified switch) is what is quoted."""
    page = open_url(article_url)
    page.evaluate("""() => { const p = document.querySelector('#p1-zh .para .sc');
                             p.lastChild.textContent = p.lastChild.textContent.replace('運營成本為', '运营成本为'); }""")
    copy_with_keyboard(page, "p1-zh", 1)
    text = clipboard(page)
    assert "运营成本为" in text and "運營成本為" not in text
    clean_run(page)


def test_citation_copied_through_fallback(open_url, article_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(article_url)
    page.evaluate("() => { navigator.clipboard.writeText = () => Promise.reject(new Error('denied')); }")
    copy_with_keyboard(page, "p30-en", 1)
    assert EN_QUOTE in clipboard(page) and "#p30-en" in clipboard(page)
    assert active(page, "dataset.cite") == "p30-en"  # back from the fallback's textarea
    assert page.evaluate("document.querySelectorAll('textarea').length") == 0
    clean_run(page)


# ---------------------------------------------------------------------------
# Targets and aliases
# ---------------------------------------------------------------------------
def test_target_side_and_partner_highlighted(open_url, article_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(article_url + "#p30-zh")
    assert "is-target" in classes(page, "p30-zh") and "is-partner" in classes(page, "p30-en")
    backgrounds = page.evaluate("""() => ['p30-zh', 'p30-en', 'p29-en'].map(
        id => getComputedStyle(document.getElementById(id)).backgroundColor)""")
    target, partner, other = backgrounds
    assert other == "rgba(0, 0, 0, 0)" and target not in (other, partner) and partner != other
    assert in_view(page, "p30-zh")
    page.evaluate("location.hash = '#p12'")  # following another link moves the highlight
    page.wait_for_function("document.getElementById('p12').classList.contains('is-target')")
    assert "is-target" not in classes(page, "p30-zh") and "is-partner" not in classes(page, "p30-en")
    clean_run(page)


def test_merged_alias_on_arrival(open_url, article_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(article_url + "#p7")
    assert "is-target" in classes(page, "p30") and in_view(page, "p30")
    notice = page.locator("#alias-notice")
    assert notice.is_visible()
    assert notice.inner_text().startswith("¶ p7 was merged into ¶ p30 in a later edition")
    assert page.evaluate("document.getElementById('alias-notice').nextElementSibling.id") == "p30"
    assert page.evaluate("location.hash") == "#p7"  # never rewritten
    page.click("#alias-notice .alias-dismiss")
    assert page.locator("#alias-notice").count() == 0
    clean_run(page)


def test_alias_keeps_the_side(open_url, article_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(article_url + "#p7-en")
    assert "is-target" in classes(page, "p30-en") and "is-partner" in classes(page, "p30-zh")
    assert in_view(page, "p30-en") and page.locator("#alias-notice").is_visible()
    clean_run(page)


def test_removed_alias_on_hashchange(open_url, article_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(article_url)
    assert page.locator("#alias-notice").count() == 0
    page.evaluate("location.hash = '#p8-zh-2'")  # a paragraph the target row does not have
    page.wait_for_selector("#alias-notice")
    assert page.inner_text("#alias-notice").startswith("¶ p8 was removed; it stood here")
    assert "is-target" in classes(page, "p31-zh") and in_view(page, "p31")
    # It stood after the row before it.
    assert page.evaluate("document.getElementById('alias-notice').previousElementSibling.id") == "p31"
    clean_run(page)


@pytest.mark.parametrize("fragment", ["#:~:text=OpenAI%20spent", "#p7:~:text=OpenAI%20spent"])
def test_text_fragment_left_alone(open_url, article_url, fragment: str) -> None:  # type: ignore[no-untyped-def]
    page = open_url("about:blank")
    # What the page saw before site.js ran, to compare with after.
    page.add_init_script("window.hashAtStart = location.hash; window.hrefAtStart = location.href;")
    page.goto(article_url + fragment)
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)
    assert page.evaluate("location.hash === window.hashAtStart && location.href === window.hrefAtStart")
    assert page.locator("#alias-notice").count() == 0
    assert page.evaluate("document.querySelectorAll('.is-target, .is-partner').length") == 0
    clean_run(page)


# ---------------------------------------------------------------------------
# The shipped content
# ---------------------------------------------------------------------------
def test_citation_on_the_real_site(open_url, site_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(site_url + "articles/2025-03-bloomberg-china-show/index.html")
    data = json.loads(page.text_content("#cite-data"))
    side = page.evaluate("document.querySelector('.row[data-speaker=\"kfl\"] .side--en').id")
    copy_with_keyboard(page, side, 1)
    text = clipboard(page)
    assert f"{data['url']}#{side}" in text and "Kai-Fu Lee" in text and data["edition"] in text
    assert page.inner_text(f"#{side} .para").split(" ", 1)[1][:30] in text  # the label is left out
    clean_run(page)


def test_citation_quotes_the_chosen_script(open_url, site_url) -> None:  # type: ignore[no-untyped-def]
    page = open_url(site_url + "articles/2025-03-bloomberg-china-show/index.html")
    def squeeze(s: str) -> str:
        return "".join(s.split())
    side = "p3-zh"
    original = squeeze(page.evaluate(f"document.querySelector('#{side} .sc').textContent"))
    page.click(".script-toggle button[data-script='hans']")
    copy_with_keyboard(page, side, 1)
    shown = squeeze(page.inner_text(f"#{side} .sc"))
    text = squeeze(clipboard(page))
    assert shown in text and original != shown and original not in text  # one script, the shown one
    clean_run(page)
