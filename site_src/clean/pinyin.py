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

import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_LETTER = f"a-zü{TONED}"
# A syllable: lowercase pinyin letters with at least one tone mark.
SYLLABLE = f"[{_LETTER}]*[{TONED}][{_LETTER}]*"
GROUP_RE = re.compile(rf"\(({SYLLABLE})\)")
# The tail of an annotation whose opening parenthesis was swallowed by the decoder
# together with a stray lead byte (it shows as ``?yàn)``).
FRAGMENT_RE = re.compile(rf"\?({SYLLABLE})\)")


@lru_cache(maxsize=1)
def _reading_table() -> Mapping[str, str]:
    """pypinyin's table of single characters (code point → ``"líng,yuán,xīng"``), read
    from the package's data file without importing the package: the import also loads
    the table of phrases, which single characters never need, and took 0.15 s of every
    build that cleans.  ``tests/test_clean_rules.py`` checks every entry against
    ``pypinyin.pinyin``."""
    spec = importlib.util.find_spec("pypinyin")
    folder = Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None
    if folder is None:
        raise ModuleNotFoundError("pypinyin is not installed — pip install -r requirements.txt")
    return MappingProxyType(json.loads((folder / "pinyin_dict.json").read_text(encoding="utf-8")))


@lru_cache(maxsize=None)
def readings(char: str) -> frozenset[str]:
    """All toned readings pypinyin knows for one character."""
    if not char or not ("\u3400" <= char <= "\u9fff"):
        return frozenset()
    found = _reading_table().get(str(ord(char)))
    return frozenset(found.split(",")) if found else frozenset()


def strip_annotations(text: str) -> str:
    """Remove every inserted reading (used for matching, e.g. junk markers)."""
    return GROUP_RE.sub("", text)
