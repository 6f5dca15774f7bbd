"""Editions: every published build names the state of the archive it shows.

An edition id is ``YYYY-MM-DD.<hash>``: the build date, and the first 7 hex digits of
a SHA-256 over every content file (path and bytes).  Two builds of the same content on
the same day share an id; any change to a capture, its metadata, corrections or anchor
registry gives a new one, so "¶12 as of edition X" names exactly one text.

The date honours ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention), so a
build can be repeated byte for byte.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path


def content_hash(content_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(content_dir).rglob("*") if p.is_file()):
        rel = path.relative_to(content_dir).as_posix()
        if rel.endswith("anchors.yaml"):
            # The registry is an output of the build as well as an input; hashing it
            # would give the first build after a content change a different id
            # from the second.  The texts it fingerprints are hashed already.
            continue
        digest.update(rel.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:7]


def build_date(environ: dict[str, str] | None = None) -> dt.date:
    environ = dict(os.environ) if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
    return dt.datetime.now(tz=dt.timezone.utc).date()


def edition_id(content_dir: Path, date: dt.date) -> str:
    return f"{date.isoformat()}.{content_hash(content_dir)}"
