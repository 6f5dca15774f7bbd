"""Editions: every published build names the state of the archive it shows.

An edition id is ``YYYY-MM-DD.<hash>``: the build date, and the first 7 hex digits of
a SHA-256 over every content file's path and the SHA-256 of its bytes (registries and
the changelog aside: see ``names_edition``).  Two builds of the same content on the
same day share an id; any change to a capture, its metadata, corrections, notes or
glossary gives a new one, so "¶12 as of edition X" names exactly one text.

The date honours ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention), so a
build can be repeated byte for byte.

``build.py serve`` shows ``PREVIEW`` in its pages instead: what it serves is not
published, and an id that changes with every saved file would change every page.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .model import AnchorRegistry, Fingerprint


PREVIEW = "preview"


def file_digests(content_dir: Path) -> dict[str, bytes]:
    """content-relative path → SHA-256 of the bytes, for every file the edition names."""
    content_dir = Path(content_dir)
    return {rel: _digest(path) for path in content_dir.rglob("*")
            if (rel := path.relative_to(content_dir).as_posix()) and path.is_file() and names_edition(rel)}


def names_edition(rel: str) -> bool:
    # Registries and the changelog are outputs of the build as well as inputs;
    # hashing them would give the first build after a content change a
    # different id from the second.  The texts they record are hashed already.
    return not (rel.endswith("anchors.yaml") or rel == "CHANGELOG.md")


def edition_of(digests: dict[str, bytes], date: dt.date) -> str:
    """The edition id of content whose files have these digests: a hash of hashes, so
    that serve can keep it up to date by hashing only the files an edit changed."""
    digest = hashlib.sha256()
    for rel in sorted(digests):
        digest.update(rel.encode("utf-8") + b"\0" + digests[rel])
    return f"{date.isoformat()}.{digest.hexdigest()[:7]}"


def _digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


@dataclass
class LiveDigests:
    """The file digests of a content folder as serve keeps them: made once (in the
    background after the first build, or when first needed), then brought up to date
    with the files the watcher reports.  At 10,000 articles hashing every file is
    about 4 s; an edit's files take microseconds."""

    content: Path
    files: dict[str, bytes] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def edition(self, date: dt.date) -> str:
        with self.lock:
            if self.files is None:
                self.files = file_digests(self.content)
            return edition_of(self.files, date)

    def changed(self, paths: Iterable[Path]) -> None:
        with self.lock:
            if self.files is None:
                return  # read in full when first needed, as they are then
            root = self.content.resolve()
            for path in map(Path, paths):
                try:
                    rel = path.resolve().relative_to(root).as_posix()
                except ValueError:
                    continue  # a template, or outside content/
                self.files.pop(rel, None)
                if not path.is_file():
                    # A folder moved or removed in one step is reported as the folder
                    # alone (a saved file, the usual case, skips this walk of them all).
                    for gone in [r for r in self.files if r.startswith(rel + "/")]:
                        del self.files[gone]
                below = path.rglob("*") if path.is_dir() else (path,)
                for file in below:
                    name = file.resolve().relative_to(root).as_posix()
                    if file.is_file() and names_edition(name):
                        try:
                            self.files[name] = _digest(file)
                        except OSError:
                            pass  # gone again since: its own event follows


def build_date(environ: dict[str, str] | None = None) -> dt.date:
    environ = dict(os.environ) if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
    return dt.datetime.now(tz=dt.timezone.utc).date()


def edition_id(content_dir: Path, date: dt.date) -> str:
    return edition_of(file_digests(content_dir), date)


# ---------------------------------------------------------------------------
# The changelog: what each edition changed, paragraph by paragraph
# ---------------------------------------------------------------------------
CHANGELOG_HEADER = """\
# Changelog of the archive's text

Written by `python build.py` whenever an edition changes what an anchor shows: anchors
added, a side's text changed (shown by the start and end of its fingerprint: letters and
digits only), rows merged into others or removed. Newest edition first. With the
edition id from a citation and this file (and the content's git history), "¶ p12 as of
edition X" can be checked.
"""


def registry_changes(old: AnchorRegistry, new: AnchorRegistry) -> list[str]:
    """One Markdown bullet per change between two registries of one article."""
    before = {e.anchor: e for e in old.entries}
    lines = []
    added = [e.anchor for e in new.entries if e.anchor not in before]
    if added:
        lines.append(f"- added {_ranges(added)}")
    for entry in new.entries:
        was = before.get(entry.anchor)
        if was is None:
            continue
        for side, fp in sorted(entry.sides.items()):
            old_fp = was.sides.get(side)
            if old_fp is not None and old_fp.hash != fp.hash:
                lines.append(f"- {entry.anchor} {side} changed: 「{_excerpt(old_fp)}」 → 「{_excerpt(fp)}」")
            elif old_fp is None:
                lines.append(f"- {entry.anchor} {side} added: 「{_excerpt(fp)}」")
        if entry.alias != was.alias:
            if entry.alias is None:
                lines.append(f"- {entry.anchor} has its own row again")
            elif entry.alias.kind == "merged":
                lines.append(f"- {entry.anchor} merged into {entry.alias.target}")
            else:
                lines.append(f"- {entry.anchor} removed; it now leads to {entry.alias.target}, the row before it")
    return lines


def changelog(existing: str, edition: str, changes: dict[str, list[str]]) -> str:
    """The changelog with a section for ``edition`` put first (or ``existing`` unchanged
    when nothing changed)."""
    changes = {slug: lines for slug, lines in changes.items() if lines}
    if not changes:
        return existing
    body = existing[len(CHANGELOG_HEADER):] if existing.startswith(CHANGELOG_HEADER) else existing
    section = [f"\n## Edition {edition}\n"]
    for slug, lines in sorted(changes.items()):
        section.append(f"\n### {slug}\n\n" + "\n".join(lines) + "\n")
    return CHANGELOG_HEADER + "".join(section) + body


def _excerpt(fp: Fingerprint) -> str:
    return fp.head if fp.length <= len(fp.head) else f"{fp.head}…{fp.tail}"


def _ranges(anchors: list[str]) -> str:
    numbers = sorted(int(a[1:]) for a in anchors)
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"p{a}" if a == b else f"p{a}–p{b}" for a, b in spans)
