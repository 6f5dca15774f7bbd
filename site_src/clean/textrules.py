"""In-line repairs of kept lines; each returns the new text and the logged changes.

Each rule is a pure function ``(text, line_number) -> (text, [Change])`` so the order
in which ``clean_text`` applies them is the only coupling between them.
"""
from __future__ import annotations

import re

from ..model import Change
from .pinyin import GROUP_RE

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
# The FT sets a spaced ellipsis with thin spaces; the page replaced each of them
# with "?", giving "because?.?.?.?their".
_ELLIPSIS = re.compile(r"(?<=\w)\?\.\?\.\?\.\?(?=\w)")
_BYLINE = re.compile(r"[(（]作者[/／]([^()（）]+)[)）]$")


def normalize_space(text: str) -> str:
    """No-break and ideographic spaces become spaces, runs of spaces one space, and
    the line is stripped.  A single space between Chinese and Latin text is kept as
    captured: it is the outlet's typesetting, not damage."""
    return _SPACES.sub(" ", text).strip()


def whitespace(text: str, line: int) -> tuple[str, list[Change]]:
    new = normalize_space(text)
    return new, ([Change("whitespace", line, text, new)] if new != text else [])


def pinyin_readings(text: str, line: int) -> tuple[str, list[Change]]:
    """Remove readings the mirror inserted after characters (``網(wǎng)易`` → ``網易``),
    also those that landed inside Latin words (``O(shè)penAI`` → ``OpenAI``).

    Only a parenthesis holding a single toned pinyin syllable is removed, so
    ``(Eleanor Olcott)``, ``(CAIO)`` or ``(笑)`` can never match.  Each removal is
    logged with the character in front of it, to show where it was.
    """
    changes = [
        Change("pinyin", line, text[max(0, m.start() - 1):m.end()], text[max(0, m.start() - 1):m.start()])
        for m in GROUP_RE.finditer(text)
    ]
    return GROUP_RE.sub("", text), changes


def strip_tags(text: str) -> str:
    """Remove every stray tag (used for matching, e.g. junk markers)."""
    return _TAG.sub("", text)


def stray_html(text: str, line: int) -> tuple[str, list[Change]]:
    """Drop HTML tags left in the text by the scraper (``不做</span>超大模型``)."""
    changes = [Change("stray-html", line, m.group(0), "") for m in _TAG.finditer(text)]
    return _TAG.sub("", text), changes


def ellipsis(text: str, line: int) -> tuple[str, list[Change]]:
    """Restore the spaced ellipsis mangled to ``?.?.?.?`` inside English sentences."""
    changes = [Change("ellipsis", line, m.group(0), " . . . ") for m in _ELLIPSIS.finditer(text)]
    return _ELLIPSIS.sub(" . . . ", text), changes


def inline_byline(text: str, line: int) -> tuple[str, list[Change], str | None]:
    """Move ``(作者/簫雨)`` at the end of a paragraph out of the body; returns the
    byline so it can be lifted as metadata."""
    match = _BYLINE.search(text)
    if not match:
        return text, [], None
    new = text[:match.start()].rstrip()
    return new, [Change("inline-byline", line, match.group(0), "")], match.group(1)
