"""Whole-article checks: hand-verified cleaned bodies, nothing lost, no junk left,
and the corrections mechanism."""
from __future__ import annotations

import difflib
import re

import pytest

from site_src.clean import clean_text
from site_src.clean.pinyin import strip_annotations
from site_src.errors import CleaningError
from site_src.model import Correction
from tests._clean_helpers import (JIEMIAN, NETEASE, OPED, PHOENIX, SLUGS, corrections, corrections_path,
                                  expected_lines, meta, source)


def cleaned(slug: str):
    return clean_text(source(slug), meta(slug), corrections(slug), corrections_path(slug))


@pytest.mark.parametrize("slug", SLUGS)
def test_cleaned_body_matches_the_hand_verified_file(slug):
    got = [line.text for line in cleaned(slug).lines]
    want = expected_lines(slug)
    diff = "\n".join(difflib.unified_diff(want, got, "expected", "cleaned", lineterm="", n=1))
    assert got == want, f"cleaned body of {slug} differs from tests/expected/{slug}.txt:\n{diff}"


@pytest.mark.parametrize("slug", SLUGS)
def test_every_kept_line_comes_from_its_source_line(slug):
    """Each kept line maps back to the line number it claims: most of its characters
    are that source line's characters (repairs change a few, never the bulk)."""
    raw = source(slug).split("\n")
    for line in cleaned(slug).lines:
        origin = strip_annotations(raw[line.number - 1])
        ratio = difflib.SequenceMatcher(None, origin, line.text, autojunk=False).ratio()
        assert ratio > 0.8, (line.number, line.text[:40])


# Body lines of each capture, by line number: the first and last paragraph and a few
# short ones that a careless junk rule could take for chrome.
BODY_LINES = {
    PHOENIX: (8, 14, 88),
    NETEASE: (10, 17, 29, 89, 97, 159),
    OPED: (6, 8, 30),
    "2025-03-bloomberg-china-show": (1, 5, 11, 16, 50, 73),
    JIEMIAN: (3, 15, 34, 41, 55, 105),
}


@pytest.mark.parametrize("slug", SLUGS)
def test_no_body_line_is_cut(slug):
    result = cleaned(slug)
    kept = {line.number for line in result.lines}
    assert set(BODY_LINES[slug]) <= kept
    cut = {n for c in result.cuts for n in range(c.first, c.last + 1)}
    assert not set(BODY_LINES[slug]) & cut


@pytest.mark.parametrize("slug", SLUGS)
def test_nothing_is_lost_between_first_and_last_paragraph(slug):
    """Between the first and last body line every non-empty source line is kept."""
    raw = source(slug).split("\n")
    first, last = BODY_LINES[slug][0], BODY_LINES[slug][-1]
    kept = {line.number for line in cleaned(slug).lines}
    missing = [n for n in range(first, last + 1) if raw[n - 1].strip() and n not in kept]
    assert missing == []


JUNK = [
    "国产av", "熱議股票", "热议股票", "相關推薦", "熱點推薦", "相关内容", "热门资讯", "?.?.?.", "</span>",
    "分享至", "免責聲明", "Notice:", "特別聲明", "網易首頁", "歡迎下載", "lingyiwanwu.com", "来源:",
    "(作者/", "\u00a0",
]
PINYIN_IN_PARENS = re.compile(r"[一-鿿]\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)")
TONED_RESIDUE = re.compile(r"\?[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")


@pytest.mark.parametrize("slug", SLUGS)
def test_no_junk_survives(slug):
    for line in cleaned(slug).lines:
        for junk in JUNK:
            assert junk not in line.text, (line.number, junk)
        assert not PINYIN_IN_PARENS.search(line.text), line.number
        assert not TONED_RESIDUE.search(line.text), line.number
        assert not any("\ue000" <= ch <= "\uf8ff" for ch in line.text), line.number
        assert line.text == line.text.strip() and "  " not in line.text


def test_header_metadata_is_lifted():
    assert cleaned(PHOENIX).lifted == {"title": meta(PHOENIX).title_zh, "outlet": "鳳凰網科技",
                                       "date": "02/04", "tag": "李開復", "byline": "簫雨"}
    assert cleaned(OPED).lifted["source"] == "凤凰网科技"
    assert cleaned(OPED).lifted["date"] == "2025-12-09 18:15:10"
    assert cleaned(JIEMIAN).lifted == {"reporter": "伍洋宇", "editor": "劉方遠"}


def test_shipped_corrections_are_applied_and_logged():
    result = cleaned(NETEASE)
    fixes = [c for c in result.changes if c.rule == "correction"]
    assert [(c.line, c.after) for c in fixes] == [(21, "黃埔軍校”;"), (73, "在打造爆款應")]
    assert all(c.note for c in fixes)  # the why is in the log
    flag = next(f for f in result.flags if f.line == 21)
    assert "黃埔軍!;" in flag.text and "corrections.yaml" in flag.message


def test_every_flag_of_the_shipped_captures_is_settled_by_a_correction():
    for slug in SLUGS:
        for flag in cleaned(slug).flags:
            assert flag.resolved and flag.message.endswith("corrected in corrections.yaml"), (slug, flag)


def test_correction_is_applied_after_automatic_rules():
    # The capture reads 李開(kāi)復(fù)博士創(chuàng)辦了: the find text exists only once the
    # readings are stripped, so a match proves that corrections come last.
    fix = Correction("李開復博士創辦了", "李開復創辦了", "test", 3)
    assert fix.find not in source(NETEASE)
    result = clean_text(source(NETEASE), meta(NETEASE), corrections(NETEASE) + (fix,), corrections_path(NETEASE))
    line = next(line for line in result.lines if line.number == 21)
    assert "2009年,李開復創辦了著名" in line.text
    logged = [c for c in result.changes if c.rule == "correction" and c.note == "test"]
    assert logged == [type(logged[0])("correction", 21, fix.find, fix.replace, "test")]


def test_correction_that_no_longer_matches_names_file_and_line(tmp_path):
    path = tmp_path / "corrections.yaml"
    stale = Correction("網(wǎng)易", "網易", "reading removed", 7)  # the raw text, gone after cleaning
    with pytest.raises(CleaningError) as caught:
        clean_text(source(NETEASE), meta(NETEASE), (stale,), path)
    message = str(caught.value)
    assert message.startswith(f"{path}:7: correction no longer matches")
    assert "fix:" in message
