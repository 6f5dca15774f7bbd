"""alignment.yaml: an editor's pins change the rows they name and nothing else, a stale
entry is a warning (never a failed build), and a malformed file names its lines.

Pipeline tests run ``build.process`` over a private copy of the shipped content and
name rows by the anchors that copy gives them, so they follow the registry as it is.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from build import build, process
from site_src.errors import ContentError
from site_src.load import load_archive
from site_src.model import AlignmentOverride, Article, Notice
from site_src.overrides import apply_overrides
from site_src.schema import alignment_overrides
from tests.conftest import CONTENT, ROOT

NETEASE = "2026-02-ft-interview-netease"
PHOENIX = "2026-02-ft-interview-phoenix"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """The shipped content without notes.md and links.yaml: those name anchors, and a pin
    that merges two rows retires one of them; whether a note may follow a retired anchor
    is the annotate stage's question, not this file's."""
    dest = tmp_path / "content"
    shutil.copytree(CONTENT, dest)
    for path in [dest / "links.yaml", *dest.glob("articles/*/notes.md"), *dest.glob("articles/*/alignment.yaml")]:
        path.unlink(missing_ok=True)
    return dest


def rows_of(article: Article) -> dict[tuple[tuple[int, ...], tuple[int, ...]], object]:
    """Rows by (Chinese lines, English lines)."""
    return {(tuple(p.line for p in r.zh), tuple(p.line for p in r.en)): r for r in article.rows}


def anchor_at(article: Article, zh_line: int) -> str:
    return next(r.anchor for r in article.rows if any(p.line == zh_line for p in r.zh))


def pin(content: Path, slug: str, text: str) -> Article:
    (content / "articles" / slug / "alignment.yaml").write_text(text, encoding="utf-8")
    return process(content).get(slug)


@pytest.fixture
def baseline(content: Path) -> dict[str, Article]:
    archive = process(content)
    return {a.slug: a for a in archive.articles}


# --- pins that change rows ------------------------------------------------------------
def test_pair_merges_two_rows_and_leaves_the_others_alone(content, baseline):
    """Gold: zh 57 ends where en 135's last sentence begins, and zh 59 renders that
    sentence with en 137; the aligner makes two 1-1 rows, the pin makes one 2-2 row."""
    before = baseline[NETEASE]
    first, second = anchor_at(before, 57), anchor_at(before, 59)
    assert ((57,), (135,)) in rows_of(before) and ((59,), (137,)) in rows_of(before)
    after = pin(content, NETEASE, f"# zh 59 carries the end of en 135\n"
                                  f"- pair: [{first}-zh, {second}-zh, {first}-en, {second}-en]\n"
                                  f"  why: the translator moved a sentence across the break\n")
    merged = rows_of(after)[((57, 59), (135, 137))]
    assert merged.confidence == 1.0 and merged.reason == "pinned by alignment.yaml:2"
    assert merged.anchor in (first, second)
    assert not after.warnings
    untouched = {k: r.anchor for k, r in rows_of(before).items() if k not in (((57,), (135,)), ((59,), (137,)))}
    assert {k: rows_of(after)[k].anchor for k in untouched} == untouched
    assert len(after.rows) == len(before.rows) - 1


def test_pairs_regroup_a_merge_and_rows_keep_their_anchors(content, baseline):
    """zh 33 with en 105 + 107 and zh 35 with en 109 become zh 33 | en 105 and
    zh 35 | en 107 + 109: both rows change, neither loses its anchor."""
    before = baseline[NETEASE]
    a, b = anchor_at(before, 33), anchor_at(before, 35)
    assert ((33,), (105, 107)) in rows_of(before) and ((35,), (109,)) in rows_of(before)
    after = pin(content, NETEASE, f"- pair: [{a}-zh, {a}-en]\n  why: a test\n"
                                  f"- pair: [{b}-zh, {a}-en-2, {b}-en]\n  why: a test\n")
    rows = rows_of(after)
    assert (rows[((33,), (105,))].anchor, rows[((35,), (107, 109))].anchor) == (a, b)
    assert [rows[k].reason for k in (((33,), (105,)), ((35,), (107, 109)))] == [
        "pinned by alignment.yaml:1", "pinned by alignment.yaml:3"]


def test_alone_takes_a_paragraph_out_of_its_row(content, baseline):
    before = baseline[NETEASE]
    row = anchor_at(before, 51)
    assert ((51,), (127, 129)) in rows_of(before)
    after = pin(content, NETEASE, f"- alone: {row}-en-2\n  why: a test\n")
    rows = rows_of(after)
    assert rows[((), (129,))].confidence == 1.0
    assert rows[((), (129,))].reason == "kept alone by alignment.yaml:1"
    assert rows[((51,), (127,))].anchor == row
    assert rows[((51,), (127,))].reason != rows[((), (129,))].reason  # scored, not pinned


def test_borrowed_english_is_named_by_the_borrowers_anchors(content, baseline):
    """000 takes its English from 001; its rows name that English with 000's anchors."""
    before = baseline[PHOENIX]
    lede = anchor_at(before, 10)
    orphan = next(r.anchor for r in before.rows if not r.zh and r.en[0].line == 93)
    after = pin(content, PHOENIX, f"- pair: [{lede}-zh, {lede}-en, {orphan}-en]\n  why: a test\n")
    assert rows_of(after)[((10,), (91, 93))].reason == "pinned by alignment.yaml:1"
    assert rows_of(process(content).get(NETEASE)).keys() == rows_of(baseline[NETEASE]).keys()


def test_entries_that_already_hold_change_nothing(content, baseline):
    before = baseline[NETEASE]
    row = anchor_at(before, 57)
    after = pin(content, NETEASE, f"- pair: [{row}-zh, {row}-en]\n  why: checked by reading\n")
    assert after.rows == before.rows and not after.warnings


def test_pin_survives_the_registry_it_wrote(content, baseline, tmp_path):
    """After a build publishes the pinned rows, the next build must still find the
    paragraphs the entry names (the registry now holds the merged row)."""
    before = baseline[NETEASE]
    first, second = anchor_at(before, 57), anchor_at(before, 59)
    (content / "articles" / NETEASE / "alignment.yaml").write_text(
        f"- pair: [{first}-zh, {second}-zh, {first}-en, {second}-en]\n  why: a test\n", encoding="utf-8")
    published = build(content, tmp_path / "site").get(NETEASE)
    again = process(content).get(NETEASE)
    assert not again.warnings
    assert {k: r.anchor for k, r in rows_of(again).items()} == {k: r.anchor for k, r in rows_of(published).items()}
    assert rows_of(again)[((57, 59), (135, 137))].reason == "pinned by alignment.yaml:1"


# --- stale entries --------------------------------------------------------------------
def test_stale_entries_warn_and_the_rest_still_apply(content, baseline):
    before = baseline[NETEASE]
    a, b, c = anchor_at(before, 53), anchor_at(before, 55), anchor_at(before, 57)
    late = anchor_at(before, 61)
    text = (f"- pair: [p999-zh, p999-en]\n  why: row gone\n"                      # 1 unknown anchor
            f"- alone: {c}-en-3\n  why: no such paragraph\n"                       # 3
            f"- pair: [{a}-zh, {c}-zh, {a}-en]\n  why: a gap\n"                    # 5 not consecutive
            f"- pair: [{b}-zh, {b}-en, {c}-en]\n  why: a test\n"                   # 7 applies
            f"- alone: {b}-zh\n  why: also named on line 7\n"                      # 9 overlaps 7
            f"- pair: [{late}-zh, {a}-en]\n  why: crosses line 7\n")               # 11 crossing
    after = pin(content, NETEASE, text)
    lines = {w.line: w.message for w in after.warnings}
    assert sorted(lines) == [1, 3, 5, 9, 11]
    assert all("no longer matches" in m and " — fix: " in m for m in lines.values())
    assert "no row p999" in lines[1]
    assert "not 3" in lines[3]
    assert "not consecutive" in lines[5]
    assert "line 7" in lines[9] and "line 7" in lines[11]
    assert all(str(w).startswith(f"{content / 'articles' / NETEASE / 'alignment.yaml'}:") for w in after.warnings)
    assert rows_of(after)[((55,), (133, 135))].reason == "pinned by alignment.yaml:7"


def test_cli_prints_the_warning_and_builds(content, tmp_path):
    (content / "articles" / NETEASE / "alignment.yaml").write_text(
        "# an entry from an older edition\n- alone: p999-zh\n  why: gone\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--content", str(content),
                             "--out", str(tmp_path / "site")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    summary = next(i for i, line in enumerate(lines) if line.startswith(f"{NETEASE}: "))
    assert lines[summary + 1] == (
        f"warning: {content / 'articles' / NETEASE / 'alignment.yaml'}:2: override alone p999-zh no longer "
        f"matches: there is no row p999 in this article — fix: name paragraphs by the anchors the page shows "
        f"now, or delete the entry")


def test_article_without_entries_is_returned_as_is(baseline):
    article = baseline[NETEASE]
    assert apply_overrides(article) is article


def test_chinese_only_article_cannot_pair(content, baseline):
    slug = "2025-12-ft-op-ed-open-source"
    row = baseline[slug].rows[0].anchor
    after = pin(content, slug, f"- pair: [{row}-zh, {row}-en]\n  why: a test\n- alone: {row}-zh\n  why: holds\n")
    assert [w.line for w in after.warnings] == [1] and "no English paragraph" in after.warnings[0].message
    assert after.rows == baseline[slug].rows


# --- the file's form ------------------------------------------------------------------
def test_schema_reads_entries_with_their_lines(tmp_path):
    text = ("# pins\n- pair: [p12-zh, p13-en, p13-en-2]\n  why: merged answer\n"
            "- alone: p14-zh\n  why: the translator's own sentence\n")
    assert alignment_overrides(text, tmp_path / "alignment.yaml") == (
        AlignmentOverride("pair", ("p12-zh", "p13-en", "p13-en-2"), "merged answer", 2),
        AlignmentOverride("alone", ("p14-zh",), "the translator's own sentence", 4))
    assert alignment_overrides("# nothing yet\n", tmp_path / "alignment.yaml") == ()


def test_schema_errors_name_every_line_at_once(tmp_path):
    path = tmp_path / "alignment.yaml"
    text = ("- pair: [p12-zh, p12]\n  why: x\n"           # 1 malformed ref
            "- pair: [p12-zh, p13-zh]\n  why: x\n"        # 3 one language only
            "- alone: p14-zh\n  pair: [p1-zh, p1-en]\n  why: x\n"  # 5 both kinds
            "- alone: p15-en-1\n  why: x\n"               # 8 the first is p15-en
            "- alone: p16-zh\n"                           # 10 no why
            "- alone: p17-zh\n  why: x\n  colour: red\n")  # 13 unknown key (its own line)
    with pytest.raises(ContentError) as info:
        alignment_overrides(text, path)
    found = {p.line: p.problem for p in info.value.problems}
    assert sorted(found) == [1, 3, 5, 8, 10, 13]
    assert "'p12' does not name a paragraph" in found[1]
    assert "one Chinese and one English" in found[3]
    assert "exactly one of 'pair' or 'alone'" in found[5]
    assert "'p15-en-1'" in found[8]
    assert "lacks required key 'why'" in found[10]
    assert "unknown key 'colour'" in found[13]


def test_load_reads_the_file_and_reports_errors_by_line(content):
    folder = content / "articles" / NETEASE
    (folder / "alignment.yaml").write_text("- alone: p3-zh\n  why: a test\n", encoding="utf-8")
    article = load_archive(content).get(NETEASE)
    assert article.overrides == (AlignmentOverride("alone", ("p3-zh",), "a test", 1),)
    assert article.overrides_path == folder / "alignment.yaml"
    assert load_archive(content).get(PHOENIX).overrides_path is None
    (folder / "alignment.yaml").write_text("- alone: p3-zh\n  why: a test\n- alone: [p4-zh]\n  why: x\n",
                                           encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_archive(content)
    # (000 borrows 001's English, so it reports the failed article too.)
    mine = [str(p) for p in info.value.problems if "alignment.yaml" in str(p)]
    assert [m.split(": ")[0] for m in mine] == [f"{folder / 'alignment.yaml'}:3"]
    assert "must be a single value" in mine[0]


def test_warning_keeps_earlier_warnings(baseline):
    """A stage before this one may already have warned; its notices stay."""
    article = baseline[NETEASE]
    earlier = Notice("notes.md", 2, "an earlier stage's warning")
    out = apply_overrides(replace(article, warnings=(earlier,),
                                  overrides=(AlignmentOverride("alone", ("p999-zh",), "x", 4),)))
    assert out.warnings[0] == earlier and out.warnings[1].line == 4
