"""Which characters are plausible in running Chinese text.

A mojibake repair is accepted only when every character it produces is common; the
garbage a one-byte shift produces is mostly rare characters (``铋 槿 藗 儍 撸``) or
private-use code points.  "Common" is GB2312's first level (the 3,755 most used
simplified characters) together with their Traditional forms as OpenCC writes them
for Taiwan and Hong Kong, because the captures are Traditional text converted from
Simplified.

Deriving that set takes three OpenCC conversions (0.27 s, in every build that cleans),
so it is kept, derived, in ``common_table.py``; ``python -m tests.common_table``
writes that file again, and a test checks that it still equals the derivation (a new
OpenCC may change it).
"""
from __future__ import annotations

from functools import lru_cache

from .common_table import CHARACTERS

# Punctuation the captures use in Chinese text, in either width (a repair decodes
# full-width marks, which are folded afterwards to the capture's convention).
PUNCTUATION = frozenset("。，、；：？！“”‘’（）《》「」『』—…·,.;:?!()%-")


@lru_cache(maxsize=1)
def common_chars() -> frozenset[str]:
    return frozenset(CHARACTERS)


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def is_private(ch: str) -> bool:
    return "\ue000" <= ch <= "\uf8ff"


def plausible(ch: str) -> bool:
    """A character a repair may produce."""
    if ch.isascii():
        return ch.isalnum() or ch in PUNCTUATION or ch == " "
    return ch in common_chars() or ch in PUNCTUATION
