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
          "en_kinds": ["heading"]                #   (kinds: p, heading, caption, lede)
        }
      ]
    }

Optional keys are left out rather than set to null so the common row stays short.
"""
from __future__ import annotations

import json

from .model import AlignedRow, Article, Paragraph


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
    doc["rows"] = [row_json(row) for row in article.rows]
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


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
