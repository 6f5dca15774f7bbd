"""What lets a build scale to 10,000 articles, checked for correctness (the timings are
bench/run.py's): related passages pruned without changing a single result, the site
streamed page by page, and model objects without a ``__dict__``."""
from __future__ import annotations

import math
import pickle
import re
import shutil
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import pytest
import yaml

from build import process, site_files
from site_src.align.numbers import en_numbers, zh_numbers
from site_src.anchors import _emitted, dump_registry, parse_registry
from site_src.annotate import related_passages, row_items
from site_src.incremental import _items_moved
from site_src.load import load_archive
from site_src.cache import open_cache
from site_src import model, pool, render
from site_src.cache import Spilled
from site_src.errors import ContentError
from site_src.model import AlignedRow, Article, Passage, Related, RelatedConfig
from site_src.render import iter_site, render_site
from site_src.write import write_site
from tests.conftest import CONTENT, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import make_archive  # noqa: E402


# ---------------------------------------------------------------------------
# Related passages: the pruned search gives what scoring every pair gave
# ---------------------------------------------------------------------------
def unpruned_row_items(article: Article, row: AlignedRow) -> set[str]:
    """site_src.annotate before the pruning (commit 8507078), verbatim."""
    items = {f"e:{m.entity}" for m in article.mentions if m.anchor == row.anchor}
    for p in row.zh:
        items |= {f"n:{n}" for n in zh_numbers(p.text)}
    for p in row.en:
        items |= {f"n:{n}" for n in en_numbers(p.text)}
    return {i for i in items if not re.fullmatch(r"n:#?\d{1,2}", i)}


def unpruned_related_passages(articles: Sequence[Article], config: RelatedConfig) -> dict[str, tuple[Related, ...]]:
    """The same, verbatim: every row sharing any item with a row is scored."""
    rows = [(a.slug, r.anchor, unpruned_row_items(a, r)) for a in articles for r in a.rows]
    index: dict[str, list[int]] = defaultdict(list)
    for i, (_, _, items) in enumerate(rows):
        for item in items:
            index[item].append(i)
    weight = {item: math.log(len(rows) / len(hits)) for item, hits in index.items()}
    out: dict[str, list[Related]] = defaultdict(list)
    for i, (slug, anchor, items) in enumerate(rows):
        scores: dict[int, float] = defaultdict(float)
        for item in sorted(items):  # in name order, as the pruned search adds them
            for j in index[item]:
                if rows[j][0] != slug:
                    scores[j] += weight[item]
        best = sorted((s, j) for j, s in scores.items() if s >= config.min_score)
        for score, j in sorted(best, key=lambda sj: (-sj[0], sj[1]))[:config.per_row]:
            shared = tuple(sorted(x.split(":", 1)[1] for x in items & rows[j][2]))
            out[slug].append(Related(anchor, Passage(rows[j][0], rows[j][1], ""), round(score, 2), shared))
    return {slug: tuple(v) for slug, v in out.items()}


CONFIGS = (RelatedConfig(), RelatedConfig(per_row=1), RelatedConfig(per_row=10, min_score=0.0),
           RelatedConfig(per_row=3, min_score=6.0), RelatedConfig(per_row=0))


@pytest.fixture(scope="module")
def shipped() -> tuple[Article, ...]:
    return process(CONTENT).articles


@pytest.fixture(scope="module")
def bench_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Article, ...]:
    """200 synthetic articles (bench/make_archive.py): each real row has some 40 copies,
    the repetitive case where the unpruned search was quadratic."""
    folder = tmp_path_factory.mktemp("bench200")
    make_archive.write_archive(folder / "content", make_archive.make_archive(CONTENT, 200, 1))
    return process(folder / "content", open_cache(folder / "cache")).articles


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_related_passages_same_as_unpruned_on_shipped_content(shipped: tuple[Article, ...],
                                                              config: RelatedConfig) -> None:
    assert related_passages(shipped, config) == unpruned_related_passages(shipped, config)


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_related_passages_same_as_unpruned_on_bench_archive(bench_archive: tuple[Article, ...],
                                                            config: RelatedConfig) -> None:
    new = related_passages(bench_archive, config)
    assert new == unpruned_related_passages(bench_archive, config)
    if config.per_row:
        assert sum(map(len, new.values())) > 1000, "the archive should exercise the search"


def _edited(items: dict, slug: str, how: str) -> dict:
    rows = list(items[slug])
    if how == "item removed":
        k = next(k for k, (_, r) in enumerate(rows) if len(r) > 1)
        rows[k] = (rows[k][0], frozenset(sorted(rows[k][1])[1:]))
    elif how == "item added":  # an entity named by many rows elsewhere
        common = max({x for v in items.values() for _, r in v for x in r if x.startswith("e:")},
                     key=lambda x: (sum(x in r for v in items.values() for _, r in v), x))
        k = next(k for k, (_, r) in enumerate(rows) if common not in r)
        rows[k] = (rows[k][0], rows[k][1] | {common})
    elif how == "rows swapped":
        k = next(k for k in range(len(rows) - 1) if rows[k][1] and rows[k][1] != rows[k + 1][1])
        rows[k], rows[k + 1] = rows[k + 1], rows[k]
    elif how == "rare item replaced":  # few rows are scored again; most articles keep their lists
        count: dict[str, int] = defaultdict(int)
        for v in items.values():
            for _, r in v:
                for x in r:
                    count[x] += 1
        # The row whose commonest item is rarest: every item of an edited row is scored again.
        k = min((k for k, (_, r) in enumerate(rows) if r), key=lambda k: (max(count[x] for x in rows[k][1]), k))
        rows[k] = (rows[k][0], rows[k][1] - {min(rows[k][1])} | {"n:987654321"})
    elif how == "anchor renamed":
        k = next(k for k, (_, r) in enumerate(rows) if r)
        rows[k] = ("p999", rows[k][1])
    return {**items, slug: tuple(rows)}


@pytest.mark.parametrize("how", ["item removed", "item added", "rows swapped", "anchor renamed", "rare item replaced"])
@pytest.mark.parametrize("config", CONFIGS[:4], ids=repr)
def test_rescoring_the_rows_an_edit_reaches_gives_the_full_result(bench_archive: tuple[Article, ...],
                                                                 config: RelatedConfig, how: str) -> None:
    """What serve does after an edit (site_src.incremental): only the rows sharing an
    item with a changed row are scored again; the rest keep their lists."""
    items = {a.slug: row_items(a) for a in bench_archive}
    before = related_passages(bench_archive, config, items)
    slug = bench_archive[57].slug
    after = _edited(items, slug, how)
    redo = _items_moved(items, after, [slug])
    assert redo, "the edit should move some items"
    if how == "rare item replaced":
        assert sum(not r.isdisjoint(redo) for v in after.values() for _, r in v) < 100, "a rare item"
    # Only the articles scored again come back; the others keep their lists.
    remade = related_passages(bench_archive, config, after, redo, before)
    assert remade.keys() <= {a.slug for a in bench_archive}
    merged = {slug: related for slug, related in {**before, **remade}.items() if related}
    assert merged == related_passages(bench_archive, config, after)


# ---------------------------------------------------------------------------
# Streaming: the same files, one at a time
# ---------------------------------------------------------------------------
def test_iter_site_yields_each_file_once_sitemap_last(shipped_archive: model.Archive) -> None:
    paths = [path for path, _ in iter_site(shipped_archive)]
    assert len(paths) == len(set(paths))
    assert paths[-1] == "sitemap.xml"
    sitemap = render_site(shipped_archive)["sitemap.xml"].decode()
    pages = [p for p in paths if p.endswith(".html") and p != "404.html"]
    assert len(re.findall("<loc>", sitemap)) == len(pages)


def test_streamed_site_is_the_site_in_memory(shipped_archive: model.Archive, tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(site_files(shipped_archive), out)
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
               if p.is_file() and not p.relative_to(out).as_posix().startswith(("pagefind/", ".duizhao"))}
    in_memory = render_site(shipped_archive)
    assert {k: v for k, v in written.items() if k in in_memory} == in_memory
    assert {k for k in written if k not in in_memory} >= {"data/archive.jsonl"}
    assert (out / "pagefind" / "pagefind.js").is_file(), "the search hook still indexes the streamed data files"


@pytest.fixture(scope="module")
def shipped_archive() -> model.Archive:
    return process(CONTENT)


# ---------------------------------------------------------------------------
# The articles' own pages made on every core
# ---------------------------------------------------------------------------
def test_an_article_s_pages_read_of_other_articles_only_its_neighbourhood(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers are given, with each article, the metadata of the articles its
    pages link to (render.neighbourhood), not the whole archive's."""
    archive = process(CONTENT)
    lookups = render.lookups_for(archive)
    links = render.links_by_slug(archive.links)
    env = render.environment()
    site = render.site_view(archive.site, entities=True)
    read: set[str] = set()
    for name in ("shell", "has"):
        real = getattr(model.Archive, name)

        def recorded(self: model.Archive, slug: str, real=real) -> object:  # type: ignore[no-untyped-def]
            found = real(self, slug)
            if found:  # an article not in the archive is named without a link, in the workers too
                read.add(slug)
            return found
        monkeypatch.setattr(model.Archive, name, recorded)
    for packed in archive.articles.packed:
        read.clear()
        render.article_files(env, archive, packed.unpack(), site, lookups)
        near = {s.slug for s in render.neighbourhood(archive, packed, lookups, links).shells}
        assert read and read <= near, packed.slug
    # Each way one article's pages reach another's, alone: the shipped articles reach
    # one another every way at once, so each must be seen apart.
    own = archive.articles.packed[0]
    bare = model.Packed.of(replace(own.unpack(), related=(), meta=replace(own.shell.meta, relations=())))
    none = replace(lookups, parallel={})
    other = archive.articles.packed[1].slug

    def reached(packed: model.Packed, lookups: render.Lookups = none,
                links: dict[str, tuple[model.CrossLink, ...]] = {}) -> set[str]:  # noqa: B006
        return {s.slug for s in render.neighbourhood(archive, packed, lookups, links).shells} - {own.slug}
    assert reached(bare) == set()
    related = replace(bare.unpack(), related=(Related("p1", Passage(other, "p2", ""), 1.0, ()),))
    assert reached(model.Packed.of(related)) == {other}
    relation = model.Relation("same_source_as", other, "")
    assert reached(model.Packed.of(replace(bare.unpack(), meta=replace(bare.shell.meta, relations=(relation,))))) \
        == {other}
    link = model.CrossLink("c1", "a claim", (Passage(own.slug, "p1", ""), Passage(other, "p3", "")), 1)
    assert reached(bare, links=render.links_by_slug([link])) == {other}
    assert reached(bare, replace(none, parallel={own.slug: {"p1": (Passage(other, "p4", "zh"),)}})) == {other}
    stale = model.Relation("same_source_as", "no-such-article", "")
    assert reached(model.Packed.of(replace(bare.unpack(), meta=replace(bare.shell.meta, relations=(stale,))))) == set()


def test_pages_made_by_the_workers_are_those_made_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With a cache, as a build has one: the cleaning logs are then read back from it,
    # in the workers too.
    archive = process(CONTENT, open_cache(tmp_path / "cache"))
    assert any(isinstance(a.clean.changes, Spilled) for a in archive.articles if a.clean)
    here = list(iter_site(archive, processes=1))
    monkeypatch.setattr(pool, "MIN_ITEMS", 1)
    made: list[int] = []

    def ordered(fn, items, count, processes):  # type: ignore[no-untyped-def]
        made.append(processes)
        return pool.ordered(fn, items, count, processes)
    monkeypatch.setattr(render, "ordered", ordered)
    workers = list(iter_site(archive, processes=2))
    assert made == [2]
    assert dict(workers) == dict(here) and len(workers) == len(here)  # the same files, the same bytes
    # The order the search index is made in (write.BackgroundIndex): the data files in
    # path order both ways; here all of them before the first page, so the indexer
    # has every record while the pages are made; the workers' an article at a time.
    for made_files in (here, workers):
        data = [path for path, _ in made_files if path.startswith("data/") and path.endswith(".json")]
        assert data == sorted(data) and len(data) == len(archive.articles)
    here_paths, worker_paths = [p for p, _ in here], [p for p, _ in workers]
    first_page = min(i for i, p in enumerate(here_paths) if p.startswith("articles/"))
    assert max(here_paths.index(d) for d in data) < first_page
    for slug in (a.slug for a in archive.articles):
        assert worker_paths.index(f"data/{slug}.json") + 1 == worker_paths.index(f"articles/{slug}/index.html")


def test_an_error_in_a_worker_names_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    archive = process(content)
    capture = content / "articles" / archive.articles[1].slug / "source.txt"
    capture.write_bytes(capture.read_bytes() + "改".encode())  # edited while the site is being built
    monkeypatch.setattr(pool, "MIN_ITEMS", 1)
    with pytest.raises(ContentError) as failed:
        list(iter_site(archive, processes=2))
    assert [p.path for p in failed.value.problems] == [capture]
    assert "changed while the site was being built" in str(failed.value)


def test_a_small_build_makes_its_last_articles_pages_in_a_forked_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Too few articles for the workers: a process forked from this one makes the last
    articles' own pages (``render.elsewhere``) while this one makes the rest, and the
    site is the same file for file, in the same order."""
    import os

    archive = process(CONTENT)
    here = list(iter_site(archive, processes=1))
    log = tmp_path / "made-by"
    real = render.article_files

    def article_files(env, archive, article, *args):  # type: ignore[no-untyped-def]
        with log.open("a", encoding="utf-8") as f:  # the forked process's memory is its own
            f.write(f"{article.slug} {os.getpid()}\n")
        return real(env, archive, article, *args)
    monkeypatch.setattr(render, "article_files", article_files)
    both = list(iter_site(archive, processes=2))
    assert [p for p, _ in both] == [p for p, _ in here] and dict(both) == dict(here)
    made_by = dict(line.split() for line in log.read_text(encoding="utf-8").splitlines())
    packed = sorted(archive.articles.packed, key=lambda p: f"{p.slug}.json")
    there = [p.slug for p in render.elsewhere(packed)]
    assert there and len(there) < len(packed)
    assert {slug for slug, pid in made_by.items() if pid != str(os.getpid())} == set(there)
    assert set(made_by) == {p.slug for p in packed}
    # An error there reaches the build with its file, as from the pool's workers.
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    archive = process(content)
    capture = content / "articles" / there[-1] / "source.txt"
    capture.write_bytes(capture.read_bytes() + "改".encode())
    with pytest.raises(ContentError) as failed:
        list(iter_site(archive, processes=2))
    assert [p.path for p in failed.value.problems] == [capture]


def test_the_forked_share_is_the_last_articles_holding_some_of_the_bytes() -> None:
    def packed(size: int) -> model.Packed:
        return replace(load_archive(CONTENT).articles.packed[0], parts=(b"x" * size,))
    sizes = [packed(n) for n in (10, 40, 20, 30)]
    assert render.elsewhere(sizes) == sizes[2:]  # 50 of 100 bytes: the share
    assert render.elsewhere(sizes[:1]) == [] and render.elsewhere([]) == []
    assert render.elsewhere([packed(10), packed(90)]) == []  # the last alone is more than the share
    three = [packed(90), packed(5), packed(5)]
    assert render.elsewhere(three) == three[1:]  # the first always stays here


# ---------------------------------------------------------------------------
# Slots: the per-object dict is gone, and the pool and cache can still pickle
# ---------------------------------------------------------------------------
def test_model_objects_have_slots_and_pickle(shipped_archive: model.Archive) -> None:
    article = shipped_archive.articles[0]
    objects = [shipped_archive, article, article.source, article.clean, article.paragraphs[0], article.rows[0],
               article.clean.changes[0], article.meta, article.anchoring,  # type: ignore[union-attr]
               load_archive(CONTENT).articles[0].registry, load_archive(CONTENT).articles[0].registry.unpack()]
    for obj in objects:
        assert not hasattr(obj, "__dict__"), type(obj).__name__
        assert pickle.loads(pickle.dumps(obj)) == obj
    assert replace(article.rows[0], anchor="p999").anchor == "p999"


# ---------------------------------------------------------------------------
# Registries: LibYAML's emitter writes what PyYAML's Python emitter wrote
# ---------------------------------------------------------------------------
def test_registry_dump_is_the_python_emitters_text() -> None:
    for article in load_archive(CONTENT).articles:  # registries as loaded
        registry = article.registry.unpack()
        python = _emitted(registry, yaml.SafeDumper)
        assert dump_registry(registry) == python
        assert parse_registry(dump_registry(registry), article.anchors_path) == registry  # type: ignore[arg-type]
