"""Reading a capture (``source.txt``): at load, to check and hash it, and again where
its text is needed, since a build holds only its hash (``Source``).

A module of its own, apart from ``load``, because the cached stages read captures:
what they import decides the cache's version (``cache.stage_version``), and the rest
of loading (metadata, notes, registries) is no part of what they make.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from .errors import ContentError, Problem
from .model import Source


def capture(source: Source) -> tuple[str, bytes]:
    """A capture's text and bytes: read again from its file (``load_article`` keeps only
    its hash), or as given to an article made in memory.  A file that has changed since
    the build loaded it is refused: its pages would not show the text the rest of the
    build was made from."""
    if source.text is not None:
        return source.text, source.raw or source.text.encode("utf-8")
    text, raw = read_capture(source.path, limit=sys.maxsize)
    if hashlib.sha256(raw).hexdigest() != source.sha256:
        raise ContentError(Problem(source.path, None, "the capture changed while the site was being built",
                                   "build again"))
    return text, raw


def read_capture(path: Path, limit: int) -> tuple[str, bytes]:
    """Read a raw capture, kept byte for byte: UTF-8, or GB18030 as Chinese pages are
    often saved.  Empty and binary files are refused: a capture is text.  So is one
    over ``limit`` bytes, judged by its size on disk before anything is read (see
    ``schema.MAX_CAPTURE_KB`` for why there is a limit at all).  Returns the text and
    the bytes it was decoded from."""
    size = path.stat().st_size
    if size > limit:
        raise ContentError(Problem(
            path, None, f"the capture is {size / 1024:,.0f} KB, over the limit of {limit // 1024:,} KB "
                        "(alignment time grows with the square of its length)",
            "split it into several articles, or raise max_capture_kb in site.yaml if you can wait"))
    data = path.read_bytes()
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise ContentError(Problem(path, line, "the capture is binary (it contains NUL bytes)",
                                   "save the page as text, not as a PDF, image or archive"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ContentError(undecodable(path, data, utf8_error, "UTF-8 or GB18030",
                                            "re-import the capture converted from its original encoding")) from None
    # Judged on the text: a byte-order mark or ideographic spaces alone are still empty.
    if not text.replace("\ufeff", "").strip():
        raise ContentError(Problem(path, None, "the capture is empty", "import the page's text into source.txt"))
    return text, data


def undecodable(path: Path, data: bytes, exc: UnicodeDecodeError, encodings: str, fix: str) -> Problem:
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return Problem(path, line, f"not valid {encodings}: byte 0x{data[exc.start]:02x} at column {column}", fix)
