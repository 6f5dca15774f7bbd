"""Segmentation: language, speaker turns, split turns, headings and captions."""
from __future__ import annotations

from site_src.model import Line
from site_src.segment import line_language, segment_lines
from tests.test_align import ARTICLES, load_article, paragraphs


def meta(slug):
    return load_article(ARTICLES / slug).meta


def test_language():
    assert line_language("分享我在Bloomberg China Show上的對談。", "zh-Hant") == "zh-Hant"
    assert line_language("Q: Tell us more about that launch.", "zh-Hant") == "en"
    assert line_language("今年 1 月,在 DeepSeek 发布 R1 后", "zh-Hans") == "zh-Hans"


def test_turns_and_continuations():
    paras = paragraphs("2025-03-bloomberg-china-show", 16, 19)
    assert [(p.speaker, p.label) for p in paras] == [(None, None), ("bloomberg", "彭博社"), ("kfl", "李開復"), ("kfl", None)]
    assert paras[1].text.startswith("今年可謂")


def test_undeclared_labels_are_not_turns():
    m = meta("2025-03-bloomberg-china-show")
    (p,) = segment_lines([Line(75, "Notice: The content above is uploaded by a user.")], m, "x")
    assert p.speaker is None and p.label is None and p.text.startswith("Notice:")


def test_english_tail_starts_outside_any_turn():
    paras = paragraphs("2025-03-bloomberg-china-show", 46, 48)
    assert [p.speaker for p in paras] == ["bloomberg", None, "bloomberg"]  # 以下為英文對話全文: has no speaker


def test_two_lines_with_two_turns_each_are_split():
    paras = paragraphs("2026-02-ft-interview-netease", 91, 159)
    split_lines = sorted({p.line for p in paras if sum(q.line == p.line for q in paras) == 2})
    assert split_lines == [111, 139]
    for n in split_lines:
        first, second = [p for p in paras if p.line == n]
        assert (first.label, second.label) == ("EO", "KFL")
        assert first.text.endswith("?") and not second.text.startswith("KFL")


def test_no_split_without_sentence_end():
    m = meta("2026-02-ft-interview-netease")
    (p,) = segment_lines([Line(1, "KFL: I said to the EO: nothing.")], m, "x")
    assert p.label == "KFL" and p.text == "I said to the EO: nothing."


def test_jiemian_headings_and_nothing_else():
    paras = paragraphs("2025-03-jiemian-interview", 3, 105)
    headings = [p.line for p in paras if p.kind == "heading"]
    assert headings == [15, 34, 55, 72]
    assert all(p.speaker is None for p in paras if p.kind == "heading")
    # Short answers such as 最懂大模型的應用公司。 end a sentence, so they stay paragraphs.
    assert next(p for p in paras if p.line == 41).kind == "p"


def test_bloomberg_caption():
    paras = paragraphs("2025-03-bloomberg-china-show", 1, 73)
    assert [(p.line, p.kind) for p in paras if p.kind != "p"] == [(11, "caption")]
