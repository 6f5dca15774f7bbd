"""Stage 2 — clean: from a raw capture to the article's body lines.

Order of the rules, and why:

1. **Extraction** (``extract``) decides which lines are page chrome or header
   metadata.  It looks at a copy of each line with pinyin readings removed, because
   the mirror annotated the chrome too (``相關(guān)推薦``).  Junk lines are cut before any
   repair, so the logs hold no repairs of text that is thrown away.
2. **Whitespace** first on each kept line, so the later patterns see single spaces.
3. **GBK mojibake** before pinyin removal: the readings are the evidence that pins
   a lost byte down, and the ``?yàn)`` fragments are part of the damage; removing
   readings first would destroy both.
4. **Pinyin readings** next; after the repair the remaining ones are all insertions.
5. **Stray HTML**, **ellipsis** and the **inline byline** need the readings gone
   (a reading could sit inside a tag or next to the byline).
6. **Corrections** last: editors write them against the text the rules leave.

A line that ends up empty is dropped and logged as a cut; lines are never merged or
split, so every kept line carries its line number in ``source.txt``.
"""
from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

from ..model import Article, ArticleMeta, Change, CleanResult, Correction, Cut, Flag, Line
from . import corrections as corrections_rule
from . import extract, mojibake, textrules

# Every rule name that can appear in a Change or Cut, with what it means to a reader of
# the cleaning log.  Listed in the order the log presents them: edits that restore
# text first (they matter most to someone checking a quotation), bulk residue last.
RULES: dict[str, str] = {
    "correction": "An editor's fix from corrections.yaml, for damage the rules cannot repair alone.",
    "gbk-mojibake": "GBK bytes decoded one byte off, re-paired and decoded again.",
    "inline-byline": "A byline inside the last paragraph, moved to the article's metadata.",
    "stray-html": "An HTML tag left in the text by the page.",
    "ellipsis": "An ellipsis whose spaces were mangled into '?.?.?.'.",
    "whitespace": "Non-breaking and repeated spaces normalised.",
    "pinyin": "A pinyin reading the mirror inserted after a character.",
    "header-title": "The title line, shown as the page title instead.",
    "header-date": "A date line of the page header, moved to metadata.",
    "header-outlet": "The outlet's name in the page header, moved to metadata.",
    "header-byline": "A reporter or editor line, moved to metadata.",
    "header-tag": "A short tag line of the page header.",
    "header-counter": "A share or comment counter of the page header.",
    "spam-banner": "A line of spam links injected into the page.",
    "site-navigation": "The site's breadcrumb navigation.",
    "share-widget": "The page's share button and counter.",
    "promo": "A promotional line of the site or the author.",
    "platform-notice": "The platform's notice about user-uploaded content.",
    "disclaimer": "The site's investment disclaimer.",
    "source-line": "A 'source:' line, moved to metadata.",
    "related-list": "Related, hot or recommended lists and everything after them.",
    "emptied": "A line left empty once its residue was removed.",
}

# The in-line rules after the mojibake repair, in the order described above.
LINE_RULES = (textrules.pinyin_readings, textrules.stray_html, textrules.ellipsis)


def clean_text(text: str, meta: ArticleMeta, corrections: tuple[Correction, ...] = (),
               corrections_path: Path | None = None) -> CleanResult:
    # A byte-order mark is how an editor's tool saved the file, not text of the page;
    # left in, it would keep the first line from matching the title.
    raw_lines = text.removeprefix("\ufeff").split("\n")
    known = mojibake.vocabulary(text)
    # Detection must see lines repaired as cleaning leaves them (or a second cleaning
    # could cut more); the search is the costly rule, so each line is repaired once
    # and both use the result.  Detection's normalize_space is the whitespace rule's.
    repair = functools.lru_cache(maxsize=None)(
        lambda line, number: mojibake.repair_line(line, number, known))
    extracted = extract.extract(raw_lines, meta, lambda line, number: repair(line, number)[0])
    lifted = dict(extracted.lifted)
    cuts = list(extracted.cuts)
    changes: list[Change] = []
    flags: list[Flag] = []
    kept: list[Line] = []
    for number, _ in extracted.kept:
        line, line_changes = textrules.whitespace(raw_lines[number - 1], number)
        line, repairs, line_flags = repair(line, number)
        line_changes += repairs
        # Removing a tag can join a reading it split (國(<span>guó)), removing a
        # reading can join a tag, and either can join a damaged run to the character
        # before it (因<span>?yàn)…, which only then decodes); so the rules and the
        # repair repeat until the rules find nothing, or cleaning the cleaned text would
        # change it again.  Each round that finds something removes characters, so
        # this ends.  A later repair that changes nothing leaves the first one's flags:
        # the first saw the readings, which are evidence, and so the damage best.
        while True:
            found = []
            for rule in LINE_RULES:
                line, done = rule(line, number)
                found += done
            line_changes += found
            if not found:
                break
            line, repairs, again = repair(line, number)
            if repairs:
                line_changes += repairs
                line_flags = again
        flags += line_flags
        line, done, byline = textrules.inline_byline(line, number)
        line_changes += done
        if byline:
            lifted["byline"] = byline
        line, done = textrules.whitespace(line, number)
        line_changes += done
        changes += line_changes
        if line:
            kept.append(Line(number, line))
        else:
            cuts.append(Cut("emptied", number, number, raw_lines[number - 1].strip()[:40]))
    lines, corrected = corrections_rule.apply(tuple(kept), corrections, corrections_path)
    changes += corrected
    flags = corrections_rule.settle_flags(flags, lines, corrected)
    cuts.sort(key=lambda c: c.first)
    return CleanResult(lines=lines, changes=tuple(changes), cuts=tuple(cuts), flags=tuple(flags), lifted=lifted)


def clean_article(article: Article, text: str) -> Article:
    """``article`` with the cleaning of ``text``, its capture (``capture.capture``)."""
    return replace(article, clean=clean_text(text, article.meta, article.corrections, article.corrections_path))


__all__ = ["RULES", "clean_article", "clean_text"]
