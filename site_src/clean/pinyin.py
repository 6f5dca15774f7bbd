"""Pinyin annotations that a Traditional-Chinese mirror inserted into the captures.

The mirror that served captures 001 and 004 writes the reading of some characters in
parentheses right after them: ``網(wǎng)易``.  Its annotator worked on GBK bytes and was
sometimes one byte out of step, so a reading can also land inside a Latin word
(``O(shè)penAI``) or between the two bytes of a character (see ``mojibake``).

What tells an annotation from a real parenthesis is its content: only Latin letters,
at least one of them carrying a pinyin tone mark.  Real parentheses in the articles
hold English words, abbreviations or Chinese (``(Eleanor Olcott)``, ``(CAIO)``,
``(笑)``), none of which has tone marks.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, pinyin

TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_LETTER = f"a-zü{TONED}"
# A syllable: lowercase pinyin letters with at least one tone mark.
SYLLABLE = f"[{_LETTER}]*[{TONED}][{_LETTER}]*"
GROUP_RE = re.compile(rf"\(({SYLLABLE})\)")
# The tail of an annotation whose opening parenthesis was swallowed by the decoder
# together with a stray lead byte (it shows as ``?yàn)``).
FRAGMENT_RE = re.compile(rf"\?({SYLLABLE})\)")


@lru_cache(maxsize=None)
def readings(char: str) -> frozenset[str]:
    """All toned readings pypinyin knows for one character."""
    if not char or not ("\u3400" <= char <= "\u9fff"):
        return frozenset()
    return frozenset(pinyin(char, style=Style.TONE, heteronym=True)[0])


def strip_annotations(text: str) -> str:
    """Remove every inserted reading (used for matching, e.g. junk markers)."""
    return GROUP_RE.sub("", text)
