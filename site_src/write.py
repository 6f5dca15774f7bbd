"""Stage 7 — write: put the rendered site in place atomically (the output end of the I/O).

A failed build must never leave a half-written site where the last good one was, so
the whole site is written into a sibling temporary folder first and swapped in with
two renames.  A marker file identifies folders duizhao owns: an ``--out`` that points
at anything else (say, ``content/`` by mistake) is refused rather than replaced.

Anchor registries are written only after the site is in place: a build that fails
must not record anchors that were never published.

With a cache, the site built last is kept there as hard links to its files
(``keep_site``), and a later build of the same inputs into another folder puts it in
place instead of making it again (``restore_site``).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import queue
import shutil
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Collection, Iterable, Iterator, Mapping

from .edition import changelog
from .errors import OutputError, Problem
from .indexer import Indexer
from .model import Archive, Streamed
from .render import ArticlePages
from .search import SHARD_BYTES, SearchRecord, link_or_copy, pack, search_records, unpack, write_index

MARKER = ".duizhao-build"
Body = bytes | Streamed
Files = Iterable[tuple[str, Body]]  # (path relative to the site, its bytes), as build.site_files yields them


def site_stamp(out: Path) -> str:
    """The inputs stamp (cache.inputs_stamp) the site in ``out`` was built from, "" if
    none is recorded."""
    try:
        lines = (Path(out) / MARKER).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    return next((line.removeprefix(STAMP) for line in lines if line.startswith(STAMP)), "")


STAMP = "inputs: "


def write_site(files: Files | Mapping[str, bytes], out: Path, index_cache: Path | None = None,
               stamp: str = "", search: SearchFeed | None = None, indexer: Indexer | None = None,
               data_files: int | None = None) -> None:
    """Write ``files`` as the site in ``out``, each file as it comes (the whole site is
    never in memory), and swap it in when all are written.  ``index_cache``: where
    the search index of the last build is kept, to be reused when its records are
    unchanged (see ``search.write_index``).  ``stamp``: the inputs the site was built
    from, recorded in the marker file for ``site_stamp``.  ``search``: the feed to
    collect the search records in (new if None).  ``indexer``: one started before the
    pages came (``search.warm_indexer``), for the index's first shard.  ``data_files``:
    how many data files ``files`` holds, if known: the index is then finished as
    soon as the last has come, while the pages after it are written."""
    # A build keeps no records: should the index have to be made at the end, it reads
    # them back from the data files in the staging folder (150 MB fewer at 10,000
    # articles).  Serve passes a feed that keeps them for its next, partial, build.
    search = SearchFeed(keep=False) if search is None else search
    with _new_site(out, stamp) as staging:
        index = BackgroundIndex(staging, index_cache, indexer, data_files)
        folders: set[Path] = set()
        try:
            for rel, data in _pairs(files):
                target = staging / _safe_relative(rel)
                _make_folder(target.parent, folders)
                _write(target, data)
                records = search.see(rel, data)
                if records is not None and search.page:
                    index.feed(rel, records)
            if search.page:
                # The search page's index, made from the data files just written.  Before
                # the swap: an index that fails (OutputError) fails the build, old site kept.
                index.finish(search)
        finally:
            index.stop()  # whatever happened, no indexer writes into the staging folder after this


@contextmanager
def _new_site(out: Path, stamp: str) -> Iterator[Path]:
    """A staging folder beside ``out`` to write a site into, swapped in place of ``out``
    (marked with ``stamp``) when the block ends without an error.  Whatever happens,
    no staging folder is left behind; a file system error is reported as the site
    not written, the previous one unchanged."""
    out = _ours(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        yield staging
        _swap(staging, out, stamp)
    except OSError as exc:
        raise OutputError(Problem(out, None, f"could not write the site: {exc.strerror or exc}",
                                  "check permissions and free disk space; the previous site is unchanged")) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _ours(out: Path) -> Path:
    """``out``, resolved and with its parent made, once it is known to be free or a
    site duizhao made."""
    out = Path(out).resolve()
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise OutputError(Problem(out, None, "exists and was not made by duizhao",
                                  "choose an empty or new folder with --out, or delete it yourself"))
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def _swap(staging: Path, out: Path, stamp: str) -> None:
    """Mark the site written in ``staging`` and put it in place of ``out``; if the swap
    fails half-way, the previous site is put back."""
    mark_site(staging, stamp)
    old = None
    try:
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rename(out, old / "site")
        os.rename(staging, out)
    finally:
        if old is not None:
            if not out.exists() and (old / "site").exists():
                os.rename(old / "site", out)
            shutil.rmtree(old, ignore_errors=True)


def mark_site(site: Path, stamp: str) -> None:
    """Write the marker file of ``site``, recording ``stamp`` (see ``site_stamp``)."""
    replace_file(Path(site) / MARKER, ("Built by duizhao; this folder is replaced on every build.\n"
                                       + (f"{STAMP}{stamp}\n" if stamp else "")).encode("utf-8"))


# ---------------------------------------------------------------------------
# The last site, kept in the cache
# ---------------------------------------------------------------------------
# A site kept in the cache (``Cache.site``): ``files/`` holds its files as hard links to
# the site's own, and ``kept.json`` its stamp and each file's size and modification time.
KEPT_FILES, KEPT_LIST = "files", "kept.json"


def keep_site(out: Path, kept: Path, stamp: str, edition: str,
              pages: Mapping[str, tuple[str, tuple[str, ...]]]) -> None:
    """Keep the site just built in ``out``, of the inputs ``stamp`` names, under ``kept``
    for ``restore_site``, in place of the one kept before; with its ``edition`` and
    what each article's own pages were made from (``render.ArticlePages.made``), for
    the next build to reuse them (``kept_pages``).  The files are hard links to the
    site's: nothing is copied, and while the site is there the two share their disk
    space.  Where a link cannot be made (the cache on another file system), nothing
    is kept: a copy would double what a build writes."""
    out, kept = Path(out), Path(kept)
    staging = None
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".site-", dir=kept.parent))
        listed: dict[str, tuple[int, int]] = {}
        for folder, _, names in os.walk(out):
            rel_folder = Path(folder).relative_to(out)
            (staging / KEPT_FILES / rel_folder).mkdir(parents=True, exist_ok=True)
            for name in names:
                rel = (rel_folder / name).as_posix()
                if rel == MARKER:
                    continue  # each site has its own
                target = staging / KEPT_FILES / rel
                os.link(out / rel, target)
                info = target.stat()
                listed[rel] = (info.st_size, info.st_mtime_ns)
        (staging / KEPT_LIST).write_text(json.dumps({"stamp": stamp, "edition": edition, "files": listed,
                                                     "articles": dict(pages)}), encoding="utf-8")
        shutil.rmtree(kept, ignore_errors=True)
        os.rename(staging, kept)
        staging = None
    except OSError:
        shutil.rmtree(kept, ignore_errors=True)  # no site kept is better than a wrong one
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def restore_site(site: ArticlePages, stamp: str, out: Path) -> bool:
    """Put the kept ``site`` (``kept_pages``) in ``out``, if it is the site of the inputs
    ``stamp`` names and none of its files has changed since it was kept; say
    whether it was.  The site is put in place as ``write_site`` puts a new one (hard
    links where ``out`` shares the cache's file system, copies elsewhere).

    A kept file is shared with the site it was kept from: were that site's file
    written in place (the builds and serve never do, but an editor might), the
    kept one would change with it.  Its size and modification time, checked here,
    would change too."""
    if site.folder is None or site.stamp != stamp or not all(map(site.unchanged, site.files)):
        return False
    folders: set[Path] = set()
    with _new_site(out, stamp) as staging:
        for rel in site.files:
            target = staging / _safe_relative(rel)
            _make_folder(target.parent, folders)
            link_or_copy(str(site.folder / rel), str(target))
    return True


def kept_pages(kept: Path | None) -> ArticlePages:
    """The site kept under ``kept`` (``keep_site``): its files, for ``restore_site``,
    and its articles' pages, for a build to reuse those whose inputs have not
    changed; empty if none is kept."""
    if kept is None:
        return ArticlePages()
    try:
        listing = json.loads((Path(kept) / KEPT_LIST).read_text(encoding="utf-8"))
        return ArticlePages(folder=Path(kept) / KEPT_FILES, edition=str(listing["edition"]),
                            stamp=str(listing["stamp"]),
                            kept={slug: (key, tuple(paths)) for slug, (key, paths) in listing["articles"].items()},
                            files={rel: (size, mtime) for rel, (size, mtime) in listing["files"].items()})
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return ArticlePages()  # none kept, or not readable as kept: as good as none


@dataclass
class SearchFeed:
    """The search records of the data files seen so far, kept while the files stream
    past the writer: the index is made once every file is written."""

    page: bool = False  # search.html was among the files: the site wants an index
    found: dict[str, bytes] = field(default_factory=dict)  # data file → its records, packed
    keep: bool = True  # whether ``found`` is filled

    def see(self, rel: str, data: Body) -> list[SearchRecord] | None:
        """Note a file of the site; the records of a data file (None for any other)."""
        self.page = self.page or rel == "search.html"
        if not (rel.startswith("data/") and rel.endswith(".json")) or isinstance(data, Streamed):
            return None
        records = search_records({rel: data})
        if self.keep:
            self.found[rel] = pack(records)
        return records

    def records(self) -> Iterator[SearchRecord]:
        # In path order, as search_records orders a whole site's.
        for rel in sorted(self.found):
            yield from unpack(self.found[rel])


class _Stopped(Exception):
    """The build ended before its last data file: the index being made is dropped."""


class BackgroundIndex:
    """The search index made while the pages are still being written.

    Indexing is a good part of a cold build (Pagefind takes some 3.5 s for 180
    articles of the benchmark archive, so some 200 s for 10,000), and the indexer
    is a process of its own:
    fed the records as the data files come, it works on the other core while this
    one renders.  ``render.iter_site`` gives the data files in path order, the order
    of ``SearchFeed.records``, so the shards are the ones a build indexing at the
    end would make.  A data file out of that order (a caller other than iter_site)
    stops the early start: the index is then made at the end, from every record.
    Knowing how many data files to expect, it ends the records at the last one: the
    indexer writes its files (0.13 s at five articles) while the pages after it are
    made, instead of after the last page."""

    # Articles' records waiting for the indexer: over a shard of the benchmark's
    # articles.  When it falls behind, the writer waits rather than hold the records
    # of the whole archive.
    WAITING = 400
    SHARD_BYTES = SHARD_BYTES

    def __init__(self, site: Path, cache: Path | None, warmed: Indexer | None = None,
                 expected: int | None = None) -> None:
        self.site, self.cache, self.warmed, self.expected = site, cache, warmed, expected
        self._fed = 0
        self._queue: queue.Queue[list[SearchRecord] | None] = queue.Queue(self.WAITING)
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None
        self._stopping = threading.Event()
        self._last = ""  # the last data file fed
        self._early = True  # all files so far came in order

    def feed(self, rel: str, records: list[SearchRecord]) -> None:
        if self._failed is not None:
            raise self._failed  # the build fails now, not after every page is written
        if not self._early:
            return
        if rel <= self._last or self._fed == self.expected:
            self._early = False
            self.stop()
            return
        self._last = rel
        self._fed += 1
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="search-index", daemon=True)
            self._thread.start()
        while not self._stopping.is_set():
            try:
                self._queue.put(records, timeout=0.5)
                break
            except queue.Full:
                continue  # the indexer is busy with a shard (or stopped: checked above)
        if self._fed == self.expected:
            self._end()

    def _end(self) -> None:
        """No more records: the indexer writes the last shard."""
        while self._thread is not None and self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.5)
                return
            except queue.Full:
                continue

    def finish(self, search: SearchFeed) -> None:
        """The index complete in the site; raises what indexing raised."""
        if self._early and self._thread is not None:
            if self._fed != self.expected:
                self._end()
            self._thread.join()
            if self._failed is not None:
                raise self._failed
        else:
            records = search.records() if search.keep else _written_records(self.site)
            write_index(records, self.site, self.SHARD_BYTES, self.cache)

    def stop(self) -> None:
        """End an index still being made, without waiting for more than its current shard."""
        if self._thread is None or not self._thread.is_alive():
            return
        self._stopping.set()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        self._thread.join()

    def _records(self) -> Iterator[SearchRecord]:
        while True:
            try:
                batch = self._queue.get(timeout=0.5)
            except queue.Empty:
                batch = []
            if self._stopping.is_set():
                raise _Stopped
            if batch is None:
                return
            yield from batch

    def _run(self) -> None:
        try:
            write_index(self._records(), self.site, self.SHARD_BYTES, self.cache, self.warmed)
        except _Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 — handed to the writer, raised by finish()
            self._failed = exc
            self._stopping.set()


def _written_records(site: Path) -> Iterator[SearchRecord]:
    """The search records of the data files written into ``site``, in path order (as
    ``SearchFeed.records``), one file in memory at a time."""
    for path in sorted((site / "data").glob("*.json")):
        yield from search_records({f"data/{path.name}": path.read_bytes()})


def _make_folder(folder: Path, made: set[Path]) -> None:
    """``folder`` and its parents, unless ``made`` (the folders made so far) has it:
    a ``mkdir`` of a folder that exists costs as much as making it (0.4 ms here, a
    sixth of the writing at five articles), and most files share their folder."""
    if folder not in made:
        folder.mkdir(parents=True, exist_ok=True)
        made.add(folder)


def _pairs(files: Files | Mapping[str, bytes]) -> Files:
    return files.items() if isinstance(files, Mapping) else files


def _safe_relative(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        # Renderer bug, not user input: a page path must stay inside the site.
        raise ValueError(f"refusing to write outside the site: {rel!r}")
    return path


def write_registries(archive: Archive) -> list[Path]:
    """Write each article's anchor registry if it changed, and record what changed in
    ``content/CHANGELOG.md`` under this edition; return the files written."""
    written = []
    changes: dict[str, list[str]] = {}
    for article in archive.articles.shells():
        path, anchoring = article.anchors_path, article.anchoring
        if path is None or anchoring is None or not anchoring.packed_text:
            continue
        text = anchoring.text
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        changes[article.slug] = list(anchoring.changes)
        _replace(path, text)
        written.append(path)
    log_path = archive.content_dir / "CHANGELOG.md"
    old_log = log_path.read_text(encoding="utf-8") if log_path.is_file() else ""
    new_log = changelog(old_log, archive.edition, changes)
    if new_log != old_log:
        _replace(log_path, new_log)
        written.append(log_path)
    return written


def _replace(path: Path, text: str) -> None:
    replace_file(path, text.encode("utf-8"), path.with_name(path.name + ".tmp"))


def replace_file(path: Path, data: Body, tmp: Path | None = None) -> None:
    """Put ``data`` at ``path`` in one step: written beside it, then moved over it, so
    a reader (or a crash) never sees half a file."""
    tmp = path.with_name(f".{path.name}.new") if tmp is None else tmp
    _write(tmp, data)
    os.replace(tmp, path)


def _write(path: Path, data: Body) -> None:
    if isinstance(data, Streamed):
        _write_pieces(path, data)
    else:
        path.write_bytes(data)


def _write_pieces(path: Path, data: Streamed) -> str:
    """Write a streamed file to ``path``; the SHA-256 of what was written."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for piece in data.pieces():
            f.write(piece)
            digest.update(piece)
    return digest.hexdigest()


def update_site(files: Files | Mapping[str, bytes], out: Path, previous: Mapping[str, str],
                index_cache: Path | None = None, owned: Collection[str] | None = None,
                search: SearchFeed | None = None) -> dict[str, str]:
    """Bring ``out``, last written with the files whose hashes are ``previous``, up to
    ``files``: write only the files whose bytes changed, delete those no longer made,
    and return the new hashes.  For ``serve``, where an edit changes a few pages and
    rewriting thousands would keep the browser waiting.  Changed files are written
    beside their targets and moved in only once every file has been made, so a
    render that fails half-way leaves ``out`` as it was; the moves themselves are
    not one atomic step (a build for publishing uses write_site).

    With ``owned``, ``files`` are only some of the site (an incremental rebuild): the
    files not among them stay, except those ``owned`` that were not made again,
    and the search index is left to the caller (serve makes it after the pages are
    in place; ``data_changed`` says whether it must); ``search`` must then hold the
    records of the last build.  ``search``: the feed to collect the records in (kept
    by serve for the next part)."""
    out = Path(out).resolve()
    part = owned is not None
    hashes: dict[str, str] = dict(previous) if part else {}
    made: set[str] = set()
    folders: set[Path] = set()
    pending: list[tuple[Path, Path]] = []  # (written beside, target)
    try:
        search = SearchFeed() if search is None else search
        for rel, data in _pairs(files):
            made.add(rel)
            target = out / _safe_relative(rel)
            tmp = target.with_name(f".{target.name}.new")
            if isinstance(data, Streamed):
                # Hashed as it is written: made twice, it would cost its making twice.
                _make_folder(target.parent, folders)
                digest = _write_pieces(tmp, data)
                if previous.get(rel) == digest:
                    tmp.unlink()
                else:
                    pending.append((tmp, target))
            else:
                digest = hashlib.sha256(data).hexdigest()
                if previous.get(rel) != digest:
                    _make_folder(target.parent, folders)
                    tmp.write_bytes(data)
                    pending.append((tmp, target))
            hashes[rel] = digest
            search.see(rel, data)
        gone = (previous.keys() - made) if owned is None else [rel for rel in owned if rel in previous and rel not in made]
        for rel in gone:
            hashes.pop(rel, None)
            search.found.pop(rel, None)
        if search.page and not part:
            write_index(search.records(), out, cache=index_cache)  # as write_site does
        for tmp, target in pending:
            os.replace(tmp, target)
        pending = []
        for rel in gone:
            (out / _safe_relative(rel)).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(Problem(out, None, f"could not update the site: {exc.strerror or exc}",
                                  "check permissions and free disk space")) from None
    finally:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
    return hashes


def data_changed(before: Mapping[str, str], after: Mapping[str, str]) -> bool:
    """Whether a data file (what the search index and archive.jsonl are made of)
    differs between two sites' hashes."""
    return any(before.get(rel) != digest for rel, digest in after.items() if rel.startswith("data/")) or any(
        rel not in after for rel in before if rel.startswith("data/"))


def recorded(files: Files, hashes: dict[str, str]) -> Iterator[tuple[str, Body]]:
    """``files`` passed on unchanged, the hash of each put in ``hashes`` as it goes by:
    what ``update_site`` compares with next time, taken while a site is written (a
    streamed file's once its last piece has gone by)."""
    for rel, data in files:
        if isinstance(data, Streamed):
            yield rel, Streamed(functools.partial(_hashing, rel, data, hashes))
        else:
            hashes[rel] = hashlib.sha256(data).hexdigest()
            yield rel, data


def _hashing(rel: str, data: Streamed, hashes: dict[str, str]) -> Iterator[bytes]:
    digest = hashlib.sha256()
    for piece in data.pieces():
        digest.update(piece)
        yield piece
    hashes[rel] = digest.hexdigest()
