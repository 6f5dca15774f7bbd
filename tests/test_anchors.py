"""The anchor registry: anchors survive edits and are never reused."""
from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from site_src.anchors import HEADER, assign, dump_registry, parse_registry, written_layout
from site_src.errors import AnchorError, ContentError
from site_src.model import AlignedRow, Anchoring, AnchorRegistry, Paragraph

ZH = [
    "零一萬物致力於為企業開發AI智能體提供工具。我們基於開源模型,會針對企業的具體應用場景選擇合適的模型。",
    "我們合作的客戶來自銀行、保險、礦業、能源等傳統行業。與科技公司相比,這些企業在AI應用方面準備不足。",
    "企業如果缺乏AI專業能力,就必須與AI公司合作,共同制定AI戰略。這類轉型通常由CEO親自主導,而且非常困難。",
    "當我們與企業合作時,我們會深入參與。他們必須全力投入。我們希望他們聘請一位首席AI官(CAIO)。",
]
EN = [
    "0.1.ai makes tools to develop AI agents for companies. We build on open-source models.",
    "We work with companies in traditional industries, including banking, insurance, mining and energy.",
    "Companies that lack AI expertise must partner with an AI company to co-create their AI strategy.",
    "When we partner with a company, we go in deep. They commit. We want them to hire a chief AI officer.",
]


def rows(zh: list[str], en: list[str] | None = None) -> list[AlignedRow]:
    en = en if en is not None else [""] * len(zh)
    return [AlignedRow(zh=(Paragraph("zh-Hant", z),) if z else (), en=(Paragraph("en", e),) if e else (),
                       confidence=1.0, reason="test") for z, e in zip(zh, en)]


def anchored(zh: list[str], en: list[str] | None, registry: AnchorRegistry) -> tuple[dict[str, str], AnchorRegistry]:
    out, registry = assign(rows(zh, en), registry)
    return {r.anchor: (r.zh[0].text if r.zh else r.en[0].text) for r in out}, registry


def first(zh: list[str], en: list[str] | None = None) -> tuple[dict[str, str], AnchorRegistry]:
    return anchored(zh, en, AnchorRegistry(1, ()))


def test_fresh_registry_numbers_in_document_order() -> None:
    found, registry = first(ZH, EN)
    assert list(found) == ["p1", "p2", "p3", "p4"]
    assert registry.next == 5


def test_insert_at_top_keeps_every_anchor() -> None:
    before, registry = first(ZH, EN)
    after, registry = anchored(["譯者前言:這是一段新加的導語。"] + ZH, [""] + EN, registry)
    for anchor, text in before.items():
        assert after[anchor] == text
    assert after["p5"].startswith("譯者前言")


def test_typo_fix_keeps_anchor() -> None:
    before, registry = first(ZH)
    edited = list(ZH)
    edited[1] = edited[1].replace("礦業", "礦山")
    after, _ = anchored(edited, None, registry)
    assert [a for a, t in after.items() if t == edited[1]] == ["p2"]


def test_split_paragraph_keeps_anchor_for_first_part() -> None:
    before, registry = first(ZH)
    head, tail = ZH[2].split("。", 1)
    after, registry = anchored(ZH[:2] + [head + "。", tail] + ZH[3:], None, registry)
    assert after["p3"] == head + "。"
    assert after["p4"] == ZH[3]
    assert after["p5"] == tail  # new text, new anchor
    assert registry.next == 6


def test_removed_anchor_is_never_reused() -> None:
    _, registry = first(ZH)
    after, registry = anchored(ZH[:3], None, registry)  # p4 removed
    assert "p4" not in after
    after, registry = anchored(ZH[:3] + ["全新的段落,與以前的文字毫無關係,編者補充的內容。"], None, registry)
    assert "p4" not in after and after["p5"].startswith("全新")


def test_english_side_alone_identifies_row() -> None:
    _, registry = first(ZH, EN)
    # The Chinese of row 2 was re-cleaned beyond recognition; the English still matches.
    after, _ = anchored([ZH[0], "完全不同的中文文字,重新清理之後。", ZH[2], ZH[3]], EN, registry)
    assert after["p2"] == "完全不同的中文文字,重新清理之後。"


def test_registry_round_trip(tmp_path: Path) -> None:
    _, registry = first(ZH, EN)
    text = dump_registry(registry)
    assert text.startswith("# Anchor registry")
    assert parse_registry(text, tmp_path / "anchors.yaml") == registry


def test_corrupt_registry_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    with pytest.raises(AnchorError) as info:
        parse_registry("next: 2\nanchors:\n  p1: {}\n  p7: {}\n", path)
    assert str(info.value) == f"{path}:4: p7 is not below next (2) — set next above the largest anchor number"
    # A syntax error names its line; well-formed YAML that is not plain data (a list
    # used as a key) is a registry of the wrong shape.
    with pytest.raises(ContentError, match=rf"^{re.escape(str(path))}:3: YAML syntax error"):
        parse_registry("next: 2\nanchors:\n  p1: a: b\n", path)
    with pytest.raises(AnchorError, match=r":1: expected keys 'next' \(number\) and 'anchors' \(mapping\)"):
        parse_registry("? [a, b]\n: 1\n", path)


def test_past_the_anchor_stage_an_article_keeps_what_is_to_be_written_not_its_registry(tmp_path: Path) -> None:
    # The shipped registries are up to date: nothing to write, nothing minted or lost,
    # and the parsed registry is let go (memory: at 10,000 articles it was two thirds
    # of the archive).
    import shutil

    from build import process
    from site_src.anchors import EMPTY
    from tests.conftest import ROOT

    articles = process(ROOT / "content").articles
    assert articles and all(a.anchoring is not None and a.registry == EMPTY for a in articles)
    assert all(a.anchoring == Anchoring() for a in articles)
    # A registry lost: the build would write it again, and says what it adds.
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    registry = next((content / "articles").glob("*/anchors.yaml"))
    registry.unlink()
    article = next(a for a in process(content).articles if a.anchors_path == registry)
    assert article.anchoring and article.anchoring.text.startswith(HEADER)
    assert parse_registry(article.anchoring.text, registry).anchors() == {r.anchor for r in article.rows}
    assert article.anchoring.minted == tuple(r.anchor for r in sorted(article.rows, key=lambda r: int(r.anchor[1:])))
    assert article.anchoring.changes and article.anchoring.changes[0].startswith("- added p1")
    # Held compressed until written: as str, a first build's registry texts were
    # 190 MB at 10,000 articles (60 MB compressed).
    assert zlib.decompress(article.anchoring.packed_text) == article.anchoring.text.encode("utf-8")


def test_normalise_keeps_exactly_the_alphanumeric_characters() -> None:
    import sys

    from site_src.anchors import NOT_ALNUM, normalise
    assert [c for c in map(chr, range(sys.maxunicode + 1)) if (NOT_ALNUM.sub("", c) == c) != c.isalnum()] == []
    assert normalise("Ｋａｉ-Fu Lee, 李開復:「AI」_2025 ") == "kaifulee李開復ai2025"


# ---------------------------------------------------------------------------
# Reading the layout the build writes without YAML's constructor (written_layout)
# ---------------------------------------------------------------------------
def _registry(*heads: str) -> AnchorRegistry:
    from site_src.model import Alias, Entry, Fingerprint

    entries = [Entry(f"p{n}", {"zh": Fingerprint("0a1b2c3d4e5f", head, head[::-1], len(head) + 3),
                               "en": Fingerprint("123456789012", "yeah", "no", 4)}, prev=f"p{n - 1}" if n > 1 else "")
               for n, head in enumerate(heads, 1)]
    entries.append(Entry(f"p{len(heads) + 1}", {}, prev="p1", alias=Alias(f"p{len(heads) + 1}", "p1", "merged")))
    return AnchorRegistry(len(heads) + 7, tuple(entries))


def test_the_written_layout_reads_as_yaml_reads_it() -> None:
    """Every registry the build writes, with words YAML would read as other things
    (yes, null, 0123, a hash of digits), a quote and Chinese, reads the same both ways."""
    import yaml

    from site_src.schema import LOADER
    from tests.conftest import ROOT

    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "content" / "articles").glob("*/anchors.yaml"))]
    texts.append(dump_registry(_registry("分享我在bloomberg上的", "yes", "null", "0123", "'0'", "", "on", "1_000",
                                         "tRue", "_x", "ｋａｉ")))
    assert len(texts) > 5
    for text in texts:
        assert written_layout(text) == yaml.load(text, Loader=LOADER)
    assert "'0123'" in texts[-1] and "'''0'''" in texts[-1]  # the quoting is exercised


def _yaml_text(registry: AnchorRegistry) -> str:
    """The registry as YAML's emitter writes it (what dump_registry wrote before it
    wrote the layout itself)."""
    from site_src.anchors import _emitted

    return _emitted(registry)


def test_the_registry_text_is_yamls() -> None:
    """dump_registry writes the layout itself where it can (anchors._written): the
    very text YAML's emitter writes, for the shipped registries, for words YAML
    reads as other things or quotes (yes, 0123, a quote, U+10000, a space), and for
    generated ones (hypothesis) over letters and digits of every plane."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from site_src.anchors import _written
    from site_src.load import load_archive
    from tests.conftest import ROOT

    for article in load_archive(ROOT / "content").articles:
        registry = article.registry.unpack()
        assert _written(registry) is not None
        assert dump_registry(registry) == _yaml_text(registry)
    odd = _registry("yes", "null", "0123", "'0'", "", "on", "1_000", "tRue", "_x", "ｋａｉ", "a b", "\U00010000", "~")
    assert _written(odd) is None  # a quote, a space and U+10000 are YAML's to write
    assert dump_registry(odd) == _yaml_text(odd)
    words = _registry("yes", "null", "0123", "on", "1_000", "tRue", "_x", "ｋａｉ", "分享我在bloomberg上的", "12e3", "0x1F")
    assert _written(words) == _yaml_text(words)

    letters = st.text(st.characters(categories=("Ll", "Lu", "Lo", "Lm", "Nd", "Nl", "No"), include_characters="_"),
                      max_size=12)
    yamlish = st.sampled_from(["yes", "No", "null", "~", "0o17", "0x1f", "1_0", "1.5", "0123", "12", ".inf", "=", ""])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(letters, yamlish), min_size=1, max_size=8))
    def check(heads: list[str]) -> None:
        registry = _registry(*heads)
        assert dump_registry(registry) == _yaml_text(registry)

    check()


@pytest.mark.parametrize("text", [
    "next: 2\nanchors: {p1: {prev: ''}}\n",  # flow style
    "next: 2\nanchors:\n  p1:\n    prev: '' # a comment\n",
    'next: 2\nanchors:\n  p1:\n    prev: "p0"\n',  # double quotes
    "next: 2\nanchors:\n  p1:\n    prev: ''\n   p2:\n    prev: p1\n",  # keys at two indentations
    "next: 2\nanchors:\n  p1:\n  p2:\n    prev: p1\n",  # a key with nothing under it: None
    "next: 2\nanchors:\n  p1:\n\tprev: ''\n",
    "next: 2\nanchors:\n  yes:\n    prev: ''\n",  # a key YAML reads as True
    "next: 0x10\nanchors:\n  p1:\n    prev: ''\n",
    "next: 2\nanchors:\n  p1:\n    prev: true\n",
    "---\nnext: 2\nanchors:\n  p1:\n    prev: ''\n",
    "next: 2\nnext: 3\nanchors:\n  p1:\n    prev: ''\n",  # a repeated key: YAML's rule decides
    "# only a comment\n",
    "",
])
def test_any_other_layout_is_left_to_yaml(text: str) -> None:
    import yaml

    from site_src.schema import LOADER

    assert written_layout(text) is None
    try:
        expected = yaml.load(text, Loader=LOADER)
    except yaml.YAMLError:
        with pytest.raises(ContentError):  # a syntax error, named with its line
            parse_registry(text, Path("anchors.yaml"))
        return
    try:
        got = parse_registry(text, Path("anchors.yaml"))
    except AnchorError:
        return  # well-formed YAML of the wrong shape: refused, as before
    assert got.next == (expected or {}).get("next", 1)


def test_written_layout_reads_every_written_registry() -> None:
    """Generated registries (hypothesis): whatever their heads and tails, the text the
    build writes reads back as YAML reads it, through the layout or (where the
    dumper escapes a character, as it does U+10000) through YAML, and gives the
    registry that was written."""
    import yaml
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from site_src.schema import LOADER

    words = st.text(st.characters(categories=("Ll", "Lu", "Lo", "Nd")), max_size=30)

    @settings(max_examples=150, deadline=None)
    @given(st.lists(words, min_size=1, max_size=12))
    def check(heads: list[str]) -> None:
        text = dump_registry(_registry(*heads))
        assert written_layout(text) in (None, yaml.load(text, Loader=LOADER))
        assert parse_registry(text, Path("anchors.yaml")) == _registry(*heads)

    check()
