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
    # The English is folded under its row's button; the button unfolds it.
    fold = page.locator(f"#{row} > .en-fold")
    assert fold.is_visible() and fold.get_attribute("aria-expanded") == "false"
    assert not page.is_visible(f"#{row}-en")
    fold.click()
    assert fold.get_attribute("aria-expanded") == "true" and page.is_visible(f"#{row}-en")
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
    found = page.locator(".para", has_text="萬智企業大模型一站式平臺背").first
    side = found.evaluate("p => p.closest('.side').id")
    para = page.locator(f"#{side} .para").first
    assert "背后" in para.inner_text()
    page.click(".script-toggle button[data-script='hant']")
    assert "背後" in para.inner_text() and "背后" not in para.inner_text()
    page.click(".script-toggle button[data-script='hans']")
    assert "万智企业大模型一站式平台背后" in para.inner_text()
    assert para.locator(".sc").first.get_attribute("lang") == "zh-Hans"
    page.reload()  # remembered, and applied before paint by the inline head script
    assert page.evaluate("document.documentElement.getAttribute('data-script')") == "hans"
    assert "万智企业大模型" in page.locator(".para", has_text="万智企业大模型一站式平台背后").first.inner_text()
    page.click(".script-toggle button[data-script='']")
    assert page.evaluate("document.documentElement.getAttribute('data-script')") is None
    assert "背后" in para.inner_text() and para.locator(".sc").first.get_attribute("lang") is None
    assert page.errors == []


def test_site_js_conversion_is_opencc_on_every_paragraph(open_page) -> None:  # type: ignore[no-untyped-def]
    """site.js itself, in Chromium, on the two Traditional captures and a Simplified one:
    each .sc element reads exactly as OpenCC converts the published words."""
    from site_src.scripts import converter
    for slug in ("2025-03-jiemian-interview", "2025-03-bloomberg-china-show", "2026-02-ft-interview-phoenix"):
        page = open_page(f"articles/{slug}/")
        published = page.evaluate("[...document.querySelectorAll('.sc')].map(e => e.textContent)")
        for script, config in (("hant", "s2t"), ("hans", "t2s")):
            page.click(f".script-toggle button[data-script='{script}']")
            shown = page.evaluate("[...document.querySelectorAll('.sc')].map(e => e.textContent)")
            assert shown == [converter(config).convert(t) for t in published], (slug, script)
        page.click(".script-toggle button[data-script='']")
        assert page.evaluate("[...document.querySelectorAll('.sc')].map(e => e.textContent)") == published
        assert page.errors == []


def test_no_flash_of_the_other_script(open_page) -> None:  # type: ignore[no-untyped-def]
    """With Simplified chosen earlier, the Traditional words are never visible: hidden
    until site.js has converted them."""
    page = open_page(BLOOMBERG)
    page.click(".script-toggle button[data-script='hans']")
    page.route("**/assets/site.js", lambda route: route.abort())  # site.js never arrives
    page.goto(page.url, wait_until="domcontentloaded")
    assert page.evaluate("document.documentElement.getAttribute('data-script')") == "hans"
    assert page.evaluate("getComputedStyle(document.querySelector('.sc')).visibility") == "hidden"


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


def test_view_toggle_shows_one_language_and_remembers(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(BLOOMBERG, width=1280)
    row = first_bilingual_row(page)
    assert page.is_visible(".view-toggle") and not page.is_visible(".en-fold")  # no folding on desktop
    assert page.get_attribute(".view-toggle button[data-view='']", "aria-pressed") == "true"
    page.click(".view-toggle button[data-view='zh']")
    assert page.is_visible(f"#{row}-zh") and not page.is_visible(f"#{row}-en")
    # One column, as wide as a single-language text.
    assert page.locator(f"#{row}-zh").bounding_box()["width"] < 700
    page.reload()  # remembered, applied before paint
    assert page.evaluate("document.documentElement.getAttribute('data-view')") == "zh"
    assert not page.is_visible(f"#{row}-en")
    page.click(".view-toggle button[data-view='en']")
    assert page.is_visible(f"#{row}-en") and not page.is_visible(f"#{row}-zh")
    # A row with Chinese only disappears instead of leaving an empty line.
    chinese_only = page.evaluate("""[...document.querySelectorAll('.row')].find(
        r => r.querySelector(':scope > .side--zh') && !r.querySelector(':scope > .side--en')).id""")
    assert not page.is_visible(f"#{chinese_only}")
    # Following a link to a Chinese side shows both languages again, for this visit.
    page.goto(page.url.split("#")[0] + f"#{row}-zh")
    page.wait_for_function("!document.documentElement.hasAttribute('data-view')")
    assert page.is_visible(f"#{row}-zh") and page.is_visible(f"#{row}-en")
    assert page.evaluate("localStorage.getItem('duizhao-view')") == "en"
    page.click(".view-toggle button[data-view='']")
    assert page.evaluate("localStorage.getItem('duizhao-view')") is None
    assert page.errors == []


def test_english_only_view_on_phone_unfolds_everything(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(BLOOMBERG, width=390, height=844)
    row = first_bilingual_row(page)
    page.click(".view-toggle button[data-view='en']")
    assert page.is_visible(f"#{row}-en") and not page.is_visible(f"#{row} > .en-fold")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_link_to_english_side_unfolds_it_on_phone(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(BLOOMBERG, width=390, height=844)
    row = first_bilingual_row(page)
    page.goto(page.url.split("#")[0] + f"#{row}-en")
    page.wait_for_function(f"document.querySelector('#{row} > .en-fold').getAttribute('aria-expanded') === 'true'")
    assert page.is_visible(f"#{row}-en")


def test_contents_of_a_long_interview(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("articles/2025-03-jiemian-interview/", width=1280)
    toc = page.locator("details.toc")
    assert toc.count() == 1 and not page.is_visible("details.toc li")
    page.focus("details.toc > summary")
    page.keyboard.press("Enter")
    entries = page.locator("details.toc li a")
    assert entries.count() >= 20
    first = entries.nth(2)
    target = first.get_attribute("href")
    label = first.inner_text().rstrip("…")
    first.click()
    page.wait_for_function(f"location.hash === '{target}'")
    # The entry is the question's opening words, and leads to its row.
    assert label[:10] in page.inner_text(target)
    assert page.locator(target).bounding_box()["y"] < 200
    # The contents follow the reader's script like the text does.
    page.click(".script-toggle button[data-script='hans']")
    assert page.evaluate("document.querySelector('details.toc li .sc').getAttribute('lang')") == "zh-Hans"
    assert page.errors == []


def test_index_timeline_and_filters(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page("", width=1280)
    years = page.locator(".year-h").all_inner_texts()
    assert years == sorted(years, reverse=True) and {"2025", "2026"} <= set(years)
    cards = page.locator(".article-card")
    total = cards.count()
    assert page.inner_text("#filter-status") == f"{total} articles"
    page.select_option("select[name='kind']", "op-ed")
    assert page.locator(".article-card:visible").count() == 1
    assert "2025-12" in page.inner_text(".article-card:visible time")
    assert page.inner_text("#filter-status") == "1 article"
    assert page.url.endswith("?kind=op-ed")
    assert not page.is_visible("#year-2026")  # a year with nothing left is hidden
    # The filtered address, shared or reloaded, keeps the filter.
    page.reload()
    assert page.locator(".article-card:visible").count() == 1
    page.select_option("select[name='kind']", "")
    page.select_option("select[name='year']", "2025")
    page.select_option("select[name='language']", "zh+en")
    visible = page.locator(".article-card:visible")
    assert visible.count() == 1 and "bloomberg" in visible.locator("a").get_attribute("href")
    page.click(".filter-reset")
    page.wait_for_function(f"document.querySelectorAll('.article-card:not([hidden])').length === {total}")
    assert "?" not in page.url
    assert page.errors == []
