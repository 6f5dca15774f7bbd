"""The small typed objects the pipeline passes from stage to stage.

Stages never mutate these: each returns new objects (``dataclasses.replace``), so a
stage can be tested alone and the order of stages is visible in ``build.py``.

Every class has ``__slots__``: an archive holds hundreds of thousands of ``Line``,
``Change`` and ``Paragraph`` objects, and a per-instance ``__dict__`` was most of the
memory of a 10,000-article build.
"""
from __future__ import annotations

import functools
import os
import pickle
import sys
import tempfile
import weakref
import zlib
from dataclasses import dataclass, field, fields, replace
from operator import attrgetter
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Callable, Iterable, Iterator, Literal, Mapping, Sequence, TypeVar, overload

from .errors import OutputError, Problem

if TYPE_CHECKING:
    from .pool import Mapper

T = TypeVar("T")
X = TypeVar("X")

Lang = Literal["zh-Hant", "zh-Hans", "en"]
ParagraphKind = Literal["p", "heading", "caption", "lede"]


def constructed_on_load(cls: type[T]) -> type[T]:
    """Pickle ``cls`` as a call of its constructor with its fields.  The cache holds
    hundreds of these per article, and a slots dataclass is otherwise unpickled by
    a Python ``__setstate__`` per object: 2.6 times slower, and a larger pickle."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    get = attrgetter(*names)

    def __reduce__(self: T) -> tuple[type[T], tuple[object, ...]]:
        values = get(self)
        return cls, values if len(names) > 1 else (values,)
    cls.__reduce__ = __reduce__  # type: ignore[assignment, method-assign]
    return cls


@dataclass(frozen=True, slots=True)
class Streamed:
    """The bytes of a site file too large to hold at once, made a piece at a time as
    the writer asks for them: ``data/archive.jsonl`` is some 400 MB at 10,000
    articles, and building it whole held it twice over beside the archive."""

    pieces: Callable[[], Iterator[bytes]]  # a new iterator of the file's pieces on each call


# ---------------------------------------------------------------------------
# Configuration and metadata (validated by site_src.schema)
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Editor:
    name: str
    role: str = ""


@dataclass(frozen=True, slots=True)
class RelatedConfig:
    """How computed related passages are chosen (``site.yaml`` → ``related``)."""

    per_row: int = 3
    min_score: float = 2.0


@dataclass(frozen=True, slots=True)
class SiteConfig:
    title: str
    subtitle: str
    description: str
    base_url: str
    editors: tuple[Editor, ...]
    contact: str
    language: str = "zh-Hant"
    related: RelatedConfig = RelatedConfig()


@dataclass(frozen=True, slots=True)
class Speaker:
    """A person or outlet that speaks in an interview; ``labels`` are the prefixes
    (``問``, ``EO``, ``KFL`` …) that introduce a turn in either language."""

    id: str
    name_zh: str
    name_en: str
    role: Literal["interviewer", "interviewee"]
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Relation:
    kind: Literal["translation_of", "same_source_as", "refers_to", "english_text_from"]
    slug: str
    note: str = ""
    line: int = 0  # of the entry in article.yaml, for messages about it


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    slug: str
    title_zh: str
    title_en: str
    outlet_zh: str
    outlet_en: str
    byline: str
    date: str  # ISO date, possibly partial: 2025-03 or 2025-03-20
    date_note: str
    url: str
    kind: Literal["interview", "op-ed", "report"]
    languages: tuple[Lang, ...]
    summary: str
    source_note: str
    speakers: tuple[Speaker, ...]
    relations: tuple[Relation, ...]
    english_original: str  # who published the English text (for credits), "" if none

    def related(self, kind: str) -> tuple[str, ...]:
        return tuple(r.slug for r in self.relations if r.kind == kind)


@dataclass(frozen=True, slots=True)
class AlignmentOverride:
    """An editor's instruction to the aligner (``alignment.yaml``).

    ``pair``: the named paragraphs form one row; ``alone``: the named paragraph gets a
    row of its own.  Paragraphs are named by anchor: ``p12-zh``, ``p12-en``, and
    ``p12-en-2`` for the second English paragraph of row p12."""

    kind: Literal["pair", "alone"]
    refs: tuple[str, ...]
    why: str
    line: int  # of this entry in alignment.yaml


@constructed_on_load
@dataclass(frozen=True, slots=True)
class Notice:
    """Something the build did not stop for but an editor should see (printed by build.py)."""

    path: Path | str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class Correction:
    """An editor's fix for what the cleaner cannot repair (``corrections.yaml``)."""

    find: str
    replace: str
    why: str
    line: int  # line of this entry in corrections.yaml, for error messages


# ---------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------
@constructed_on_load
@dataclass(frozen=True, slots=True)
class Change:
    """One logged edit: which rule changed what, where in ``source.txt``."""

    rule: str
    line: int  # 1-based line of source.txt
    before: str
    after: str
    note: str = ""


@constructed_on_load
@dataclass(frozen=True, slots=True)
class Flag:
    """A spot the cleaner could not repair; shown on the page and in the log."""

    rule: str
    line: int
    text: str
    message: str
    resolved: bool = False  # an editor's correction has since replaced the damaged text


@constructed_on_load
@dataclass(frozen=True, slots=True)
class Line:
    """A kept line of the capture after cleaning, with its origin in source.txt."""

    number: int  # 1-based line in source.txt
    text: str


@constructed_on_load
@dataclass(frozen=True, slots=True)
class Cut:
    """A block of source lines removed as scrape junk (logged, never silent)."""

    rule: str
    first: int
    last: int
    preview: str


@constructed_on_load
@dataclass(frozen=True, slots=True)
class CleanResult:
    lines: tuple[Line, ...]
    # A tuple, or after prepare (with a cache) cache.Spilled: the log read back from
    # the article's cache entry when a page lists it, so it is not all held in memory.
    changes: Sequence[Change]
    cuts: tuple[Cut, ...]
    flags: tuple[Flag, ...]
    lifted: dict[str, str] = field(default_factory=dict)  # metadata lifted out of the body


# ---------------------------------------------------------------------------
# Segmentation and alignment
# ---------------------------------------------------------------------------
@constructed_on_load
@dataclass(frozen=True, slots=True)
class Paragraph:
    lang: Lang
    text: str  # the paragraph without its speaker label
    kind: ParagraphKind = "p"
    speaker: str | None = None  # Speaker.id
    label: str | None = None  # the label as written (問, KFL, …)
    line: int = 0  # source line (of the article that carries it)
    origin: str = ""  # slug of the article whose capture holds this paragraph


@constructed_on_load
@dataclass(frozen=True, slots=True)
class AlignedRow:
    zh: tuple[Paragraph, ...]
    en: tuple[Paragraph, ...]
    confidence: float
    reason: str
    anchor: str = ""  # set by site_src.anchors

    @property
    def pattern(self) -> str:
        return f"{len(self.zh)}-{len(self.en)}"

    @property
    def speaker(self) -> str | None:
        for p in self.zh + self.en:
            if p.speaker:
                return p.speaker
        return None


# ---------------------------------------------------------------------------
# The editorial layer: notes, glossary, cross-links (site_src.annotate)
# ---------------------------------------------------------------------------
NoteKind = Literal["note", "translation", "correction", "sic", "context"]


@constructed_on_load
@dataclass(frozen=True, slots=True)
class Note:
    """An editor's note on a row or one language side of it (``notes.md``)."""

    anchor: str  # the row, p12
    side: str  # "" for the whole row, "zh" or "en"
    kind: NoteKind
    markdown: str
    html: str  # rendered and sanitised
    line: int  # of its heading in notes.md
    number: int = 0  # 1, 2, … in page order, set by site_src.annotate


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    kind: Literal["person", "company", "organisation", "model", "product", "term"]
    name_en: str
    name_hant: str
    name_hans: str
    aliases_en: tuple[str, ...]
    aliases_zh: tuple[str, ...]
    description: str
    links: tuple[tuple[str, str], ...]  # (title, url)
    line: int


@constructed_on_load
@dataclass(frozen=True, slots=True)
class Mention:
    """Where an entity is named: the first mention per row and side."""

    entity: str
    anchor: str
    side: Literal["zh", "en"]
    paragraph: int  # index of the paragraph within the row's side
    start: int
    end: int
    text: str  # as written in the paragraph


@constructed_on_load
@dataclass(frozen=True, slots=True)
class Passage:
    slug: str
    anchor: str
    side: str  # "" (whole row), "zh" or "en"


@dataclass(frozen=True, slots=True)
class CrossLink:
    """Passages in different articles that make the same claim (``links.yaml``)."""

    id: str
    claim: str
    passages: tuple[Passage, ...]
    line: int


@constructed_on_load
@dataclass(frozen=True, slots=True)
class Related:
    """A computed pointer from a row to a passage elsewhere sharing entities or figures."""

    anchor: str  # the row it belongs to
    target: Passage
    score: float
    shared: tuple[str, ...]  # entity ids and figures both passages name


# ---------------------------------------------------------------------------
# Anchor registry (see site_src.anchors for how rows are matched to it)
# ---------------------------------------------------------------------------
@constructed_on_load
@dataclass(frozen=True, slots=True)
class Fingerprint:
    hash: str
    head: str
    tail: str
    length: int


@constructed_on_load
@dataclass(frozen=True, slots=True)
class Alias:
    """A published anchor that no longer has a row of its own, and where it now leads.

    ``merged``: its text now lives inside the row ``target``;
    ``removed``: its text is gone, ``target`` is the row that stood before it."""

    anchor: str
    target: str
    kind: Literal["merged", "removed"]


@dataclass(frozen=True, slots=True)
class Entry:
    anchor: str
    sides: dict[str, Fingerprint]
    prev: str = ""  # the row before it when it was last published ("" = first row)
    alias: Alias | None = None  # set once the anchor has no row of its own

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return interned_entry, (self.anchor, self.sides, self.prev, self.alias)


def interned_entry(anchor: str, sides: dict[str, Fingerprint], prev: str, alias: Alias | None) -> Entry:
    """An entry read back from the cache, its names interned as ``parse_registry``
    interns them: "p12", "zh" and "en" recur in every registry of the archive."""
    return Entry(sys.intern(anchor), {sys.intern(s): f for s, f in sides.items()}, sys.intern(prev), alias)


@constructed_on_load
@dataclass(frozen=True, slots=True)
class AnchorRegistry:
    next: int
    entries: tuple[Entry, ...]

    def anchors(self) -> set[str]:
        return {e.anchor for e in self.entries}


@dataclass(frozen=True, slots=True)
class PackedRegistry:
    """An article's registry as loaded, kept pickled until the two stages that read it
    (overrides and anchors) unpack it.  Parsed, a registry of the synthetic archive
    takes some 35 KB; pickled, 14 KB (it unpacks in 0.2 ms).  Every article's is held
    from load to the anchor stage, so at 10,000 articles that is 200 MB less at a cold
    build's peak.  Its pickle is the cache's entry for the registry, byte for byte."""

    data: bytes

    @classmethod
    def of(cls, registry: AnchorRegistry) -> PackedRegistry:
        return cls(pickle.dumps(registry, protocol=pickle.HIGHEST_PROTOCOL))

    def unpack(self) -> AnchorRegistry:
        return pickle.loads(self.data)  # type: ignore[no-any-return]


NO_REGISTRY = PackedRegistry.of(AnchorRegistry(1, ()))  # an article without one, or past the anchor stage


@dataclass(frozen=True, slots=True)
class Anchoring:
    """What assigning anchors leaves of an article's registry.  The parsed registries
    themselves are let go: at 50 KB an article (the benchmark's synthetic archive;
    12 KB of YAML) they were two thirds of the archive in memory, and past the anchor
    stage they are needed only to be written."""

    # The registry to write, its YAML compressed (``of``); b"" when the file is already
    # so.  Held as str until written, a first build's registries were 190 MB of the
    # process at 10,000 articles (60 MB compressed).
    packed_text: bytes = b""
    changes: tuple[str, ...] = ()  # the changelog's lines for it (edition.registry_changes)
    minted: tuple[str, ...] = ()  # anchors published for the first time by this build
    lost: tuple[str, ...] = ()  # registered anchors that lead to no row (build.py check fails)

    @classmethod
    def of(cls, text: str, changes: tuple[str, ...], minted: tuple[str, ...], lost: tuple[str, ...]) -> Anchoring:
        return cls(zlib.compress(text.encode("utf-8"), 1) if text else b"", changes, minted, lost)

    @property
    def text(self) -> str:
        return zlib.decompress(self.packed_text).decode("utf-8") if self.packed_text else ""


# ---------------------------------------------------------------------------
# The article as it moves through the pipeline
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Source:
    path: Path
    # None as loaded (at 10,000 articles the captures are 460 MB): capture.capture reads
    # the file again for cleaning and for the pages that show it.  Set only on an
    # article made in memory.
    text: str | None
    sha256: str
    raw: bytes = b""  # the file's bytes where they are not the text's UTF-8 (a GB18030 capture, published as it came)


@dataclass(frozen=True, slots=True)
class Article:
    meta: ArticleMeta
    source: Source
    folder: Path
    corrections: tuple[Correction, ...] = ()
    corrections_path: Path | None = None
    anchors_path: Path | None = None
    # The registry as loaded: what overrides and anchors read.  Let go once anchors
    # are assigned (``anchoring`` keeps what the later stages need of it).
    registry: PackedRegistry = NO_REGISTRY
    anchoring: Anchoring | None = None  # set by anchors.assign_article
    aliases: tuple[Alias, ...] = ()  # old anchors of this article that lead elsewhere
    overrides: tuple[AlignmentOverride, ...] = ()
    overrides_path: Path | None = None
    warnings: tuple[Notice, ...] = ()
    notes_path: Path | None = None
    notes: tuple[Note, ...] = ()
    mentions: tuple[Mention, ...] = ()
    related: tuple[Related, ...] = ()
    clean: CleanResult | None = None
    paragraphs: tuple[Paragraph, ...] = ()
    rows: tuple[AlignedRow, ...] = ()

    @property
    def slug(self) -> str:
        return self.meta.slug

    @property
    def zh(self) -> tuple[Paragraph, ...]:
        return tuple(p for p in self.paragraphs if p.lang != "en")

    @property
    def en(self) -> tuple[Paragraph, ...]:
        return tuple(p for p in self.paragraphs if p.lang == "en")


# The parts kept packed (``Packed``) and the fields each holds: what an article's own
# pages, the stages that read its rows and the archive-wide passes over every
# article's rows read.  "text" is the paragraphs and the rows in one pickle: the rows
# hold the paragraphs' objects.
PACKED_FIELDS = {"clean": ("clean",), "text": ("paragraphs", "rows"), "mentions": ("mentions",),
                 "related": ("related",), "notes": ("notes",)}
PACKED_PARTS = tuple(PACKED_FIELDS)
_EMPTY = MappingProxyType({"clean": None, "paragraphs": (), "rows": (), "mentions": (), "related": (), "notes": ()})
_SHELL_FIELDS = tuple(f.name for f in fields(Article) if f.name not in _EMPTY)  # what Packed.shell holds


def light(article: Article) -> Article:
    """The article without what only its own pages read: what the pages of other
    articles read of it (its metadata and where it lives)."""
    return replace(article, **_EMPTY, aliases=(), corrections=(), overrides=(), warnings=(),  # type: ignore[arg-type]
                   anchoring=None, registry=NO_REGISTRY)


class Store:
    """A temporary file of packed articles' parts (``spill``), read a part at a time
    when asked for: from the last stage to the last page, the parts of a 10,000-
    article archive were 160 MB of the main process.  The file goes once nothing
    refers to the store (the articles whose parts it holds are dropped)."""

    __slots__ = ("_file", "_end", "__weakref__")

    def __init__(self, file: IO[bytes]) -> None:
        self._file, self._end = file, 0
        weakref.finalize(self, file.close)

    def put(self, parts: Sequence[bytes]) -> StoredParts:
        # Appended: reads (pread) leave the file's position at its end.
        for data in parts:
            self._file.write(data)
        self._file.flush()
        stored = StoredParts(self, self._end, tuple(map(len, parts)))
        self._end += sum(stored.lengths)
        return stored

    def read(self, offset: int, length: int) -> bytes:
        # pread: the file's position is left alone, so threads may read at once.
        return os.pread(self._file.fileno(), length, offset) if length else b""


class StoredParts(Sequence[bytes]):
    """A packed article's parts as a ``Store`` holds them, one after the other from
    ``offset``: each read when asked for.  Pickled (for a worker, or the cache), they
    are the bytes themselves."""

    __slots__ = ("store", "offset", "lengths")

    def __init__(self, store: Store, offset: int, lengths: tuple[int, ...]) -> None:
        self.store, self.offset, self.lengths = store, offset, lengths

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> bytes:  # type: ignore[override]  # no slices: nothing asks for them
        i = range(len(self.lengths))[i]  # a negative index counts from the end, as in a tuple
        start = self.offset + sum(self.lengths[:i])
        return self.store.read(start, self.lengths[i])

    def __iter__(self) -> Iterator[bytes]:
        data, at = self.store.read(self.offset, sum(self.lengths)), 0  # one read for all
        for length in self.lengths:
            yield data[at:at + length]
            at += length

    def __eq__(self, other: object) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, Sequence) else NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __reduce__(self) -> tuple[type[tuple[bytes, ...]], tuple[tuple[bytes, ...]]]:
        return tuple, (tuple(self),)

    def __repr__(self) -> str:
        return f"StoredParts({self.offset}, {self.lengths})"


@dataclass(frozen=True, slots=True)
class Spilled:
    """What ``spill`` wrote: the archive pickled, and the store of its parts."""

    file: IO[bytes]
    store: Store


class _StoringPickler(pickle.Pickler):
    # Stored parts are pickled as where they are in the store, not as their bytes.
    def persistent_id(self, obj: object) -> tuple[int, tuple[int, ...]] | None:
        return (obj.offset, obj.lengths) if isinstance(obj, StoredParts) else None


class _StoringUnpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], store: Store) -> None:
        super().__init__(file)
        self.store = store

    def persistent_load(self, pid: tuple[int, tuple[int, ...]]) -> StoredParts:
        return StoredParts(self.store, *pid)


# The files ``spill`` writes into a folder: the archive pickled, the articles' parts.
SPILL_FILES = ("archive.pickle", "parts")


def spill(archive: Archive, folder: Path | None = None) -> Spilled:
    """``archive`` written to anonymous temporary files, to be read back with
    ``unspill`` once the caller has dropped it: a compact copy of what it holds, its
    articles' parts left in a ``Store``.  With ``folder``, to files there (``SPILL_FILES``)
    that another process opens (``reopen``).

    Each stage leaves the articles it packed spread over a heap it mostly freed: a
    packed article's small objects sit among the freed ones of the article unpacked
    before it, and a block of Python's allocator goes back to the system only once
    every object in it is gone.  After the stages of a cold 3,000-article build the
    process was 232 MB; with the archive dropped, 111 MB; read back, 154 MB (0.3 s).
    Through a file, not bytes in memory: at 10,000 articles the pickle, the archive
    and the copy were together over 900 MB."""
    spilled: list[IO[bytes]] = []
    try:
        store = Store(_temporary(spilled, folder, SPILL_FILES[1]))
        articles = Articles(replace(p, parts=store.put(p.parts)) for p in archive.articles.packed)
        file = _temporary(spilled, folder, SPILL_FILES[0])
        _StoringPickler(file, protocol=pickle.HIGHEST_PROTOCOL).dump(replace(archive, articles=articles))
        file.flush()
    except BaseException as exc:
        for made in spilled:
            made.close()
        if isinstance(exc, OSError):
            raise OutputError(Problem(folder or Path(tempfile.gettempdir()), None,
                                      f"could not write a temporary file: {exc.strerror or exc}",
                                      "free some space there, or point TMPDIR at a folder with room")) from None
        raise
    return Spilled(file, store)


def _temporary(made: list[IO[bytes]], folder: Path | None, name: str) -> IO[bytes]:
    file = tempfile.TemporaryFile() if folder is None else open(folder / name, "w+b")
    made.append(file)
    return file


def reopen(folder: Path) -> Spilled:
    """What ``spill`` wrote into ``folder``: the folder may go once this returns
    (the files stay readable while open)."""
    file = open(folder / SPILL_FILES[0], "rb")
    try:
        return Spilled(file, Store(open(folder / SPILL_FILES[1], "rb")))
    except BaseException:
        file.close()
        raise


def unspill(spilled: Spilled) -> Archive:
    """The archive ``spill`` wrote (its pickle is closed, and so gone; the store stays
    as long as the archive's articles do)."""
    with spilled.file as file:
        file.seek(0)
        return _StoringUnpickler(file, spilled.store).load()  # type: ignore[no-any-return]


def _dumps(value: object) -> bytes:
    return zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _loads(data: bytes) -> object:
    return pickle.loads(zlib.decompress(data))


@dataclass(frozen=True, slots=True)
class Packed:
    """An article as the archive holds it between stages: its rows, paragraphs,
    mentions, related passages, notes and cleaning result pickled and compressed,
    the rest as objects.  Held as objects, every article's were most of a 10,000-
    article build's memory: 486 cached articles of the synthetic archive, read and
    kept, took 138 KB of the process each, packed 16 KB.  A stage unpacks one
    article at a time, and what it makes is packed before the next is unpacked."""

    shell: Article  # the article without the packed fields (and with everything else)
    # One per PACKED_PARTS, compressed pickles; b"" for an empty one.  In memory, or
    # once the archive is spilled, in a file (``StoredParts``).
    parts: Sequence[bytes]
    # What archive-wide steps ask of every article, answered without unpacking it.
    row_count: int
    english: bool  # it has English paragraphs of its own
    bilingual: bool  # a row holds both languages

    @classmethod
    def of(cls, article: Article, like: tuple[Packed, Article] | None = None) -> Packed:
        """``article`` packed; ``like``: a packed article and what it unpacked to, whose
        parts ``article`` still holds (the very objects) are not pickled again."""
        parts = []
        for i, names in enumerate(PACKED_FIELDS.values()):
            values = tuple(getattr(article, name) for name in names)
            if like and all(value is getattr(like[1], name) for value, name in zip(values, names)):
                parts.append(like[0].parts[i])
            else:
                parts.append(_dumps(values if len(values) > 1 else values[0]) if any(values) else b"")
        return cls(replace(article, **_EMPTY), tuple(parts), len(article.rows),  # type: ignore[arg-type]
                   any(p.lang == "en" for p in article.paragraphs), any(r.zh and r.en for r in article.rows))

    def unpack(self, *names: str) -> Article:
        """The whole article; with ``names`` (of PACKED_PARTS), only those parts, the
        others left empty: for a step that reads only them."""
        values: dict[str, object] = {}
        parts = self.parts if names else tuple(self.parts)  # a stored part is read only if wanted; all at once
        for i, (name, held) in enumerate(PACKED_FIELDS.items()):
            data = parts[i] if not names or name in names else b""
            if data:
                loaded = _loads(data)
                values.update(zip(held, loaded if len(held) > 1 else (loaded,)))  # type: ignore[arg-type]
        return replace(self.shell, **values) if values else self.shell  # type: ignore[arg-type]

    def part(self, name: str) -> object:
        """One of PACKED_PARTS alone, unpacked: None or () when empty."""
        data = self.parts[PACKED_PARTS.index(name)]
        return _loads(data) if data else None

    @property
    def slug(self) -> str:
        return self.shell.slug

    def with_related(self, related: tuple[Related, ...]) -> Packed:
        """The article with these related passages (annotate's last step), its other
        parts as they are."""
        parts = list(self.parts)
        parts[PACKED_PARTS.index("related")] = _dumps(related) if related else b""
        return replace(self, parts=tuple(parts))


class Articles(Sequence[Article]):
    """The archive's articles, kept packed (``Packed``) and unpacked one at a time as
    they are read: iterating gives whole articles, each made when its turn comes and
    free to be dropped after.  ``shells`` and ``packed`` read them without unpacking."""

    __slots__ = ("packed", "_index")

    def __init__(self, articles: Iterable[Article | Packed] = ()) -> None:
        self.packed: tuple[Packed, ...] = tuple(a if isinstance(a, Packed) else Packed.of(a) for a in articles)
        self._index = {p.slug: i for i, p in enumerate(self.packed)}

    def __len__(self) -> int:
        return len(self.packed)

    @overload
    def __getitem__(self, i: int) -> Article: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Article, ...]: ...

    def __getitem__(self, i: int | slice) -> Article | tuple[Article, ...]:
        if isinstance(i, slice):
            return tuple(p.unpack() for p in self.packed[i])
        return self.packed[i].unpack()

    def __iter__(self) -> Iterator[Article]:
        return (p.unpack() for p in self.packed)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type[Articles], tuple[tuple[Packed, ...]]]:
        return Articles, (self.packed,)

    def __repr__(self) -> str:
        return f"Articles({', '.join(self._index)})"

    def shells(self) -> Iterator[Article]:
        """Each article without its packed parts (``Packed.shell``): metadata, paths,
        registry and anchoring."""
        return (p.shell for p in self.packed)

    def find(self, slug: str) -> Packed | None:
        i = self._index.get(slug)
        return None if i is None else self.packed[i]

    def among(self, slugs: Iterable[str]) -> list[Packed]:
        """The articles of these slugs that are here, in the archive's order: a few
        articles picked without reading the other 10,000 (serve's rebuilds)."""
        return [self.packed[i] for i in sorted({i for i in map(self._index.get, slugs) if i is not None})]

    def replacing(self, new: Mapping[str, Article | Packed]) -> Articles:
        """These articles in place of those of the same slugs, the order as it is.
        Made from a copy of the tuple, the index shared: at 10,000 articles building
        them anew took serve's rebuild some 10 ms each time."""
        packed = list(self.packed)
        for slug, article in new.items():
            packed[self._index[slug]] = article if isinstance(article, Packed) else Packed.of(article)
        out = Articles.__new__(Articles)
        out.packed, out._index = tuple(packed), self._index  # never changed once made
        return out

    def map(self, stage: Callable[[Article], Article], map_: Mapper = map) -> Articles:
        """``stage`` over every article, one unpacked at a time; the parts it leaves as
        they were are not packed again.  ``map_``: see ``staged``."""
        return Articles(p for p, _ in self.staged(functools.partial(_alone, stage), map_))

    def staged(self, stage: Callable[[Article], tuple[Article, X]], map_: Mapper = map) -> Iterator[tuple[Packed, X]]:
        """``stage`` over every article, as ``map``, where it also gives something
        else for each (annotate: the article's problems): each article it made, packed,
        and that thing, in order, as they are made.  ``map_``: a map keeping the
        order, which may be a pool's (``pool.mapper``; ``stage`` is then
        module-level): each article goes to a worker packed and comes back as what
        ``stage`` changed of it (``_Change``), the rest kept from this process's
        copy: a second copy of every article's metadata and of its unchanged parts,
        as whole answers bring, took the stages' process of ``build.py check`` at
        10,000 articles from 739 to 894 MB."""
        for p, (change, extra) in zip(self.packed, map_(functools.partial(_restaged, stage), self.packed)):
            yield change.applied(p), extra


def _alone(stage: Callable[[Article], Article], article: Article) -> tuple[Article, None]:
    return stage(article), None


@dataclass(frozen=True, slots=True)
class _Change:
    """What a stage changed of a packed article (``_restaged``)."""

    fields: dict[str, object]  # the shell's fields it replaced
    parts: tuple[bytes | None, ...]  # None: as it was
    row_count: int
    english: bool
    bilingual: bool

    def applied(self, packed: Packed) -> Packed:
        return Packed(replace(packed.shell, **self.fields) if self.fields else packed.shell,  # type: ignore[arg-type]
                      tuple(old if new is None else new for new, old in zip(self.parts, packed.parts)),
                      self.row_count, self.english, self.bilingual)


def _restaged(stage: Callable[[Article], tuple[Article, X]], packed: Packed) -> tuple[_Change, X]:
    """``stage`` on the unpacked article, and what it changed: the fields it replaced
    and the parts it made anew (``Packed.of`` keeps the others' bytes)."""
    article = packed.unpack()
    done, extra = stage(article)
    changed = Packed.of(done, (packed, article))
    replaced = {name: getattr(done, name) for name in _SHELL_FIELDS if getattr(done, name) is not getattr(article, name)}
    return _Change(replaced, tuple(None if part is old else part for part, old in zip(changed.parts, packed.parts)),
                   changed.row_count, changed.english, changed.bilingual), extra


@dataclass(frozen=True, slots=True)
class Archive:
    site: SiteConfig
    # Given as any sequence of articles; kept as ``Articles`` (packed, see ``Packed``).
    articles: Articles  # type: ignore[assignment]
    content_dir: Path
    edition: str = ""  # "YYYY-MM-DD.<hash>": build date and a short hash of the content
    glossary: tuple[Entity, ...] = ()
    links: tuple[CrossLink, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.articles, Articles):
            object.__setattr__(self, "articles", Articles(self.articles))

    def get(self, slug: str) -> Article:
        """The whole article (unpacked: hold on to it rather than ask again)."""
        found = self.articles.find(slug)
        if found is None:
            raise KeyError(slug)
        return found.unpack()

    def shell(self, slug: str) -> Article:
        """The article without its packed parts: its metadata, for a link to it."""
        found = self.articles.find(slug)
        if found is None:
            raise KeyError(slug)
        return found.shell

    def has(self, slug: str) -> bool:
        return self.articles.find(slug) is not None
