"""Builds ArticleMeta / Article objects for the cleaning tests straight from content/,
without the loader, so these tests exercise the cleaner alone."""
from __future__ import annotations

from pathlib import Path

import yaml

from site_src.model import ArticleMeta, Correction

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "content" / "articles"
EXPECTED = Path(__file__).resolve().parent / "expected"
SLUGS = tuple(sorted(p.name for p in ARTICLES.iterdir() if (p / "source.txt").is_file()))
NETEASE = "2026-02-ft-interview-netease"
JIEMIAN = "2025-03-jiemian-interview"
PHOENIX = "2026-02-ft-interview-phoenix"
OPED = "2025-12-ft-op-ed-open-source"
BLOOMBERG = "2025-03-bloomberg-china-show"


def meta(slug: str) -> ArticleMeta:
    data = yaml.safe_load((ARTICLES / slug / "article.yaml").read_text(encoding="utf-8"))
    return ArticleMeta(
        slug=slug, title_zh=data["title"]["zh"], title_en=data["title"].get("en") or "",
        outlet_zh=data["outlet"]["zh"], outlet_en=data["outlet"].get("en") or "",
        byline=data.get("byline") or "", date=str(data["date"]), date_note=data.get("date_note") or "",
        url=data.get("url") or "", kind=data["kind"], languages=tuple(data["languages"]),
        summary=data.get("summary") or "", source_note=data.get("source_note") or "",
        speakers=(), relations=(), english_original=data.get("english_original") or "")


def source(slug: str) -> str:
    return (ARTICLES / slug / "source.txt").read_text(encoding="utf-8")


def corrections_path(slug: str) -> Path | None:
    path = ARTICLES / slug / "corrections.yaml"
    return path if path.is_file() else None


def corrections(slug: str) -> tuple[Correction, ...]:
    """Parse corrections.yaml the way the format is specified: a top-level list of
    find/replace/why, each remembered with the line its entry starts on."""
    path = corrections_path(slug)
    if path is None:
        return ()
    node = yaml.compose(path.read_text(encoding="utf-8"))
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(Correction(e["find"], e["replace"], e["why"], item.start_mark.line + 1)
                 for e, item in zip(entries, node.value))


def expected_lines(slug: str) -> list[str]:
    return (EXPECTED / f"{slug}.txt").read_text(encoding="utf-8").splitlines()
