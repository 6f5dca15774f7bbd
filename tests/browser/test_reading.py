"""A reader in a real browser: side by side on a laptop, stacked on a phone, anchors work."""
from __future__ import annotations

BLOOMBERG = "articles/2025-03-bloomberg-china-show/"


def first_bilingual_row(page):  # type: ignore[no-untyped-def]
    return page.evaluate("""() => {
        for (const row of document.querySelectorAll('[id^="p"]')) {
            if (/^p\\d+$/.test(row.id) && document.getElementById(row.id + '-zh')
                && document.getElementById(row.id + '-en')) return row.id;
        }
        return null; }""")


def test_index_and_article_load_cleanly(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("")
    assert "Kai-Fu Lee" in page.title() or "李開復" in page.content()
    page.click(f"a[href*='{BLOOMBERG}']")
    page.wait_for_load_state()
    assert page.url.endswith(BLOOMBERG) or page.url.endswith(BLOOMBERG + "index.html")
    assert page.errors == [] and page.foreign == []


def test_side_by_side_on_desktop(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(BLOOMBERG, width=1280)
    row = first_bilingual_row(page)
    zh = page.locator(f"#{row}-zh").bounding_box()
    en = page.locator(f"#{row}-en").bounding_box()
    assert en["x"] >= zh["x"] + zh["width"] - 1  # English to the right
    assert abs(en["y"] - zh["y"]) < 40  # on the same line


def test_stacked_on_phone(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(BLOOMBERG, width=390, height=844)
    row = first_bilingual_row(page)
    zh = page.locator(f"#{row}-zh").bounding_box()
    en = page.locator(f"#{row}-en").bounding_box()
    assert en["y"] >= zh["y"] + zh["height"] - 1  # English below the Chinese
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling


def test_anchor_link_scrolls_to_row(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(BLOOMBERG)
    row = first_bilingual_row(page)
    last = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)"
                         ".filter(i => /^p\\d+$/.test(i)).pop()")
    page.goto(page.url.split("#")[0] + f"#{last}")
    page.wait_for_timeout(200)
    box = page.locator(f"#{last}").bounding_box()
    assert 0 <= box["y"] < 900, box
    assert row != last


def test_pilcrow_reachable_by_keyboard(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(BLOOMBERG)
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.className")
        if focused and "pilcrow" in focused:
            break
    else:
        raise AssertionError("no ¶ link reached by Tab")
    assert page.evaluate("getComputedStyle(document.activeElement).opacity") != "0"
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert href.startswith("#p")


def test_three_way_columns_toggle(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("articles/2026-02-ft-interview-netease/compare.html")
    phoenix = 'td[data-column="2026-02-ft-interview-phoenix"]'
    assert page.locator(phoenix).first.is_visible()
    page.locator('input[data-column="2026-02-ft-interview-phoenix"]').uncheck()
    assert not page.locator(phoenix).first.is_visible()
    assert page.locator('td[data-column="en"]').first.is_visible()
    page.locator('input[data-column="2026-02-ft-interview-phoenix"]').check()
    assert page.locator(phoenix).first.is_visible()
    assert page.errors == [] and page.foreign == []


def test_script_toggle_switches_remembers_and_quotes(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(BLOOMBERG)
    # 003 is Traditional with stray Simplified characters: 背后 as captured.
    para = page.locator(".para", has_text="萬智企業大模型一站式平臺背").first
    assert "背后" in para.inner_text()
    page.click(".script-toggle button[data-script='hant']")
    assert "背後" in para.inner_text() and "背后" not in para.inner_text()
    page.click(".script-toggle button[data-script='hans']")
    assert "万智企业大模型一站式平台背后" in para.inner_text()
    assert para.locator(".sc-hans").first.get_attribute("lang") == "zh-Hans"
    page.reload()  # remembered, and applied before paint by the inline head script
    assert page.evaluate("document.documentElement.getAttribute('data-script')") == "hans"
    assert "万智企业大模型" in page.locator(".para", has_text="万智企业大模型一站式平台背后").first.inner_text()
    page.click(".script-toggle button[data-script='']")
    assert page.evaluate("document.documentElement.getAttribute('data-script')") is None
    assert page.errors == []


def test_text_fragment_in_the_other_script_finds_its_paragraph(open_page) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote
    # Quoted from the Simplified view; the page opens in the script as captured.
    words = "万智企业大模型一站式平台背后的行业思考"
    page = open_page(BLOOMBERG + "#:~:text=" + quote(words), width=1280, height=600)
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.getAttribute('data-script')") == "hans"
    target = page.locator(".is-target")
    assert words in target.inner_text()
    box = target.bounding_box()
    assert 0 <= box["y"] < 600
    assert page.evaluate("localStorage.getItem('duizhao-script')") is None  # not remembered
    assert page.errors == []
