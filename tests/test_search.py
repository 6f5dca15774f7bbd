"""Full-text search, build side: the records made from the site's data files, the
query-folding table, the Pagefind index written into the staging folder, and a
failing indexer failing the build with the previous site kept.  (Queries themselves
run in Chromium: tests/browser/test_search.py.)"""
from __future__ import annotations

import gzip
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from site_src import indexer, search
from site_src.errors import OutputError
from site_src.search import (SHARD_BYTES, SearchRecord, SearchRow, fold_table, pack, record_html, search_records,
                              shard_key, unpack, write_index)


def data_file(slug: str, rows: list[dict[str, object]], languages: tuple[str, ...] = ("zh-Hant", "en")) -> bytes:
    return json.dumps({"slug": slug, "title": {"zh": "金融時報對話", "en": "FT"}, "outlet": {"zh": "網易", "en": "NetEase"},
                       "date": "2026-02", "languages": list(languages), "rows": rows}, ensure_ascii=False).encode()


FILES = {
    "index.html": b"<html></html>",
    "data/archive.jsonl": b"{}\n",  # not an article's data: ignored
    "data/ft.json": data_file("ft", [
        {"anchor": "p1", "zh": ["模型蒸餾", "學習小組"], "en": ["distilling", "a study group"]},
        {"anchor": "p2", "zh": [], "en": ["English only"]},
        {"anchor": "p3", "zh": [], "en": []},  # nothing to find: no record
        {"anchor": "p4", "zh": ["埃里克・施密特"], "en": []},
    ]),
    "data/oped.json": data_file("oped", [{"anchor": "p1", "zh": ["开源模型"], "en": []}], ("zh-Hans",)),
}


def size(record: SearchRecord) -> int:
    """What a record weighs against a shard's budget: the indexer's input."""
    return len(record_html(record).encode("utf-8"))


def test_one_record_per_article_with_its_rows_in_order() -> None:
    records = search_records(FILES)
    assert [r.url for r in records] == ["/articles/ft/index.html", "/articles/oped/index.html"]
    first = records[0]
    assert [row.anchor for row in first.rows] == ["p1", "p2", "p4"]  # p3 has nothing to find
    # The Chinese in Simplified (what the index holds), then the English; the Chinese
    # as published, its lines joined as the indexer joins blocks.
    assert first.rows[0] == SearchRow("p1", "模型蒸餾 學習小組",
                                      ("模型蒸馏", "学习小组", "distilling", "a study group"))
    assert first.rows[1] == SearchRow("p2", "", ("English only",))
    assert first.meta == {"title": "金融時報對話", "title_en": "FT", "outlet": "NetEase", "date": "2026-02",
                          "lang": "zh-Hant"}
    assert records[1].meta["lang"] == "zh-Hans"
    assert search_records({"data/empty.json": data_file("empty", [{"anchor": "p1", "zh": [], "en": [" "]}])}) == []
    # A blank line is no line: the Chinese as published lines up with the indexed text.
    gap = search_records({"data/gap.json": data_file("gap", [{"anchor": "p1", "zh": ["甲", " ", "乙"], "en": []}])})
    assert gap[0].rows == (SearchRow("p1", "甲 乙", ("甲", "乙")),)


def test_katakana_dot_does_not_reach_the_index() -> None:
    # It would make Pagefind load a Japanese dictionary: a second of every build.
    row = search_records(FILES)[0].rows[2]
    assert row.text == ("埃里克·施密特",) and row.zh == "埃里克・施密特"
    half = search_records({"data/k.json": data_file("k", [{"anchor": "p1", "zh": ["甲\uff65乙"], "en": ["a\u30fbb"]}])})
    assert half[0].rows[0].text == ("甲·乙", "a·b")  # the half-width dot too, and in English


def test_an_article_is_given_to_the_indexer_as_a_document_with_a_heading_a_row() -> None:
    from bs4 import BeautifulSoup
    record = SearchRecord("/articles/x/index.html", {"title": '"引號" & <b>', "lang": "zh-Hant"},
                          (SearchRow("p1", "<script>alert(1)</script>", ("<script>", "x & y")),
                           SearchRow("p7", "", ("English",))))
    doc = BeautifulSoup(record_html(record), "html.parser")
    assert doc.html["lang"] == "zh"
    metas = {tag["data-pagefind-meta"]: tag["data-v"] for tag in doc.find_all(attrs={"data-pagefind-meta": True})}
    # Attribute values, unescaped as written: nothing of the meta is indexed as text.
    assert metas == {"title[data-v]": '"引號" & <b>', "lang[data-v]": "zh-Hant",
                     "zh_p1[data-v]": "<script>alert(1)</script>"}
    assert not doc.find("script") and not doc.find("b")
    assert [(h.name, h["id"], h.text) for h in doc.find_all("h6")] == [("h6", "p1", "¶"), ("h6", "p7", "¶")]
    # Each row's lines follow its own heading, as text, parted by line breaks.
    first = doc.find("h6", id="p1").find_next_siblings(string=True)
    assert first[:2] == ["<script>", "x & y"] and doc.find("h6", id="p1").find_next_sibling().name == "br"
    assert doc.find("h6", id="p7").find_next_siblings(string=True) == ["English"]
    assert not doc.find("p") and not doc.find("div")  # blocks get a full stop from Pagefind


def test_fold_table_maps_traditional_to_the_simplified_the_index_has() -> None:
    table = fold_table(search_records(FILES))
    pairs = dict(zip(table["from"], table["to"]))
    assert len(table["from"]) == len(table["to"])
    assert pairs["餾"] == "馏" and pairs["學"] == "学" and pairs["組"] == "组" and pairs["開"] == "开"
    assert pairs["・"] == "·"
    assert "龍" not in pairs  # 龙 is nowhere in the index: the table stays small
    indexed = "".join(line for r in search_records(FILES) for row in r.rows for line in row.text)
    assert all(s in indexed + "金融时报对话·" for s in pairs.values())


def test_index_written_as_one_chinese_index(tmp_path: Path) -> None:
    records = search_records(FILES)
    write_index(records, tmp_path)
    bundle = tmp_path / "pagefind"
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert list(entry["languages"]) == ["zh"]  # one index, segmented as Chinese
    assert entry["languages"]["zh"]["page_count"] == len(records)
    assert (bundle / "pagefind.js").is_file()
    assert not (bundle / "pagefind-ui.js").exists()  # the ready-made UIs are not shipped
    # One file an article, in which Pagefind has a section a row: search.js lists
    # them, each with the row's Chinese as published.
    fragments = [json.loads(gzip.decompress(f.read_bytes())[len(b"pagefind_dcd"):])
                 for f in (bundle / "fragment").iterdir()]
    ft = next(f for f in fragments if f["url"] == "/articles/ft/index.html")
    assert len(fragments) == 2
    assert [(a["element"], a["id"], a["text"]) for a in ft["anchors"]] == [("h6", f"p{n}", "¶") for n in (1, 2, 4)]
    assert ft["meta"]["zh_p1"] == "模型蒸餾 學習小組" and "zh_p2" not in ft["meta"]
    assert ft["meta"]["title"] == "金融時報對話" and ft["meta"]["outlet"] == "NetEase"
    words = ft["content"].split("\u200b")
    start, end = (a["location"] for a in ft["anchors"][:2])
    # The row's text as search.js takes it (from its heading to the next), the
    # Chinese in Simplified first: no full stop added between the lines.
    assert "".join(words[start:end]) == "¶ 模型蒸馏 学习小组 distilling a study group "
    assert json.loads((bundle / "duizhao-fold.json").read_text()) == {
        **fold_table(records), "shards": [], "keys": [shard_key(records, SHARD_BYTES)]}


def test_a_large_archive_is_indexed_in_shards(tmp_path: Path) -> None:
    records = search_records(FILES)
    budget = max(map(size, records))  # an article a shard
    # Read once, a shard at a time: the records of a large archive do not fit in memory.
    write_index(iter(records), tmp_path, shard_bytes=budget)
    fold = json.loads((tmp_path / "pagefind" / "duizhao-fold.json").read_text())
    shards = list(search._chunks(records, budget))
    count = len(shards)
    assert count > 1 and fold["shards"] == [f"../pagefind-shards/{n}/" for n in range(2, count + 1)]
    # Made shard by shard, the fold table is the whole index's.
    assert {k: fold[k] for k in ("from", "to")} == fold_table(records)
    assert fold["keys"] == [shard_key(shard, budget) for shard in shards]
    assert all(sum(map(size, shard)) <= budget for shard in shards)
    assert [r for shard in shards for r in shard] == records  # in order
    pages = [json.loads((tmp_path / "pagefind" / "pagefind-entry.json").read_text())["languages"]["zh"]["page_count"]]
    for n in range(2, count + 1):
        entry = tmp_path / "pagefind-shards" / str(n) / "pagefind-entry.json"
        pages.append(json.loads(entry.read_text())["languages"]["zh"]["page_count"])
    assert sum(pages) == len(records) and len(pages) == count


def test_no_records_still_gives_a_working_bundle(tmp_path: Path) -> None:
    write_index([], tmp_path)
    assert (tmp_path / "pagefind" / "pagefind.js").is_file()


def test_indexer_that_cannot_start_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "executable", lambda: tmp_path / "no-such-pagefind")
    with pytest.raises(OutputError) as caught:
        write_index(search_records(FILES), tmp_path)
    message = str(caught.value)
    assert "could not start the search indexer" in message and "pip install -r requirements.txt" in message


def test_indexer_that_stops_early_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'pagefind: out of cheese' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(search, "executable", lambda: fake)
    with pytest.raises(OutputError, match=r"search index could not be built \(it stopped before finishing, "
                                          r"after 0 of \d+ answers: pagefind: out of cheese\)"):
        write_index(search_records(FILES), tmp_path / "site")


def test_failed_index_fails_the_build_and_keeps_the_previous_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import build
    from tests.conftest import write_archive
    content = write_archive(tmp_path)
    out = tmp_path / "_site"
    # No cache: an unchanged index would be copied from it, and the indexer not run.
    assert build.main(["--content", str(content), "--out", str(out), "--no-cache"]) == 0
    assert (out / "search.html").is_file() and (out / "pagefind" / "pagefind.js").is_file()
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(search, "executable", lambda: tmp_path / "missing" / "pagefind_extended")
    assert build.main(["--content", str(content), "--out", str(out), "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "error: " in err and "could not start the search indexer" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site", "content"]  # no staging folder left


def test_search_page_is_rendered_without_inline_script(tmp_path: Path) -> None:
    from build import process
    from site_src.render import render_site
    from tests.conftest import write_archive
    files = render_site(process(write_archive(tmp_path)))
    page = files["search.html"].decode()
    assert "assets/search.js" in page and "assets/search.js" in files
    assert '<label for="search-input">' in page and 'role="status"' in page
    # Only base.html's one inline script (hashed by the CSP); nothing of search's own.
    assert len(re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)) <= 1
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers
    assert 'href="search.html"' in files["index.html"].decode()  # the masthead links to it


def test_indexer_that_falls_silent_is_reported_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setattr(search, "executable", lambda: fake)
    monkeypatch.setattr(indexer, "TIMEOUT", 1)
    with pytest.raises(OutputError, match=r"search index could not be built \(no answer for 1 s, after 0 of \d+ answers\)"):
        write_index(search_records(FILES), tmp_path / "site")


def test_an_indexer_that_works_long_without_answering_is_waited_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in that computes silently for three times the limit, then becomes the
    # real indexer (same process): busy is not stalled.
    fake = tmp_path / "pagefind"
    fake.write_text(f"#!{sys.executable}\nimport os, sys, time\nend = time.process_time() + 3\n"
                    f"while time.process_time() < end: pass\nos.execv({str(search.executable())!r}, "
                    "[sys.argv[0], *sys.argv[1:]])\n")
    fake.chmod(0o755)
    monkeypatch.setattr(search, "executable", lambda: fake)
    monkeypatch.setattr(indexer, "TIMEOUT", 1)
    write_index(search_records(FILES), tmp_path / "site")
    assert (tmp_path / "site" / "pagefind" / "pagefind-entry.json").is_file()


def test_a_first_build_feeds_the_indexer_as_the_records_come(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = search_records(FILES)
    events: list[str] = []
    started: list[search.Indexer] = []
    real = search.Indexer.start.__func__  # type: ignore[attr-defined]

    def start(cls: type[search.Indexer], binary: Path) -> search.Indexer:
        events.append("start")
        started.append(real(cls, binary))
        return started[-1]
    monkeypatch.setattr(search.Indexer, "start", classmethod(start))

    def produced(upto: int | None = None):  # the records as a writer hands them over
        for n, record in enumerate(records):
            if n == upto:
                raise RuntimeError("the build stopped")
            events.append("record")
            yield record

    cache = tmp_path / "cache"
    write_index(produced(), tmp_path / "a", cache=cache)
    # Started once the first article was in, before the last.
    assert events.index("start") == 1 and events.count("start") == 1
    entry = json.loads((tmp_path / "a" / "pagefind" / "pagefind-entry.json").read_text())
    assert entry["languages"]["zh"]["page_count"] == len(records)
    # In an archive of one shard an early indexer starts again; the shard, unchanged,
    # comes from the cache and the indexer is stopped unused.
    events.clear()
    write_index(produced(), tmp_path / "b", cache=cache)
    assert events.count("start") == 1 and started[-1].proc.poll() is not None
    assert (tmp_path / "b" / "pagefind" / "pagefind-entry.json").stat().st_ino == (
        cache / next(cache.iterdir()).name / "pagefind-entry.json").stat().st_ino
    # With several shards kept, nothing is started before a shard is known to have
    # changed (here none has: no indexer at all).
    budget = max(map(size, records))
    write_index(produced(), tmp_path / "many", shard_bytes=budget, cache=tmp_path / "many-cache")
    assert len(list((tmp_path / "many-cache").iterdir())) > 1
    events.clear()
    write_index(produced(), tmp_path / "again", shard_bytes=budget, cache=tmp_path / "many-cache")
    assert "start" not in events
    # A build that stops mid-shard ends the indexer it started.
    with pytest.raises(RuntimeError):
        write_index(produced(upto=len(records) - 1), tmp_path / "c")
    assert started[-1].proc.poll() is not None


def test_an_unchanged_index_comes_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = search_records(FILES)
    cache = tmp_path / "cache"
    write_index(records, tmp_path / "a", cache=cache)
    # The second time the indexer is not run at all: the same records, the same index.
    monkeypatch.setattr(search, "executable", lambda: tmp_path / "no-such-pagefind")
    write_index(records, tmp_path / "b", cache=cache)
    made = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    copied = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert made == copied and all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in made)
    # Shared with the cache as hard links (one file system here), the fold table aside.
    entry = tmp_path / "b" / "pagefind" / "pagefind-entry.json"
    assert entry.stat().st_ino == (cache / next(cache.iterdir()).name / "pagefind-entry.json").stat().st_ino
    assert (tmp_path / "b" / "pagefind" / "duizhao-fold.json").stat().st_nlink == 1
    # Changed records are indexed afresh (here: the indexer is missing, so it fails).
    with pytest.raises(OutputError, match="could not start the search indexer"):
        write_index(records[1:], tmp_path / "c", cache=cache)
    assert len(list(cache.iterdir())) == 1  # one kept index, the last one made


def test_only_shards_whose_records_changed_are_indexed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def article(n: int, rows: int = 3, text: str = "記錄") -> SearchRecord:
        return SearchRecord(f"/articles/a{n:02d}/index.html", {"title": f"{n}"},
                            tuple(SearchRow(f"p{i}", "", (f"{text} {n} {i} record",)) for i in range(1, rows + 1)))
    records = [article(n) for n in range(40)]
    budget = 8 * max(map(size, records))  # eight articles a shard at most
    shards = list(search._chunks(records, budget))
    assert len(shards) >= 4 and all(4 <= len(shard) <= 8 for shard in shards[:-1])  # ends from half a shard on
    cache = tmp_path / "cache"
    write_index(records, tmp_path / "a", shard_bytes=budget, cache=cache)
    assert len(list(cache.iterdir())) == len(shards)
    indexed: list[int] = []
    real = search._write_bundle
    monkeypatch.setattr(search, "_write_bundle",
                        lambda chunk, bundle, *early: (indexed.append(len(chunk)), real(chunk, bundle, *early)))
    # One article of the second shard changes: that shard alone is indexed again.
    n = records.index(shards[1][0])
    edited = records[:n] + [article(n, text="改過的")] + records[n + 1:]
    write_index(edited, tmp_path / "b", shard_bytes=budget, cache=cache)
    assert indexed == [len(shards[1])]

    def files(folder: Path) -> dict[str, bytes]:
        return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    # The other shards are the ones made the first time.
    for shard in ("pagefind-shards/3", "pagefind"):
        a, b = files(tmp_path / "a" / shard), files(tmp_path / "b" / shard)
        a.pop("duizhao-fold.json", None), b.pop("duizhao-fold.json", None)
        assert a == b
    fold = json.loads((tmp_path / "b" / "pagefind" / "duizhao-fold.json").read_text())
    assert fold["shards"] == [f"../pagefind-shards/{n}/" for n in range(2, len(shards) + 1)]
    assert len(list(cache.iterdir())) == len(shards)  # the replaced shard is forgotten
    # Updated in place (serve), shards already there from the same records are left
    # as they are (not even copied from the cache), and those past the last removed.
    third = tmp_path / "b" / "pagefind-shards" / "3" / "pagefind-entry.json"
    mtime = third.stat().st_mtime_ns
    copytree = shutil.copytree
    monkeypatch.setattr(shutil, "copytree", lambda *a, **k: pytest.fail("copied a shard that was in place"))
    write_index(edited, tmp_path / "b", shard_bytes=budget, cache=cache)
    assert indexed == [len(shards[1])] and third.stat().st_mtime_ns == mtime
    monkeypatch.setattr(shutil, "copytree", copytree)  # a new shard is kept in the cache by copying
    # An article of the first shard gains a row: the shards after it are not moved.
    grown = [article(0, 4)] + edited[1:]
    write_index(grown, tmp_path / "b", shard_bytes=budget, cache=cache)
    assert indexed == [len(shards[1]), len(shards[0])] and third.stat().st_mtime_ns == mtime
    write_index(grown[:len(shards[0]) + len(shards[1])], tmp_path / "b", shard_bytes=budget, cache=cache)
    assert indexed == [len(shards[1]), len(shards[0])] and not (tmp_path / "b" / "pagefind-shards" / "3").exists()


def test_shards_are_cut_by_the_indexer_input_not_by_the_count_of_articles() -> None:
    # The indexer's memory follows its input: a shard of long articles holds fewer.
    def article(n: int, rows: int) -> SearchRecord:
        return SearchRecord(f"/articles/a{n:03d}/index.html", {"title": f"{n}"},
                            tuple(SearchRow(f"p{i}", "記錄", (f"記錄 {n} {i} record",)) for i in range(1, rows + 1)))
    short, long = [article(n, 2) for n in range(200)], [article(n, 20) for n in range(200, 400)]
    budget = 30 * size(short[0])
    shards = list(search._chunks(short + long, budget))
    assert [r for shard in shards for r in shard] == short + long
    assert all(sum(map(size, shard)) <= budget for shard in shards)
    assert all(2 * sum(map(size, shard)) >= budget for shard in shards[:-1])  # ends from half a shard on
    of_short = [len(s) for s in shards if s[-1] in short]
    of_long = [len(s) for s in shards if s[0] in long]
    assert min(of_short) > 2 * max(of_long)
    # A record larger than the budget is a shard of its own.
    huge = article(999, 200)
    assert size(huge) > budget
    assert [len(s) for s in search._chunks([short[0], huge, short[1]], budget)] == [1, 1, 1]
    # Where the budget is not full, a shard ends after a record chosen by its address,
    # with a chance of four times its size over the budget: whatever the articles'
    # size, a shard ends some quarter of the budget past its half.
    for records in (short, long):
        p = 4 * size(records[0]) / budget
        chosen = sum(search._ends_shard(r.url, size(r), budget) for r in records)
        assert 0.5 * p * len(records) < chosen < 1.5 * p * len(records)
        assert all(search._ends_shard(r.url, size(r), 4 * size(r)) for r in records)  # a chance of 1


def test_records_kept_packed_come_back_the_same() -> None:
    records = search_records(FILES)
    assert unpack(pack(records)) == records
    assert unpack(pack([])) == []


def test_records_of_less_than_half_a_shard_make_one_shard(tmp_path: Path) -> None:
    records = search_records(FILES)
    write_index(iter(records), tmp_path, shard_bytes=2 * sum(map(size, records)))
    fold = json.loads((tmp_path / "pagefind" / "duizhao-fold.json").read_text())
    assert fold["shards"] == [] and len(fold["keys"]) == 1


def test_a_warmed_indexer_makes_the_index_without_its_warm_up_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = search_records(FILES)
    started: list[search.Indexer] = []
    real = search.Indexer.start.__func__  # type: ignore[attr-defined]

    def start(cls: type[search.Indexer], binary: Path) -> search.Indexer:
        started.append(real(cls, binary))
        return started[-1]
    monkeypatch.setattr(search.Indexer, "start", classmethod(start))
    with search.warm_indexer(None) as warmed:
        assert warmed is not None and started == [warmed]
        write_index(records, tmp_path / "a", warmed=warmed)
    assert len(started) == 1  # the first shard went to the warmed indexer
    assert warmed.proc.poll() is not None
    # The warm-up record is in an index of its own: the written one has the rows only.
    assert any(a.get("page_url") == search.WARM_UP for a in warmed.answers)
    entry = json.loads((tmp_path / "a" / "pagefind" / "pagefind-entry.json").read_text())
    assert entry["languages"]["zh"]["page_count"] == len(records)
    write_index(records, tmp_path / "b")
    assert (tmp_path / "a" / "pagefind" / search.FOLD).read_text() == (tmp_path / "b" / "pagefind" / search.FOLD).read_text()


def test_no_indexer_is_warmed_when_the_cache_keeps_shards_and_an_unused_one_is_ended(
        tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write_index(search_records(FILES), tmp_path / "a", cache=cache)
    with search.warm_indexer(cache) as warmed:
        assert warmed is None  # the build will take its shard from the cache
    with search.warm_indexer(tmp_path / "empty") as warmed:
        assert warmed is not None
    assert warmed.proc.poll() is not None and warmed.closed  # the build failed before indexing, say
    assert warmed.close() == ""  # closing again is harmless
    # One started before (indexer.prestart) is ended when the cache keeps the shards.
    started = indexer.prestart([])
    assert started is not None
    with search.warm_indexer(cache, started) as warmed:
        assert warmed is None and started.closed and started.proc.poll() is not None


def test_the_indexer_is_started_before_the_program_only_for_a_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    import build
    commands = next(a for a in build.parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert set(indexer.COMMANDS) == set(commands) and indexer.DEFAULT == "build"
    for argv in (["check"], ["--no-cache", "report", "some-slug"], ["serve", "--port", "8001"], ["-h"],
                 ["build", "--help"]):
        assert indexer.prestart(argv) is None, argv
    for argv in ([], ["--out", "x"], ["build", "--no-cache"]):
        started = indexer.prestart(argv)
        assert started is not None and started.proc.poll() is None, argv
        started.close(kill=True)
    # No indexer installed: nothing started, and nothing said (the build says it if it needs one).
    monkeypatch.setattr(indexer, "executable", lambda: tmp_path / "missing" / "pagefind_extended")
    assert indexer.prestart([]) is None


def test_a_build_uses_the_indexer_started_before_and_any_command_ends_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import build
    from tests.conftest import write_archive
    content, out = write_archive(tmp_path), tmp_path / "_site"
    args = ["--content", str(content), "--out", str(out), "--cache", str(tmp_path / "cache")]
    started = indexer.prestart(args)
    assert started is not None
    monkeypatch.setattr(search.Indexer, "start", classmethod(lambda cls, binary: pytest.fail("started again")))
    assert build.main(args, indexer=started) == 0
    assert started.closed and any(a.get("type") == "IndexedFile" for a in started.answers)
    entry = json.loads((out / "pagefind" / "pagefind-entry.json").read_text())
    assert entry["languages"]["zh"]["page_count"] == len(list((out / "data").glob("*.json")))
    monkeypatch.undo()
    # A build that finds its site up to date, a check (say an option's value read as
    # "build"), and arguments that fail to parse leave no indexer running.
    for argv in (args, ["check", *args], ["build", "--no-such-option"]):
        started = indexer.prestart([])
        assert started is not None
        try:
            build.main(argv, indexer=started)
        except SystemExit:
            pass  # argparse's exit for the unknown option
        assert started.closed and started.proc.poll() is not None, argv


def test_build_py_starts_the_indexer_before_it_imports_the_program() -> None:
    """The ordering the early start depends on: in build.py, the prestart comes before
    any import of the program other than site_src.indexer, and site_src.indexer
    itself loads none of it (nor Jinja, YAML, OpenCC), so that the indexer starts
    within some 0.03 s of Python's."""
    import ast
    import subprocess

    root = Path(__file__).resolve().parent.parent
    tree = ast.parse((root / "build.py").read_text(encoding="utf-8"))
    order = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("site_src"):
            order.append((node.lineno, node.module))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "prestart":
            order.append((node.lineno, "prestart()"))
    order.sort()
    assert [m for _, m in order[:2]] == ["site_src.indexer", "prestart()"], order
    loaded = subprocess.run([sys.executable, "-c", "import sys, site_src.indexer; print(' '.join(sorted(sys.modules)))"],
                            cwd=root, capture_output=True, text=True, check=True).stdout.split()
    assert [m for m in loaded if m.startswith("site_src")] == ["site_src", "site_src.errors", "site_src.indexer"]
    assert not {"jinja2", "yaml", "opencc", "markdown", "multiprocessing"} & set(loaded)
