"""Which characters are plausible in running Chinese text.

A mojibake repair is accepted only when every character it produces is common; the
garbage a one-byte shift produces is mostly rare characters (``铋 槿 藗 儍 撸``) or
private-use code points.  "Common" is GB2312's first level (the 3,755 most used
simplified characters) together with their Traditional forms as OpenCC writes them
for Taiwan and Hong Kong, because the captures are Traditional text converted from
Simplified.
"""
from __future__ import annotations

from functools import lru_cache

import opencc

# Punctuation the captures use in Chinese text, in either width (a repair decodes
# full-width marks, which are folded afterwards to the capture's convention).
PUNCTUATION = frozenset("。，、；：？！“”‘’（）《》「」『』—…·,.;:?!()%-")


@lru_cache(maxsize=1)
def common_chars() -> frozenset[str]:
    level1 = "".join(
        bytes((lead, trail)).decode("gb2312")
        for lead in range(0xB0, 0xD8)
        for trail in range(0xA1, 0xFF)
        if not (lead == 0xD7 and trail > 0xF9)  # level 1 ends at D7F9
    )
    chars = set(level1)
    for config in ("s2t", "s2tw", "s2hk"):
        chars.update(opencc.OpenCC(config).convert(level1))
    return frozenset(chars)


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def is_private(ch: str) -> bool:
    return "\ue000" <= ch <= "\uf8ff"


def plausible(ch: str) -> bool:
    """A character a repair may produce."""
    if ch.isascii():
        return ch.isalnum() or ch in PUNCTUATION or ch == " "
    return ch in common_chars() or ch in PUNCTUATION
