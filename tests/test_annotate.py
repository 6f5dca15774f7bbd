"""The editorial layer: notes, glossary mentions, cross-links, related passages."""
from __future__ import annotations

from pathlib import Path

import pytest

from site_src.annotate import (find_mentions, parse_glossary, parse_links, parse_notes, related_passages,
                               render_markdown)
from site_src.errors import ContentError
from site_src.model import AlignedRow, Article, ArticleMeta, Paragraph, RelatedConfig, Source

GLOSSARY = """\
- id: deepseek
  kind: company
  name: {en: DeepSeek, zh-Hant: 深度求索, zh-Hans: 深度求索}
  aliases: {en: [DeepSeek], zh: [DeepSeek, 深度求索]}
  description: A Chinese AI lab.
- id: kai-fu-lee
  kind: person
  name: {en: Kai-Fu Lee, zh-Hant: 李開復, zh-Hans: 李开复}
  aliases: {en: [Kai-Fu Lee], zh: [李开复]}
  description: Chairman of Sinovation Ventures.
- id: new-quality-productivity
  kind: term
  name: {en: new quality productivity, zh-Hant: 新質生產力, zh-Hans: 新质生产力}
  aliases: {en: [new quality productivity], zh: [新質生產力]}
  description: A policy slogan.
- id: meta
  kind: company
  name: {en: Meta}
  aliases: {en: [Meta]}
  description: Facebook's parent.
"""


def row(anchor: str, zh: str = "", en: str = "", zh_kind: str = "p") -> AlignedRow:
    return AlignedRow(zh=(Paragraph("zh-Hant", zh, kind=zh_kind),) if zh else (),  # type: ignore[arg-type]
                      en=(Paragraph("en", en),) if en else (), confidence=1.0, reason="", anchor=anchor)


def test_markdown_is_sanitised() -> None:
    html = render_markdown('**ok** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="y()">')
    assert "<strong>ok</strong>" in html
    for bad in ("<script", "javascript:", "onerror", "<img"):
        assert bad not in html


def test_notes_parse_with_lines_and_kinds() -> None:
    text = "<!-- how to write notes -->\n\n## p12-en sic\nThe capture prints `0.1.ai`.\n\n## p3 context\nWhy.\n"
    notes = parse_notes(text, Path("notes.md"))
    assert [(n.anchor, n.side, n.kind, n.line) for n in notes] == [("p12", "en", "sic", 3), ("p3", "", "context", 6)]
    assert notes[0].html == "<p>The capture prints <code>0.1.ai</code>.</p>"


@pytest.mark.parametrize("text,message", [
    ("## twelve note\nx\n", "notes.md:1: heading '## twelve note' does not name an anchor"),
    ("## p1 gossip\nx\n", "notes.md:1: unknown note kind 'gossip'"),
    ("## p1 note\n\n## p2 note\nx\n", "notes.md:1: note on p1 is empty"),
    ("stray words\n## p1 note\nx\n", "notes.md:1: text before the first note heading"),
])
def test_bad_notes_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ContentError) as info:
        parse_notes(text, Path("notes.md"))
    assert str(info.value).startswith(message)


def test_mentions_cross_script_longest_first_once_per_row_side() -> None:
    glossary = parse_glossary(GLOSSARY, Path("glossary.yaml"))
    rows = [row("p1", zh="李開復認為新質生產力很重要,李開復又說DeepSeek", en="Kai-Fu Lee on new quality productivity"),
            row("p2", zh="“新質生產力”", zh_kind="heading"),
            row("p3", en="The Metaverse is not Meta."),
            row("p4", en="SuperMeta, 3Meta and Meta2 are other words."),
            row("p5", en="Meta, at the very start.")]
    found = [(m.anchor, m.side, m.entity, m.text) for m in find_mentions(rows, glossary)]
    assert found == [
        ("p1", "zh", "kai-fu-lee", "李開復"),  # Simplified alias 李开复 finds the Traditional text
        ("p1", "zh", "new-quality-productivity", "新質生產力"),
        ("p1", "zh", "deepseek", "DeepSeek"),  # the second 李開復 is not linked again
        ("p1", "en", "kai-fu-lee", "Kai-Fu Lee"),
        ("p1", "en", "new-quality-productivity", "new quality productivity"),
        ("p3", "en", "meta", "Meta"),  # not inside "Metaverse"; headings (p2) are skipped
        ("p5", "en", "meta", "Meta"),  # nor at the end of a longer word (p4)
    ]


def test_alias_claimed_twice_is_an_error() -> None:
    clash = GLOSSARY + """\
- id: deepseek-ai
  kind: company
  name: {en: DeepSeek AI}
  aliases: {zh: [深度求索]}
  description: Duplicate.
"""
    with pytest.raises(ContentError) as info:
        parse_glossary(clash, Path("glossary.yaml"))
    assert "glossary.yaml:21: alias '深度求索' of 'deepseek-ai' is also an alias of 'deepseek' (line 1)" in str(info.value)


def test_links_need_two_wellformed_passages() -> None:
    with pytest.raises(ContentError) as info:
        parse_links("- id: gap\n  claim: x\n  passages:\n    - a-b#p1\n    - not a passage\n", Path("links.yaml"))
    assert "links.yaml:5: passage 'not a passage' is not <slug>#<anchor>" in str(info.value)
    assert "links.yaml:4: a cross-link needs at least two passages" in str(info.value)


def test_related_passages_prefer_rare_shared_items() -> None:
    glossary = parse_glossary(GLOSSARY, Path("glossary.yaml"))

    def article(slug: str, rows: list[AlignedRow]) -> Article:
        meta = ArticleMeta(slug=slug, title_zh="t", title_en="", outlet_zh="o", outlet_en="", byline="", date="2025",
                           date_note="", url="", kind="interview", languages=("zh-Hant",), summary="", source_note="",
                           speakers=(), relations=(), english_original="")
        return Article(meta=meta, source=Source(Path("s"), "", ""), folder=Path("."), rows=tuple(rows),
                       mentions=find_mentions(rows, glossary))
    a = article("a", [row("p1", zh="DeepSeek 的成本只有 2%,新質生產力"), row("p2", zh="李開復說")])
    b = article("b", [row("p1", zh="李開復"), row("p2", zh="新質生產力,DeepSeek 2%"), row("p3", zh="李開復與DeepSeek")])
    related = related_passages([a, b], RelatedConfig(per_row=2, min_score=0.5))
    top = [r for r in related["a"] if r.anchor == "p1"]
    assert [(r.target.slug, r.target.anchor) for r in top] == [("b", "p2"), ("b", "p3")]
    assert set(top[0].shared) == {"deepseek", "new-quality-productivity", "2%"}
    assert all(r.target.slug != "a" for r in related["a"])  # never within the same article


def test_note_on_a_merged_row_follows_the_alias() -> None:
    from dataclasses import replace

    from site_src.annotate import annotate_archive
    from site_src.model import Alias, Archive, SiteConfig
    meta = ArticleMeta(slug="a", title_zh="t", title_en="", outlet_zh="o", outlet_en="", byline="", date="2025",
                       date_note="", url="", kind="interview", languages=("zh-Hant", "en"), summary="", source_note="",
                       speakers=(), relations=(), english_original="")
    notes = parse_notes("## p2-en sic\nA slip.\n\n## p9 note\nNowhere.\n", Path("notes.md"))
    article = Article(meta=meta, source=Source(Path("s"), "", ""), folder=Path("."), notes=notes,
                      rows=(row("p1", zh="一", en="one"),), aliases=(Alias("p2", "p1", "merged"),))
    site = SiteConfig(title="x", subtitle="", description="", base_url="https://e.org/", editors=(), contact="")
    archive = Archive(site=site, articles=(article,), content_dir=Path("."))
    with pytest.raises(ContentError) as info:
        annotate_archive(archive)
    assert str(info.value).startswith("notes.md:4: note addresses p9, which is not a row of a")
    # The same from a pool's workers: the problem comes back with the article.
    from site_src.pool import mapper
    with mapper(1, processes=2, least=1) as map_, pytest.raises(ContentError) as pooled:
        annotate_archive(archive, map_)
    assert str(pooled.value) == str(info.value)
    fixed = replace(archive, articles=(replace(article, notes=notes[:1]),))
    (out,) = annotate_archive(fixed).articles
    assert [(n.anchor, n.side, n.number) for n in out.notes] == [("p1", "en", 1)]
    assert [str(w) for w in out.warnings] == ["notes.md:1: note addresses p2, which now leads to p1 — fix: move the note to p1"]


def test_cross_link_to_a_missing_anchor_stops_the_build(tmp_path: Path) -> None:
    import shutil

    from build import process
    from tests.conftest import CONTENT
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    links = content / "links.yaml"
    links.write_text(links.read_text(encoding="utf-8") + "- id: nowhere\n  claim: x\n  passages:\n"
                     "    - 2025-03-jiemian-interview#p999\n    - 2025-03-bloomberg-china-show#p1-en\n"
                     "- id: misspelt\n  claim: y\n  passages:\n    - 2025-03-jiemian-interveiw#p1\n"
                     "    - 2025-03-jiemian-interview#p2\n",
                     encoding="utf-8")
    with pytest.raises(ContentError) as info:
        process(content)
    message = str(info.value)
    line = len(links.read_text(encoding="utf-8").splitlines()) - 9
    assert f"links.yaml:{line}: cross-link 'nowhere' names 2025-03-jiemian-interview#p999, which is not a row" in message
    assert "cross-link 'nowhere' names the en side of 2025-03-bloomberg-china-show#p1, which has none" in message
    assert ("cross-link 'misspelt' names unknown article '2025-03-jiemian-interveiw' — did you mean "
            "'2025-03-jiemian-interview'?") in message


def test_notes_share_a_converter_but_nothing_of_each_other_s_text(tmp_path: Path) -> None:
    """One Markdown converter serves every note of a file, reset between notes: a
    reference defined in one note does not make a link in the next."""
    text = ("## p1 note\nSee [the report][r].\n\n[r]: https://example.org/report\n\n"
            "## p2 note\nAgain [the report][r], *unlinked*.\n\n## p3-en sic\nPrinted <b>so</b>.\n")
    notes = parse_notes(text, tmp_path / "notes.md")
    assert [n.html for n in notes] == [render_markdown(n.markdown) for n in notes]
    assert 'href="https://example.org/report"' in notes[0].html and "href" not in notes[1].html
