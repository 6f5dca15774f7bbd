"""Stage 7 — write: put the rendered site in place atomically (the output end of the I/O).

A failed build must never leave a half-written site where the last good one was, so
the whole site is written into a sibling temporary folder first and swapped in with
two renames.  A marker file identifies folders duizhao owns: an ``--out`` that points
at anything else (say, ``content/`` by mistake) is refused rather than replaced.

Anchor registries are written only after the site is in place: a build that fails
must not record anchors that were never published.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Mapping

from .anchors import dump_registry
from .edition import changelog, registry_changes
from .errors import OutputError, Problem
from .model import Archive

MARKER = ".duizhao-build"


def write_site(files: Mapping[str, bytes], out: Path) -> None:
    out = Path(out).resolve()
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise OutputError(Problem(out, None, "exists and was not made by duizhao",
                                  "choose an empty or new folder with --out, or delete it yourself"))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    old = None
    try:
        for rel, data in files.items():
            target = staging / _safe_relative(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (staging / MARKER).write_text("Built by duizhao; this folder is replaced on every build.\n")
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rename(out, old / "site")
        os.rename(staging, out)
    except OSError as exc:
        raise OutputError(Problem(out, None, f"could not write the site: {exc.strerror or exc}",
                                  "check permissions and free disk space; the previous site is unchanged")) from None
    finally:
        # Whatever happened, no staging folder is left behind; if the swap itself failed
        # half-way, put the previous site back.
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            if not out.exists() and (old / "site").exists():
                os.rename(old / "site", out)
            shutil.rmtree(old, ignore_errors=True)


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
    for article in archive.articles:
        if article.anchors_path is None:
            continue
        text = dump_registry(article.registry)
        path = article.anchors_path
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        changes[article.slug] = registry_changes(article.published, article.registry)
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
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
