"""`build.py serve`: serves the built site on 127.0.0.1 and rebuilds when content changes."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from site_src.edition import build_date, edition_id
from site_src.errors import Problem, RenderError
from site_src.model import Streamed
from site_src.write import recorded, update_site, write_site
from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def wait_for(predicate, seconds: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_serve_builds_serves_and_rebuilds(fixture_archive: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--content", str(fixture_archive),
                             "--out", str(tmp_path / "site"), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: (fetch(url) or "").find("Test archive") >= 0), "server never answered"
        article = fetch(url + "articles/2025-03-test-interview/")
        assert article and 'id="p1"' in article
        site = fixture_archive / "site.yaml"
        site.write_text(site.read_text(encoding="utf-8").replace("Test archive", "Renamed archive"), encoding="utf-8")
        assert wait_for(lambda: "Renamed archive" in (fetch(url) or "")), "no rebuild after editing site.yaml"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def descendants(pid: int) -> set[int]:
    """The processes below ``pid`` (Linux's /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_serve_stopped_with_sigterm_leaves_no_worker_behind(fixture_archive: Path, tmp_path: Path) -> None:
    """serve starts a worker per core after its first build; stopping serve (here
    with SIGTERM, as a process manager or ``kill`` does) must end them too: they
    were left running, idle, some 80 MB each."""
    proc = start_serve(fixture_archive, tmp_path / "site", free_port())
    try:
        assert wait_for(lambda: len(descendants(proc.pid)) >= 3, seconds=60), "no standing workers"
        below = descendants(proc.pid)
    finally:
        stop(proc)
    assert wait_for(lambda: not any(alive(p) for p in below), seconds=15), [p for p in below if alive(p)]


def fetch_json(url: str) -> dict | None:  # type: ignore[type-arg]
    text = fetch(url)
    return json.loads(text) if text else None


def start_serve(content: Path, out: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--content", str(content),
                             "--out", str(out), "--port", str(port), "--cache", str(out.parent / "cache")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_failed_rebuild_keeps_last_good_site_and_shows_the_problems(fixture_archive: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    out = tmp_path / "site"
    proc = start_serve(fixture_archive, out, port)
    try:
        assert wait_for(lambda: (fetch_json(url + "_duizhao/status") or {}).get("ok") is True), "no first build"
        first = fetch_json(url + "_duizhao/status")["build"]  # type: ignore[index]
        page = url + "articles/2025-03-test-interview/"
        good = fetch(page)
        assert good and re.search(r'<script src="/_duizhao/overlay.js" data-build="\d+"></script>', good), good
        # The preview names no published edition (site_src.serve explains why).
        assert '<span class="edition-id">preview</span>' in good
        # Only served pages carry the overlay: the files, which get published, never do.
        assert "_duizhao" not in (out / "articles/2025-03-test-interview/index.html").read_text(encoding="utf-8")
        assert "\"/_duizhao/status\"" in (fetch(url + "_duizhao/overlay.js") or "")

        corrections = fixture_archive / "articles/2025-03-test-interview/corrections.yaml"
        corrections.write_text("- find: 這段文字不在稿件裏\n  replace: x\n  why: stale\n", encoding="utf-8")
        assert wait_for(lambda: (fetch_json(url + "_duizhao/status") or {}).get("ok") is False), "failure not shown"
        status = fetch_json(url + "_duizhao/status")
        assert status and any(f"{corrections}:1:" in p for p in status["problems"])
        # (The overlay's tag names the build the page is sent from: that has moved on.)
        build_mark = re.compile(r' data-build="\d+"')
        assert build_mark.sub("", fetch(page) or "") == build_mark.sub("", good), "the last good site is still served"

        corrections.unlink()
        assert wait_for(lambda: (fetch_json(url + "_duizhao/status") or {}).get("ok") is True), "overlay not cleared"
        assert fetch_json(url + "_duizhao/status")["build"] > first + 1  # type: ignore[index]
    finally:
        stop(proc)


def test_update_site_rewrites_only_what_changed(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = {"index.html": b"<p>one</p>", "a/page.html": b"same", "gone.html": b"old"}
    hashes: dict[str, str] = {}
    write_site(recorded(iter(first.items()), hashes), out)
    assert set(hashes) == set(first)
    same = out / "a/page.html"
    os.utime(same, ns=(1, 1))
    second = {"index.html": b"<p>two</p>", "a/page.html": b"same", "new.html": b"new"}
    hashes = update_site(iter(second.items()), out, hashes)
    assert (out / "index.html").read_bytes() == b"<p>two</p>"
    assert same.stat().st_mtime_ns == 1, "an unchanged file was rewritten"
    assert (out / "new.html").read_bytes() == b"new"
    assert not (out / "gone.html").exists()
    assert update_site(second, out, hashes) == hashes, "same bytes, same hashes"


def test_a_streamed_file_is_written_and_hashed_piece_by_piece(tmp_path: Path) -> None:
    """archive.jsonl is made a piece at a time (Streamed): written whole, recorded by
    the hash of all its pieces, left alone by update_site when its bytes are the same
    and replaced when they are not."""
    made: list[int] = []

    def streamed(*pieces: bytes) -> Streamed:
        def each():  # type: ignore[no-untyped-def]
            made.append(len(pieces))
            yield from pieces
        return Streamed(each)

    out = tmp_path / "site"
    hashes: dict[str, str] = {}
    write_site(recorded(iter([("data/all.jsonl", streamed(b"a\n", b"b\n"))]), hashes), out)
    big = out / "data/all.jsonl"
    assert big.read_bytes() == b"a\nb\n" and made == [2], "made once, every piece written"
    whole: dict[str, str] = {}
    list(recorded([("data/all.jsonl", b"a\nb\n")], whole))
    assert hashes == whole, "a streamed file's hash is that of its bytes"

    os.utime(big, ns=(1, 1))
    assert update_site([("data/all.jsonl", streamed(b"a\n", b"b\n"))], out, hashes) == hashes
    assert big.stat().st_mtime_ns == 1, "an unchanged streamed file was rewritten"
    assert sorted(p.name for p in big.parent.iterdir()) == ["all.jsonl"], "no file left beside it"
    changed = update_site([("data/all.jsonl", streamed(b"a\n", b"c\n"))], out, hashes)
    assert big.read_bytes() == b"a\nc\n" and changed != hashes
    assert made == [2, 2, 2], "update_site makes a streamed file once, not once to hash and once to write"


def test_update_site_changes_nothing_when_a_later_page_fails(tmp_path: Path) -> None:
    """Files stream from the renderer: one that fails after others were made must not
    leave the served site half old, half new."""
    out = tmp_path / "site"
    hashes: dict[str, str] = {}
    write_site(recorded(iter({"index.html": b"one", "b.html": b"b"}.items()), hashes), out)

    def failing():  # type: ignore[no-untyped-def]
        yield "index.html", b"two"
        raise RenderError(Problem("templates/b.html", 1, "broken", "fix the template"))

    with pytest.raises(RenderError):
        update_site(failing(), out, hashes)
    assert (out / "index.html").read_bytes() == b"one"
    assert sorted(p.name for p in out.iterdir()) == [".duizhao-build", "b.html", "index.html"]


def test_an_edit_in_an_article_folder_rebuilds_that_article_and_no_more(fixture_archive: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = start_serve(fixture_archive, tmp_path / "site", port)
    try:
        assert wait_for(lambda: (fetch_json(url + "_duizhao/status") or {}).get("ok") is True), "no first build"
        first = fetch_json(url + "_duizhao/status")["build"]  # type: ignore[index]
        # A new question and answer: new rows, so the build writes the article's anchors.yaml.
        source = fixture_archive / "articles/2025-03-test-interview/source.txt"
        source.write_text(source.read_text(encoding="utf-8")
                          + "問:明年呢?\n李開復:明年會更多。\nQ: And next year?\nA: More next year.\n", encoding="utf-8")
        page = url + "articles/2025-03-test-interview/"
        assert wait_for(lambda: "明年會更多" in (fetch(page) or "")), "no rebuild after editing source.txt"
        # New rows change related passages: the article's own pages are put in place
        # (one build) before they are searched again (a second).
        assert wait_for(lambda: (fetch_json(url + "_duizhao/status") or {}).get("build") == first + 2)
        status = fetch_json(url + "_duizhao/status")
        assert status and status["ok"] and status["build"] == first + 2
        assert status["made"].startswith("1 article(s)"), status["made"]
        # Its changelog names the edition a build of this content would publish, though
        # serve hashed only the edited file to work it out.
        changelog = (fixture_archive / "CHANGELOG.md").read_text(encoding="utf-8")
        assert f"## Edition {edition_id(fixture_archive, build_date())}\n" in changelog
        # The registry the rebuild wrote is not an edit: no second rebuild follows.
        time.sleep(1.5)
        assert fetch_json(url + "_duizhao/status")["build"] == first + 2  # type: ignore[index]
    finally:
        stop(proc)


class Recorder:
    """Stands in for a Preview: records the rebuilds the watcher asks for."""

    def __init__(self) -> None:
        self.rebuilt: list[set[Path]] = []
        self.made, self.problems = "", ()
        self.first = 0.0  # as Preview: the rebuild had one step

    def rebuild(self, changed: set[Path]) -> float:
        self.rebuilt.append(set(changed))
        return 0.0

    def wrote(self, path: Path) -> bool:
        return path.name == "anchors.yaml"  # as if the build had written it

    def status(self) -> dict:  # type: ignore[type-arg]
        return {"ok": True, "problems": []}


@pytest.mark.parametrize("inotify", [True, False], ids=["inotify", "polling fallback"])
def test_watch_reports_changed_files_and_not_the_builds_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          inotify: bool) -> None:
    import threading

    import watchfiles

    from site_src import serve

    if not inotify:  # a system out of inotify watches: the watcher falls back to polling
        real = watchfiles.watch

        def limited(*folders, **options):  # type: ignore[no-untyped-def]
            if not options.get("force_polling"):
                raise OSError(28, "OS file watch limit reached")
            return real(*folders, **options)
        monkeypatch.setattr(serve.watchfiles, "watch", limited)
    content, code = tmp_path / "content", tmp_path / "code"
    (content / "articles" / "a").mkdir(parents=True)
    code.mkdir()
    preview, stop = Recorder(), threading.Event()
    thread = threading.Thread(target=serve.watch, args=(preview, (content,), (code,), stop), daemon=True)
    thread.start()
    try:
        time.sleep(1.0)  # the watcher is ready (polling takes its first look)
        (content / "articles" / "a" / "anchors.yaml").write_text("x", encoding="utf-8")
        notes = content / "articles" / "a" / "notes.md"
        notes.write_text("## p1 note\nText.\n", encoding="utf-8")
        assert wait_for(lambda: preview.rebuilt, 10), "no rebuild after a change"
        time.sleep(1.0)
        assert preview.rebuilt == [{notes.resolve()}]
    finally:
        stop.set()
        thread.join(10)


def test_status_is_held_until_the_next_build(tmp_path: Path) -> None:
    import threading

    from site_src.errors import ContentError
    from site_src.serve import Preview

    def broken():  # type: ignore[no-untyped-def]
        raise ContentError(Problem(tmp_path / "site.yaml", 1, "broken", "fix it"))
    preview = Preview(broken, lambda *a: iter(()), lambda a: iter(()), tmp_path, tmp_path / "site")
    start = time.monotonic()
    assert preview.status(after=0, wait=0.3)["build"] == 0  # no build came: answered when the wait is over
    assert time.monotonic() - start >= 0.3
    answers: list[dict] = []  # type: ignore[type-arg]
    waiting = threading.Thread(target=lambda: answers.append(preview.status(after=0, wait=30)))
    waiting.start()
    time.sleep(0.2)
    assert not answers  # still held
    start = time.monotonic()
    preview.rebuild()
    waiting.join(5)
    assert answers and answers[0]["build"] == 1 and answers[0]["ok"] is False
    assert time.monotonic() - start < 2


def test_the_collector_is_off_during_a_rebuild_and_runs_once_after(tmp_path: Path) -> None:
    import gc
    import weakref

    from site_src.errors import ContentError
    from site_src.serve import Collector, Preview

    class Cycle:  # garbage only the cyclic collector can free
        def __init__(self) -> None:
            self.me = self

    seen: list[bool] = []
    made: list[weakref.ref[Cycle]] = []

    def broken():  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        made.append(weakref.ref(Cycle()))
        raise ContentError(Problem(tmp_path / "site.yaml", 1, "broken", "fix it"))
    # The collector is the process's: the previews of earlier tests collect a second
    # after their last build, and would turn it on again in the middle of this one.
    time.sleep(1.2)
    preview = Preview(broken, lambda *a: iter(()), lambda a: iter(()), tmp_path, tmp_path / "site",
                      collector=Collector(delay=0.3))
    try:
        preview.rebuild()
        preview.rebuild()  # a second build before the first's collection: one collection after both
        assert seen == [False, False] and not gc.isenabled()
        assert all(ref() is not None for ref in made)  # not collected yet
        preview.collector.wait()
        assert gc.isenabled() and all(ref() is None for ref in made)
    finally:
        gc.enable()


def test_status_names_the_pages_rewritten_since_the_build_a_page_was_sent_from(tmp_path: Path) -> None:
    from site_src.serve import HISTORY, MANY, Preview
    from site_src.write import SearchFeed

    preview = Preview(lambda: None, lambda *a: iter(()), lambda a: iter(()),  # type: ignore[arg-type, return-value]
                      tmp_path, tmp_path / "site")

    def publish(written: dict[str, str]) -> None:
        preview._publish(written, SearchFeed(), (), "")

    publish({"a.html": "1", "b.html": "1"})  # the first build: every page is new
    publish({"a.html": "2", "b.html": "1"})
    publish({"a.html": "2"})  # b.html is no longer made
    assert preview.status(after=2)["pages"] == ["b.html"]
    assert preview.status(after=1)["pages"] == ["a.html", "b.html"]
    assert preview.status(after=3, wait=0)["pages"] == []
    assert preview.status(after=0)["pages"] is None  # across the first build: reload
    assert preview.status()["pages"] is None  # not asked since when
    publish({"a.html": "2", "b.html": "2"})
    many = {f"{n}.html": "x" for n in range(MANY + 1)}
    publish({**many, "a.html": "2", "b.html": "2"})
    assert preview.status(after=3)["pages"] is None  # too many to name
    for n in range(HISTORY):
        publish({**many, "a.html": str(n), "b.html": "2"})
    assert preview.status(after=preview.build - HISTORY)["pages"] == ["a.html"]
    assert preview.status(after=preview.build - HISTORY - 1)["pages"] is None  # older than the history
