"""The per-article cache (site_src/cache.py) and the stage that uses it (site_src/prepare.py).

A cached build must publish exactly what an uncached one does; an entry must be used
when the article's files are unchanged and redone when they, the donor of its
English, or the code change; a broken entry must cost a rebuild, never a failure.
"""
from __future__ import annotations

import errno
import functools
import json
import os
import subprocess
import sys
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

import build
from site_src import cache as cache_module
from site_src import pool, prepare, render
from site_src.cache import NO_CACHE, inputs_stamp, open_cache
from site_src.write import MARKER, kept_pages
from site_src.errors import CleaningError, ContentError, OutputError, Problem
from site_src.capture import capture
from site_src.load import load_archive
from site_src.model import Archive
from site_src.render import ArticlePages, render_site, swap_edition
from tests.conftest import ROOT, INTERVIEW_SOURCE, INTERVIEW_YAML, OPED_SOURCE, OPED_YAML, SPEAKERS_YAML, write_archive

INTERVIEW, OPED, BORROWER = "2025-03-test-interview", "2025-12-test-op-ed", "2025-04-test-borrower"

BORROWER_YAML = """\
title:
  zh: 借用英文的譯本
outlet:
  zh: 測試網
date: "2025-04-01"
kind: interview
languages: [zh-Hant]
summary: A translation whose English comes from the interview.
""" + SPEAKERS_YAML + """\
relations:
  english_text_from:
    - slug: 2025-03-test-interview
"""

BORROWER_SOURCE = "問:OpenAI一年花多少錢?\n李開復:OpenAI 2024 年的運營成本是 70 億美元。\n"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_archive(tmp_path, {
        INTERVIEW: {"article.yaml": INTERVIEW_YAML, "source.txt": INTERVIEW_SOURCE},
        OPED: {"article.yaml": OPED_YAML, "source.txt": OPED_SOURCE},
        BORROWER: {"article.yaml": BORROWER_YAML, "source.txt": BORROWER_SOURCE},
    })


@pytest.fixture
def worked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs cleaned and segmented (i.e. not served from the cache), in order."""
    done: list[str] = []
    real = prepare._clean_and_segment

    def spy(article):  # type: ignore[no-untyped-def]
        done.append(article.slug)
        return real(article)

    monkeypatch.setattr(prepare, "_clean_and_segment", spy)
    return done


def files_of(folder: Path) -> dict[str, bytes]:
    # pagefind/ is the search indexer's output, made from the pages compared here; its
    # own bytes are not reproducible from run to run.  The marker says how the folder
    # was built (with or without a cache), not what the site is.
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).parts[0] not in ("pagefind", MARKER)}


def test_unchanged_inputs_skip_the_build(content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    cache, out = open_cache(tmp_path / "cache"), tmp_path / "site"
    assert isinstance(build.build(content, out, cache), Archive)
    written = {p: p.read_bytes() for p in content.rglob("anchors.yaml")}
    assert written  # the first build minted the anchors: the inputs changed ...
    before = files_of(out)

    def no_work(*args: object) -> None:
        raise AssertionError("an up-to-date site was built again")
    with monkeypatch.context() as patched:
        patched.setattr(build, "process", no_work)
        # ... yet its site is theirs (test_identical_site_with_and_without_cache): nothing done
        assert build.build(content, out, cache) is build.Reused.UP_TO_DATE
    assert files_of(out) == before
    # Whatever the output depends on changes the stamp: a content file, the date …
    (content / "articles" / OPED / "notes.md").write_text("## p1 note\nA new note.\n", encoding="utf-8")
    assert isinstance(build.build(content, out, cache), Archive)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767312000")
    assert isinstance(build.build(content, out, cache), Archive)
    # … and a site built without the cache records no stamp: the next build puts back
    # the one the cache kept.
    build.build(content, out, NO_CACHE)
    assert build.build(content, out, cache) is build.Reused.KEPT
    assert isinstance(build.build(content, out, NO_CACHE), Archive)  # --no-cache always builds


def test_kept_site_is_put_in_a_new_folder(content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    cache = open_cache(tmp_path / "cache")
    build.build(content, tmp_path / "first", cache)
    build.build(content, tmp_path / "none", NO_CACHE)

    def no_work(*args: object) -> None:
        raise AssertionError("a kept site was built again")
    with monkeypatch.context() as patched:
        patched.setattr(build, "process", no_work)
        assert build.build(content, tmp_path / "second", cache) is build.Reused.KEPT
        # Kept even once the site it was kept from is gone; marked as that of these inputs.
        shutil.rmtree(tmp_path / "first")
        assert build.build(content, tmp_path / "third", cache) is build.Reused.KEPT
        assert build.build(content, tmp_path / "third", cache) is build.Reused.UP_TO_DATE
    assert files_of(tmp_path / "second") == files_of(tmp_path / "third") == files_of(tmp_path / "none")
    assert (tmp_path / "third" / "pagefind").is_dir()
    # Only the last site is kept: after a change, the next build makes the new site
    # and keeps it instead.
    (content / "articles" / OPED / "notes.md").write_text("## p1 note\nA new note.\n", encoding="utf-8")
    assert isinstance(build.build(content, tmp_path / "fourth", cache), Archive)
    assert build.build(content, tmp_path / "fifth", cache) is build.Reused.KEPT
    assert b"A new note." in (tmp_path / "fifth" / "articles" / OPED / "index.html").read_bytes()
    assert [p.name for p in cache.site().parent.iterdir() if p.name.startswith(("site", ".site"))] == ["site"]


def test_kept_site_changed_in_place_is_built_again(content: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A kept file shares its bytes with the site's: a site file written in place (not
    replaced) changes the kept one, which must then not be used."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    cache = open_cache(tmp_path / "cache")
    build.build(content, tmp_path / "first", cache)
    page = tmp_path / "first" / "index.html"
    time.sleep(0.01)  # a modification time of its own, even where the clock is coarse
    with open(page, "r+b") as opened:  # the same size: only the time tells
        opened.write(b"<!DOCTYPE html><!-- edited -->"[:len(b"<!DOCTYPE html>")])
    assert isinstance(build.build(content, tmp_path / "second", cache), Archive)
    build.build(content, tmp_path / "none", NO_CACHE)
    assert files_of(tmp_path / "second") == files_of(tmp_path / "none")


def test_site_is_not_kept_where_links_cannot_be_made(content: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache on another file system: no link can be made, and rather than copy the
    whole site into the cache, nothing is kept; the builds go on as without it."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    cache = open_cache(tmp_path / "cache")

    def cross_device(source: object, target: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    with monkeypatch.context() as patched:
        patched.setattr(os, "link", cross_device)
        assert isinstance(build.build(content, tmp_path / "first", cache), Archive)
    assert not cache.site().exists()
    assert not [p for p in cache.site().parent.iterdir() if p.name.startswith(".site")]
    assert isinstance(build.build(content, tmp_path / "second", cache), Archive)
    assert files_of(tmp_path / "second") == files_of(tmp_path / "first")


def test_stamp_covers_templates_and_the_date(tmp_path: Path) -> None:
    content, templates = tmp_path / "content", tmp_path / "templates"
    content.mkdir(); templates.mkdir()
    (content / "a.txt").write_text("a")
    (templates / "base.html").write_text("x")
    first = inputs_stamp(content, templates, "2026-01-01")
    (templates / "base.html").write_text("y")
    assert inputs_stamp(content, templates, "2026-01-01") != first
    assert inputs_stamp(content, templates, "2026-01-02") != inputs_stamp(content, templates, "2026-01-01")


def test_stamp_covers_the_packages_that_make_the_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content, templates = tmp_path / "content", tmp_path / "templates"
    content.mkdir()
    templates.mkdir()
    first = inputs_stamp(content, templates, "2026-01-01")
    real = cache_module.metadata.version
    for package in ("jinja2", "markdown", "nh3"):
        with monkeypatch.context() as patched:
            patched.setattr(cache_module.metadata, "version",
                            lambda name, p=package: "0.0-other" if name == p else real(name))
            assert inputs_stamp(content, templates, "2026-01-01") != first, package
    assert inputs_stamp(content, templates, "2026-01-01") == first


def test_second_build_is_served_from_the_cache(content: Path, tmp_path: Path, worked: list[str]) -> None:
    cache_dir = tmp_path / "cache"
    build.process(content, open_cache(cache_dir))
    assert sorted(worked) == sorted([INTERVIEW, OPED, BORROWER])
    worked.clear()
    build.process(content, open_cache(cache_dir))
    assert worked == []


def test_identical_site_with_and_without_cache(content: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    cache = open_cache(tmp_path / "cache")
    build.build(content, tmp_path / "cold", cache)
    shutil.rmtree(cache.site())  # or the warm build would put the kept site in place
    assert isinstance(build.build(content, tmp_path / "warm", cache), Archive)
    build.build(content, tmp_path / "none", NO_CACHE)
    none = files_of(tmp_path / "none")
    assert files_of(tmp_path / "cold") == none
    assert files_of(tmp_path / "warm") == none


def test_changed_capture_redoes_that_article_only(content: Path, tmp_path: Path, worked: list[str]) -> None:
    cache_dir = tmp_path / "cache"
    build.process(content, open_cache(cache_dir))
    worked.clear()
    source = content / "articles" / OPED / "source.txt"
    source.write_text(OPED_SOURCE + "第二段,新加的文字。\n", encoding="utf-8")
    archive = build.process(content, open_cache(cache_dir))
    assert worked == [OPED]
    assert archive.get(OPED).paragraphs[-1].text == "第二段,新加的文字。"


def test_changed_donor_redoes_the_borrower(content: Path, tmp_path: Path, worked: list[str]) -> None:
    cache_dir = tmp_path / "cache"
    build.process(content, open_cache(cache_dir))
    worked.clear()
    source = content / "articles" / INTERVIEW / "source.txt"
    source.write_text(INTERVIEW_SOURCE.replace("$7 billion", "$8 billion"), encoding="utf-8")
    archive = build.process(content, open_cache(cache_dir))
    # The borrower is aligned again, against the donor's new English.
    assert sorted(worked) == sorted([INTERVIEW, BORROWER])
    assert any("$8 billion" in p.text for r in archive.get(BORROWER).rows for p in r.en)


def test_new_stage_version_misses_and_clears_old_entries(content: Path, tmp_path: Path, worked: list[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    build.process(content, open_cache(cache_dir))
    (old,) = [p.name for p in cache_dir.iterdir()]
    worked.clear()
    monkeypatch.setattr(cache_module, "stage_version", lambda: "0123456789abcdef")
    build.process(content, open_cache(cache_dir))
    assert sorted(worked) == sorted([INTERVIEW, OPED, BORROWER])
    assert [p.name for p in cache_dir.iterdir()] == ["0123456789abcdef"] != [old]


def _package(root: Path, files: dict[str, str]) -> Path:
    sources = root / "site_src"
    for name, text in files.items():
        (sources / name).parent.mkdir(parents=True, exist_ok=True)
        (sources / name).write_text(text)
    return sources


def test_versions_follow_the_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = _package(tmp_path, {
        "__init__.py": "", "cache.py": "", "model.py": "",
        "prepare.py": "from .cache import Cache\n\ndef run():\n    from .clean import clean_article\n",
        "clean/__init__.py": "from ..model import Article\nfrom . import rules\n",
        "clean/rules.py": "RULE = 1\n",
        "render.py": "from .model import Article\nPAGE = 1\n",
    })
    monkeypatch.setattr(cache_module, "SOURCES", sources)

    def versions() -> tuple[str, str]:
        cache_module.code_version.cache_clear()
        cache_module.source_version.cache_clear()
        return cache_module.code_version(), cache_module.stage_version()

    try:
        # A rule reached through a lazy import and a ``from . import`` is a stage's code;
        # render is not, though the whole build's version follows it.
        assert [p.relative_to(sources).as_posix() for p in cache_module.source_closure("prepare", "cache")] == [
            "__init__.py", "cache.py", "clean/__init__.py", "clean/rules.py", "model.py", "prepare.py"]
        code, stage = versions()
        (sources / "clean/rules.py").write_text("RULE = 2\n")
        code2, stage2 = versions()
        assert code2 != code and stage2 != stage
        (sources / "render.py").write_text("from .model import Article\nPAGE = 2\n")
        code3, stage3 = versions()
        assert code3 != code2 and stage3 == stage2
    finally:
        monkeypatch.undo()
        cache_module.code_version.cache_clear()
        cache_module.source_version.cache_clear()


def _parsed_imports(path: Path) -> Iterator[cache_module.Import]:
    """``relative_imports`` as it was first written, parsing the file with ``ast``:
    the reference the regular expression must agree with."""
    import ast

    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            yield node.level, node.module or "", [alias.name for alias in node.names]


def test_imports_found_by_pattern_are_those_python_parses() -> None:
    sources = cache_module.SOURCES
    for path in sorted(sources.rglob("*.py")):
        assert sorted(cache_module.relative_imports(path)) == sorted(_parsed_imports(path)), path
        module = ".".join(path.relative_to(sources).with_suffix("").parts).removesuffix(".__init__")
        if module != "__init__":
            assert cache_module.source_closure(module) == cache_module.source_closure(module, imports=_parsed_imports)


def test_imports_over_several_lines_and_renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quote = '"' * 3
    sources = _package(tmp_path, {
        "__init__.py": "", "a.py": "", "b.py": "", "c.py": "",
        "top.py": f"from . import (\n    a,\n    b as bee,  # a comment\n)\n{quote}\nfrom . import c\n{quote}\n",
    })
    monkeypatch.setattr(cache_module, "SOURCES", sources)
    assert list(cache_module.relative_imports(sources / "top.py")) == [(1, "", ["a", "b"]), (1, "", ["c"])]
    names = [p.name for p in cache_module.source_closure("top")]
    # c.py is named only inside a string: counted all the same (more, never fewer).
    assert names == ["__init__.py", "a.py", "b.py", "c.py", "top.py"]


def test_real_stages_are_in_the_stage_version() -> None:
    names = {p.relative_to(cache_module.SOURCES).as_posix() for p in cache_module.source_closure("prepare", "cache")}
    assert {"clean/mojibake.py", "clean/pinyin.py", "segment.py", "align/score.py", "overrides.py"} <= names
    assert not names & {"render.py", "search.py", "serve.py", "write.py", "annotate.py"}


def test_corrupt_entry_is_rebuilt(content: Path, tmp_path: Path, worked: list[str]) -> None:
    cache_dir = tmp_path / "cache"
    expected = build.process(content, open_cache(cache_dir))
    entries = sorted(cache_dir.rglob("*.pickle"))
    assert len(entries) == 3
    entries[0].write_bytes(b"\x80\x05 not a pickle")
    worked.clear()
    archive = build.process(content, open_cache(cache_dir))
    assert len(worked) == 1
    assert [a.rows for a in archive.articles] == [a.rows for a in expected.articles]
    # Rewritten whole: the next build needs nothing.
    worked.clear()
    build.process(content, open_cache(cache_dir))
    assert worked == []
    assert not [p for p in cache_dir.rglob("*") if p.name.startswith(".")], "temporary files left behind"


def test_no_cache_writes_nothing(content: Path, tmp_path: Path) -> None:
    result = build.main(["build", "--content", str(content), "--out", str(tmp_path / "site"), "--no-cache",
                         "--cache", str(tmp_path / "cache")])
    assert result == 0
    assert not (tmp_path / "cache").exists()


def prepared(archive):  # type: ignore[no-untyped-def]
    return [(a.slug, a.clean, a.paragraphs, a.rows, a.warnings) for a in archive.articles]


def test_pool_gives_the_serial_result_in_order(content: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = load_archive(content)
    serial = prepare.prepare_archive(archive, NO_CACHE, processes=1)
    monkeypatch.setattr(pool, "MIN_ITEMS", 1)
    pooled = prepare.prepare_archive(archive, NO_CACHE, processes=2)
    assert prepared(pooled) == prepared(serial)


def test_few_articles_are_aligned_on_a_helper_with_the_serial_result(content: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    archive = load_archive(content)
    serial = prepare.prepare_archive(archive, NO_CACHE, processes=1)
    helpers: list[object] = []
    sent: list[str] = []

    @contextmanager
    def helper(initializer, processes, meanwhile):  # type: ignore[no-untyped-def]
        helpers.append(initializer)
        with pool.helper(initializer, processes, meanwhile) as map_:  # None on one core
            yield map_ and (lambda fn, jobs: map_(fn, (sent.append(job[0].slug) or job for job in jobs)))
    monkeypatch.setattr(prepare, "helper", helper)
    meanwhile: list[int] = []
    helped = prepare.prepare_archive(archive, NO_CACHE, processes=2, meanwhile=lambda: meanwhile.append(1))
    assert helpers == [prepare.warm] and meanwhile == [1]
    assert prepared(helped) == prepared(serial)
    # Only articles with English (their own or borrowed) go to the helper: the others'
    # rows are made here, one a paragraph.
    english = {a.slug for a in serial.articles if any(r.en for r in a.rows)}
    assert english and sorted(sent) == sorted(english) and len(english) < len(serial.articles)
    # On one core, or with a full pool, no helper, and nothing done meanwhile.
    prepare.prepare_archive(archive, NO_CACHE, processes=1, meanwhile=lambda: meanwhile.append(2))
    monkeypatch.setattr(pool, "MIN_ITEMS", 1)
    helpers.clear()
    prepare.prepare_archive(archive, NO_CACHE, processes=2, meanwhile=lambda: meanwhile.append(3))
    assert helpers == [] and meanwhile == [1]


WARMED: list[str] = []  # filled by the helper's initializer, in the helper only


def warm_for_test() -> None:
    WARMED.append("warm")


def where(x: int) -> tuple[int, int, list[str]]:
    return 2 * x, os.getpid(), list(WARMED)


def test_a_helper_is_one_forked_worker_with_its_tables_loaded() -> None:
    done_meanwhile: list[int] = []
    with pool.helper(warm_for_test, 2, lambda: done_meanwhile.append(os.getpid())) as map_:
        assert map_ is not None
        made = map_(where, [1, 2, 3]) + map_(where, [4])
    assert [x for x, _, _ in made] == [2, 4, 6, 8]  # in order
    pids = {pid for _, pid, _ in made}
    assert len(pids) == 1 and os.getpid() not in pids  # one worker, not this process
    assert all(warmed == ["warm"] for _, _, warmed in made) and WARMED == []  # initialized there, once
    assert done_meanwhile == [os.getpid()]  # here, once, for all the maps
    with pool.helper(warm_for_test, 1) as none:
        assert none is None  # one core: the work stays in this process


def _fails(kind: str) -> object:
    if kind == "content":
        raise ContentError([Problem(Path("x.yaml"), 3, "broken", "fix it")])
    raise ValueError("a bug")


def test_forked_gives_what_the_other_process_made_and_raises_what_it_raised() -> None:
    here = os.getpid()
    with pool.forked(os.getpid, 2) as result:
        assert result() != here
    with pool.forked(functools.partial(_fails, "content"), 2) as result:
        with pytest.raises(ContentError) as failed:
            result()
    assert [(p.path, p.line) for p in failed.value.problems] == [(Path("x.yaml"), 3)]
    with pool.forked(functools.partial(_fails, "bug"), 2) as result:
        with pytest.raises(RuntimeError, match="ValueError: a bug"):
            result()
    asked: list[int] = []
    with pool.forked(lambda: asked.append(os.getpid()) or 1, 1) as result:  # one core: here, when asked
        assert asked == []
        assert result() == 1 and asked == [here]


@pytest.mark.parametrize("batch", [1, 2])
def test_batches_give_the_result_of_one(content: Path, monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    archive = load_archive(content)
    whole = prepare.prepare_archive(archive, NO_CACHE, processes=1)
    monkeypatch.setattr(prepare, "BATCH", batch)
    assert prepared(prepare.prepare_archive(archive, NO_CACHE, processes=1)) == prepared(whole)


def test_memory_is_given_back_after_each_batch(content: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Freed heap pages go back to the system batch by batch, not after the stage: the
    peak of a cold build is made of them (see ``give_back_memory``)."""
    archive = load_archive(content)
    calls: list[int] = []
    monkeypatch.setattr(prepare, "BATCH", 1)
    monkeypatch.setattr(prepare, "give_back_memory", lambda: calls.append(1))
    prepare.prepare_archive(archive, NO_CACHE, processes=1)
    assert len(calls) == len(archive.articles)
    monkeypatch.undo()
    prepare.give_back_memory()  # the real one: callable here, whatever the C library


def test_lenders_go_first_and_are_cleaned_once(content: Path, worked: list[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # A borrower that comes before its donor in the archive.
    early = "2025-01-test-borrower"
    (content / "articles" / BORROWER).rename(content / "articles" / early)
    meta = content / "articles" / early / "article.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(BORROWER, early), encoding="utf-8")
    archive = load_archive(content)
    assert [a.slug for a in archive.articles].index(early) < [a.slug for a in archive.articles].index(INTERVIEW)
    monkeypatch.setattr(prepare, "BATCH", 1)
    prepare.prepare_archive(archive, NO_CACHE, processes=1)
    assert worked[0] == INTERVIEW and sorted(worked) == sorted([INTERVIEW, OPED, early])


def test_a_donor_not_yet_prepared_is_segmented_with_its_borrower(content: Path) -> None:
    # Lenders go first, so this arises only when lenders themselves borrow (a chain
    # crossing a batch's end): the borrower's batch segments the donor for its English.
    archive = load_archive(content)
    donors = {a.slug: tuple(archive.get(s) for s in a.meta.related("english_text_from")) for a in archive.articles}
    found: dict = {a.slug: None for a in archive.articles}
    keys = {a.slug: a.slug for a in archive.articles}
    here = lambda fn, items: [fn(x) for x in items]  # noqa: E731
    failures = prepare._prepare_batch([archive.get(BORROWER)], donors, found, keys, NO_CACHE, here, here,
                                      {p.slug: p for p in archive.articles.packed})
    assert failures == [] and found[INTERVIEW] is None  # segmented, not aligned or kept
    assert any(p.origin == INTERVIEW for r in found[BORROWER].unpack().rows for p in r.en)
    whole = prepare.prepare_archive(archive, NO_CACHE, processes=1)
    assert found[BORROWER].unpack().rows == whole.get(BORROWER).rows


def test_an_article_is_aligned_as_soon_as_it_and_its_donor_are_segmented(content: Path) -> None:
    """With a helper aligning, it aligns one article while this process cleans the
    next, not after the last is cleaned; a borrower waits for its donor."""
    archive = load_archive(content)
    # The lender last (prepare_archive puts lenders first; here it shows the wait).
    batch = [archive.get(slug) for slug in (OPED, BORROWER, INTERVIEW)]
    donors = {a.slug: tuple(archive.get(s) for s in a.meta.related("english_text_from")) for a in batch}
    found: dict = {a.slug: None for a in batch}
    events: list[tuple[str, str]] = []

    def cleaning(fn, items):  # type: ignore[no-untyped-def]
        for article in items:
            events.append(("clean", article.slug))
            yield fn(article)

    def aligning(fn, jobs):  # type: ignore[no-untyped-def]
        made = []
        for article, en in jobs:
            events.append(("align", article.slug))
            made.append(fn((article, en)))
        return made

    failures = prepare._prepare_batch(batch, donors, found, {a.slug: a.slug for a in batch}, NO_CACHE, cleaning,
                                      aligning, {p.slug: p for p in archive.articles.packed})
    assert failures == []
    assert events == [("clean", OPED), ("align", OPED), ("clean", BORROWER), ("clean", INTERVIEW),
                      ("align", BORROWER), ("align", INTERVIEW)]
    whole = prepare.prepare_archive(archive, NO_CACHE, processes=1)
    assert {slug: p.unpack().rows for slug, p in found.items()} == {a.slug: a.rows for a in whole.articles}


def test_problems_from_workers_keep_file_and_line(content: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for slug in (INTERVIEW, OPED):
        (content / "articles" / slug / "corrections.yaml").write_text(
            "- find: 這段文字不在稿件裏\n  replace: x\n  why: a stale correction\n", encoding="utf-8")
    monkeypatch.setattr(pool, "MIN_ITEMS", 1)
    with pytest.raises(CleaningError) as failed:
        prepare.prepare_archive(load_archive(content), NO_CACHE, processes=2)
    # Both articles' problems, not only the first worker's.
    assert sorted(str(p.path) for p in failed.value.problems) == sorted(
        str(content / "articles" / slug / "corrections.yaml") for slug in (INTERVIEW, OPED))
    assert all(p.line == 1 for p in failed.value.problems)


def shares_paragraphs(archive) -> bool:  # type: ignore[no-untyped-def]
    """Every paragraph of every row that the article holds is the very object it
    holds, not an equal copy (the article is packed with one copy of its text)."""
    for a in archive.articles:
        held, equal = {id(p) for p in a.paragraphs}, set(a.paragraphs)
        if not all(id(p) in held for r in a.rows for p in r.zh + r.en if p in equal):
            return False
    return True


def test_rows_share_the_articles_paragraphs(content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows come back from the pool's workers and from the cache as copies; one copy of
    the text is kept in memory however they were made."""
    monkeypatch.setattr(pool, "MIN_ITEMS", 1)
    cache = open_cache(tmp_path / "cache")
    pooled = prepare.prepare_archive(load_archive(content), cache, processes=2)
    cached = prepare.prepare_archive(load_archive(content), cache, processes=2)
    for archive in (pooled, cached):
        assert shares_paragraphs(archive)
        assert any(p.origin == INTERVIEW for r in archive.get(BORROWER).rows for p in r.en), "the borrower's English"
        # Segmentation's input is not kept: nothing after it reads the lines.
        assert all(a.clean is not None and a.clean.lines == () for a in archive.articles)
    assert prepared(cached) == prepared(pooled)


def test_pages_read_the_log_and_capture_back_instead_of_keeping_them(content: Path, tmp_path: Path) -> None:
    cache = open_cache(tmp_path / "cache")
    kept = build.process(content, cache)
    plain = build.process(content, NO_CACHE)
    for article in kept.articles:
        # The cleaning log stays in the cache entry, the capture in its file.
        assert isinstance(article.clean.changes, cache_module.Spilled)
        assert article.clean.changes == plain.get(article.slug).clean.changes
        assert len(article.clean.changes) == len(plain.get(article.slug).clean.changes)
        assert article.source.text is None
        assert capture(article.source)[0] == (content / "articles" / article.slug / "source.txt").read_text(
            encoding="utf-8")
    assert list(render_site(kept).items()) == list(render_site(plain).items())


def test_the_stage_holds_no_cleaning_log_while_it_waits_for_the_others(content: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The logs of all articles, held until the last article was prepared, were the
    stage's peak memory: each is left in its cache entry as soon as it is there,
    whether the entry was just read or just written."""
    held: list[object] = []
    real = prepare._ready

    def spy(article, done):  # type: ignore[no-untyped-def]
        if done is not None:
            held.append(done.clean.changes)
        return real(article, done)

    monkeypatch.setattr(prepare, "_ready", spy)
    cache = open_cache(tmp_path / "cache")
    for _ in ("written", "read"):
        held.clear()
        prepare.prepare_archive(load_archive(content), cache)
        assert held and all(isinstance(changes, cache_module.Spilled) for changes in held)


def test_a_log_gone_from_the_cache_during_the_build_is_a_clear_error(content: Path, tmp_path: Path) -> None:
    cache = open_cache(tmp_path / "cache")
    archive = build.process(content, cache)
    shutil.rmtree(tmp_path / "cache")
    with pytest.raises(OutputError) as failed:
        list(archive.get(INTERVIEW).clean.changes)
    assert "cache entry went missing during the build" in str(failed.value.problems[0])


def test_a_capture_changed_during_the_build_is_refused(content: Path) -> None:
    archive = build.process(content)
    source = content / "articles" / INTERVIEW / "source.txt"
    source.write_text(source.read_text(encoding="utf-8") + "問:還有嗎?\n", encoding="utf-8")
    with pytest.raises(ContentError) as failed:
        capture(archive.get(INTERVIEW).source)
    problem = failed.value.problems[0]
    assert problem.path == source and "changed while the site was being built" in problem.problem


def test_cached_objects_come_back_equal_and_shared_as_they_were() -> None:
    import pickle

    from site_src.model import AlignedRow, Change, CleanResult, Cut, Flag, Line, Notice, Paragraph
    p = Paragraph("zh-Hant", "正文", speaker="lee", label="李開復", line=3, origin="a")
    row = AlignedRow((p,), (Paragraph("en", "Text"),), 0.75, "numbers", "p1")
    clean = CleanResult((Line(1, "甲"),), (Change("pinyin", 1, "網(wǎng)", "網", "residue"),),
                        (Cut("nav", 1, 2, "首頁"),), (Flag("mojibake", 4, "??", "unrepaired", True),), {"date": "2025"})
    notice = Notice(Path("x/notes.md"), 2, "moved")
    for value in (p, row, clean, notice):
        assert pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)) == value
    # Constructed, not set field by field: a paragraph in two places is still one object.
    again = pickle.loads(pickle.dumps((p, row), pickle.HIGHEST_PROTOCOL))
    assert again[0] is again[1].zh[0]


def test_registries_are_parsed_once_and_a_broken_one_every_time(content: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from site_src import anchors
    cache_dir = tmp_path / "cache"
    first = build.process(content, open_cache(cache_dir))
    build.write_registries(first)  # the registries a build leaves in the folders
    parsed: list[str] = []
    real = anchors.parse_registry
    monkeypatch.setattr(cache_module, "parse_registry", lambda text, path: (parsed.append(path.parent.name),
                                                                            real(text, path))[1])
    loaded = load_archive(content, open_cache(cache_dir).registry)
    assert sorted(parsed) == sorted([INTERVIEW, OPED, BORROWER])  # the first read of each registry's text
    parsed.clear()
    again = load_archive(content, open_cache(cache_dir).registry)
    assert parsed == [] and [a.registry for a in again.articles] == [a.registry for a in loaded.articles]
    assert [a.registry.unpack() for a in again.articles] == [
        real((a.anchors_path).read_text(encoding="utf-8"), a.anchors_path) for a in again.articles]
    registry = content / "articles" / OPED / "anchors.yaml"
    registry.write_text("next: 2\nanchors:\n  p1: {}\n  p7: {}\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ContentError, match=rf"{OPED}/anchors.yaml:4: p7 is not below next"):
            load_archive(content, open_cache(cache_dir).registry)
    assert parsed == [OPED, OPED]


# ---------------------------------------------------------------------------
# The articles' own pages taken from the kept site (render.ArticlePages)
# ---------------------------------------------------------------------------
@pytest.fixture
def on_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The articles' pages made by the render workers, where they are reused, even for
    three articles (a build does so from ``pool.MIN_ITEMS``)."""
    monkeypatch.setattr(pool, "MIN_ITEMS", 1)


def build_reusing(content: Path, out: Path, cache: cache_module.Cache) -> ArticlePages:
    pages = kept_pages(cache.site())
    assert isinstance(build.build(content, out, cache, pages), Archive)
    return pages


def edition_of_site(site: Path) -> str:
    page = (site / "index.html").read_text(encoding="utf-8")
    return page.split('<span class="edition-id">', 1)[1].split("<", 1)[0]


def test_pages_of_unchanged_articles_come_from_the_kept_site(content: Path, tmp_path: Path, on_workers: None,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    cache = open_cache(tmp_path / "cache")
    assert build_reusing(content, tmp_path / "first", cache).reused == set()
    (content / "articles" / OPED / "notes.md").write_text("## p1 note\nA first note.\n", encoding="utf-8")
    pages = build_reusing(content, tmp_path / "second", cache)
    assert pages.reused == {INTERVIEW, BORROWER}  # the op-ed's notes changed: its pages are made again
    build.build(content, tmp_path / "none", NO_CACHE)
    assert files_of(tmp_path / "second") == files_of(tmp_path / "none")
    old, new = edition_of_site(tmp_path / "first"), edition_of_site(tmp_path / "second")
    assert old != new
    reused = (tmp_path / "second" / "articles" / INTERVIEW / "index.html").read_text(encoding="utf-8")
    assert old not in reused and reused.count(new) == 2  # the footer and the citation data
    # Kept again with this build's keys: a second note reuses all but the op-ed once more.
    (content / "articles" / OPED / "notes.md").write_text("## p1 note\nA changed note.\n", encoding="utf-8")
    assert build_reusing(content, tmp_path / "third", cache).reused == {INTERVIEW, BORROWER}


def test_changed_metadata_or_templates_make_every_page(content: Path, tmp_path: Path, on_workers: None,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    cache = open_cache(tmp_path / "cache")
    build_reusing(content, tmp_path / "first", cache)
    # Another article's title is on the borrower's page (its English comes from there).
    meta = content / "articles" / INTERVIEW / "article.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("測試訪談", "改過的訪談"), encoding="utf-8")
    assert build_reusing(content, tmp_path / "second", cache).reused == set()
    build.build(content, tmp_path / "none", NO_CACHE)
    assert files_of(tmp_path / "second") == files_of(tmp_path / "none")
    (content / "articles" / OPED / "notes.md").write_text("## p1 note\nA note.\n", encoding="utf-8")
    with monkeypatch.context() as patched:
        patched.setattr(render, "render_version", lambda templates: "other templates")
        assert build_reusing(content, tmp_path / "third", cache).reused == set()


def test_kept_page_changed_in_place_is_made_again(content: Path, tmp_path: Path, on_workers: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    cache = open_cache(tmp_path / "cache")
    build_reusing(content, tmp_path / "first", cache)
    page = tmp_path / "first" / "articles" / INTERVIEW / "cleaning.html"
    time.sleep(0.01)
    with open(page, "r+b") as opened:  # shares its bytes with the kept page
        opened.write(b"<!DOCTYPE html>")
    (content / "articles" / OPED / "notes.md").write_text("## p1 note\nA note.\n", encoding="utf-8")
    assert build_reusing(content, tmp_path / "second", cache).reused == {BORROWER}
    build.build(content, tmp_path / "none", NO_CACHE)
    assert files_of(tmp_path / "second") == files_of(tmp_path / "none")


def test_edition_is_replaced_only_where_a_page_names_it() -> None:
    old, new = "2026-01-01.abcdef0", "2026-01-02.1234567"
    page = (f'<p>Edition <span class="edition-id">{old}</span></p>'
            f'<script type="application/json">{{"edition": "{old}", "title": "x"}}</script>').encode()
    assert swap_edition(page, old, new) == page.replace(old.encode(), new.encode())
    # A text that quotes the old edition: where it stands cannot be told, so no swap.
    quoting = page + f"<p>As of edition {old}.</p>".encode()
    assert swap_edition(quoting, old, new) is None
    assert swap_edition(b"no edition here", old, new) == b"no edition here"


KEYS_SCRIPT = """
import json, sys
from pathlib import Path
import build
from site_src import render
from site_src.cache import open_cache
archive = build.process(Path(sys.argv[1]), open_cache(Path(sys.argv[2])))
site = render.site_view(archive.site, entities=bool(archive.glossary))
print(json.dumps(render._page_keys(archive, site, render.lookups_for(archive), archive.articles.packed)))
"""


def test_page_keys_are_the_same_in_every_process(content: Path, tmp_path: Path) -> None:
    """Keys made in another process (another hash seed: sets and dicts of strings in
    another order) must match, or no page would ever be reused."""
    build.process(content, open_cache(tmp_path / "cache"))  # fills the cache, writes nothing
    keys = []
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", KEYS_SCRIPT, str(content), str(tmp_path / "cache")],
                              capture_output=True, text=True, check=True, cwd=ROOT,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        keys.append(json.loads(done.stdout))
    assert keys[0] == keys[1] and set(keys[0]) == {INTERVIEW, OPED, BORROWER}
