"""``build.py serve``: a preview of the site that follows the editor's saves.

* The site is built once and served from ``out`` on 127.0.0.1 (stdlib ``http.server``).
* ``content/`` and ``templates/`` are watched (``watch``); a change rebuilds
  *in this process*, the dictionaries loaded once.  A change confined to
  article folders goes through only the articles and pages it can reach
  (``site_src.incremental``); any other change builds everything, unchanged articles
  from the per-article cache.  Either way only files whose bytes changed are
  rewritten (``write.update_site``).  A change under ``site_src/`` restarts the process
  instead (``os.execv``): code cannot be reloaded in place.
* Pages show the edition ``preview`` (``edition.PREVIEW``), not the id a build would
  publish: that id hashes all of ``content/``, so one saved note would change the
  footer and citation data of every page and every file would be rewritten.  With
  a fixed edition an edit rewrites only the pages it shows on, and a citation copied
  from the preview does not name an edition that was never published.  The
  changelog and anchor registries are still written with the real id.
* A rebuild that fails leaves the last good site in place and being served, and its
  problems (``file:line: problem — fix``) are shown over every page.  Serve adds one
  script to the HTML it sends, never to the files: ``/_duizhao/overlay.js``, which
  asks ``/_duizhao/status?after=n`` (``{"build": n, "ok": …, "problems": [...],
  "made": …, "pages": [...]}``, held until a build after ``n`` ends, so the page
  learns of it at once), reloads the page when a new good build rewrote its file
  (``pages``: the files the builds after ``n`` rewrote; ``n`` is the build the page
  was sent from, written into the script's tag), and shows or clears the overlay.
* An edit that reaches beyond the edited articles' own files (related passages to
  search again, the front page, entity pages) is put in place in two builds: first
  those files, at once, then the rest (``Preview._first``).
"""
from __future__ import annotations

import functools
import gc
import http.server
import json
import os
import sys
import threading
import time
import traceback
import urllib.parse
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

import watchfiles

from .annotate import find_mentions
from .cache import NO_CACHE, Cache
from .edition import LiveDigests, build_date
from .errors import DuizhaoError, OutputError, Problem
from .export import ARCHIVE_JSONL
from .incremental import Built, Edited, built, edited, finish, plan
from .model import Archive
from .pool import Standing
from .prepare import warm
from .render import SCRIPT_CONFIGS, Lookups, Selection
from .scripts import converter
from .search import write_index
from .write import (Files, SearchFeed, data_changed, recorded, replace_file, update_site, write_registries,
                    write_site)

# A change is reported once no other has followed for STEP_MS (an editor's save is a
# burst of events), and after DEBOUNCE_MS at most while changes keep coming.
STEP_MS, DEBOUNCE_MS = 30, 400
POLL_MS = 300  # between looks, where the system cannot report changes
STATUS, OVERLAY = "/_duizhao/status", "/_duizhao/overlay.js"
WAIT = 20.0  # seconds a status request with ?after= is held when no build comes
SCRIPT_TAG = '<script src="%s" data-build="%d"></script>'  # % (OVERLAY, the build the page is sent from)
MANY = 1000  # rewritten files a status names at most (a page reloads after a build that rewrote more)
HISTORY = 64  # builds whose rewritten pages status() can name; a page that has slept through more reloads

# Plain DOM, no dependencies: it runs on pages whose own scripts may be what is broken.
OVERLAY_JS = """\
(function () {
  // The build the page was sent from (the server writes it into this script's tag).
  var mark = document.currentScript && document.currentScript.getAttribute("data-build");
  var seen = mark ? Number(mark) : null;
  // Whether the builds since the one seen rewrote this page's file (pages: null when
  // the server cannot tell, e.g. after a full build).
  function rewritten(status) {
    if (!status.pages) return true;
    var here = decodeURIComponent(location.pathname).replace(/^\\/+/, "");
    if (here === "" || here.charAt(here.length - 1) === "/") here += "index.html";
    return status.pages.indexOf(here) >= 0;
  }
  function show(status) {
    var box = document.getElementById("duizhao-overlay");
    if (status.ok) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "duizhao-overlay";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;z-index:2147483647;max-height:60vh;overflow:auto;" +
        "margin:0;padding:1rem 1.5rem;background:#2b0d0a;color:#fbe9e6;font:14px/1.5 ui-monospace,monospace;" +
        "border-top:4px solid #e0533f;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var title = document.createElement("strong");
    title.textContent = "Build failed \\u2014 this is the last good build. Fix and save to rebuild.";
    var list = document.createElement("ul");
    status.problems.forEach(function (problem) {
      var item = document.createElement("li");
      item.textContent = problem;
      list.appendChild(item);
    });
    box.appendChild(title);
    box.appendChild(list);
  }
  // The server holds the request until a build other than the one seen is done
  // (or for WAIT seconds), so a new build is known the moment it is in place.
  function poll() {
    var url = "/_duizhao/status" + (seen === null ? "" : "?after=" + seen);
    fetch(url, {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (status) {
      if (seen !== null && status.build !== seen && status.ok && rewritten(status)) { location.reload(); return; }
      seen = status.build;
      show(status);
      poll();
    }, function () { setTimeout(poll, 1000); });
  }
  poll();
})();
"""

class Later:
    """Work that can wait until the browser has reloaded, done in a thread of its own:
    after an incremental rebuild the archive-wide files (archive.jsonl, the search
    index: at 10,000 articles seconds and minutes), and loading the aligner's
    dictionaries.  A job replaces one still waiting; builds that write those files
    themselves hold ``lock`` while they do."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # held by whoever writes the archive-wide files
        self._changed = threading.Condition()
        self._wanted: Callable[[], str] | None = None
        self._busy = False
        self._thread: threading.Thread | None = None

    def request(self, job: Callable[[], str]) -> None:
        """Run ``job`` (it returns a line for the console) once the thread is free."""
        with self._changed:
            self._wanted = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def wait(self) -> None:
        """Until no job is running or waiting."""
        with self._changed:
            self._changed.wait_for(lambda: self._wanted is None and not self._busy)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._wanted is not None)
                job, self._wanted, self._busy = self._wanted, None, True
            try:
                with self.lock:
                    print(job(), flush=True)  # type: ignore[misc]
            except DuizhaoError as exc:
                for problem in exc.problems:
                    print(f"error: {problem}", file=sys.stderr, flush=True)
            except Exception:  # noqa: BLE001 — the thread must live on for the next job
                traceback.print_exc()
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()


class Collector:
    """Python's cyclic garbage collector, held off while a build runs and run once a
    moment after it (``delay`` seconds: the browser reloads first).

    A rebuild in serve allocates millions of objects beside the frozen last build;
    left on, the collector walked them again and again while the browser waited
    (7 of the 34 s of a capture edit at 10,000 articles, 19 of the 63 s of a title
    edit).  Run once afterwards, it frees the build's garbage cycles, and what the
    build keeps is then frozen: it lives until the next build and holds no cycles
    (freed by reference counting), so no later collection need walk it."""

    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self._state = threading.Condition()
        self._builds = 0  # builds started: a collection waits for the last one
        self._running = False
        self._pending = False  # a build ended and its collection has not run yet

    def hold(self) -> None:
        """A build starts."""
        with self._state:
            self._builds += 1
            self._running = True
            gc.disable()

    def release(self) -> None:
        """The build ended (well or not): collect once it has been quiet for ``delay``."""
        with self._state:
            self._running, self._pending = False, True
            builds = self._builds
        timer = threading.Timer(self.delay, self._collect, args=(builds,))
        timer.daemon = True
        timer.start()

    def wait(self) -> None:
        """Until the last build's collection has run (benchmarks and tests)."""
        with self._state:
            self._state.wait_for(lambda: not self._pending)

    def _collect(self, builds: int) -> None:
        with self._state:
            if self._running or builds != self._builds:
                return  # another build began since: its own release collects
            gc.collect()
            gc.freeze()
            gc.enable()
            self._pending = False
            self._state.notify_all()


Process = Callable[[], Archive]  # the pipeline up to rendering, over all of content/
Pages = Callable[[Archive, Selection | None, Lookups], Files]  # the site's files (None: all of them)
Whole = Callable[[Archive], Files]  # the archive-wide data files (archive.jsonl), made after a Selection


@dataclass
class Preview:
    """What the server knows of the last build: shared between the watcher thread,
    which rebuilds, and the request threads, which report it."""

    process: Process
    pages: Pages
    whole: Whole
    content: Path
    out: Path
    cache: Cache = NO_CACHE
    build: int = 0
    problems: tuple[str, ...] = ()
    made: str = ""  # what the last good build did, for the console
    started: float = 0.0  # perf_counter at the start of the last rebuild
    first: float = 0.0  # seconds until its edited articles' pages were in place (0: it had one step)
    written: dict[str, str] = field(default_factory=dict)  # path → hash of the bytes in out
    last: Built | None = None  # the last good build, what an incremental one starts from
    search: SearchFeed = field(default_factory=SearchFeed)  # the search records of the files in out
    unbuilt: set[Path] = field(default_factory=set)  # changed since the last good build
    ours: dict[Path, tuple[int, int]] = field(default_factory=dict)  # content files the builds wrote: (mtime, size)
    # (build, the site's files it rewrote or deleted; None: too many to name, or all)
    rewrote: deque[tuple[int, frozenset[str] | None]] = field(default_factory=lambda: deque(maxlen=HISTORY))
    lock: threading.Lock = field(default_factory=threading.Lock)
    later: Later = field(default_factory=Later)
    collector: Collector = field(default_factory=Collector)
    standing: Standing | None = None  # workers for an edit that reaches several articles (warm_up starts them)
    done: threading.Condition = field(init=False)  # notified when a build ends
    digests: LiveDigests = field(init=False)  # of content/, for the edition the changelog names

    def __post_init__(self) -> None:
        self.done = threading.Condition(self.lock)
        self.digests = LiveDigests(self.content)

    def status(self, after: int | None = None, wait: float = WAIT) -> dict[str, object]:
        """The last build's number, outcome and problems; with ``after``, once a build
        other than that one has ended (or ``wait`` seconds have passed)."""
        with self.done:
            if after is not None:
                self.done.wait_for(lambda: self.build != after, timeout=wait)
            return {"build": self.build, "ok": not self.problems, "problems": list(self.problems), "made": self.made,
                    "pages": self._rewritten_since(after)}

    def _rewritten_since(self, after: int | None) -> list[str] | None:
        """The site's files rewritten or deleted by the builds after ``after``; None when
        that is not known (no ``after``, or builds too long ago or of the whole site)."""
        if after is None or after > self.build:
            return None
        builds = {n: pages for n, pages in self.rewrote if n > after}
        if len(builds) != self.build - after or any(pages is None for pages in builds.values()):
            return None
        return sorted(set().union(*builds.values()))  # type: ignore[arg-type]

    def rebuild(self, changed: Iterable[Path] | None = None) -> float:
        """Build and bring ``out`` up to date; on failure keep it and record why.
        ``changed``: the files changed since the last rebuild (None: build
        everything); when they all lie in article folders only what they can reach
        is built again (site_src.incremental).  Returns the seconds it took."""
        start = self.started = time.perf_counter()
        self.first = 0.0
        if changed is None:
            self.digests = LiveDigests(self.content)
        else:
            changed = set(changed)
            self.digests.changed(changed)
            self.unbuilt |= changed
        self.collector.hold()
        try:
            written, search, made = self._build(None if changed is None else frozenset(self.unbuilt))
            problems: tuple[str, ...] = ()
            self.unbuilt = set()
        except DuizhaoError as exc:
            written, search, problems, made = self.written, self.search, tuple(str(p) for p in exc.problems), ""
        except Exception:  # noqa: BLE001 — a bug met while editing site_src/ shows like a content error
            written, search, problems, made = self.written, self.search, (traceback.format_exc(),), ""
        finally:
            self.collector.release()
        self._publish(written, search, problems, made)
        return time.perf_counter() - start

    def _archive_wide(self, archive: Archive, search: SearchFeed) -> Callable[[], str]:
        def job() -> str:
            start = time.perf_counter()
            for rel, data in self.whole(archive):
                replace_file(self.out / rel, data)
            if search.page:
                write_index(search.records(), self.out, cache=self.cache.index())
            return f"archive-wide data and search index brought up to date in {time.perf_counter() - start:.1f} s"
        return job

    def wrote(self, path: Path) -> bool:
        """Whether ``path`` is as a build of this server left it (a registry or the
        changelog, or the temporary file it was written through)."""
        if path.name.endswith(".tmp") and path.with_name(path.name[:-4]) in self.ours:
            return True
        try:
            info = path.stat()
        except OSError:
            return False
        return self.ours.get(path) == (info.st_mtime_ns, info.st_size)

    def _wrote(self, paths: Iterable[Path]) -> None:
        for path in paths:
            info = path.stat()
            self.ours[path.resolve()] = (info.st_mtime_ns, info.st_size)

    def _build(self, changed: frozenset[Path] | None) -> tuple[dict[str, str], SearchFeed, str]:
        edit = plan(self.content, changed, self.last.archive) if changed is not None and self.last else None
        before = self.written
        if edit is None:
            last, selection = built(self.process()), None
        else:
            assert self.last is not None  # plan() found the edit in its archive
            step = edited(self.last, edit, self.cache, self.standing)
            if step.settled(self.last):
                last, selection = finish(self.last, step)  # no search: at once
                if not _own(selection):
                    self._first(step)
            else:
                self._first(step)
                last, selection = finish(self.last, step)
        files = self.pages(last.archive, selection, last.lookups)
        index = self.cache.index()
        moved_data = False
        if selection is None:
            search = SearchFeed()
            with self.later.lock:
                if not self.written:
                    written: dict[str, str] = {}
                    write_site(recorded(files, written), self.out, index, search=search)
                else:
                    written = update_site(files, self.out, self.written, index, search=search)
        else:
            written, search = self._write_part(files, selection.articles)
            moved_data = data_changed(before, written)
            if moved_data:
                # Made afterwards, so no longer known by hash: the next full build writes it.
                written.pop(ARCHIVE_JSONL, None)
                self.later.request(self._archive_wide(last.archive, search))
        if selection is None:
            self._wrote(write_registries(last.archive))
            made = "everything"
        else:
            remade = [p.shell for p in last.archive.articles.packed if p.slug in selection.articles]
            # The changelog names the edition the new anchors appear in.
            edition = (self.digests.edition(build_date())
                       if any(a.anchoring and a.anchoring.packed_text for a in remade) else last.archive.edition)
            self._wrote(write_registries(replace(last.archive, articles=tuple(remade), edition=edition)))
            made = (f"{len(selection.articles)} article(s), {len(selection.pages)} other article page(s), "
                    f"{len(selection.entities)} entity page(s)"
                    + (", the index" if selection.index else "")
                    + (", the search data" if moved_data else ""))
        self.last = last
        return written, search, made


    def _first(self, step: Edited) -> None:
        """The edited articles' own files, written and announced as a build before the
        rest: the articles aligned with them, the related passages searched again
        (at 10,000 articles, seconds), the other pages that show the edited articles
        (the front page after a title edit, entity pages).  The browser shows the
        edit at once, the rest a moment later; until then the edited rows' related
        passages are those from before."""
        # The articles the editor changed: one tied to them by alignment (a borrower of
        # an edited lender's English) comes with the rest (at 10,000 articles, 40 of
        # the 120 ms of this step after a lender's capture was edited).
        only = Selection(articles=step.edited)
        written, search = self._write_part(self.pages(step.archive, only, step.lookups), step.edited)
        self._publish(written, search, (), f"{len(step.edited)} article(s) first, the pages showing them next")
        self.first = time.perf_counter() - self.started

    def _write_part(self, files: Files, articles: frozenset[str]) -> tuple[dict[str, str], SearchFeed]:
        """Write the part of the site an incremental rebuild made (``articles``: those
        made whole); the new hashes and search records."""
        # A copy: a rebuild that fails half-way must leave the last good records.
        search = SearchFeed(self.search.page, dict(self.search.found))
        # A page stops being made only if its article no longer has both languages.
        owned = frozenset(f"data/{slug}.tmx" for slug in articles)
        return update_site(files, self.out, self.written, self.cache.index(), owned, search), search

    def _publish(self, written: dict[str, str], search: SearchFeed, problems: tuple[str, ...], made: str) -> None:
        """A build is in place: the browser may reload."""
        with self.done:
            # The pairs held by one build only (at 10,000 articles a tenth of the time of a
            # comprehension asking both for every path).
            changed = {path for path, _ in written.items() ^ self.written.items()}
            # A first build, or one that rewrote much: every page reloads.
            known = self.written and len(changed) <= MANY
            self.rewrote.append((self.build + 1, frozenset(changed) if known else None))
            self.written, self.search, self.problems, self.build = written, search, problems, self.build + 1
            self.made = made or self.made
            self.done.notify_all()

    def warm_up(self) -> str:
        """What the first edit would otherwise wait for, done in the background after
        the first build: the cleaner's and aligner's tables, here and in a worker per
        core (an edit to a capture that lends its English prepares two articles), the
        script converters and glossary patterns, the content's digests."""
        # An article with English of its own, cleaned and aligned here and in each
        # standing worker as an edit would be.
        sample = None if self.last is None else next(
            (p.shell for p in self.last.archive.articles.packed if p.english), None)
        warm(sample)
        # The pages' script converters and the glossary's patterns, which an edit's
        # pages and mentions need: a first build made them here only if its stages
        # ran here (build.APART); at 10,000 articles the first edit spent 45 ms on them.
        for config, _ in SCRIPT_CONFIGS.values():
            converter(config)
        if self.last is not None:
            find_mentions((), self.last.archive.glossary)
        if self.standing is None:
            self.standing = Standing(functools.partial(warm, sample))
        self.digests.edition(build_date())
        return "cleaning and alignment tables loaded and content hashed for the first edit"

    def close(self) -> None:
        """Stop the standing workers."""
        if self.standing is not None:
            self.standing.close()


def _own(selection: Selection | None) -> bool:
    """Whether ``selection`` is little more than the edited articles' own files (and
    their translation group's three-way pages): nothing worth a first step."""
    return selection is not None and not (selection.pages or selection.entities or selection.index
                                          or selection.entities_index)


def watch(preview: Preview, rebuild_on: tuple[Path, ...], restart_on: tuple[Path, ...],
          stop: threading.Event | None = None) -> None:
    """Rebuild on a change under ``rebuild_on``, restart the process on one under
    ``restart_on``, until ``stop`` is set.  The operating system reports the changes
    (inotify, through watchfiles): walking the tree to find them cost 0.2 s a look at
    10,000 articles, more than an incremental rebuild.  Files the build itself writes
    (anchors.yaml, CHANGELOG.md) are not changes."""
    code = tuple(Path(p).resolve() for p in restart_on)
    for changes in _changes((*rebuild_on, *restart_on), stop):
        paths = {Path(path).resolve() for _, path in changes}
        if any(folder in path.parents for path in paths for folder in code):
            print("site_src/ changed: restarting", flush=True)
            preview.close()  # its workers run the old code
            os.execv(sys.executable, [sys.executable, *sys.argv])
        # A folder is reported when a file in it is added or removed (polling does), and
        # the file is reported too; a folder that is gone still counts.
        paths = {path for path in paths if not path.is_dir() and not preview.wrote(path)}
        if paths:
            report(preview, preview.rebuild(paths))


def _changes(folders: tuple[Path, ...], stop: threading.Event | None) -> Iterator[set[tuple[object, str]]]:
    options = {"debounce": DEBOUNCE_MS, "step": STEP_MS, "stop_event": stop, "raise_interrupt": False}
    try:
        yield from watchfiles.watch(*folders, **options)  # type: ignore[arg-type]
    except OSError as exc:
        # Typically the limit on inotify watches (one per folder: 10,000 articles).
        print(f"warning: the system cannot watch {len(folders)} folder tree(s) for changes ({exc}); "
              f"looking every {POLL_MS} ms instead (raise fs.inotify.max_user_watches to avoid it)", flush=True)
        yield from watchfiles.watch(*folders, force_polling=True, poll_delay_ms=POLL_MS, **options)  # type: ignore[arg-type]


def report(preview: Preview, seconds: float) -> None:
    status = preview.status()
    for problem in status["problems"]:  # type: ignore[attr-defined]
        print(f"error: {problem}", file=sys.stderr)
    state = f"built ({preview.made})" if status["ok"] else "build failed, serving the last good site"
    shown = f"edited page(s) shown after {preview.first * 1000:.0f} ms, " if preview.first and status["ok"] else ""
    print(f"{shown}{state} in {seconds * 1000:.0f} ms", flush=True)


def handler(preview: Preview) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(preview.out), **kwargs)

        def do_GET(self) -> None:  # noqa: N802 — http.server's naming
            path, _, query = self.path.split("#", 1)[0].partition("?")
            if path == STATUS:
                after = urllib.parse.parse_qs(query).get("after", [""])[0]
                status = preview.status(int(after) if after.isdigit() else None)
                self._send(json.dumps(status, ensure_ascii=False).encode(), "application/json")
                return
            if path == OVERLAY:
                self._send(OVERLAY_JS.encode(), "text/javascript; charset=utf-8")
                return
            local = Path(self.translate_path(path))
            if local.is_dir() and path.endswith("/"):
                local = local / "index.html"
            if local.suffix == ".html" and local.is_file():
                build = preview.build  # before the file is read: the page is of this build or a later one
                page = local.read_bytes()
                tag = (SCRIPT_TAG % (OVERLAY, build)).encode()
                at = page.rfind(b"</body>")
                self._send(page[:at] + tag + page[at:] if at >= 0 else page + tag, "text/html; charset=utf-8")
                return
            super().do_GET()

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def end_headers(self) -> None:
            # A preview must never show a page the browser kept from before an edit.
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # one line per request would bury the rebuild messages

    return Handler


def serve(preview: Preview, host: str, port: int, rebuild_on: tuple[Path, ...],
          restart_on: tuple[Path, ...]) -> None:
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler(preview))
    except OSError as exc:
        raise OutputError(Problem(f"{host}:{port}", None, f"cannot serve there: {exc.strerror or exc}",
                                  "choose another port with --port")) from None
    threading.Thread(target=watch, args=(preview, rebuild_on, restart_on), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        preview.close()
