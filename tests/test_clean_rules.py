"""The other cleaning rules, each on real strings from the captures."""
from __future__ import annotations

import pytest

from site_src.clean import clean_text, extract, textrules
from site_src.clean.pinyin import readings, strip_annotations
from tests._clean_helpers import (BLOOMBERG, JIEMIAN, NETEASE, OPED, PHOENIX, corrections, corrections_path,
                                  meta, source)


# ---- pinyin readings -------------------------------------------------------
@pytest.mark.parametrize("raw, clean", [
    ("網(wǎng)易首頁(yè)", "網易首頁"),
    ("李開(kāi)復(fù)", "李開復"),
    ("which led to their own ‘a(chǎn)ha moment’", "which led to their own ‘aha moment’"),
    ("他認(rèn)為以O(shè)penAI o1", "他認為以OpenAI o1"),
    ("重申對(duì)于A(yíng)GI的定義", "重申對于AGI的定義"),
])
def test_pinyin_readings_are_removed(raw, clean):
    new, changes = textrules.pinyin_readings(raw, 5)
    assert new == clean
    assert changes and all(c.rule == "pinyin" and c.line == 5 for c in changes)


@pytest.mark.parametrize("text", [
    "科技記者埃莉諾·奧爾科特(Eleanor Olcott)的專訪", "首席AI官(CAIO)", "應該每一家都會吧(笑)",
    "《金融時報》(Financial Times)", "前沿部署工程師(FDE)", "“環境 AI”(Ambient AI)", "企業級應用(B端)",
    "做database(數據庫)最牛的公司", "通用人工智能(AGI,假想中具有人類水平認知能力的AI)", "李開復博士(右一)在訪談現場",
])
def test_real_parentheses_are_kept(text):
    assert textrules.pinyin_readings(text, 1) == (text, [])


def test_readings_are_pypinyins_for_every_character():
    """``readings`` reads pypinyin's data file itself (its import costs 0.15 s): it
    must say what ``pypinyin.pinyin`` says, character by character."""
    from pypinyin import Style, pinyin

    for code in range(0x3400, 0xA000):
        char = chr(code)
        said = pinyin(char, style=Style.TONE, heteronym=True)[0]
        expected = frozenset() if said == [char] else frozenset(said)  # unknown: echoed back
        assert readings(char) == expected, char
    assert readings("網") == {"wǎng"} and readings("a") == frozenset()


def test_readings_are_stripped_before_junk_detection():
    """Junk markers are annotated too; extraction matches them only on the stripped view."""
    lines = ["正文第一段很長,超過十五個字,是一句話。", "相關(guān)推薦", "熱點(diǎn)推薦", "別的新聞"]
    assert "相關推薦" not in lines[1] and strip_annotations(lines[1]) == "相關推薦"
    result = extract.extract(lines, meta(NETEASE))
    assert [n for n, _ in result.kept] == [1]
    assert [(c.rule, c.first, c.last) for c in result.cuts] == [("related-list", 2, 4)]


# ---- stray HTML, ellipsis, whitespace, byline ---------------------------------
def test_stray_html_is_dropped():
    new, changes = textrules.stray_html("過去這半年,因為不做</span>超大模型訓練", 37)
    assert new == "過去這半年,因為不做超大模型訓練"
    assert [(c.rule, c.before) for c in changes] == [("stray-html", "</span>")]


def test_text_with_angle_brackets_but_no_tag_is_kept():
    assert textrules.stray_html("3 < 5 and 6 > 2", 1) == ("3 < 5 and 6 > 2", [])


@pytest.mark.parametrize("raw, clean", [
    ("the wrong person if you want to delegate AI strategy because?.?.?.?their job",
     "the wrong person if you want to delegate AI strategy because . . . their job"),
    ("Or perhaps, it figured out?.?.?.?different first principles", "Or perhaps, it figured out . . . different first principles"),
    ("The smart agent then?.?.?.?gets it done.", "The smart agent then . . . gets it done."),
])
def test_mangled_ellipsis_is_restored(raw, clean):
    new, changes = textrules.ellipsis(raw, 111)
    assert new == clean and [c.rule for c in changes] == ["ellipsis"]


def test_question_marks_in_prose_are_not_ellipses():
    text = "What do you make of this? KFL: It is almost certain"
    assert textrules.ellipsis(text, 1) == (text, [])


def test_whitespace_is_normalised_but_cjk_latin_spacing_kept():
    new, changes = textrules.whitespace("  1. 1\u00a0\u00a0今年 1 月,在 DeepSeek 发布  R1 ", 3)
    assert new == "1. 1 今年 1 月,在 DeepSeek 发布 R1"
    assert [c.rule for c in changes] == ["whitespace"]
    assert textrules.whitespace("企業如何在 AI 時代", 1) == ("企業如何在 AI 時代", [])


def test_inline_byline_is_lifted():
    text = "發展到「現在人人都想參與AI」。(作者/簫雨)"
    new, changes, byline = textrules.inline_byline(text, 88)
    assert (new, byline) == ("發展到「現在人人都想參與AI」。", "簫雨")
    assert [(c.rule, c.before) for c in changes] == [("inline-byline", "(作者/簫雨)")]


# ---- authors' own typos stay ---------------------------------------------------
@pytest.mark.parametrize("slug, typo", [
    (NETEASE, "Kai-Fu Lee: 0.1.ai makes tools"), (BLOOMBERG, "Everyone iss aware of it"),
    (BLOOMBERG, "months before DeeSeek."), (JIEMIAN, "因為哪怕是強如Open AI的公司"),
    (BLOOMBERG, "I think China had it's ChatGPT moment"),
])
def test_authors_typos_are_not_fixed(slug, typo):
    text = "\n".join(line.text for line in clean_text(source(slug), meta(slug), corrections(slug),
                                                             corrections_path(slug)).lines)
    assert typo in text


# ---- extraction: each junk rule, and never a body line ------------------------------
@pytest.mark.parametrize("slug, rule, first, last", [
    (NETEASE, "spam-banner", 1, 1), (NETEASE, "site-navigation", 3, 3), (NETEASE, "header-title", 5, 5),
    (NETEASE, "share-widget", 7, 8), (NETEASE, "promo", 161, 163), (NETEASE, "platform-notice", 165, 167),
    (NETEASE, "related-list", 169, 354),
    (PHOENIX, "header-title", 1, 1), (PHOENIX, "header-outlet", 3, 3), (PHOENIX, "header-date", 4, 4),
    (PHOENIX, "header-tag", 6, 6), (PHOENIX, "promo", 90, 90), (PHOENIX, "disclaimer", 92, 92),
    (PHOENIX, "related-list", 94, 141),
    (OPED, "header-title", 1, 1), (OPED, "header-tag", 2, 2), (OPED, "header-date", 3, 3),
    (OPED, "header-counter", 4, 4), (OPED, "source-line", 32, 32), (OPED, "related-list", 34, 65),
    (BLOOMBERG, "platform-notice", 74, 75),
    (JIEMIAN, "header-byline", 1, 2),
])
def test_junk_blocks_are_cut(slug, rule, first, last):
    cuts = extract.extract(source(slug).split("\n"), meta(slug)).cuts
    assert any((c.rule, c.first, c.last) == (rule, first, last) for c in cuts), [(c.rule, c.first, c.last) for c in cuts]


def test_spam_banner_rule_needs_many_short_fields():
    assert extract.spam_banner("国产av一二三区|日本不卡动作网站|黄色天天久久影片|99草成人免费在线视频|AV三级片|人妻系列")
    assert not extract.spam_banner("界面新聞記者 | 伍洋宇")
    assert not extract.spam_banner("A|B|C|D|E|這是一句很長的正文,它有標點,也超過了二十個字的長度限制。")


def test_a_tail_marker_before_the_body_does_not_cut_the_body():
    lines = ["相關推薦", "正文第一段很長,超過十五個字,是一句話。", "第二段也是正文,同樣很長,有標點。"]
    result = extract.extract(lines, meta(NETEASE))
    assert [n for n, _ in result.kept] == [2, 3]
    assert "related-list" not in {c.rule for c in result.cuts}


def test_line_emptied_by_cleaning_is_dropped_and_logged():
    text = "正文第一段很長,超過十五個字,是一句話。\n</span>\n第二段也是正文,同樣很長,有標點。"
    result = clean_text(text, meta(NETEASE))
    assert [line.number for line in result.lines] == [1, 3]
    assert [(c.rule, c.first) for c in result.cuts] == [("emptied", 2)]
