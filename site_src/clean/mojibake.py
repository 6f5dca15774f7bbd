"""Repair of GBK mojibake: runs of text decoded one byte out of step.

How the damage arose (worked out from the captures, see tests/test_clean_mojibake.py):
the mirror behind captures 001 and 004 kept its pages in GBK and ran a byte-oriented
pinyin annotator over them.  Where the annotator was one byte out of step it inserted
``(reading)`` *between the two bytes of a character*; where a byte was dropped, the
decoder paired the following bytes wrongly until the next ASCII byte put it back in
step.  So ``因為人們僅`` (``d2f2 9ee9 c8cb 8283 8348``) became ``因?yàn)槿藗儍H``: the
annotator read ``f2 9e`` as 驗 and wrote ``(yàn)`` after it; the decoder turned the
lone ``9e`` plus the ``(`` into ``?`` and then read ``e9c8`` (槿), ``cb82`` (藗),
``8383`` (儍) and ``48`` (``H``) before it was back in step.

The repair works on bytes.  A damaged *window* is the stretch of non-ASCII text around
a damage signal, up to the ASCII byte where the decoder fell back in step.  Each
displayed character gives back its bytes; the uncertain ones (a ``?``, a folded
punctuation mark, a byte that may have been dropped) give a small set of choices.
Every combination is decoded strictly, and a combination survives only when

* every character it yields is common (``lexicon.plausible``), and
* every inserted reading agrees with the two bytes in front of it, read as one
  character — the annotator wrote that character's pinyin, whether it was in step or
  not.  This is what pins down a lost byte: after ``f2`` only ``9e`` gives a
  character read ``yàn``;
* every character either occurs elsewhere in the article or contains a byte that a
  reading vouches for (see ``_Search._unattested``).

Bytes are guessed only where the captures show them lost: a byte pinned by a reading,
or the lead byte ``a1`` of Chinese punctuation.  A window is repaired only when
exactly one text survives at the lowest cost (fewest guessed bytes, then fewest
characters new to the article); anything else is left as captured and, when the
window is certainly damaged, flagged for an editor's correction.  Pairs the decoder
dropped altogether (GBK's user-defined areas, in capture 004) are beyond this search.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, NamedTuple

from ..model import Change, Flag
from . import gbk, lexicon
from .pinyin import FRAGMENT_RE, GROUP_RE, readings

RULE = "gbk-mojibake"

# Full-width punctuation the site folded to ASCII; inside a damaged run the ASCII
# mark may stand for the GBK pair.
FOLDED = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
_UNFOLD = {full: half for half, full in FOLDED.items()}
# ASCII bytes that are valid GBK trail bytes and show up alone after a character
# whose lead byte was paired wrongly (``開`` = e9 5f shows as ``铋_``).
_TRAIL_SYMBOLS = "@[\\]^_`{|}~"
_LEAD_BYTES = tuple(range(0x81, 0xFF))
# GBK's row A1 holds 。、“”… : its lead byte is the one seen lost or replaced by "?"
# at sentence junctions.  Unlike a byte pinned by a reading, it is the only byte
# guessed without evidence, which keeps garbage from fitting by chance.
_PUNCT_LEAD = b"\xa1"
# At most this many bytes may be guessed in one window: the captures never lose
# more than two, and every extra guess multiplies the ways to fit garbage.
MAX_GUESSES = 2


class Unit(NamedTuple):
    """One displayed piece of a line, as the byte-level search sees it (a tuple: a
    line is made into one per character, and a frozen dataclass took four times as
    long to make)."""

    kind: str  # "char", "punct", "q", "lost", "ascii", "group"
    text: str
    start: int
    end: int
    reading: str = ""  # for "lost" and "group": the inserted pinyin


@dataclass(frozen=True)
class Window:
    units: tuple[Unit, ...]  # the stretch, plus the ASCII byte that ends it, if any
    evidence: Unit | None  # a reading right after the window, used only as evidence
    start: int
    end: int
    strong: bool  # has a signal that cannot occur in undamaged text (€ is byte 0x80)


def tokenize(line: str, i: int = 0, stop: int | None = None) -> list[Unit]:
    """The units of ``line[i:stop]``, positioned in ``line``."""
    units: list[Unit] = []
    stop = len(line) if stop is None else stop
    while i < stop:
        unit = _unit_at(line, i)
        units.append(unit)
        i = unit.end
    return units


def _unit_at(line: str, i: int) -> Unit:
    ch = line[i]
    # A reading opens with "(", a lost one's tail with "?": only there is one sought.
    group = GROUP_RE.match(line, i) if ch == "(" else None
    if group:
        return Unit("group", group.group(0), i, group.end(), group.group(1))
    fragment = FRAGMENT_RE.match(line, i) if ch == "?" else None
    if fragment:
        return Unit("lost", fragment.group(0), i, fragment.end(), fragment.group(1))
    if ch == "?":
        kind = "q"
    elif ch in FOLDED:
        kind = "punct"
    elif ch.isascii():
        kind = "ascii"
    else:
        kind = "char"
    return Unit(kind, ch, i, i + 1)


def _is_stretch(unit: Unit) -> bool:
    return unit.kind in ("char", "punct", "q", "lost")


# A line as ``tokenize`` cuts it, in one regular expression: a reading, or a stretch
# (a run of the units ``_is_stretch`` accepts: a lost reading's tail, a character
# outside ASCII, a question mark or a folded mark).  Alternatives are tried in
# ``tokenize``'s order, and nothing follows the stretch's repetition, so it never
# backtracks into a different cut.
_MARKS = re.escape("".join(FOLDED))  # the folded marks, "?" among them
_SCAN = re.compile(rf"{GROUP_RE.pattern}|(?P<stretch>(?:{FRAGMENT_RE.pattern}|[^\x00-\x7f]|[{_MARKS}])+)")
# A private-use code point or the euro sign (byte 0x80): ``_window``'s strong characters.
_STRONG_CHAR = re.compile("[\ue000-\uf8ff\u20ac]")
# Two marks in a row (``_punct_pair``), the second not a lost reading's tail.
_PAIR = re.compile(rf"[{_MARKS}](?:[{re.escape(''.join(set(FOLDED) - {'?'}))}]|\?(?!{FRAGMENT_RE.pattern[2:]}))")


def windows(line: str) -> Iterator[Window]:
    """Stretches of non-ASCII text that carry a damage signal.

    A stretch ends at an ASCII byte because that is where a decoder out of step falls
    back in step; the ASCII character itself may be the trail byte of the last
    character (``H`` of 僅 = 83 48), so it belongs to the window.

    The stretches are found in the text (``_SCAN``) and only those that may hold a
    signal are cut into units: most stretches of a damaged line are whole, and
    cutting every line into a unit per character was most of the search's time.
    """
    # The line's CJK characters a repair could not produce (``_window``'s weak signal).
    weak_chars = {c for c in _rare(line) if lexicon.is_cjk(c)}
    for match in _SCAN.finditer(line):
        text = match.group("stretch")
        if text is None:
            continue  # a reading outside any stretch
        start, end = match.span()
        # What _window would find, read off the text: the units are made only if so.
        # A trail signal needs an ASCII byte after the stretch that is a trail symbol
        # or comes before a "(".
        maybe_trail = end < len(line) and line[end] not in " \t" and (
            line[end] in _TRAIL_SYMBOLS or line[end + 1:end + 2] == "(")
        if not (maybe_trail or not weak_chars.isdisjoint(text) or _STRONG_CHAR.search(text)
                or FRAGMENT_RE.search(text) or _PAIR.search(text)):
            continue
        after = _unit_at(line, end) if end < len(line) else None
        evidence = None
        trail_signal = False
        took_ascii = False
        if after is not None and after.kind == "ascii" and after.text not in " \t":
            next_unit = _unit_at(line, after.end) if after.end < len(line) else None
            if next_unit is not None and next_unit.kind == "group":
                evidence = next_unit
                # An ASCII letter between a Chinese character and a reading, with no
                # Latin letter after the reading, is a stray trail byte (涩F(xiàn)在);
                # a reading inside a Latin word (O(shè)penAI) is not.
                following = _unit_at(line, next_unit.end) if next_unit.end < len(line) else None
                trail_signal = not (following and following.kind == "ascii" and following.text.isalpha())
            trail_signal = trail_signal or after.text in _TRAIL_SYMBOLS
            took_ascii = True
        elif after is not None and after.kind == "group":
            evidence = after
        stretch = tokenize(line, start, end) + ([after] if took_ascii else [])  # type: ignore[list-item]
        window = _window(stretch, evidence, trail_signal)
        if window is not None:
            yield window


def _window(stretch: list[Unit], evidence: Unit | None, trail_signal: bool) -> Window | None:
    texts = [u.text for u in stretch]
    strong = (
        trail_signal
        or any(u.kind == "lost" for u in stretch)
        or any(lexicon.is_private(t) or t == "\u20ac" for t in texts)
        or _punct_pair(stretch)
    )
    weak = any(lexicon.is_cjk(t) and not lexicon.plausible(t) for t in texts)
    if not (strong or weak):
        return None
    return Window(tuple(stretch), evidence, stretch[0].start, stretch[-1].end, strong)


def _punct_pair(stretch: list[Unit]) -> bool:
    """``?!``, ``!;``, ``?,``, ``??``: two folded marks in a row
    never occur in the articles' prose, but a dropped lead byte of ``。`` or ``“``
    produces exactly that (``。”`` = a1a3 a1b1 shows as ``?!``)."""
    for prev, unit in zip(stretch, stretch[1:]):
        if prev.kind in ("q", "punct") and unit.kind in ("q", "punct"):
            return True
    return False


def _choices(unit: Unit) -> list[bytes] | None:
    if unit.kind in ("char", "ascii"):
        raw = gbk.char_bytes(unit.text)
        return [raw] if raw else None
    if unit.kind == "punct":
        return [FOLDED[unit.text].encode("gbk"), unit.text.encode()]
    if unit.kind == "q":
        # A real question mark (either width), or the lead byte of a Chinese
        # punctuation pair that the decoder replaced (``?!`` for ``。”``).
        return [b"\xa3\xbf", b"?", _PUNCT_LEAD]
    if unit.kind == "lost":
        # The stray byte whose pair with "(" was replaced by "?".
        return [bytes((b,)) for b in _LEAD_BYTES]
    return None


@dataclass
class _Search:
    """Depth-first search over the byte choices of one window."""

    window: Window
    context: bytes  # bytes of the text just before the window (for evidence)
    vocabulary: frozenset[str]  # characters the article uses
    results: dict[str, tuple[int, int]]  # text -> (bytes guessed, characters new to the article)

    def run(self) -> None:
        steps: list[tuple[str, Unit]] = []
        for unit in self.window.units:
            if unit.kind in ("q", "punct"):
                steps.append(("slot", unit))  # a byte may have been dropped before a mark
            steps.append(("unit", unit))
            if unit.kind == "lost":
                steps.append(("reading", unit))
        if self.window.evidence is not None:
            steps.append(("slot", self.window.evidence))
            steps.append(("reading", self.window.evidence))
        if steps and steps[0][0] != "slot":
            steps.insert(0, ("slot", self.window.units[0]))
        self._walk(_joined(steps), 0, b"", 0, 0, frozenset())

    def _walk(self, steps, index: int, out: bytes, decoded: int, guesses: int, pinned: frozenset[int]) -> None:
        decoded = _advance(out, decoded)
        if decoded < 0:
            return
        if index == len(steps):
            if decoded != len(out):
                return  # a lead byte left without its trail (a guessed byte at the end)
            unknown = self._unattested(out, pinned)
            if unknown is None:
                return  # a character no reading vouches for
            text = _fold(out.decode("gbk"))
            cost = (guesses, unknown)
            if text not in self.results or cost < self.results[text]:
                self.results[text] = cost
            return
        kind, unit = steps[index]
        if kind == "bytes":
            self._walk(steps, index + 1, out + unit, decoded, guesses, pinned)
            return
        if kind == "reading":
            tail = (self.context + out)[-2:]
            char = gbk.pair_char(tail[0], tail[1]) if len(tail) == 2 else None
            if char and unit.reading in readings(char):
                # The reading vouches for the two bytes in front of it.
                here = len(out)
                self._walk(steps, index + 1, out, decoded, guesses, pinned | {here - 2, here - 1})
            return
        if kind == "slot":
            self._walk(steps, index + 1, out, decoded, guesses, pinned)
            if guesses < MAX_GUESSES:
                # Before a reading, the reading itself pins the dropped byte down, so
                # any lead byte is tried (those it can vouch for); elsewhere only the
                # lead byte of Chinese punctuation, the one byte the captures are seen
                # to drop.
                before_reading = unit is self.window.evidence
                for b in (self._vouched(out, unit.reading) if before_reading else (_PUNCT_LEAD[0],)):
                    self._walk(steps, index + 1, out + bytes((b,)), decoded, guesses + 1, pinned)
            return
        choices = [bytes((b,)) for b in self._vouched(out, unit.reading)] if unit.kind == "lost" else _choices(unit)
        if choices is None:
            return
        for choice in choices:
            guessed = unit.kind == "lost" or (unit.kind == "q" and choice == _PUNCT_LEAD)
            if guesses + guessed > MAX_GUESSES:
                continue
            self._walk(steps, index + 1, out + choice, decoded, guesses + guessed, pinned)

    def _vouched(self, out: bytes, reading: str) -> tuple[int, ...]:
        """The lead bytes that may follow ``out`` right before ``reading``: the next
        step (a "reading") keeps only a byte that pairs with the one in front of it
        into a character so read, so the others are not tried.  Of 126, most often
        none or one is left; trying each took half of cleaning the five articles."""
        tail = self.context + out
        return _trails_read_as(tail[-1], reading) if tail else ()

    def _unattested(self, out: bytes, pinned: frozenset[int]) -> int | None:
        """How many characters of a repair the article uses nowhere else; None if one
        of them does not even rest on a byte a reading vouches for.

        Common characters alone do not decide: a shifted run can re-pair into other
        common characters (因為粟開 for 因為它在開源, where the decoder also dropped a
        pair).  Garbage of that kind uses characters the article never uses.  The
        count breaks ties between readings that fit equally (參與 over 耽與).
        """
        unknown = 0
        pos = 0
        while pos < len(out):
            if out[pos] < 0x80:
                pos += 1
                continue
            char = out[pos:pos + 2].decode("gbk")
            if lexicon.is_cjk(char) and char not in self.vocabulary:
                if not ({pos, pos + 1} & pinned):
                    return None
                unknown += 1
            pos += 2
        return unknown


def _joined(steps: list[tuple[str, Unit]]) -> list[tuple[str, Unit | bytes]]:
    """``steps`` with each run of characters that give back their bytes one way (a
    "char" or "ascii" unit) made one step of those bytes: a step of a single choice
    only adds its bytes, and a window is mostly such characters, so the search makes
    a call a run instead of one a character.  A character without GBK bytes ends
    the steps there: no path goes past it."""
    out: list[tuple[str, Unit | bytes]] = []
    for kind, unit in steps:
        if kind == "unit" and unit.kind in ("char", "ascii"):
            raw = gbk.char_bytes(unit.text)
            if not raw:
                out.append((kind, unit))  # _choices gives None: the walk stops here
                break
            if out and out[-1][0] == "bytes":
                out[-1] = ("bytes", out[-1][1] + raw)  # type: ignore[operator]
            else:
                out.append(("bytes", raw))
        else:
            out.append((kind, unit))
    return out


@lru_cache(maxsize=None)
def _trails_read_as(lead: int, reading: str) -> tuple[int, ...]:
    """The bytes ``b`` among ``_LEAD_BYTES`` for which ``lead b`` is a character read
    ``reading``."""
    return tuple(b for b in _LEAD_BYTES if (char := gbk.pair_char(lead, b)) and reading in readings(char))


def _advance(out: bytes, pos: int) -> int:
    """Decode complete characters from ``pos``; -1 if one is not plausible."""
    while pos < len(out):
        b = out[pos]
        if b < 0x80:
            if not lexicon.plausible(chr(b)):
                return -1
            pos += 1
            continue
        if pos + 1 >= len(out):
            break
        char = gbk.pair_char(b, out[pos + 1])
        if char is None or not lexicon.plausible(char):
            return -1
        pos += 2
    return pos


def _fold(text: str) -> str:
    """Fold full-width marks back to the capture's ASCII convention."""
    return "".join(_UNFOLD.get(ch, ch) for ch in text)


def vocabulary(text: str) -> frozenset[str]:
    """The characters an article uses.  Garbage inside damaged runs is included too,
    but a repair must also be common, which most garbage is not."""
    return frozenset(text)


# Characters without which a line has no window (see ``suspect``): a reading's "(",
# the euro sign (byte 0x80), and the ASCII trail bytes.
_SIGNALS = frozenset("(\u20ac" + _TRAIL_SYMBOLS)
_MARK_PAIR = re.compile("[" + re.escape("".join(FOLDED)) + "]{2}")


def suspect(line: str) -> bool:
    """Whether ``windows`` could find anything in ``line``: false for most lines,
    which are then not split into units at all (that was a fifth of a cold build).
    Every signal ``_window`` accepts needs one of these: a reading or a lost one's
    ``?…)``, a trail symbol, the euro sign, two folded marks in a row, a private-use
    code point, or a CJK character a repair could not produce."""
    chars = set(line)
    if not chars.isdisjoint(_SIGNALS) or ("?" in chars and ")" in chars) or _MARK_PAIR.search(line):
        return True
    return any(lexicon.is_private(c) or lexicon.is_cjk(c) for c in _rare(line))


def _rare(line: str) -> set[str]:
    """The characters of ``line`` outside ``lexicon.plausible``'s lists of common
    characters and punctuation, taken away in one set operation: a test per character
    of every line was a sixth of cleaning the benchmark's articles."""
    return set(line) - lexicon.common_chars() - lexicon.PUNCTUATION


def repair_line(line: str, number: int, known: frozenset[str]) -> tuple[str, list[Change], list[Flag]]:
    """Repair every damaged window of one line; flag the strong ones it cannot.

    ``known`` is the article's ``vocabulary``, against which repairs are checked."""
    if not suspect(line):
        return line, [], []
    changes: list[Change] = []
    flags: list[Flag] = []
    pieces: list[str] = []
    done = 0
    for window in windows(line):
        before = line[window.start:window.end]
        search = _Search(window, _context(line[:window.start]), known, {})
        search.run()
        after = _choose(search.results, before, window.strong)
        if after is None:
            if window.strong:
                flags.append(Flag(RULE, number, before, "damaged GBK run could not be repaired with confidence"))
            continue
        if after == before:
            continue
        pieces.append(line[done:window.start])
        pieces.append(after)
        done = window.end
        changes.append(Change(RULE, number, before, after))
    pieces.append(line[done:])
    return "".join(pieces), changes, flags


def _context(prefix: str) -> bytes:
    """The two bytes in front of a window as the annotator saw them: its own earlier
    insertions were not there yet when it read the page."""
    tail = GROUP_RE.sub("", prefix)[-2:]
    raw = [gbk.char_bytes(ch) for ch in tail]
    return b"".join(r for r in raw if r)[-2:]


def _choose(results: dict[str, tuple[int, int]], before: str, strong: bool) -> str | None:
    """The single lowest-cost reading, or None when the evidence does not decide.

    In a window with a strong signal the text as captured is not a candidate: it is
    known to be damaged, so "no change" must not win just because it costs nothing.
    """
    candidates = {
        text: cost for text, cost in results.items()
        if not (strong and text == _as_captured(before)) and not _DOUBLE_MARK.search(text)
    }
    if not candidates:
        return None
    lowest = min(candidates.values())
    best = [text for text, cost in candidates.items() if cost == lowest]
    return best[0] if len(best) == 1 else None


# Two sentence marks in a row (``?。``) are what a wrong guess at a junction yields;
# the articles never write them.
_DOUBLE_MARK = re.compile(r"[。?!;,:][。?!;,:]")


def _as_captured(before: str) -> str:
    """The window's text with readings removed: what "no repair" decodes to."""
    return GROUP_RE.sub("", FRAGMENT_RE.sub("?", before))
