"""Byte-level helpers for the GBK mojibake repair.

The damaged runs in the captures were GBK text that went through a byte-oriented
pinyin annotator and a lenient decoder.  To reason about them we need the bytes each
displayed character came from, and a strict decoder for candidate repairs.
"""
from __future__ import annotations

from functools import lru_cache

# The lenient decoder that produced the captures followed Windows code page 936,
# where the single byte 0x80 is the euro sign; Python's "gbk" codec lacks it.
_EURO = "\u20ac"


def char_bytes(ch: str) -> bytes | None:
    """The bytes a displayed character stood for, or None when it has no GBK form.

    Private-use characters are what a lenient decoder shows for GBK's user-defined
    areas; GB18030 maps those areas to the same private-use code points, so it
    recovers their bytes.
    """
    if ch == _EURO:
        return b"\x80"
    try:
        return ch.encode("gbk")
    except UnicodeEncodeError:
        pass
    if "\ue000" <= ch <= "\uf8ff":
        raw = ch.encode("gb18030")
        return raw if len(raw) == 2 else None
    return None


def strict_decode(data: bytes) -> str | None:
    """Decode GBK strictly: a repair must yield real characters only (no private use,
    no euro stand-ins, nothing undecodable)."""
    try:
        text = data.decode("gbk")
    except UnicodeDecodeError:
        return None
    if any("\ue000" <= ch <= "\uf8ff" for ch in text):
        return None
    return text


@lru_cache(maxsize=None)
def pair_char(lead: int, trail: int) -> str | None:
    """The character a two-byte pair decodes to, if any (used for pinyin evidence)."""
    return strict_decode(bytes((lead, trail)))
