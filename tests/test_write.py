"""Writing the site: atomic swap, and never clobbering a folder duizhao did not make."""
from __future__ import annotations

from pathlib import Path

import pytest

from site_src.errors import OutputError
from site_src.write import MARKER, write_site


def test_write_then_replace(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"one", "a/b.html": b"two"}, out)
    assert (out / "a/b.html").read_bytes() == b"two" and (out / MARKER).exists()
    write_site({"index.html": b"three"}, out)
    assert (out / "index.html").read_bytes() == b"three"
    assert not (out / "a").exists()  # stale pages of the old build are gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]  # no staging folders left


def test_failed_write_keeps_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"good"}, out)
    with pytest.raises(ValueError):
        write_site({"index.html": b"half", "../escape.html": b"x"}, out)
    assert (out / "index.html").read_bytes() == b"good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_refuses_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(OutputError) as info:
        write_site({"index.html": b"x"}, out)
    assert "was not made by duizhao" in str(info.value)
    assert (out / "precious.txt").read_text() == "keep me"


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("break_content", [
    # Fails at load, before anything runs.
    lambda c: (c / "articles/2025-12-test-op-ed/article.yaml").write_text("kind: [\n", encoding="utf-8"),
    # Fails late, in the annotate stage, after cleaning, alignment and anchors have run.
    lambda c: (c / "articles/2025-03-test-interview/notes.md").write_text("## p9 note\nNo such row.\n",
                                                                          encoding="utf-8"),
], ids=["load", "annotate"])
def test_failed_build_leaves_site_and_registries_byte_identical(break_content, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import build
    from tests.conftest import write_archive
    content = write_archive(tmp_path)
    out = tmp_path / "_site"
    assert build.main(["--content", str(content), "--out", str(out)]) == 0
    site_before, content_before = tree(out), tree(content)
    # A content edit that would change every page if it were built, then the breakage.
    (content / "site.yaml").write_text((content / "site.yaml").read_text(encoding="utf-8")
                                       .replace("Test archive", "Renamed archive"), encoding="utf-8")
    break_content(content)
    assert build.main(["--content", str(content), "--out", str(out)]) == 1
    assert "the previous site, if any, is unchanged" in capsys.readouterr().err
    assert tree(out) == site_before
    # Registries and CHANGELOG.md are written only after a site is in place.
    changed = {k for k in tree(content) if tree(content)[k] != content_before.get(k)}
    assert changed <= {"site.yaml", "articles/2025-12-test-op-ed/article.yaml", "articles/2025-03-test-interview/notes.md"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site", "content"]  # no staging folder left


def data_file(slug: str, rows: int) -> tuple[str, bytes]:
    import json
    doc = {"slug": slug, "title": {"zh": "標題", "en": "Title"}, "outlet": {"zh": "網", "en": "Net"}, "date": "2025-01-01",
           "languages": ["zh-Hant", "en"],
           "rows": [{"anchor": f"p{i}", "zh": [f"第{i}段 {slug}"], "en": [f"row {i} of {slug}"]} for i in range(1, rows + 1)]}
    return f"data/{slug}.json", json.dumps(doc, ensure_ascii=False).encode()


def index_keys(site: Path) -> list[str]:
    import json
    return json.loads((site / "pagefind" / "duizhao-fold.json").read_text(encoding="utf-8"))["keys"]


def test_the_search_index_is_made_while_the_pages_are_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from site_src.search import record_html, search_records, write_index
    from site_src.write import BackgroundIndex
    data = [data_file(f"a{n:02d}", 10) for n in range(8)]  # eight articles
    budget = 2 * len(record_html(search_records(dict(data[:1]))[0]).encode())
    monkeypatch.setattr(BackgroundIndex, "SHARD_BYTES", budget)
    out = tmp_path / "site"
    seen_early: list[bool] = []

    def files():  # type: ignore[no-untyped-def]
        yield "search.html", b"<!doctype html>"
        yield from data
        # Before the writer is done, the first shards are already in the staging folder.
        deadline = time.monotonic() + 30
        while not (early := list(tmp_path.glob(".site.new-*/pagefind/pagefind-entry.json"))) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        seen_early.append(bool(early))
        yield "index.html", b"<!doctype html>"
    write_site(files(), out)
    assert seen_early == [True]
    # The same shards as an index made at the end from the records in path order.
    write_index(search_records(dict(data)), tmp_path / "end", shard_bytes=budget)
    # Each article holds half a shard of two, and ends it: a shard an article.
    assert index_keys(out) == index_keys(tmp_path / "end") and len(index_keys(out)) == 8


def test_data_files_out_of_order_are_indexed_at_the_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from site_src.search import record_html, search_records, write_index
    from site_src.write import BackgroundIndex
    data = [data_file(f"a{n:02d}", 10) for n in range(6)]
    budget = 20 * len(record_html(search_records(dict(data[:1]))[0]).encode())
    monkeypatch.setattr(BackgroundIndex, "SHARD_BYTES", budget)
    # A build keeps no records in memory (no feed passed): they are read back from
    # the data files written.
    monkeypatch.setattr("site_src.write.pack", lambda records: pytest.fail("a build packed records"))
    write_site([("search.html", b"x"), *data[3:], *data[:3]], tmp_path / "site")
    write_index(search_records(dict(data)), tmp_path / "end", shard_bytes=budget)
    assert index_keys(tmp_path / "site") == index_keys(tmp_path / "end")


def test_an_index_that_fails_early_fails_the_build_before_the_last_page(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from site_src import search
    from site_src.write import BackgroundIndex
    one = len(search.record_html(search.search_records(dict([data_file("a000", 10)]))[0]).encode())
    monkeypatch.setattr(BackgroundIndex, "SHARD_BYTES", 20 * one)  # a shard: some 10 to 20 articles
    monkeypatch.setattr(search, "executable", lambda: tmp_path / "no-such-pagefind")
    write_site([("index.html", b"old")], tmp_path / "site")
    pages: list[str] = []

    def files():  # type: ignore[no-untyped-def]
        yield "search.html", b"x"
        for n in range(400):  # far more than the failed indexer lets through
            pages.append(str(n))
            time.sleep(0.01)  # a page takes a while to render
            yield data_file(f"a{n:03d}", 10)
    with pytest.raises(OutputError, match="could not start the search indexer"):
        write_site(files(), tmp_path / "site")
    assert len(pages) < 400
    assert (tmp_path / "site" / "index.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging folder left


def _staged_index(tmp_path: Path) -> list[Path]:
    return list(tmp_path.glob(".site.new-*/pagefind/pagefind-entry.json"))


@pytest.mark.parametrize("declared", [3, None])
def test_the_last_shard_is_written_once_the_declared_data_files_are_in(tmp_path: Path, declared: int | None) -> None:
    # build.py declares one data file an article: the indexer then writes the last
    # shard while the pages after the data files are made, not after the last page.
    import time

    from site_src.search import search_records, write_index
    data = [data_file(f"a{n}", 4) for n in range(3)]
    seen: list[bool] = []

    def files():  # type: ignore[no-untyped-def]
        yield "search.html", b"<!doctype html>"
        yield from data
        deadline = time.monotonic() + (30 if declared else 2)
        while not _staged_index(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        seen.append(bool(_staged_index(tmp_path)))
        yield "index.html", b"<!doctype html>"
    write_site(files(), tmp_path / "site", data_files=declared)
    assert seen == [declared is not None]
    write_index(search_records(dict(data)), tmp_path / "end")
    assert index_keys(tmp_path / "site") == index_keys(tmp_path / "end")


def test_a_data_file_past_those_declared_is_indexed_all_the_same(tmp_path: Path) -> None:
    from site_src.search import search_records, write_index
    data = [data_file(f"a{n}", 4) for n in range(3)]
    write_site([("search.html", b"x"), *data], tmp_path / "site", data_files=2)
    write_index(search_records(dict(data)), tmp_path / "end")
    assert index_keys(tmp_path / "site") == index_keys(tmp_path / "end")
    entry = (tmp_path / "site" / "pagefind" / "pagefind-entry.json").read_text()
    assert '"page_count":3' in entry.replace(" ", "")  # an article a page
