"""Numbers and amounts, read from either language into one normal form.

A translation rewrites amounts in Chinese units: ``$7bn`` becomes ``70億美元`` and
``$50tn`` becomes ``50萬億美元``.  Both sides are reduced to strings that compare equal
when the quantity is the same: ``$7e+09`` for money, ``2%``, ``10x`` (times),
``3 months``, a year ``2024``, and ``#99`` for any other written-out integer.
"""
from __future__ import annotations

import re
from types import MappingProxyType

CN_DIGITS = MappingProxyType({"一": 1, "兩": 2, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                              "七": 7, "八": 8, "九": 9, "十": 10})
EN_NUMBERS = MappingProxyType({"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                               "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12})
CN_SCALE = MappingProxyType({"萬億": 1e12, "万亿": 1e12, "億": 1e8, "亿": 1e8, "萬": 1e4, "万": 1e4})
EN_SCALE = MappingProxyType({"tn": 1e12, "trillion": 1e12, "bn": 1e9, "billion": 1e9, "m": 1e6, "million": 1e6})
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
# An integer that is not part of a decimal, a longer number or a name (R1, 01.AI).
_INTEGER = re.compile(r"(?<![\d.A-Za-z])(\d{1,4})(?![\d.])")


def _money(value: float) -> str:
    return f"${value:.3g}"


def _integers(text: str) -> set[str]:
    return {f"#{n}" for n in _INTEGER.findall(text) if not _YEAR.fullmatch(n)}


# Each pattern below is tried only where its fixed word occurs (美元, %, 倍, 月; times,
# month, dollars): the same matches, and most paragraphs name none of them, so most
# scans are skipped (finding figures for related passages is a build's every row).
def zh_numbers(text: str) -> frozenset[str]:
    out: set[str] = set()
    if "美元" in text:
        for num, scale in re.findall(r"(\d+(?:\.\d+)?)\s*(萬億|万亿|億|亿|萬|万)?\s*美元", text):
            out.add(_money(float(num) * CN_SCALE.get(scale, 1)))
    if "%" in text:
        out.update(f"{n}%" for n in re.findall(r"(\d+(?:\.\d+)?)\s*%", text))
    if "倍" in text:
        for num in re.findall(r"(\d+|[一兩两二三四五六七八九十])\s*倍", text):
            out.add(f"{CN_DIGITS.get(num) or int(num)}x")
    out.update(_YEAR.findall(text))
    if "月" in text:
        for num in re.findall(r"(\d+|[一兩两二三四五六七八九十])\s*個?个?月", text):
            out.add(f"{CN_DIGITS.get(num) or int(num)} months")
    return frozenset(out | _integers(text))


def en_numbers(text: str) -> frozenset[str]:
    out: set[str] = set()
    low = text.lower()
    for num, scale in re.findall(r"\$\s?(\d+(?:\.\d+)?)\s*(tn|trillion|bn|billion|million|m)?\b", low):
        out.add(_money(float(num) * EN_SCALE.get(scale, 1)))
    if "dollars" in low:
        for num, scale in re.findall(r"(\d+(?:\.\d+)?)\s*(trillion|billion|million)\s+dollars", low):
            out.add(_money(float(num) * EN_SCALE[scale]))
    if "%" in low or "per" in low:
        out.update(f"{n}%" for n in re.findall(r"(\d+(?:\.\d+)?)\s*(?:%|per ?cent)", low))
    if "times" in low:
        for num in re.findall(r"(\d+|[a-z]+)\s+times\b", low):
            if num.isdigit() or num in EN_NUMBERS:
                out.add(f"{EN_NUMBERS.get(num) or int(num)}x")
    out.update(_YEAR.findall(text))
    if "month" in low:
        for num in re.findall(r"(\d+|[a-z]+)[\s-]+months?\b", low):
            if num.isdigit() or num in EN_NUMBERS:
                out.add(f"{EN_NUMBERS.get(num) or int(num)} months")
    return frozenset(out | _integers(low))
