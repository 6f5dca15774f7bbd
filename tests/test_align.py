"""Alignment: scoring pieces, the Bloomberg gold, and structural checks on the FT pair.

Inputs are built from the raw captures (see ``raw_lines``) because the cleaner is
written in parallel; 003 and the English of 001 are nearly undamaged.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from site_src.align import (RATIO, align_archive, align_pair, en_anchors, zh_anchors,
                            zh_units, en_words)
from site_src.load import load_article
from site_src.model import Line, Paragraph
from site_src.segment import segment_lines

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "content" / "articles"
GOLD = Path(__file__).parent / "gold" / "2025-03-bloomberg-china-show.yaml"
PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


def raw_lines(slug: str, first: int, last: int) -> tuple[Line, ...]:
    """Lines ``first..last`` of a capture, minus blanks and inserted pinyin."""
    text = (ARTICLES / slug / "source.txt").read_text(encoding="utf-8").splitlines()
    return tuple(Line(n, PINYIN.sub("", text[n - 1]).strip())
                 for n in range(first, last + 1) if text[n - 1].strip())


def paragraphs(slug: str, first: int, last: int) -> tuple[Paragraph, ...]:
    meta = load_article(ARTICLES / slug).meta
    return segment_lines(raw_lines(slug, first, last), meta, slug)


def key(p: Paragraph) -> str:
    return p.text[:15]


@pytest.fixture(scope="module")
def bloomberg_rows():
    paras = paragraphs("2025-03-bloomberg-china-show", 1, 73)
    return align_pair([p for p in paras if p.lang != "en"], [p for p in paras if p.lang == "en"])


def test_anchor_amounts_convert_between_languages():
    assert "$5e+10" in zh_anchors("募集500億美元") & en_anchors("raise $50bn and")
    assert "$7e+09" in zh_anchors("運營成本為 70 億美元") & en_anchors("spending 7 billion dollars a year")
    assert "$5e+13" in zh_anchors("50萬億美元") & en_anchors("a $50tn market")
    assert {"2%", "10x", "2024", "3 months"} <= zh_anchors("2024 年,2%,提高 10 倍,三個月") & en_anchors(
        "in 2024, 2%, 10 times better, three months")
    assert "$5e+10" not in zh_anchors("500億人民幣")  # a currency other than dollars is no match


def test_ratio_fits_gold(bloomberg_rows):
    """RATIO is Chinese units per English word over the gold's 1-1 and merged pairs."""
    units = words = 0
    for row in bloomberg_rows:
        if row.zh and row.en:
            units += sum(zh_units(p.text) for p in row.zh)
            words += sum(en_words(p.text) for p in row.en)
    print(f"fitted ratio {units / words:.2f}, used {RATIO}")
    assert abs(units / words - RATIO) < 0.3


def test_gold_f1(bloomberg_rows):
    gold = {(link["zh"], link["en"]) for link in yaml.safe_load(GOLD.read_text(encoding="utf-8"))["links"]}
    gold_zh = {z for z, _ in gold}
    found = {(key(z), key(e)) for row in bloomberg_rows for z in row.zh for e in row.en}
    # Score only the span the gold covers: links whose Chinese side the gold names.
    found = {link for link in found if link[0] in gold_zh}
    tp = len(found & gold)
    precision, recall = tp / len(found), tp / len(gold)
    f1 = 2 * precision * recall / (precision + recall)
    print(f"gold links {len(gold)}, found {len(found)}, P={precision:.3f} R={recall:.3f} F1={f1:.3f}")
    assert f1 >= 0.9


def test_bloomberg_intro_has_no_english(bloomberg_rows):
    """Everything before 以下為對話全文 is introduction and summary: 1-0 rows."""
    intro = [row for row in bloomberg_rows if row.zh and row.zh[0].line <= 16]
    assert len(intro) == 16
    assert all(row.pattern == "1-0" for row in intro)


def test_every_paragraph_used_once_in_order(bloomberg_rows):
    zh = [p.line for row in bloomberg_rows for p in row.zh]
    en = [p.line for row in bloomberg_rows for p in row.en]
    assert zh == sorted(zh) and len(zh) == len(set(zh))
    assert en == sorted(en) and len(en) == len(set(en))
    assert all(0 <= row.confidence <= 1 and row.reason for row in bloomberg_rows)


def test_netease_other_99_companies_question():
    paras = paragraphs("2026-02-ft-interview-netease", 19, 159)
    rows = align_pair([p for p in paras if p.lang != "en"], [p for p in paras if p.lang == "en"])
    row = next(r for r in rows if any("other 99 companies" in p.text for p in r.en))
    assert row.zh and row.zh[0].text.startswith("那么對于另外99家")
    assert row.speaker == "olcott"


def test_phoenix_aligns_with_netease_english():
    phoenix = load_article(ARTICLES / "2026-02-ft-interview-phoenix")
    netease = load_article(ARTICLES / "2026-02-ft-interview-netease")
    phoenix = replace(phoenix, paragraphs=paragraphs(phoenix.slug, 8, 88))
    netease = replace(netease, paragraphs=paragraphs(netease.slug, 91, 159))
    aligned = {a.slug: a for a in align_archive([phoenix, netease])}
    rows = aligned[phoenix.slug].rows
    row = next(r for r in rows if any("other 99 companies" in p.text for p in r.en))
    assert row.zh and row.zh[0].text.startswith("另外那99家")
    moon = next(r for r in rows if any("man on the moon" in p.text for p in r.en))
    assert moon.zh and moon.zh[0].text.startswith("把人送上月球")


def test_chinese_only_article_gets_1_0_rows():
    oped = load_article(ARTICLES / "2025-12-ft-op-ed-open-source")
    oped = replace(oped, paragraphs=(Paragraph("zh-Hans", "一段。", line=3), Paragraph("zh-Hans", "二段。", line=5)))
    (out,) = align_archive([oped])
    assert [(r.pattern, r.confidence, r.reason) for r in out.rows] == [("1-0", 1.0, "no English text")] * 2


def test_docstring_worked_example():
    from site_src.align import score_bead
    z = Paragraph("zh-Hant", "OpenAI 在 2024 年的運營成本為 70 億美元。", speaker="kfl", label="李開復")
    e = Paragraph("en", "OpenAI spent $7 billion of operating cost in 2024.", speaker="kfl", label="A")
    bead = score_bead([z], [e])
    assert bead is not None and round(bead.score, 2) == 4.15
    assert bead.reason == "speaker match, length ok, shared: $7e+09, 2024, openai"
