"""The machine-readable form of an article: ``data/<slug>.json``.

One document per article, UTF-8, keys in a fixed order, so that a rebuild of the
same content gives the same bytes and a diff shows only what changed::

    {
      "slug": "2025-03-bloomberg-china-show",
      "title": {"zh": "…", "en": "…"},          # en is "" when no English title is known
      "outlet": {"zh": "…", "en": "…"},
      "date": "2025-03-20",                      # ISO, possibly partial (2025-03)
      "languages": ["zh-Hant", "en"],
      "english_text_from": ["<slug>"],           # only when the English comes from another article
      "rows": [
        {
          "anchor": "p12",                       # the row's id on the page: articles/<slug>/#p12
          "zh": ["…"], "en": ["…", "…"],         # paragraph texts, speaker labels removed
          "speaker": "kfl",                      # Speaker.id from article.yaml, or null
          "speaker_zh_label": "A",               # only when the Chinese side opens with a label
          "speaker_en_label": "A",               # likewise for the English side
          "pattern": "1-2",                      # paragraphs on each side
          "confidence": 0.87,                    # alignment confidence, 0..1
          "reason": "…",                         # why the aligner paired them
          "zh_kinds": ["heading"],               # only when some paragraph is not plain prose
          "en_kinds": ["heading"],               #   (kinds: p, heading, caption, lede)
          "quotes": {"zh": [selector…], "en": [selector…]}   # one per paragraph, see below
        }
      ]
    }

Optional keys are left out rather than set to null so the common row stays short.

Each quote is a W3C Web Annotation ``TextQuoteSelector``: the paragraph's exact text
with up to ``CONTEXT`` characters before and after it in the same language's text of
the page (paragraphs joined by a newline), so a citation can be found again in any
copy of the text, here or elsewhere, even if anchors were lost.

Besides the per-article JSON, the data folder carries (``export_data``):

* ``data/<slug>.tmx`` — TMX 1.4, one ``<tu>`` per row that has both languages (a row
  with one language is no translation unit), ``tuid`` = the anchor, English as the
  source language, each side's paragraphs joined by a newline, the row's confidence
  and reason as ``<prop>``s;
* ``data/archive.jsonl`` — every row of every article, one JSON object a line, with its
  article slug and permanent URL, for corpus tools.
"""
from __future__ import annotations

import html
import json
from typing import Collection, Iterator

from .model import AlignedRow, Archive, Article, Paragraph, Streamed

ARCHIVE_JSONL = "data/archive.jsonl"
CONTEXT = 32  # characters of context on each side of a quote (TextQuoteSelector)


def _escaped(text: str) -> str:
    """``text`` as XML element content (&, <, > escaped).  html.escape rather than
    xml.sax.saxutils, whose import brings urllib.request, http.client and ssl: some
    11 ms of every process's start, the pool's workers' too."""
    return html.escape(text, quote=False)


def article_json(article: Article) -> bytes:
    meta = article.meta
    doc: dict[str, object] = {
        "slug": meta.slug,
        "title": {"zh": meta.title_zh, "en": meta.title_en},
        "outlet": {"zh": meta.outlet_zh, "en": meta.outlet_en},
        "date": meta.date,
        "languages": list(meta.languages),
    }
    borrowed = meta.related("english_text_from")
    if borrowed:
        doc["english_text_from"] = list(borrowed)
    quotes = quote_selectors(article)
    rows = [json.dumps({**row_json(row), "quotes": quotes[row.anchor]}, ensure_ascii=False) for row in article.rows]
    # One row a line: a diff between editions shows the rows that changed.  Not
    # indented: with an indent Python's json encodes in Python, not C (a tenth of a
    # warm build).
    head = json.dumps(doc, ensure_ascii=False)[:-1]
    return (head + ', "rows": [' + ",".join(f"\n{row}" for row in rows) + ("\n" if rows else "") + "]}\n").encode("utf-8")


def quote_selectors(article: Article) -> dict[str, dict[str, list[dict[str, str]]]]:
    """anchor → {"zh": [selector per paragraph], "en": [...]}, context taken from the
    page's text of the same language (both sides are quoted independently)."""
    out: dict[str, dict[str, list[dict[str, str]]]] = {r.anchor: {"zh": [], "en": []} for r in article.rows}
    for side in ("zh", "en"):
        placed = [(r.anchor, p) for r in article.rows for p in getattr(r, side)]
        stream = "\n".join(p.text for _, p in placed)
        start = 0
        for anchor, p in placed:
            end = start + len(p.text)
            out[anchor][side].append({"type": "TextQuoteSelector", "exact": p.text,
                                      "prefix": stream[max(0, start - CONTEXT):start],
                                      "suffix": stream[end:end + CONTEXT]})
            start = end + 1
    return out


def export_data(archive: Archive, only: Collection[str] | None = None,
                whole: bool = True) -> Iterator[tuple[str, bytes | Streamed]]:
    """The data files beside the pages, as ``(path, bytes)`` like ``render.iter_site``:
    a TMX per article with both languages (``only``: of these slugs), and, if
    ``whole``, the whole archive as JSON lines."""
    for p in archive.articles.packed if only is None else archive.articles.among(only):
        if p.bilingual:
            yield f"data/{p.slug}.tmx", article_tmx(p.unpack("text"), archive.edition)
    if whole:
        yield ARCHIVE_JSONL, archive_jsonl(archive)


def article_tmx(article: Article, edition: str) -> bytes:
    zh_lang = next((p.lang for r in article.rows for p in r.zh), "zh-Hant")
    # TMX wants a basic-format UTC date; the edition's date keeps the file reproducible
    # (serve's preview edition has none).
    day = edition.split(".")[0]
    created = (day.replace("-", "") if day[:4].isdigit() else "19700101") + "T000000Z"
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<!DOCTYPE tmx SYSTEM "tmx14.dtd">',
             '<tmx version="1.4">',
             f'  <header creationtool="duizhao" creationtoolversion="1" datatype="plaintext" segtype="paragraph"'
             f' adminlang="en" srclang="en" o-tmf="duizhao" creationdate="{created}">',
             f'    <prop type="x-article">{_escaped(article.slug)}</prop>',
             f'    <prop type="x-edition">{_escaped(edition)}</prop>',
             '  </header>',
             '  <body>']
    for row in article.rows:
        if not (row.zh and row.en):
            continue
        lines.append(f'    <tu tuid="{html.escape(row.anchor)}">')
        lines.append(f'      <prop type="x-confidence">{row.confidence}</prop>')
        lines.append(f'      <prop type="x-reason">{_escaped(row.reason)}</prop>')
        for lang, paragraphs in (("en", row.en), (zh_lang, row.zh)):
            text = "\n".join(p.text for p in paragraphs)
            lines.append(f'      <tuv xml:lang="{lang}"><seg>{_escaped(text)}</seg></tuv>')
        lines.append('    </tu>')
    lines += ['  </body>', '</tmx>', '']
    return "\n".join(lines).encode("utf-8")


def archive_jsonl(archive: Archive) -> Streamed:
    """Every row of every article, a JSON object a line, made article by article as
    it is written: at 10,000 articles the file is some 400 MB."""
    def pieces() -> Iterator[bytes]:
        empty = True
        for packed in archive.articles.packed:  # a piece an article: one write each
            if packed.row_count:
                article = packed.unpack("text")  # its rows are all the file takes
                empty = False
                page = f"{archive.site.base_url}articles/{article.slug}/#"
                yield "".join(
                    json.dumps({"slug": article.slug, "url": page + row.anchor, "edition": archive.edition,
                                **row_json(row)}, ensure_ascii=False) + "\n"
                    for row in article.rows).encode("utf-8")
        if empty:
            yield b"\n"
    return Streamed(pieces)


def row_json(row: AlignedRow) -> dict[str, object]:
    out: dict[str, object] = {
        "anchor": row.anchor,
        "zh": [p.text for p in row.zh],
        "en": [p.text for p in row.en],
        "speaker": row.speaker,
    }
    for side, paragraphs in (("zh", row.zh), ("en", row.en)):
        label = opening_label(paragraphs)
        if label:
            out[f"speaker_{side}_label"] = label
    out["pattern"] = row.pattern
    out["confidence"] = row.confidence
    out["reason"] = row.reason
    for side, paragraphs in (("zh", row.zh), ("en", row.en)):
        if any(p.kind != "p" for p in paragraphs):
            out[f"{side}_kinds"] = [p.kind for p in paragraphs]
    return out


def opening_label(paragraphs: tuple[Paragraph, ...]) -> str:
    """The label that opens the side's first turn (``問``, ``Q`` …), or ""."""
    for p in paragraphs:
        if p.label:
            return p.label
    return ""
