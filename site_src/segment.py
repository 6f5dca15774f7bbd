"""Stage 3 — segment: turn cleaned lines into typed paragraphs.

Each kept line is one paragraph candidate.  This stage decides, per line:

* its language: English when Latin letters clearly outnumber Chinese characters, else
  the article's Chinese variety (a Chinese paragraph often quotes DeepSeek or OpenAI,
  so "contains Latin letters" is not enough);
* whether it opens a speaker turn: it must start with a label declared in
  ``article.yaml`` followed by a colon, so ``Notice:`` or ``來源:`` never count;
* its kind: a short line with no closing punctuation is a ``heading`` when the next
  paragraph opens a turn (a section title introduces the question under it), a
  ``caption`` when it sits inside the introduction between two prose paragraphs.

Turn state is carried line to line: an unlabelled paragraph after a turn continues
that speaker.  The state is reset when the language changes (an English original
appended after a translation starts with its own introduction), at a heading, and
after a line ending in a colon (``以下為英文對話全文:`` introduces what follows and is
not part of the previous answer).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from .errors import ContentError, Problem
from .model import Article, ArticleMeta, Lang, Line, Paragraph

# A heading or caption is a short phrase; real paragraphs in these captures are longer.
SHORT = 40
# Closing quotes and brackets are stripped before looking at the last real character.
CLOSERS = "”’」』)）\"'"
TERMINAL = "。!?！？.…;；"
COLONS = ":："
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def line_language(text: str, chinese: Lang) -> Lang:
    """English if Latin letters outnumber Chinese characters more than four to one.

    Four, not two: a short Chinese line naming an English show
    (``分享我在Bloomberg China Show上的對談。``) has 20 letters for 9 characters."""
    latin = len(_LATIN.findall(text))
    cjk = len(_CJK.findall(text))
    return "en" if latin > 4 * cjk else chinese


def chinese_variety(meta: ArticleMeta) -> Lang:
    for lang in meta.languages:
        if lang != "en":
            return lang
    # An English-only article would carry no Chinese; the value is then never used.
    return "zh-Hant"


def label_pattern(meta: ArticleMeta) -> re.Pattern[str] | None:
    """``^(label)\\s*[:：]`` over every declared label, longest first so that
    ``Kai-Fu Lee`` wins over a shorter label sharing its beginning."""
    labels = sorted({lab for s in meta.speakers for lab in s.labels}, key=len, reverse=True)
    if not labels:
        return None
    return re.compile(r"^(" + "|".join(re.escape(lab) for lab in labels) + r")\s*[:：]\s*")


def split_turns(text: str, meta: ArticleMeta) -> tuple[str, ...]:
    """Split a line that holds several turns (``… why is that? KFL: Sometimes …``).

    A split happens only where a declared label follows sentence-final punctuation
    and a space, so a label word inside a sentence never cuts it."""
    labels = sorted({lab for s in meta.speakers for lab in s.labels}, key=len, reverse=True)
    if not labels:
        return (text,)
    alts = "|".join(re.escape(lab) for lab in labels)
    splitter = re.compile(r"(?<=[.?!。?!”\"])\s+(?=(?:" + alts + r")\s*[:：])")
    return tuple(part for part in splitter.split(text) if part.strip())


def _bare_end(text: str) -> str:
    stripped = text.rstrip().rstrip(CLOSERS).rstrip()
    return stripped[-1:] if stripped else ""


def is_short_phrase(text: str) -> bool:
    """Short and not ending like a sentence or an introduction (colon)."""
    end = _bare_end(text)
    return 0 < len(text.strip()) <= SHORT and end not in TERMINAL and end not in COLONS


def segment_lines(lines: Sequence[Line], meta: ArticleMeta, origin: str) -> tuple[Paragraph, ...]:
    chinese = chinese_variety(meta)
    pattern = label_pattern(meta)
    speaker_of = {lab: s.id for s in meta.speakers for lab in s.labels}

    # First pass: split multi-turn lines and read labels; kinds need look-ahead.
    pieces: list[tuple[Line, str, str | None]] = []
    for line in lines:
        for part in split_turns(line.text.strip(), meta):
            m = pattern.match(part) if pattern else None
            if m:
                pieces.append((line, part[m.end():].strip(), m.group(1)))
            else:
                pieces.append((line, part.strip(), None))

    out: list[Paragraph] = []
    speaker: str | None = None
    seen_turn = False
    prev_lang: Lang | None = None
    for i, (line, text, label) in enumerate(pieces):
        if not text:
            continue
        lang = line_language(text, chinese)
        if lang != prev_lang:
            speaker, seen_turn = None, False
        prev_lang = lang
        next_is_turn = i + 1 < len(pieces) and pieces[i + 1][2] is not None
        kind = "p"
        if label is None and _bare_end(text) in COLONS:
            speaker = None
        if label is not None:
            speaker, seen_turn = speaker_of[label], True
        elif is_short_phrase(text):
            if next_is_turn:
                kind, speaker = "heading", None
            elif not seen_turn and 0 < i < len(pieces) - 1:
                kind = "caption"
        para_speaker = speaker if kind == "p" else None
        out.append(Paragraph(lang=lang, text=text, kind=kind, speaker=para_speaker,
                             label=label, line=line.number, origin=origin))
    return tuple(out)


def segment_article(article: Article) -> Article:
    if article.clean is None:
        raise ValueError(f"{article.slug}: segment before clean")
    paragraphs = segment_lines(article.clean.lines, article.meta, article.slug)
    if not paragraphs:
        # An empty page would publish nothing and silently retire every anchor.
        raise ContentError(Problem(article.source.path, None,
                                   f"no article text left after cleaning ({len(article.clean.cuts)} block(s) cut "
                                   "as page furniture)",
                                   "check that source.txt is this article's capture; the cleaning log "
                                   "(build without this article) lists what the rules cut"))
    return replace(article, paragraphs=paragraphs)
