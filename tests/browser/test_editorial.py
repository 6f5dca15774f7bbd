"""The editorial layer in a real browser: margin notes on a wide screen, folded notes
opened by keyboard on a phone, the related-passages control, and the shipped notes.

A synthetic archive is rendered with ``render_site`` and served like the real site
(the shipped notes may change under these tests; the layout must not).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_src.annotate import render_markdown
from site_src.model import AlignedRow, Archive, Article, CleanResult, Note, Paragraph, Passage, Related, Source
from site_src.render import render_site
from tests.test_render import INTERVIEW, OPED, meta, oped, site_config

PAGE = f"articles/{INTERVIEW}/index.html"
PHOENIX = "articles/2026-02-ft-interview-phoenix/index.html"


def para(lang: str, text: str) -> Paragraph:
    return Paragraph(lang=lang, text=text, origin=INTERVIEW)  # type: ignore[arg-type]


def row(n: int) -> AlignedRow:
    return AlignedRow((para("zh-Hant", f"{n}. " + "這一段只是為了讓頁面夠長。" * 4),),
                      (para("en", f"{n}. " + "Filler to make the page long. " * 3),), 0.9, "length", f"p{n}")


def archive() -> Archive:
    notes = (Note("p5", "", "context", "A note on the **whole row**.", render_markdown("A note on the **whole row**."), 3, 1),
             Note("p6", "en", "sic", "Printed so.", render_markdown("Printed so."), 6, 2))
    talk = Article(meta=meta(INTERVIEW, relations=()), source=Source(Path("source.txt"), "x\n", "0" * 64),
                   folder=Path("."), clean=CleanResult((), (), (), ()), rows=tuple(row(n) for n in range(1, 21)),
                   notes=notes, related=(Related("p5", Passage(OPED, "p2", ""), 4.0, ("2025",)),))
    return Archive(site_config(), (talk, oped()), Path("content"))


@pytest.fixture
def site(serve_files) -> str:  # type: ignore[no-untyped-def]
    return serve_files(render_site(archive()))


def box(page, selector: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


def is_open(page, element_id: str) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("id => document.getElementById(id).open", element_id)


def clean_run(page) -> None:  # type: ignore[no-untyped-def]
    assert page.errors == [] and page.foreign == [], (page.errors, page.foreign)


def test_note_in_the_margin_on_a_wide_screen(open_url, site) -> None:  # type: ignore[no-untyped-def]
    page = open_url(site + PAGE, width=1280)
    zh, en, row5, note = box(page, "#p5-zh"), box(page, "#p5-en"), box(page, "#p5"), box(page, "#n1")
    assert is_open(page, "n1") and page.is_visible("#n1 .note-body")
    assert note["x"] >= en["x"] + en["width"]  # right of the English, beside it
    assert row5["y"] <= note["y"] < en["y"] + en["height"]  # level with its row
    assert note["x"] + note["width"] <= 1280  # no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # The text columns keep a comfortable measure beside the notes.
    assert zh["width"] >= 400 and en["width"] >= 400
    # A row without notes has nothing in the margin.
    assert page.locator("#p4 .notes").count() == 0
    clean_run(page)


def test_marker_leads_to_the_note_and_back(open_url, site) -> None:  # type: ignore[no-untyped-def]
    page = open_url(site + PAGE, width=1280)
    page.click('#p6-en .note-ref a[href="#n2"]')
    page.wait_for_function("document.getElementById('n2').classList.contains('is-target')")
    assert page.evaluate("location.hash") == "#n2"
    page.click("#n2 .note-back")
    page.wait_for_function("location.hash === '#p6-en'")
    # The hash changes at once; the highlight follows on the (asynchronous) hashchange.
    page.wait_for_function("document.getElementById('p6-en').classList.contains('is-target')")
    clean_run(page)


def test_notes_fold_on_a_phone_and_open_by_keyboard(open_url, site) -> None:  # type: ignore[no-untyped-def]
    page = open_url(site + PAGE, width=390, height=844)
    assert not is_open(page, "n1") and not is_open(page, "n2")
    assert not page.is_visible("#n1 .note-body") and page.is_visible("#n1 > summary")
    page.click("#p5 > .en-fold")  # the English is folded on a phone
    en, note = box(page, "#p5-en"), box(page, "#n1")
    assert note["y"] >= en["y"] + en["height"] - 1  # under the row's text, not beside it
    # The marker in the text, by keyboard: Tab reaches it, Enter opens its note.
    page.focus("#p5-zh .pilcrow--side")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.note-ref a')"):
            break
    else:
        raise AssertionError("no note marker reached by Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('n1').open")
    assert page.is_visible("#n1 .note-body") and "whole row" in page.inner_text("#n1 .note-body")
    # The note's own summary is a control too: Enter opens and closes it.
    page.focus("#n2 > summary")
    page.keyboard.press("Enter")
    assert is_open(page, "n2") and page.is_visible("#n2 .note-body")
    page.keyboard.press("Enter")
    assert not is_open(page, "n2")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    clean_run(page)


def test_related_control_reveals_the_list(open_url, site) -> None:  # type: ignore[no-untyped-def]
    page = open_url(site + PAGE, width=1280)
    assert page.locator("details.nearby").count() == 1
    assert not page.is_visible("#p5 .nearby li")
    page.focus("#p5 .nearby > summary")
    page.keyboard.press("Enter")
    assert page.is_visible("#p5 .nearby li")
    link = page.locator("#p5 .nearby li a")
    assert link.get_attribute("href") == f"../{OPED}/index.html#p2"
    link.click()
    page.wait_for_url(re.compile(rf"{OPED}/index\.html#p2$"))
    assert "is-target" in page.evaluate("[...document.getElementById('p2').classList]")
    clean_run(page)


def test_the_shipped_notes(open_page) -> None:  # type: ignore[no-untyped-def]
    wide = open_page(PHOENIX, width=1280)
    first = wide.evaluate("document.querySelector('details.note').id")
    row_id = wide.evaluate(f"document.getElementById('{first}').closest('.row').id")
    note, row_box = box(wide, f"#{first}"), box(wide, f"#{row_id}")
    sides = wide.evaluate(f"[...document.querySelectorAll('#{row_id} > .side')].map(s => s.getBoundingClientRect().right)")
    assert note["x"] >= max(sides) and row_box["y"] <= note["y"] < row_box["y"] + row_box["height"]
    assert wide.locator(f'.note-ref a[href="#{first}"]').count() == 1
    assert wide.locator("a.entity").count() > 0
    assert wide.errors == [] and wide.foreign == []
    narrow = open_page(PHOENIX, width=390, height=844)
    assert not is_open(narrow, first)
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 390
    assert narrow.errors == [] and narrow.foreign == []
