"""The citation guarantee: every anchor published once still leads to its text after the
content is edited — a typo fixed, a paragraph split, two merged, one inserted at the top,
and the cleaner re-run with a changed rule."""
from __future__ import annotations

import shutil
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from build import build
from site_src.anchors import MIN_EDGE, normalise, unresolved
from site_src.model import Archive
from tests.conftest import CONTENT

JIEMIAN = "2025-03-jiemian-interview"
NETEASE = "2026-02-ft-interview-netease"


def published(archive: Archive, slug: str) -> dict[str, str]:
    """anchor → normalised text of the whole row, as a reader citing it saw it."""
    article = archive.get(slug)
    return {r.anchor: normalise("".join(p.text for p in r.zh + r.en)) for r in article.rows}


def resolve(archive: Archive, slug: str, anchor: str) -> tuple[str, str]:
    """Follow an anchor the way the page does: its row, or its alias's target row."""
    article = archive.get(slug)
    rows = published(archive, slug)
    if anchor in rows:
        return "live", rows[anchor]
    alias = next(a for a in article.aliases if a.anchor == anchor)
    return alias.kind, rows[alias.target]


def still_there(before: str, after: str) -> bool:
    """The cited text is recognisably in what the anchor now shows: contained in it, or
    nearly the same (an edit changed a few characters)."""
    return before in after or after in before or SequenceMatcher(None, before, after).ratio() > 0.8


@pytest.fixture
def content(tmp_path: Path) -> Path:
    dest = tmp_path / "content"
    shutil.copytree(CONTENT, dest)
    return dest


def rebuild_and_check(content: Path, tmp_path: Path, slug: str, before: dict[str, str]) -> Archive:
    after = build(content, tmp_path / "site2")
    assert unresolved(after.get(slug)) == []
    for anchor, text in before.items():
        kind, shown = resolve(after, slug, anchor)
        assert kind in ("live", "merged"), (anchor, kind)
        assert still_there(text, shown), (anchor, text[:30], shown[:30])
    return after


def edit_source(content: Path, slug: str, edit) -> None:  # type: ignore[no-untyped-def]
    path = content / "articles" / slug / "source.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(edit(lines)), encoding="utf-8")


def line_index(lines: list[str], start: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(start))


def test_typo_fix(content: Path, tmp_path: Path) -> None:
    before = published(build(content, tmp_path / "site"), JIEMIAN)
    edit_source(content, JIEMIAN, lambda ls: [l.replace("最懂大模型的", "最懂大型模型的") for l in ls])
    after = rebuild_and_check(content, tmp_path, JIEMIAN, before)
    anchor = next(r.anchor for r in after.get(JIEMIAN).rows if r.zh and "最懂大型模型" in r.zh[0].text)
    log = (content / "CHANGELOG.md").read_text(encoding="utf-8")
    section = log.split("## Edition ")[1]  # newest first
    assert section.startswith(after.edition) and f"- {anchor} zh changed: 「最懂大模型的應用公司」 → 「最懂大型模型的應用公司」" in section


def test_split_paragraph(content: Path, tmp_path: Path) -> None:
    before = published(build(content, tmp_path / "site"), JIEMIAN)

    def split(lines: list[str]) -> list[str]:
        i = line_index(lines, "所以短期來")
        head, tail = lines[i].split(",", 1)
        return lines[:i] + [head + ",", tail] + lines[i + 1:]
    after = rebuild_and_check(content, tmp_path, JIEMIAN, before)  # unchanged build first: a no-op
    edit_source(content, JIEMIAN, split)
    after = rebuild_and_check(content, tmp_path, JIEMIAN, before)
    assert len(after.get(JIEMIAN).rows) == len(before) + 1


def test_merge_two_paragraphs(content: Path, tmp_path: Path) -> None:
    archive = build(content, tmp_path / "site")
    before = published(archive, JIEMIAN)

    def merge(lines: list[str]) -> list[str]:
        i = line_index(lines, "界面新聞:現")  # a question (line) merged with its answer (next line)
        return lines[:i] + [lines[i] + lines[i + 1]] + lines[i + 2:]
    edit_source(content, JIEMIAN, merge)
    after = rebuild_and_check(content, tmp_path, JIEMIAN, before)
    merged = [a for a in after.get(JIEMIAN).aliases if a.kind == "merged"]
    assert merged
    log = (content / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"- {merged[0].anchor} merged into {merged[0].target}" in log.split("## Edition ")[1]


def test_insert_at_top(content: Path, tmp_path: Path) -> None:
    before = published(build(content, tmp_path / "site"), JIEMIAN)
    edit_source(content, JIEMIAN, lambda ls: ls[:2] + ["編者按:這是檔案編者在文首新加的一段說明文字。"] + ls[2:])
    after = rebuild_and_check(content, tmp_path, JIEMIAN, before)
    assert len(after.get(JIEMIAN).rows) == len(before) + 1


def test_changed_cleaning_rule(content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = published(build(content, tmp_path / "site"), NETEASE)
    from site_src.clean import textrules
    original = textrules.ellipsis

    def ellipsis_as_character(text: str, line: int):  # type: ignore[no-untyped-def]
        new, changes = original(text, line)
        return new.replace(". . .", "…"), changes
    monkeypatch.setattr(textrules, "ellipsis", ellipsis_as_character)
    import site_src.clean as clean_package
    monkeypatch.setattr(clean_package, "LINE_RULES", tuple(
        ellipsis_as_character if r is original else r for r in clean_package.LINE_RULES))
    after = rebuild_and_check(content, tmp_path, NETEASE, before)
    assert any("…" in p.text for p in after.get(NETEASE).en)  # the rule change did take effect


def test_removed_paragraph_points_where_it_stood(content: Path, tmp_path: Path) -> None:
    archive = build(content, tmp_path / "site")
    rows = archive.get(JIEMIAN).rows
    victim = next(i for i, r in enumerate(rows) if r.zh and r.zh[0].text.startswith("最懂大模型"))
    number = rows[victim].zh[0].line  # its line in source.txt (the raw line carries pinyin residue)
    edit_source(content, JIEMIAN, lambda ls: ls[:number - 1] + ls[number:])
    after = build(content, tmp_path / "site2")
    alias = next(a for a in after.get(JIEMIAN).aliases if a.anchor == rows[victim].anchor)
    assert alias.kind == "removed" and alias.target == rows[victim - 1].anchor
    assert unresolved(after.get(JIEMIAN)) == []


# ---------------------------------------------------------------------------
# Generated edit sequences
# ---------------------------------------------------------------------------
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from site_src.anchors import assign  # noqa: E402
from site_src.model import AlignedRow, AnchorRegistry, Paragraph  # noqa: E402

HAN = "的一是在不了有和人這中大為上個國我以要他時來用們生到作地於出就分對成會可主發年動同工也能下過子說產種面而方後多定行學法所民得經"


def _real_paragraphs() -> list[str]:
    """Lines of a real capture, so texts differ as paragraphs do.  Generated strings
    shrink to runs of one character, in which every text contains every shorter one
    and no fingerprint can tell rows apart; that is not a case readers meet."""
    lines = (CONTENT / "articles" / JIEMIAN / "source.txt").read_text(encoding="utf-8").split("\n")
    return sorted({line.strip() for line in lines if len(normalise(line)) >= 4})


sentences = st.sampled_from(_real_paragraphs())
EDITS = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 99), sentences),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    st.tuples(st.just("typo"), st.integers(0, 99), st.sampled_from(HAN)),
    st.tuples(st.just("split"), st.integers(0, 99)),
    st.tuples(st.just("merge"), st.integers(0, 99)),
)


def apply_edit(texts: list[str], edit: tuple) -> tuple[list[str], dict[int, set[int]]]:  # type: ignore[type-arg]
    """One editor's change to the article's paragraphs (an article keeps at least one).
    Returns the new paragraphs and, for each edited paragraph, the new positions where
    its text now is."""
    kind, at = edit[0], edit[1] % (len(texts) + (edit[0] == "insert"))
    texts = list(texts)
    if kind == "insert":
        texts.insert(at, edit[2])
    elif kind == "delete" and len(texts) > 1:
        del texts[at]
    elif kind == "typo":
        middle = len(texts[at]) // 2
        texts[at] = texts[at][:middle] + edit[2] + texts[at][middle + 1:]
        return texts, {at: {at}}
    elif kind == "split":
        middle = len(texts[at]) // 2
        texts[at:at + 1] = [texts[at][:middle], texts[at][middle:]]
        return texts, {at: {at, at + 1}}
    elif kind == "merge" and at + 1 < len(texts):
        texts[at:at + 2] = [texts[at] + texts[at + 1]]
        return texts, {at: {at}, at + 1: {at}}
    return texts, {}


def as_rows(texts: list[str]) -> list[AlignedRow]:
    return [AlignedRow(zh=(Paragraph("zh-Hant", t),), en=(), confidence=1.0, reason="") for t in texts]


AGI = "AGI更合理的定義可能是,在人做的90%事情上,比90%的人做得要好。按照這個(gè)定義,我覺(jué)得5年之內(nèi)肯定會(huì)實(shí)現(xiàn)的。"


@settings(max_examples=60, deadline=None)
@given(st.lists(sentences, min_size=1, max_size=8, unique=True), st.lists(EDITS, min_size=1, max_size=12))
# Found in CI: the second split makes halves that repeat the first split's rows.
@example(first=[AGI], edits=[("split", 0), ("insert", 0, AGI), ("split", 0)])
# Found in CI: the merge restores a text that the inserted row also holds whole.
@example(first=[AGI], edits=[("split", 0), ("insert", 0, AGI), ("split", 1), ("merge", 1)])
# Found locally: the half of a split is merged into its neighbour, and the first row
# holds that half whole too (it is the text the half was split from).
@example(first=[AGI, "AI借助慢思考獲得了反思的能力,能夠自我迭代、自我進(jìn)步,未來(lái)可能不再單單依靠人來(lái)發(fā)明新算法、發(fā)明模型架構(gòu),而是“AI教AI”,AI會(huì)進(jìn)入到自我演進(jìn)范式。"],
         edits=[("insert", 0, AGI), ("insert", 3, AGI), ("delete", 0), ("split", 68), ("merge", 1)])
# Found locally: splits leave a fragment of four letters, then a typo in it.
@example(first=["“我們最終還是想成為一個(gè)偉大的AI 2.0公司,讓大模型賦能千行百業(yè)?!崩铋_(kāi)復(fù)說(shuō)。"],
         edits=[("split", 0), ("split", 1), ("delete", 0), ("split", 0), ("typo", 1, "的")])
# Found locally: three copies of a paragraph, a typo in the middle one, which is then
# merged into the next: the merged row holds its text whole, the first copy only its
# start and end.
@example(first=[AGI], edits=[("insert", 0, AGI), ("insert", 0, AGI), ("typo", 1, "的"), ("merge", 1)])
def test_generated_edit_sequences_keep_every_anchor(first: list[str], edits: list[tuple]) -> None:  # type: ignore[type-arg]
    """After any sequence of edits, each published with a build: every anchor ever
    published leads to a row (its own or its alias's), numbers are never reused, a row
    whose text did not change keeps its anchor, and an edited row's anchor leads to
    where its text went (the typo'd row, either half of a split, the merged row)."""
    texts = first
    rows, registry = assign(as_rows(texts), AnchorRegistry(1, ()))
    for edit in edits:
        # Rows that are the only ones with their text (a repeated text may swap anchors
        # between its copies, which no reader can tell apart).
        unique = {r.zh[0].text: r.anchor for r in rows if texts.count(r.zh[0].text) == 1}
        old_anchors = [r.anchor for r in rows]
        before_texts = [r.zh[0].text for r in rows]
        published = registry.anchors()
        texts, moved = apply_edit(texts, edit)
        rows, registry = assign(as_rows(texts), registry)
        live = [r.anchor for r in rows]
        assert len(set(live)) == len(live)
        assert published <= registry.anchors()  # nothing published is forgotten
        highest = max(int(a[1:]) for a in published)
        assert all(int(a[1:]) > highest for a in set(live) - published)  # numbers never reused
        targets = {e.anchor: e.alias.target for e in registry.entries if e.alias}
        for entry in registry.entries:
            assert entry.anchor in live or targets.get(entry.anchor) in live, entry
        for row in rows:
            text = row.zh[0].text
            if text in unique and texts.count(text) == 1:
                assert row.anchor == unique[text], (edit, text)
        for old, new in moved.items():
            anchor = old_anchors[old]
            # A text of fewer letters than anchors.MIN_EDGE is too short to tell an edit
            # from a new text (a typo in "è)?!崩铋_(" changes a quarter of its letters):
            # its anchor still resolves (checked above), to its neighbour if need be.
            if anchor not in unique.values() or len(normalise(before_texts[old])) < MIN_EDGE:
                continue
            lands = live.index(anchor) if anchor in live else live.index(targets[anchor])
            # Where the edit made copies of a text (a split whose halves repeat other
            # rows, a row that holds another's whole text), landing on a row that has
            # the text is landing on its text: the new text, or the cited text whole.
            wanted = {rows[i].zh[0].text for i in new} | {before_texts[old]}
            assert lands in new or any(w in rows[lands].zh[0].text for w in wanted), (
                edit, anchor, [rows[i].zh[0].text for i in new], rows[lands].zh[0].text)
