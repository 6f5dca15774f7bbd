"""The archive keeps its articles packed (model.Packed) and unpacks one at a time."""
from __future__ import annotations

import gc
import os
import pickle
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import IO

import pytest

from build import process
from site_src import model
from site_src.model import Archive, Article, Articles, Packed
from site_src.pool import apart as run_apart


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    import shutil

    from tests.conftest import CONTENT
    content = tmp_path_factory.mktemp("packed") / "content"
    shutil.copytree(CONTENT, content)
    return process(content)


def test_an_article_unpacks_to_what_was_packed(archive: Archive) -> None:
    for article in archive.articles:
        again = Packed.of(article).unpack()
        assert again == article
        assert again.rows and again.paragraphs and again.mentions and again.clean is not None
        # Rows and paragraphs are packed together: a row's paragraphs are the article's.
        held = {id(p) for p in again.paragraphs}
        own = set(again.paragraphs)
        assert all(id(p) in held for r in again.rows for p in r.zh + r.en if p in own)


def test_the_built_archive_holds_packed_articles_only(archive: Archive) -> None:
    for packed in archive.articles.packed:
        shell = packed.shell
        assert (shell.rows, shell.paragraphs, shell.mentions, shell.related, shell.clean) == ((), (), (), (), None)
        assert all(isinstance(part, bytes) for part in packed.parts)
        article = packed.unpack()
        assert packed.row_count == len(article.rows)
        assert packed.english == bool(article.en)
        assert packed.bilingual == any(r.zh and r.en for r in article.rows)
    assert any(p.bilingual for p in archive.articles.packed) and not all(p.bilingual for p in archive.articles.packed)


def test_a_stage_that_leaves_a_part_does_not_pack_it_again(archive: Archive) -> None:
    packed = Packed.of(archive.articles[0])  # its parts in memory, as the stages hold them
    article = packed.unpack()
    renamed = replace(article, warnings=())  # a field kept as an object
    again = Packed.of(renamed, (packed, article))
    assert all(a is b for a, b in zip(again.parts, packed.parts))  # the very bytes
    rows = tuple(replace(r, anchor=r.anchor + "x") for r in article.rows)
    moved = Packed.of(replace(article, rows=rows), (packed, article))
    text = model.PACKED_PARTS.index("text")
    assert moved.parts[text] != packed.parts[text] and moved.unpack().rows == rows
    assert [moved.parts[i] is packed.parts[i] for i in range(len(packed.parts))].count(False) == 1


def test_map_unpacks_each_article_once_in_order(archive: Archive) -> None:
    seen: list[str] = []

    def stage(article: Article) -> Article:
        seen.append(article.slug)
        return replace(article, related=())

    mapped = archive.articles.map(stage)
    assert seen == [p.slug for p in archive.articles.packed]
    assert [a.slug for a in mapped] == seen and all(not a.related for a in mapped)


def test_a_pool_stages_the_articles_as_this_process_does(tmp_path: Path) -> None:
    """Anchors and annotation on a pool's workers (build.stages, from SHARED articles)
    make the archive they make here; the parts and fields a stage left as they were
    are the archive's own, not copies sent back by a worker."""
    import shutil

    from build import each
    from site_src.anchors import assign_article
    from site_src.annotate import annotate_archive
    from site_src.cache import NO_CACHE
    from site_src.load import load_archive
    from site_src.pool import mapper
    from site_src.prepare import prepare_archive
    from tests.conftest import CONTENT

    shutil.copytree(CONTENT, tmp_path / "content")
    prepared = prepare_archive(load_archive(tmp_path / "content"), NO_CACHE)
    here = annotate_archive(each(prepared, assign_article))
    with mapper(len(prepared.articles), processes=2, least=1) as map_:
        assert map_ is not map  # a pool's
        anchored = each(prepared, assign_article, map_)
        pooled = annotate_archive(anchored, map_)
    assert list(pooled.articles) == list(here.articles)
    assert [p.shell for p in pooled.articles.packed] == [p.shell for p in here.articles.packed]
    clean = model.PACKED_PARTS.index("clean")
    for before, after in zip(prepared.articles.packed, anchored.articles.packed):
        assert after.parts[clean] is before.parts[clean] and before.parts[clean]
        # Nor is the metadata: only the fields the stage replaced come back.
        assert after.shell.meta is before.shell.meta and after.shell.source is before.shell.source
        assert after.shell.anchoring is not None and before.shell.anchoring is None


def test_articles_read_like_a_sequence(archive: Archive) -> None:
    articles = archive.articles
    first = articles[0]
    assert isinstance(first, Article) and first == next(iter(articles))
    assert articles[-1].slug == list(articles.shells())[-1].slug
    assert [a.slug for a in articles[1:3]] == [p.slug for p in articles.packed[1:3]]
    assert archive.get(first.slug) == first and archive.shell(first.slug) == articles.packed[0].shell
    assert archive.has(first.slug) and not archive.has("no-such-article")
    with pytest.raises(KeyError):
        archive.get("no-such-article")
    assert pickle.loads(pickle.dumps(articles)) == articles
    assert Articles(list(articles)) == articles
    assert replace(archive, articles=tuple(articles)).articles == articles  # a tuple is packed on the way in
    changed = Articles([replace(first, related=())] + list(articles[1:]))
    assert (changed == articles) == (first.related == ())


def test_a_few_articles_are_picked_and_replaced_in_the_archive_s_order(archive: Archive) -> None:
    articles = archive.articles
    slugs = [p.slug for p in articles.packed]
    assert [p.slug for p in articles.among([slugs[3], "no-such-article", slugs[0], slugs[3]])] == [slugs[0], slugs[3]]
    new = replace(articles[2], related=())
    replaced = articles.replacing({slugs[2]: new})
    assert [p.slug for p in replaced.packed] == slugs and replaced.find(slugs[2]).unpack() == new  # type: ignore[union-attr]
    assert all(replaced.packed[i] is articles.packed[i] for i in range(len(slugs)) if i != 2)
    assert replaced == Articles([new if a.slug == slugs[2] else a for a in articles])
    assert [p.slug for p in articles.packed] == slugs and replaced.packed[2] is not articles.packed[2]  # a copy


def test_only_the_changed_part_of_related_passages_is_packed_again(archive: Archive) -> None:
    packed = Packed.of(next(a for a in archive.articles if a.related))  # its parts in memory
    emptied = packed.with_related(())
    index = model.PACKED_PARTS.index("related")
    assert emptied.parts[index] == b"" and emptied.unpack().related == ()
    assert all(emptied.parts[i] is packed.parts[i] for i in range(len(packed.parts)) if i != index)


def test_the_worker_context_is_small(archive: Archive, tmp_path: Path) -> None:
    """The render workers get the articles' metadata, not their rows."""
    light = Articles(map(model.light, archive.articles.shells()))
    assert all(not any(p.parts) for p in light.packed)
    assert len(pickle.dumps(light)) < len(pickle.dumps(archive.articles)) / 3


def test_entity_counts_from_the_quotes_pass_are_the_index_counts(archive: Archive) -> None:
    """A whole build counts mentions in the entity pages' pass, not in a second one."""
    from site_src.render import mention_counts, quote_groups, shown_mentions

    quoted = quote_groups(archive, {e.id for e in archive.glossary})
    assert {e: q.count for e, q in quoted.items()} == {e: n for e, n in mention_counts(archive).items() if n}
    some = {e.id for e in archive.glossary[::3]}
    for packed in archive.articles.packed:  # packed or not, the same mentions are shown
        assert shown_mentions(packed) == shown_mentions(packed.unpack())
        assert shown_mentions(packed, some) == [(m, p) for m, p in shown_mentions(packed) if m.entity in some]
    assert any(shown_mentions(p, some) for p in archive.articles.packed)
    assert not any(shown_mentions(p, ()) for p in archive.articles.packed)


def test_a_step_may_unpack_only_the_parts_it_reads(archive: Archive) -> None:
    packed = next(p for p in archive.articles.packed if p.part("related") and p.part("mentions"))
    article = packed.unpack()
    some = packed.unpack("text", "mentions")
    assert (some.rows, some.paragraphs, some.mentions) == (article.rows, article.paragraphs, article.mentions)
    assert (some.related, some.clean) == ((), None)
    assert packed.unpack("related").related == article.related and packed.unpack("related").rows == ()


def test_notes_wait_packed_from_load_to_the_pages(archive: Archive) -> None:
    """Notes are packed with the rows from load on; the stages must not lose them."""
    noted = [p for p in archive.articles.packed if p.part("notes")]
    assert noted and all(p.shell.notes == () for p in archive.articles.packed)
    assert all(p.unpack().notes == p.part("notes") for p in noted)


def test_the_archive_is_held_as_a_compact_copy(archive: Archive, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    spilled = model.spill(archive)
    copy = model.unspill(spilled)
    assert spilled.file.closed and copy == archive
    assert not any(a is b or a.shell is b.shell for a, b in zip(copy.articles.packed, archive.articles.packed))
    # The pipeline hands on the copy, not the archive its stages made.
    import shutil

    import build
    from tests.conftest import CONTENT
    made: list[Archive] = []
    monkeypatch.setattr(build, "unspill", lambda f: made.append(model.unspill(f)) or made[-1])
    shutil.copytree(CONTENT, tmp_path / "content")
    assert build.process(tmp_path / "content") is made[0]


def test_an_archive_that_cannot_be_spilled_is_a_clear_error(archive: Archive, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    from site_src.errors import OutputError
    import errno
    monkeypatch.setattr(model.tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    with pytest.raises(OutputError) as raised:
        model.spill(archive)
    problem = raised.value.problems[0]
    assert "could not write a temporary file" in problem.problem and "TMPDIR" in problem.fix
    assert problem.path == tmp_path / "no-such-folder"
    # A disk that fills up on the way.
    monkeypatch.setattr(model.tempfile, "tempdir", str(tmp_path))

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")
    opened: list[IO[bytes]] = []
    temporary = tempfile.TemporaryFile
    monkeypatch.setattr(model.tempfile, "TemporaryFile", lambda: opened.append(temporary()) or opened[-1])
    for where in (model.Store, model._StoringPickler):  # while the parts are stored, or the rest pickled
        with monkeypatch.context() as m:
            m.setattr(where, "put" if where is model.Store else "dump", full)
            with pytest.raises(OutputError, match="No space left on device"):
                model.spill(archive)
        assert opened and all(f.closed for f in opened)  # nothing left behind
        assert list(tmp_path.iterdir()) == []
        opened.clear()


def test_spilled_parts_wait_in_a_file_until_asked_for(archive: Archive) -> None:
    """After the spill the articles' parts are in the store, not in memory; each is
    read as asked, equal to what was packed; a worker or the cache gets the bytes;
    the file goes with the last article that refers to it."""
    # One article without notes or related passages: empty parts are stored too.
    bare = replace(archive.articles[0], notes=(), related=())
    archive = replace(archive, articles=Articles((bare, *archive.articles.packed[1:])))
    spilled = model.spill(archive)
    copy = model.unspill(spilled)
    pairs = list(zip(copy.articles.packed, archive.articles.packed))
    assert all(isinstance(c.parts, model.StoredParts) for c, _ in pairs)
    assert all(c.parts == a.parts and tuple(c.parts) == tuple(a.parts) for c, a in pairs)
    assert all(c.parts[i] == a.parts[i] for c, a in pairs for i in range(-len(model.PACKED_PARTS), len(c.parts)))
    assert all(c.unpack() == a.unpack() and c.unpack("notes") == a.unpack("notes") for c, a in pairs)
    # Empty parts are b"" as before: the steps that skip an empty part still do.
    empty = [(c, i) for c, a in pairs for i, data in enumerate(a.parts) if not data]
    assert empty and all(c.parts[i] == b"" for c, i in empty)
    some = next(c for c, _ in pairs if c.part("related"))
    sent = pickle.loads(pickle.dumps(some))
    assert type(sent.parts) is tuple and sent == some and sent.unpack() == some.unpack()
    assert type(some.with_related(()).parts) is tuple
    file = spilled.store._file
    assert not file.closed
    del spilled, copy, pairs, some, empty
    gc.collect()
    assert file.closed


def _pid_and_fail(fail: str) -> int:
    if fail == "content":
        from site_src.errors import ContentError, Problem
        raise ContentError([Problem("a.yaml", 3, "first"), Problem("b.yaml", None, "second", "fix it")])
    if fail == "bug":
        raise ValueError("a bug in the stages")
    return os.getpid()


def test_apart_runs_on_a_process_of_its_own_and_brings_back_its_errors() -> None:
    from site_src.errors import ContentError
    from site_src.pool import apart
    here: list[int] = []
    assert apart(_pid_and_fail, "", meanwhile=lambda: here.append(os.getpid())) not in (os.getpid(), None)
    assert here == [os.getpid()]  # meanwhile ran here, once
    # Every problem of a DuizhaoError comes back, not the text of its first argument.
    with pytest.raises(ContentError) as raised:
        apart(_pid_and_fail, "content")
    assert [str(p) for p in raised.value.problems] == ["a.yaml:3: first", "b.yaml: second — fix it"]
    # A bug is raised as itself, the other process's traceback as its cause (--debug shows it).
    with pytest.raises(ValueError, match="a bug in the stages") as bug:
        apart(_pid_and_fail, "bug")
    assert "_pid_and_fail" in str(bug.value.__cause__)


def test_a_large_archive_is_staged_apart_and_comes_back_the_same(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    import shutil

    import build
    from tests.conftest import CONTENT
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    here = build.process(content, apart=False)
    calls: list[object] = []
    monkeypatch.setattr(build, "run_apart", lambda *a, **k: calls.append(a[0]) or run_apart(*a, **k))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    count = len(list((content / "articles").iterdir()))
    monkeypatch.setattr(build, "APART", count + 1)
    assert build.process(content) == here and calls == []  # fewer than APART: here
    monkeypatch.setattr(build, "APART", count)
    staged = build.process(content)
    assert calls == [build.stages_into]
    assert staged == here and staged.edition == here.edition
    assert all(isinstance(p.parts, model.StoredParts) for p in staged.articles.packed)
    assert list((tmp_path / "tmp").iterdir()) == []  # the folder it was handed over in is gone


def test_an_error_in_staging_apart_is_reported_as_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import build
    from site_src.errors import ContentError
    from tests.conftest import write_archive
    content = write_archive(tmp_path)
    folder = next((content / "articles").iterdir())
    (folder / "article.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    raised = []
    for apart in (False, True):
        with pytest.raises(ContentError) as error:
            build.process(content, apart=apart)
        raised.append([str(p) for p in error.value.problems])
    assert raised[0] == raised[1] and "article.yaml" in raised[0][0]
    assert list((tmp_path / "tmp").iterdir()) == []
