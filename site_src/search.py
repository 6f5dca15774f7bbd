"""Full-text search: a static Pagefind index of every aligned row, one record an article.

The search page (``search.html``, built by ``render.search_page``) loads the index
written here into ``pagefind/`` beside the pages.  No server is involved: Pagefind's
browser half (``pagefind/pagefind.js`` and a WebAssembly module) fetches only the
index chunks a query needs.

One record an article, one section a row.  Pagefind finds pages and, inside a page,
the sections that start at a heading with an id (its "sub-results", each with its
own excerpt and URL ``page#id``).  So each article is given to the indexer as a
small HTML document of its own (``record_html``), not as its page: before each row
an ``<h6 id="p12">¶</h6>``, then the row's Chinese converted to Simplified characters
(OpenCC ``t2s``), then its English.  ``search.js`` lists the sub-results, each
linking to its row (``/articles/<slug>/index.html#p12``).  Until the twelfth pass of
issue 7 every row was a record of its own; Pagefind writes one file per record, and
at 10,000 articles that was 470,000 files and three quarters of the index's time.

Every record is indexed as one language, ``zh``, so that the extended Pagefind build
segments unspaced Chinese into words (学习小组 is found inside "更像是一个学习小组:
一家公司"); English words are indexed as words all the same.  A bilingual page given
as it is would be split into a Chinese and an English index by its ``lang``.

Why Simplified only: the segmenter's dictionary is Simplified, and Traditional text
comes out of it one character a word, so a Traditional query (which the browser
segments into words) would match scattered characters.  Instead ``search.js`` folds
the query to Simplified, character by character, with ``duizhao-fold.json``, a table
written beside the index (``fold_table``): 蒸餾 and 蒸馏 find the same rows, and a
Traditional query finds a text published in Simplified.  Each row's Chinese as
published rides along in the record's meta (``zh_p12``), so a result's excerpt is
shown in the published script.

The records come from the site's own ``data/<slug>.json`` (``search_records`` is pure
and reads the files ``render_site``/``export_data`` produced), and ``write_site``
calls ``write_index`` on its staging folder before the swap, so a failed index fails
the build and leaves the previous site in place.

Indexing talks to Pagefind's binary through ``site_src.indexer``.
"""
from __future__ import annotations

import functools
import hashlib
import html
import importlib.metadata
import json
import os
import shutil
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator, Mapping

from .cache import source_version
from .errors import OutputError, Problem
from .indexer import FIX, WARM_UP, Indexer, executable
from .scripts import converter

BUNDLE = "pagefind"  # the index's folder in the site
# The parts of Pagefind's bundle the search page does not use (its ready-made UIs).
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")
FOLD = "duizhao-fold.json"  # the query folding table search.js loads, written into the bundle


@dataclass(frozen=True)
class SearchRow:
    anchor: str  # p12
    zh: str  # the row's Chinese as published, its lines parted by spaces (as the indexer parts them)
    text: tuple[str, ...]  # what is indexed: the Chinese's lines in Simplified, then the English's


@dataclass(frozen=True)
class SearchRecord:
    """An article as the index sees it."""

    url: str  # from the site's top, with a leading slash: /articles/<slug>/index.html
    # title (the article's Chinese title), title_en, outlet, date, lang (of the Chinese)
    meta: dict[str, str]
    rows: tuple[SearchRow, ...]


def simplified(text: str) -> str:
    return converter("t2s").convert(text)


# The katakana middle dot that Chinese texts put between the parts of a foreign name
# (埃里克・施密特) makes Pagefind's segmenter take the text for Japanese and load a
# Japanese dictionary: a second of the build for one character.  The index gets the
# Chinese-script dot instead; nothing searched for is lost.
KANA_DOTS = ("\u30fb", "\uff65")


def _no_kana_dots(line: str) -> str:
    # Two str.replace calls, not str.translate with a table: translate goes through a
    # dict lookup per character, 12 µs against 0.14 µs for a 300-character line
    # (0.5 s of the build's own process at 1,000 articles).
    return line.replace(KANA_DOTS[0], "\u00b7").replace(KANA_DOTS[1], "\u00b7")


def search_records(files: Mapping[str, bytes]) -> list[SearchRecord]:
    """One record per ``data/<slug>.json`` among the site's files that has a row with
    text, in slug order; its rows in their order, each its Chinese in Simplified
    characters, then its English."""
    records = []
    for path in sorted(files):
        parts = PurePosixPath(path).parts
        if len(parts) != 2 or parts[0] != "data" or not parts[1].endswith(".json"):
            continue
        doc = json.loads(files[path])
        rows = []
        for row in doc["rows"]:
            text = tuple(_no_kana_dots(line) for line in [*map(simplified, row["zh"]), *row["en"]]
                         if line.strip())
            if text:
                rows.append(SearchRow(row["anchor"], " ".join(line for line in row["zh"] if line.strip()), text))
        if rows:
            # The lang the article page gives its Chinese (segment.chinese_variety).
            lang = next((lang for lang in doc["languages"] if lang != "en"), "zh-Hant")
            meta = {"title": doc["title"]["zh"], "title_en": doc["title"]["en"],
                    "outlet": doc["outlet"]["en"] or doc["outlet"]["zh"], "date": doc["date"], "lang": lang}
            records.append(SearchRecord(f"/articles/{doc['slug']}/index.html", meta, tuple(rows)))
    return records


# A row's heading: Pagefind makes a section only of a heading with text, and ¶ is no
# word, so nothing is indexed for it (nor weighted as a heading's words are).
ROW_HEADING = "\u00b6"


def record_html(record: SearchRecord) -> str:
    """The document the indexer is given for ``record``: its meta as attributes
    (``data-pagefind-meta="key[data-v]"`` takes an attribute's value, so no text is
    indexed twice), then each row under a heading with the row's anchor as id.  The
    indexer's text of a row is then ``¶`` and the row's lines parted by spaces."""
    def meta(key: str, value: str) -> str:
        return f'<i data-pagefind-meta="{key}[data-v]" data-v="{html.escape(value)}"></i>'

    out = ['<!DOCTYPE html><html lang="zh"><body>']
    out += [meta(key, value) for key, value in record.meta.items()]
    for row in record.rows:
        if row.zh:
            out.append(meta(f"zh_{row.anchor}", row.zh))
        out.append(f'<h6 id="{html.escape(row.anchor)}">{ROW_HEADING}</h6>')
        # Bare text, lines parted by <br>: Pagefind ends each block (<p>, <div>) with
        # a full stop where its text has none, which the excerpts would show.
        out.append("<br>".join(html.escape(line, quote=False) for line in row.text))
    out.append("</body></html>")
    return "".join(out)


def _plain(record: SearchRecord) -> list[object]:
    """``record`` as JSON values: what is packed, and what a shard's key hashes."""
    return [record.url, record.meta, [[w.anchor, w.zh, w.text] for w in record.rows]]


def pack(records: list[SearchRecord]) -> bytes:
    """Records kept until the index is made, compressed (as objects, those of the
    five shipped articles took 323 KB, packed 76 KB)."""
    return zlib.compress(json.dumps([_plain(r) for r in records], ensure_ascii=False).encode("utf-8"), 1)


def unpack(packed: bytes) -> list[SearchRecord]:
    return [SearchRecord(url, meta, tuple(SearchRow(anchor, zh, tuple(text)) for anchor, zh, text in rows))
            for url, meta, rows in json.loads(zlib.decompress(packed))]


@functools.lru_cache(maxsize=1)
def _traditional_pairs() -> tuple[tuple[str, str], ...]:
    """Every CJK character (basic block, extension A, compatibility ideographs) that
    OpenCC ``t2s`` changes, with its Simplified form: some 4,200 pairs."""
    chars = [chr(c) for start, end in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
             for c in range(start, end)]
    converted = simplified("\n".join(chars)).split("\n")
    return tuple((t, s) for t, s in zip(chars, converted) if s != t and len(s) == 1)


def fold_table(records: list[SearchRecord]) -> dict[str, str]:
    """What ``search.js`` needs to fold a query to Simplified, as the index is:
    ``{"from": "學習…", "to": "学习…"}``, pair by pair, for the characters whose
    Simplified form occurs in the index or in an article's title (any other cannot
    match anything anyway; titles are shown folded when the reader chose 简)."""
    return _fold(_characters(records))


def _characters(records: Iterable[SearchRecord]) -> set[str]:
    return set("".join(line for r in records for row in r.rows for line in row.text)
               + "".join(simplified(r.meta.get("title", "")) for r in records))


def _fold(present: set[str]) -> dict[str, str]:
    pairs = [(t, s) for t, s in _traditional_pairs() if s in present]
    pairs += [(dot, "\u00b7") for dot in KANA_DOTS]  # as _no_kana_dots did to the index
    return {"from": "".join(t for t, _ in pairs), "to": "".join(s for _, s in pairs)}


# The indexer's input per Pagefind index, in bytes (``record_html`` in UTF-8).  The
# indexer holds a whole index in memory: on the benchmark archive's shards some 90 MB
# and 40 times its input (300 articles given as 12.9 MB took 611 MB; 179 articles,
# 2.9 MB, 207 MB), the Chinese text most of it.  Cut by the count of articles, as
# until the fifteenth pass of issue 7 (300), a shard of long articles took three
# times the memory of one of short ones.  So a large archive is indexed in shards
# of at most this input, one after another, and search.js merges them in the browser
# (pagefind.mergeIndex): in the benchmark's 10,000-article build, 151–478 MB a shard.
SHARD_BYTES = 8_000_000
SHARDS = "pagefind-shards"  # the folder of the second and later shards, beside BUNDLE


def write_index(records: Iterable[SearchRecord], site: Path, shard_bytes: int = SHARD_BYTES,
                cache: Path | None = None, warmed: Indexer | None = None) -> None:
    """Index ``records`` into ``site/pagefind/`` (and, past ``shard_bytes``, into
    ``site/pagefind-shards/2/``, ``3/`` …); raise ``OutputError`` if Pagefind cannot.

    With a ``cache`` folder, a shard already made from the same records is copied
    instead of indexed: indexing is the costliest step of a build in which nothing
    changed (7 of 24 s at 100 articles, when every row was a record), and after an
    edit to one article only the shard holding it changes (10,000 articles are some
    45 shards).  A shard of the same records finds the same rows, whatever its bytes.

    In a first build (no index in ``site``, none kept in ``cache``) and in an archive
    of one shard, a shard's indexer starts with its first record and is sent the
    records as they come (``_Early``): it works on the other core while the pages
    after them are made, and its first Chinese record, which loads its dictionary
    (0.17 s), no longer waits for the last page.  An unchanged shard's early indexer
    is stopped unused, which costs the other core little for one shard; with more, a
    shard is indexed only once it is complete and known to have changed, since after
    an edit most are not.  ``warmed``: an indexer started before the records came
    (``warm_indexer``), which indexes the first shard if it is indexed early."""
    root = Path(site).resolve()
    # serve updates a site in place: a shard already there from the same records
    # stays (copying 10,000 articles' shards took longer than indexing one), the
    # others are replaced, and shards past the last are removed.
    there = _shard_keys(root)
    keys: list[str] = []
    present: set[str] = set()  # for the fold table: the records are gone once indexed
    early = _Early(on=max(len(there), _kept(cache)) <= 1, warmed=warmed)
    try:
        # One shard's records at a time: the records of 10,000 articles are gigabytes.
        for n, chunk in enumerate(_chunks(records, shard_bytes, early.add), 1):
            service = early.take()
            key = shard_key(chunk, shard_bytes)
            keys.append(key)
            bundle = root / BUNDLE if n == 1 else root / SHARDS / str(n)
            kept = cache / key if cache is not None else None
            if n <= len(there) and there[n - 1] == key and (bundle / "pagefind-entry.json").is_file():
                pass
            elif kept is not None and (kept / "pagefind-entry.json").is_file():
                shutil.rmtree(bundle, ignore_errors=True)
                shutil.copytree(kept, bundle, ignore=shutil.ignore_patterns(FOLD), copy_function=link_or_copy)
            else:
                shutil.rmtree(bundle, ignore_errors=True)
                _write_bundle(chunk, bundle, service)
                service = None
                if kept is not None:
                    _keep(bundle, kept)
            if service is not None:
                service.close(kill=True)
            # After the shard is written: a thread of the writer while the pages are
            # made (write.BackgroundIndex), it was between the last record and the
            # indexer's last step.
            present |= _characters(chunk)
    finally:
        early.close()  # a shard cut short (the build stopped): its indexer is ended
    for stale in (root / SHARDS).glob("*") if (root / SHARDS).is_dir() else ():
        if not stale.name.isdigit() or int(stale.name) > len(keys):
            shutil.rmtree(stale, ignore_errors=True)
    if cache is not None:
        _forget(cache, set(keys))
    # Relative to the primary bundle; written after the shards, and never cached: it
    # lists every shard, folds the queries for all records, and names the records
    # each shard was made from (``keys``, for the next update in place).
    shards = [f"../{SHARDS}/{n}/" for n in range(2, len(keys) + 1)]
    (root / BUNDLE / FOLD).write_text(
        json.dumps({**_fold(present), "shards": shards, "keys": keys}, ensure_ascii=False), encoding="utf-8")


def _kept(cache: Path | None) -> int:
    """How many shards ``cache`` holds."""
    try:
        return sum(1 for _ in cache.iterdir()) if cache is not None else 0
    except OSError:
        return 0


@contextmanager
def warm_indexer(cache: Path | None, started: Indexer | None = None) -> Iterator[Indexer | None]:
    """An indexer for a first build's first shard (None when ``cache``, the folder
    of kept shards, holds any: the build will not index from scratch), made to load
    its Chinese dictionary while the articles are prepared: ``started``, one started
    before the program was imported (``indexer.prestart``), or one started now.  The
    load (0.2–0.25 s of CPU, at its first Chinese record) had been a third of a
    five-article build's wait for the index after the last page.  Ended on leaving,
    if unused, and so is an unused ``started``."""
    service = started
    if _kept(cache):
        service = None
        if started is not None:
            started.close(kill=True)
    elif service is None:
        try:
            service = Indexer.start(executable())
        except OutputError:
            pass  # raised again if the index is to be made
        else:
            service.warm_up()
    try:
        yield service
    finally:
        if service is not None:
            service.close(kill=True)


class _Early:
    """The indexer of the shard being gathered, when ``on``: started with the shard's
    first article (or the ``warmed`` one, for the first shard) and sent each
    record as ``_chunks`` adds it."""

    def __init__(self, on: bool, warmed: Indexer | None = None) -> None:
        self.on = on
        self._service: Indexer | None = warmed if on else None

    def add(self, record: SearchRecord, html: str) -> None:
        if not self.on:
            return
        if self._service is None:
            try:
                self._service = Indexer.start(executable())
            except OutputError:
                # Raised again if the shard turns out to need indexing; a shard taken
                # from the cache needs no indexer at all.
                self.on = False
                return
        self._service.add_html(record.url, html)

    def take(self) -> Indexer | None:
        """The indexer of the shard just completed (None if none was started)."""
        service, self._service = self._service, None
        return service

    def close(self) -> None:
        if self._service is not None:
            self._service.close(kill=True)
            self._service = None


def _chunks(records: Iterable[SearchRecord], budget: int,
            added: Callable[[SearchRecord, str], None] = lambda record, html: None) -> Iterator[list[SearchRecord]]:
    """``records`` in shards whose input (``record_html``, in UTF-8) is at most
    ``budget`` bytes, a record larger than that alone; one empty list if there are
    none (an empty index still answers the search page).  ``added`` is called with
    each record and its document as it joins a shard, before the shard is given.

    A shard ends after a record chosen by its address, once the shard holds half
    of ``budget``: the ends do not move when articles come or go, so an edit changes
    its own shard only (unless it adds or removes an article, or moves the shard's
    half past a chosen record: a chance of its change in size over a quarter of the
    budget).  Cut wherever the budget is full, an added article shifted every later
    shard, and all were indexed again.  A record is chosen with a chance of four
    times its size over ``budget``, so a shard ends some ``budget / 4`` bytes past the
    half on average, whatever the size of the articles."""
    chunk: list[SearchRecord] = []
    held = 0
    made = False
    for record in records:
        html = record_html(record)
        size = len(html.encode("utf-8"))
        if chunk and held + size > budget:
            yield chunk
            chunk, held, made = [], 0, True
        chunk.append(record)
        held += size
        added(record, html)
        if 2 * held >= budget and _ends_shard(record.url, size, budget):
            yield chunk
            chunk, held, made = [], 0, True
    if chunk or not made:
        yield chunk


def _ends_shard(address: str, size: int, budget: int) -> bool:
    """Whether the record at ``address`` ends a shard that holds half of ``budget``:
    with a chance of ``4 * size / budget``, the same for the same address and size."""
    return int(hashlib.sha256(address.encode("utf-8")).hexdigest()[:8], 16) * budget < (4 * size) << 32


def _shard_keys(root: Path) -> list[str]:
    """The keys of the shards in a site, as its fold table names them ([] if none)."""
    try:
        keys = json.loads((root / BUNDLE / FOLD).read_text(encoding="utf-8")).get("keys", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [k for k in keys if isinstance(k, str)]


def shard_key(records: list[SearchRecord], shard_bytes: int) -> str:
    # The records and the indexer decide a shard, and so does the code that hands
    # them over (its settings): the kept shards live in the cache of the stage version.
    digest = hashlib.sha256(f"{_indexer_version()}\0{source_version('search')}\0{shard_bytes}\0".encode())
    for r in records:
        digest.update(json.dumps(_plain(r), ensure_ascii=False, sort_keys=True).encode() + b"\0")
    return digest.hexdigest()[:32]


def _indexer_version() -> str:
    try:
        return importlib.metadata.version("pagefind-bin-extended")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _keep(bundle: Path, kept: Path) -> None:
    """Copy a shard just made into the cache; a cache that cannot be written only
    makes the next build slower."""
    staging = None
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".shard-", dir=kept.parent))
        shutil.copytree(bundle, staging / "bundle", copy_function=link_or_copy)
        os.rename(staging / "bundle", kept)
    except OSError:
        pass
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def link_or_copy(source: str, target: str) -> None:
    """A kept file (here a shard's) shared with the site as a hard link where both are on one
    file system (a copy elsewhere): a warm build of 100 articles spent 0.6 s copying
    the index.  Sharing is safe because no file of an index is ever written in place:
    a changed shard is removed and made anew, and the fold table, rewritten on every
    build, is never kept."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _forget(cache: Path, keys: set[str]) -> None:
    """Drop the kept shards this index does not use: only the last index's can be
    reused by the next build (most of them, after an edit)."""
    try:
        for stale in cache.iterdir():
            if stale.name not in keys:
                shutil.rmtree(stale, ignore_errors=True)
    except OSError:
        pass


def _write_bundle(records: list[SearchRecord], bundle: Path, service: Indexer | None = None) -> None:
    """Index ``records`` into ``bundle``; ``service``: an indexer already sent the
    records (``_Early``), which only needs telling where to write."""
    if service is None:
        service = Indexer.start(executable())
        for record in records:
            service.add_html(record.url, record_html(record))
    service.send({"type": "WriteFiles", "index_id": 0, "output_path": str(bundle)})
    answers = service.finish(lambda: _entry_complete(bundle))
    indexed = sum(1 for a in answers if a.get("type") == "IndexedFile" and a.get("page_url") != WARM_UP)
    if indexed != len(records) or not (bundle / "pagefind.js").is_file():
        raise OutputError(Problem(bundle, None, f"the search index is incomplete ({indexed} of {len(records)} "
                                  "articles indexed)", FIX))
    for name in UNUSED:
        (bundle / name).unlink(missing_ok=True)


def _entry_complete(bundle: Path) -> bool:
    try:
        return isinstance(json.loads((bundle / "pagefind-entry.json").read_bytes()), dict)
    except (OSError, ValueError):
        return False
