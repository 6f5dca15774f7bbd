"""Parallel translations: articles whose Chinese translates the same English text.

000 (Phoenix) and 001 (NetEase) both translate the FT interview whose English is
carried by 001.  Both are aligned to the *same* English paragraphs, so the English is
the pivot: two rows, one in each translation, are parallel when they share an English
paragraph.  From that:

* ``parallel_rows`` — for each row, the rows of the other translations it is parallel
  to (the page links "same passage in the other translation");
* ``three_way`` — the English with every translation beside it, row by row: a band
  holds consecutive English paragraphs that some translation keeps in one row, so no
  translation's row is ever split across bands; a Chinese row with no English (a
  translator's lede or addition) gets a band of its own where it stands.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .model import AlignedRow, Archive, Article, Packed, Paragraph, Passage


def english_source(article: Packed) -> str:
    """The slug of the article whose English this one is aligned to ("" if none)."""
    borrowed = article.shell.meta.related("english_text_from")
    if borrowed:
        return borrowed[0]
    return article.slug if article.english else ""


def translation_groups(archive: Archive) -> list[tuple[str, tuple[str, ...]]]:
    """(English source slug, the slugs of the articles translating it) where two or
    more do.  Read from the packed articles: no article is unpacked."""
    groups: dict[str, list[str]] = {}
    for packed in archive.articles.packed:
        source = english_source(packed)
        if source and packed.bilingual:
            groups.setdefault(source, []).append(packed.slug)
    return [(source, tuple(sorted(slugs))) for source, slugs in sorted(groups.items()) if len(slugs) > 1]


def _key(p: Paragraph) -> tuple[str, int, str]:
    return (p.origin, p.line, p.text)


Groups = Sequence[tuple[str, tuple[str, ...]]]  # as translation_groups gives them


def parallel_rows(archive: Archive, groups: Groups) -> dict[str, dict[str, tuple[Passage, ...]]]:
    """slug → anchor → rows of the other translations sharing an English paragraph,
    for the articles of ``groups`` (``translation_groups``)."""
    out: dict[str, dict[str, tuple[Passage, ...]]] = {}
    for _, slugs in groups:
        articles = [archive.get(s) for s in slugs]  # a group at a time
        owner = {a.slug: {_key(p): r.anchor for r in a.rows for p in r.en} for a in articles}
        for article in articles:
            links: dict[str, tuple[Passage, ...]] = {}
            for row in article.rows:
                found: list[Passage] = []
                for other in articles:
                    if other.slug == article.slug:
                        continue
                    for p in row.en:
                        anchor = owner[other.slug].get(_key(p))
                        if anchor and Passage(other.slug, anchor, "zh") not in found:
                            found.append(Passage(other.slug, anchor, "zh"))
                if found:
                    links[row.anchor] = tuple(found)
            out[article.slug] = links
    return out


@dataclass(frozen=True)
class Band:
    """One line of the three-way view: English paragraphs and each translation's rows."""

    en: tuple[Paragraph, ...]
    rows: dict[str, tuple[AlignedRow, ...]]  # slug → rows of that translation in this band


def three_way(english: Sequence[Paragraph], translations: Sequence[Article]) -> tuple[Band, ...]:
    index = {_key(p): i for i, p in enumerate(english)}
    # For each translation, the English span each row covers (None for Chinese-only rows).
    spans = {a.slug: [(r, [index[_key(p)] for p in r.en if _key(p) in index]) for r in a.rows]
             for a in translations}
    # Band boundaries: an English paragraph starts a new band unless some row of some
    # translation also holds the paragraph before it.
    joined = set()
    for rows in spans.values():
        for _, covered in rows:
            joined |= {i for i in covered[1:]}
    starts = [i for i in range(len(english)) if i not in joined]
    band_of = {}
    for b, start in enumerate(starts):
        end = starts[b + 1] if b + 1 < len(starts) else len(english)
        for i in range(start, end):
            band_of[i] = b
    bands: list[dict[str, list[AlignedRow]]] = [dict() for _ in starts]
    extras: dict[int, list[tuple[str, AlignedRow]]] = {}  # Chinese-only rows before band b
    for slug, rows in spans.items():
        pending: list[AlignedRow] = []
        for row, covered in rows:
            if not covered:
                pending.append(row)
                continue
            b = band_of[covered[0]]
            for extra in pending:
                extras.setdefault(b, []).append((slug, extra))
            pending = []
            bands[b].setdefault(slug, []).append(row)
        for extra in pending:
            extras.setdefault(len(starts), []).append((slug, extra))
    out: list[Band] = []
    for b in range(len(starts) + 1):
        for slug, row in extras.get(b, []):
            out.append(Band((), {slug: (row,)}))
        if b < len(starts):
            end = starts[b + 1] if b + 1 < len(starts) else len(english)
            out.append(Band(tuple(english[starts[b]:end]), {s: tuple(r) for s, r in bands[b].items()}))
    return tuple(out)
