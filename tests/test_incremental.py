"""serve's incremental rebuild (site_src.incremental) gives the full build's site.

Each test edits a copy of the shipped content the way an editor would, rebuilds
incrementally, and compares every file of the site, the search records and the
anchor registries with a full build of the same edited content."""
from __future__ import annotations

import os

import shutil
from pathlib import Path

import pytest

from build import serve_preview
from site_src.cache import open_cache
from site_src.errors import ContentError
from site_src.incremental import _lenders, cited_index
from site_src.load import load_archive
from site_src.render import article_index, lookups_for
from site_src.search import BUNDLE, SHARD_BYTES, SHARDS, shard_key
from site_src.serve import Preview
from site_src.write import MARKER

NETEASE = "2026-02-ft-interview-netease"  # lends its English to phoenix
PHOENIX = "2026-02-ft-interview-phoenix"
BLOOMBERG = "2025-03-bloomberg-china-show"  # named by jiemian's relations
JIEMIAN = "2025-03-jiemian-interview"
OPED = "2025-12-ft-op-ed-open-source"


def site_files(out: Path) -> dict[str, bytes]:
    """Every file of the site but the search index, whose bytes Pagefind does not
    keep stable (its records are compared instead)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.parts[len(out.parts)] not in (BUNDLE, SHARDS) and p.name != MARKER}


def registries(content: Path) -> dict[str, str]:
    return {str(p.relative_to(content)): p.read_text(encoding="utf-8")
            for p in sorted(content.rglob("*")) if p.name in ("anchors.yaml", "CHANGELOG.md")}


@pytest.fixture
def served(shipped_content: Path, tmp_path: Path) -> Preview:
    preview = serve_preview(shipped_content, tmp_path / "site", open_cache(tmp_path / "cache"))
    preview.rebuild()
    assert not preview.problems
    return preview


def edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def append(path: Path, text: str) -> Path:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return path


def assert_same_as_full_build(preview: Preview, tmp_path: Path, name: str) -> None:
    """Build a copy of the content as it is now from scratch and compare."""
    preview.later.wait()
    # The index in the site is the one made from its records (the cache keeps the
    # last index's shards; the full build below would put the same one there).
    key = shard_key(list(preview.search.records()), SHARD_BYTES)
    assert [p.name for p in preview.cache.index().iterdir()] == [key]  # type: ignore[union-attr]
    content = tmp_path / f"{name}-content"
    shutil.copytree(preview.content, content)
    full = serve_preview(content, tmp_path / f"{name}-site", open_cache(tmp_path / "cache"))
    full.rebuild()
    assert not full.problems
    ours, theirs = site_files(preview.out), site_files(full.out)
    assert sorted(ours) == sorted(theirs)
    assert [p for p in ours if ours[p] != theirs[p]] == []
    assert list(preview.search.records()) == list(full.search.records())
    assert registries(preview.content) == registries(content)


def rebuild(preview: Preview, *changed: Path) -> None:
    preview.rebuild(changed)
    assert not preview.problems, preview.problems
    assert preview.last is not None
    # As a full build would have them, with serve's index of the entity pages' quotes,
    # and its index of the related passages' targets.
    assert preview.last.lookups == lookups_for(preview.last.archive, quoted=True)
    assert preview.last.cited == cited_index(preview.last.archive)
    assert preview.last.lent == article_index(preview.last.archive.articles.packed, _lenders)


def test_a_note_rebuilds_its_article_alone(served: Preview, tmp_path: Path) -> None:
    notes = append(served.content / "articles" / NETEASE / "notes.md", "\n## p1 note\nAn editor's added note.\n")
    before = dict(served.written)
    rebuild(served, notes)
    assert served.made.startswith("1 article(s), 0 other article page(s), 0 entity page(s)"), served.made
    changed = sorted(p for p in served.written if served.written[p] != before.get(p))
    assert changed == [f"articles/{NETEASE}/index.html"]
    assert_same_as_full_build(served, tmp_path, "after")


def test_a_lenders_text_reaches_its_borrower_and_related_passages(served: Preview, tmp_path: Path) -> None:
    # The lender's text changes: the borrower is aligned to it, so both are rebuilt.
    # New mentions of people named elsewhere change the related passages of other
    # articles and the entity pages and their counts.
    source = edit(served.content / "articles" / NETEASE / "source.txt", "不難理解", "不難理解(吳恩達和Raj Reddy也說過,2031年)")
    before = dict(served.written)
    assert served.last is not None
    lists = {p.slug: p.part("related") for p in served.last.archive.articles.packed}
    rebuild(served, source)
    assert "search data" in served.made and served.made != "everything"
    # Made again: the pages of the articles whose related passages changed, no more.
    now = {p.slug: p.part("related") for p in served.last.archive.articles.packed}
    moved = {s for s in now if now[s] != lists[s]} - {NETEASE, PHOENIX}
    made = f"2 article(s), {len(moved)} other article page(s)"
    assert served.made.startswith(made), (served.made, moved)
    changed = {p for p in served.written if served.written[p] != before.get(p)}
    assert {"entities/andrew-ng/index.html", "entities/raj-reddy/index.html", "entities/index.html",
            f"data/{NETEASE}.json"} <= changed
    # Related passages of an article that was not edited now point at the new mention.
    assert any(p.startswith("articles/") and NETEASE not in p and PHOENIX not in p for p in changed), changed
    assert_same_as_full_build(served, tmp_path, "after")  # archive.jsonl too, made afterwards


def worker_pid(_: object) -> int:
    return os.getpid()


def test_warm_up_makes_what_an_edit_s_pages_and_mentions_need(served: Preview) -> None:
    """With the stages of the first build run apart (build.APART), serve's process has
    made neither the script converters nor the glossary's patterns: warm_up does,
    not the first edit."""
    from site_src import annotate, scripts
    scripts.converter.cache_clear()
    annotate._matchers.cache_clear()
    try:
        served.later.request(served.warm_up)
        served.later.wait()
    finally:
        served.close()
    assert scripts.converter.cache_info().currsize == 2  # t2s and s2t
    assert annotate._matchers.cache_info().currsize == 1 and served.last is not None
    assert annotate._matchers.cache_info().misses == 1
    annotate.find_mentions((), served.last.archive.glossary)
    assert annotate._matchers.cache_info().hits >= 1  # the same glossary: made once


def first_article_done(_: object) -> tuple[int, int]:
    """What a process's first cleaning and alignment fill: the bytes pinyin readings
    vouch for, the glosses of Chinese words."""
    from site_src.align import lexicon
    from site_src.clean import mojibake
    return mojibake._trails_read_as.cache_info().currsize, lexicon.gloss.cache_info().currsize


def test_warm_up_cleans_and_aligns_an_article_here_and_in_each_standing_worker(served: Preview) -> None:
    try:
        served.later.request(served.warm_up)
        served.later.wait()
        assert served.standing is not None
        for process in [first_article_done(None), *served.standing.map(first_article_done, range(8))]:
            assert all(process), process
    finally:
        served.close()


def test_standing_workers_prepare_a_lender_and_its_borrower_side_by_side(served: Preview, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """serve starts a worker per core once its first build is done; an edit reaching
    two articles cleans and aligns them there, one on each core."""
    served.later.request(served.warm_up)
    served.later.wait()
    standing = served.standing
    assert standing is not None
    try:
        if standing.processes >= 2:
            assert set(standing.map(worker_pid, range(8))) - {os.getpid()}, "the work ran in the workers"
        batches: list[int] = []
        real = standing.map

        def counted(fn, items):  # type: ignore[no-untyped-def]
            batch = list(items)
            batches.append(len(batch))
            return real(fn, batch)
        monkeypatch.setattr(standing, "map", counted)
        rebuild(served, edit(served.content / "articles" / NETEASE / "source.txt", "不難理解", "不難理解!"))
        assert batches == [2, 2]  # cleaning, then alignment: the lender and its borrower at once
        assert_same_as_full_build(served, tmp_path, "after")
    finally:
        served.close()


def test_a_paragraph_edit_remakes_only_the_entity_pages_quoting_it(served: Preview, tmp_path: Path) -> None:
    # p24 of the lender mentions no entity: no entity page quotes it.
    source = edit(served.content / "articles" / NETEASE / "source.txt", "“共學(xué)小組”。一家", "“共學(xué)組”。一家")
    rebuild(served, source)
    assert ", 0 entity page(s)" in served.made, served.made
    assert_same_as_full_build(served, tmp_path, "quiet")
    # p21 mentions OpenAI near the edit: its page quotes the words around the mention;
    # the other entities the article names (30) show nothing of p21.
    before = dict(served.written)
    edit(source, "不難理解", "不難明白")
    rebuild(served, source)
    changed = {p.split("/")[1] for p in served.written if served.written[p] != before.get(p)
               and p.startswith("entities/")}
    in_p21 = {m.entity for m in served.last.archive.get(NETEASE).mentions if m.anchor == "p21"}  # type: ignore[union-attr]
    assert "openai" in changed and changed <= in_p21, (changed, in_p21)
    assert_same_as_full_build(served, tmp_path, "quoted")


def test_a_new_title_is_shown_where_the_article_is_named(served: Preview, tmp_path: Path) -> None:
    meta = edit(served.content / "articles" / BLOOMBERG / "article.yaml", "萬智平台與", "萬智平臺與")
    before, start = dict(served.written), served.build
    rebuild(served, meta)
    assert "the index" in served.made
    # The article's own pages came first, as a build of their own; then the pages naming it.
    assert served.build == start + 2 and served.first > 0
    changed = {p for p in served.written if served.written[p] != before.get(p)}
    assert {f"articles/{JIEMIAN}/index.html", "index.html", "feed.xml"} <= changed
    assert_same_as_full_build(served, tmp_path, "after")


def test_a_new_title_reaches_the_pages_whose_related_passages_lead_to_it(shipped_content: Path,
                                                                        tmp_path: Path) -> None:
    # Only related passages lead from the op-ed to Bloomberg once the claim links and
    # Jiemian's relation to it are gone: its page is found through ``Built.cited``.
    content = tmp_path / "isolated"
    shutil.copytree(shipped_content, content)
    (content / "links.yaml").unlink()
    meta = content / "articles" / JIEMIAN / "article.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").split("relations:")[0], encoding="utf-8")
    preview = serve_preview(content, tmp_path / "site", open_cache(tmp_path / "cache"))
    preview.rebuild()
    assert not preview.problems and preview.last is not None
    assert OPED in preview.last.cited[BLOOMBERG]
    before = dict(preview.written)
    rebuild(preview, edit(content / "articles" / BLOOMBERG / "article.yaml", "萬智平台與", "萬智平臺與"))
    assert preview.written[f"articles/{OPED}/index.html"] != before[f"articles/{OPED}/index.html"]
    assert_same_as_full_build(preview, tmp_path, "after")


def test_edits_made_while_the_build_was_broken_are_not_lost(served: Preview, tmp_path: Path) -> None:
    broken = append(served.content / "articles" / JIEMIAN / "notes.md", "\n## p9999 note\nNo such row.\n")
    served.rebuild([broken])
    assert served.problems and "p9999" in served.problems[0]
    # Another article is edited while the first is still broken: still broken.
    other = append(served.content / "articles" / BLOOMBERG / "notes.md", "\n## p2 note\nAnother note.\n")
    served.rebuild([other])
    assert served.problems and "p9999" in served.problems[0]
    fixed = edit(broken, "## p9999 note", "## p3 note")
    rebuild(served, fixed)
    assert_same_as_full_build(served, tmp_path, "after")


def test_a_glossary_edit_rebuilds_everything(served: Preview, tmp_path: Path) -> None:
    glossary = served.content / "glossary.yaml"
    append(glossary, "\n")
    rebuild(served, glossary)
    assert served.made == "everything"


def test_a_new_article_folder_rebuilds_everything(served: Preview, tmp_path: Path) -> None:
    folder = served.content / "articles" / "2026-03-copy-of-bloomberg"
    shutil.copytree(served.content / "articles" / BLOOMBERG, folder)
    (folder / "anchors.yaml").unlink()
    edit(folder / "source.txt", "李開", "李开")  # not the same capture twice
    rebuild(served, folder / "source.txt")
    assert served.made == "everything"
    assert_same_as_full_build(served, tmp_path, "after")


def test_the_edited_pages_come_first_when_related_passages_must_be_searched_again(
        served: Preview, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import site_src.serve as serve

    page = served.out / "articles" / NETEASE / "index.html"
    seen: list[tuple[dict[str, object], str]] = []

    def finish(last, step):  # type: ignore[no-untyped-def]
        # Where serve stands when it starts on the related passages.
        seen.append((served.status(), page.read_text(encoding="utf-8")))
        return real_finish(last, step)

    real_finish = serve.finish
    monkeypatch.setattr(serve, "finish", finish)
    start = served.build
    before = dict(served.written)
    rebuild(served, edit(served.content / "articles" / NETEASE / "source.txt", "不難理解",
                         "不難理解(吳恩達和Raj Reddy也說過,2031年)"))
    (status, text), = seen
    # The edited article's page was in place and announced (the browser reloads) ...
    assert status["ok"] and status["build"] == start + 1 and "first" in status["made"]
    assert "也說過,2031年" in text
    # The borrower, aligned again to the lender's new text, is not what was edited:
    # its pages come in the second step.
    assert status["made"].startswith("1 article(s) first"), status["made"]
    # ... and then the pages of the other articles whose related passages moved.
    assert served.build == start + 2 and 0 < served.first
    others = {p for p in served.written if served.written[p] != before.get(p)
              and p.startswith("articles/") and NETEASE not in p and PHOENIX not in p}
    assert others
    assert_same_as_full_build(served, tmp_path, "after")

    # A note moves no related passage: one step.
    seen.clear()
    rebuild(served, append(served.content / "articles" / NETEASE / "notes.md", "\n## p1 note\nAdded.\n"))
    assert [s["build"] for s, _ in seen] == [start + 2]  # no step was announced before finish
    assert served.build == start + 3 and served.first == 0


def full_load_problems(content: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_archive(content)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("case", ["lender without English", "unknown relation", "capture of another article"])
def test_an_edit_failing_an_archive_wide_check_is_told_as_a_full_load_tells_it(served: Preview, tmp_path: Path,
                                                                              case: str) -> None:
    """An edit reloads only its articles and checks relations and captures where they
    can have changed: the problems are still those of a full load, word for word."""
    articles = served.content / "articles"
    if case == "lender without English":  # the borrower's relation is now wrong
        path = edit(articles / NETEASE / "article.yaml", "languages: [zh-Hant, en]", "languages: [zh-Hant]")
        fixed = ("languages: [zh-Hant]", "languages: [zh-Hant, en]")
    elif case == "unknown relation":
        path = edit(articles / JIEMIAN / "article.yaml", "slug: 2025-03-bloomberg-china-show",
                    "slug: 2025-03-bloomberg-china-shwo")
        fixed = ("china-shwo", "china-show")
    else:  # the later folder is told, also when the earlier one was edited
        path, original = articles / BLOOMBERG / "source.txt", (articles / BLOOMBERG / "source.txt").read_bytes()
        path.write_bytes((articles / OPED / "source.txt").read_bytes())
    served.rebuild([path])
    assert served.problems and list(served.problems) == full_load_problems(served.content)
    if case == "capture of another article":
        assert all(OPED in p and "the same capture as" in p for p in served.problems)
        path.write_bytes(original)
    else:
        edit(path, *fixed)
    rebuild(served, path)
    assert_same_as_full_build(served, tmp_path, "after")


def test_a_new_date_moves_the_article_as_a_full_build_does(served: Preview, tmp_path: Path) -> None:
    assert served.last is not None
    order = [p.slug for p in served.last.archive.articles.packed]
    rebuild(served, edit(served.content / "articles" / OPED / "article.yaml", 'date: "2025-12-09"', 'date: "2024-12-09"'))
    now = [p.slug for p in served.last.archive.articles.packed]
    assert now != order and now[-1] == OPED
    assert_same_as_full_build(served, tmp_path, "after")
