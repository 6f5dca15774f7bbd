"""Make a synthetic content folder of N articles from the real captures, for benchmarks.

    python bench/make_archive.py N OUT [--seed S] [--content DIR]

Each synthetic article is a copy of one real capture in which

* the body paragraphs are re-shuffled.  The shuffle works on the *raw* lines of
  source.txt, so pinyin residue, GBK mojibake runs, stray tags and mangled ellipses
  travel with their paragraphs and the cleaner has the same repairs to make; the
  page chrome and header lines stay where they were, so extraction cuts the same
  blocks;
* the digits of the body are changed by one permutation of 0-9 per article, applied
  to the Chinese and the English side alike, so numbers still match across languages
  and the aligner weighs the same kind of evidence;
* the metadata gets a new slug (``2025-03-synthetic-00042``), a summary saying what
  the article is, and relations that name only synthetic articles of the same
  archive.

Editors' corrections are carried over only if they still match the shuffled text
(after the same digit change); anchor registries are not copied, so the first build
mints every anchor, as a fresh archive would.  The glossary is copied as it is, so
mentions are found, related passages weigh entities and entity pages are made as in
the real archive (each entity is quoted from up to N articles); notes and
``links.yaml`` are not, as they name rows of the real articles.

The output depends only on N, the seed and the real content: the same arguments
give byte-identical files.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from site_src.capture import capture  # noqa: E402
from site_src.clean import clean_text  # noqa: E402
from site_src.clean import corrections as corrections_rule  # noqa: E402
from site_src.clean.extract import extract  # noqa: E402
from site_src.clean.pinyin import strip_annotations  # noqa: E402
from site_src.clean.textrules import normalize_space  # noqa: E402
from site_src.load import load_article  # noqa: E402
from site_src.model import Article, Correction  # noqa: E402
from site_src.segment import chinese_variety, line_language  # noqa: E402

DIGITS = "0123456789"
DIGIT = re.compile(r"[0-9]")
# A shuffle that happens to reproduce another article's bytes would be refused by the
# loader (one capture, two slugs); redraws are cheap and this many never all collide.
MAX_DRAWS = 100


@dataclass(frozen=True)
class Base:
    """One real article, read once, with the raw text split as the cleaner splits it."""

    article: Article
    meta_doc: dict  # article.yaml as parsed YAML, rewritten per synthetic copy
    corrections_doc: list  # corrections.yaml entries as parsed YAML, in file order
    lines: tuple[str, ...]
    sections: tuple[tuple[int, ...], ...]  # 0-based indices of body lines, per section


@dataclass(frozen=True)
class Synthetic:
    slug: str
    base: Base
    source: str
    meta_doc: dict
    corrections_doc: list


def read_bases(content: Path) -> tuple[Base, ...]:
    """The real articles, donors of English first (see ``family_order``)."""
    folders = sorted(p for p in (content / "articles").iterdir() if p.is_dir())
    bases = []
    for folder in folders:
        article = load_article(folder)
        meta_doc = yaml.safe_load((folder / "article.yaml").read_text(encoding="utf-8"))
        corrections_path = folder / "corrections.yaml"
        corrections_doc = (yaml.safe_load(corrections_path.read_text(encoding="utf-8")) or []
                           if corrections_path.is_file() else [])
        lines = tuple(capture(article.source)[0].split("\n"))
        bases.append(Base(article, meta_doc, corrections_doc, lines, body_sections(article, lines)))
    return family_order(bases)


def family_order(bases: list[Base]) -> tuple[Base, ...]:
    """Order the bases so that every article another one borrows English from comes
    first.  Synthetic article i copies base ``i % len(bases)``, so within each group of
    len(bases) consecutive articles a borrower's donor always exists, even in the last,
    incomplete group: ``english_text_from`` can always be kept."""
    donors = {r.slug for b in bases for r in b.article.meta.relations if r.kind == "english_text_from"}
    return tuple(sorted(bases, key=lambda b: (b.article.slug not in donors, b.article.slug)))


def body_sections(article: Article, lines: tuple[str, ...]) -> tuple[tuple[int, ...], ...]:
    """The lines the cleaner keeps as body, grouped into runs of one language.

    Paragraphs are shuffled only within a run: a capture that carries a translation
    and then the English original must keep the two apart, or segmentation and
    alignment would face a different problem from the real one."""
    chinese = chinese_variety(article.meta)
    kept = [number - 1 for number, _ in extract(list(lines), article.meta).kept]
    sections: list[list[int]] = []
    last_lang = None
    for index in kept:
        lang = line_language(strip_annotations(normalize_space(lines[index])), chinese)
        if lang != last_lang:
            sections.append([])
            last_lang = lang
        sections[-1].append(index)
    return tuple(tuple(s) for s in sections)


def shuffled_lines(base: Base, rng: random.Random, digits: dict[str, str]) -> list[str]:
    lines = list(base.lines)
    for section in base.sections:
        # The first line of a run stays in place: extraction takes the first prose line
        # as the start of the body and reads the short lines above it as header; a
        # heading shuffled to the top would be cut as a header tag.
        rest = list(section[1:])
        order = rest[:]
        rng.shuffle(order)
        for target, source in zip(rest, order):
            lines[target] = base.lines[source]
        for index in section:
            lines[index] = change_digits(lines[index], digits)
    return lines


def change_digits(text: str, digits: dict[str, str]) -> str:
    return DIGIT.sub(lambda m: digits[m.group()], text)


def slug_for(base: Base, index: int) -> str:
    return f"{base.article.meta.date[:7]}-synthetic-{index:05d}"


@dataclass(frozen=True)
class Made:
    site_doc: dict
    articles: tuple[Synthetic, ...]
    glossary: str  # glossary.yaml as it is in the real content ("" if it has none)


def make_archive(content: Path, n: int, seed: int) -> Made:
    """The synthetic site.yaml document, N articles and the glossary, computed without writing."""
    bases = read_bases(content)
    slugs = [slug_for(bases[i % len(bases)], i) for i in range(n)]
    seen: set[str] = set()
    articles = []
    for i in range(n):
        base = bases[i % len(bases)]
        # One generator per article, seeded by (seed, i): article i does not depend on
        # how many random numbers the articles before it drew.
        rng = random.Random(f"{seed}:{i}")
        for _ in range(MAX_DRAWS):
            digits = dict(zip(DIGITS, rng.sample(DIGITS, len(DIGITS))))
            source = "\n".join(shuffled_lines(base, rng, digits))
            digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
            if digest not in seen:
                break
        else:
            raise RuntimeError(f"{MAX_DRAWS} draws for article {i} all repeat an earlier article")
        seen.add(digest)
        meta_doc = synthetic_meta(bases, i, seed, slugs)
        corrections_doc = matching_corrections(base, source, digits)
        articles.append(Synthetic(slugs[i], base, source, meta_doc, corrections_doc))
    site_doc = yaml.safe_load((content / "site.yaml").read_text(encoding="utf-8"))
    site_doc["title"] = f"{site_doc['title']} (synthetic benchmark archive: {n} articles, seed {seed})"
    glossary = content / "glossary.yaml"
    return Made(site_doc, tuple(articles), glossary.read_text(encoding="utf-8") if glossary.is_file() else "")


def synthetic_meta(bases: tuple[Base, ...], index: int, seed: int, slugs: list[str]) -> dict:
    """The base's metadata with relations redirected to the copies in the article's own
    group of ``len(bases)`` consecutive articles, and dropped where that copy does not
    exist (the last group may be incomplete)."""
    family = len(bases)
    base = bases[index % family]
    doc = dict(base.meta_doc)
    doc["summary"] = (f"Synthetic benchmark article {index:05d} (seed {seed}), made from "
                      f"{base.article.slug}: body paragraphs shuffled, digits changed.")
    start = index - index % family
    copy_of = {bases[j % family].article.slug: slugs[j] for j in range(start, min(start + family, len(slugs)))}
    relations = {}
    for kind, items in (base.meta_doc.get("relations") or {}).items():
        kept = [{**item, "slug": copy_of[item["slug"]]} for item in items if item["slug"] in copy_of]
        if kind == "english_text_from" and len(kept) != len(items):
            raise AssertionError("family_order puts every English donor before its borrowers")
        if kept:
            relations[kind] = kept
    doc["relations"] = relations
    return doc


def matching_corrections(base: Base, source: str, digits: dict[str, str]) -> list:
    """The base's corrections, with the same digit change, that still match the
    synthetic text; each is tried on the text the earlier kept ones leave, as the
    cleaner applies them in order."""
    if not base.corrections_doc:
        return []
    lines = clean_text(source, base.article.meta).lines
    kept = []
    for entry in base.corrections_doc:
        entry = {**entry, "find": change_digits(entry["find"], digits),
                 "replace": change_digits(entry["replace"], digits)}
        if any(entry["find"] in line.text for line in lines):
            kept.append(entry)
            lines, _ = corrections_rule.apply(lines, (Correction(entry["find"], entry["replace"], entry["why"], 0),), None)
    return kept


def dump(doc: object) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def write_archive(out: Path, made: Made) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "site.yaml").write_text(dump(made.site_doc), encoding="utf-8")
    if made.glossary:
        (out / "glossary.yaml").write_text(made.glossary, encoding="utf-8")
    for a in made.articles:
        folder = out / "articles" / a.slug
        folder.mkdir(parents=True)
        # newline="" keeps the capture's line endings exactly as the shuffle left them.
        with open(folder / "source.txt", "w", encoding="utf-8", newline="") as f:
            f.write(a.source)
        (folder / "article.yaml").write_text(dump(a.meta_doc), encoding="utf-8")
        if a.corrections_doc:
            (folder / "corrections.yaml").write_text(
                "# Corrections of " + a.base.article.slug + " that still match this synthetic text.\n"
                + dump(a.corrections_doc), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", type=int, help="number of articles to make")
    p.add_argument("out", type=Path, help="content folder to create (must not exist or be empty)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    p.add_argument("--content", type=Path, default=ROOT / "content",
                   help="real content folder to draw from (default: content/)")
    args = p.parse_args(argv)
    if args.n < 1:
        p.error("N must be at least 1")
    if args.out.exists() and any(args.out.iterdir()):
        p.error(f"{args.out} exists and is not empty; choose a new folder")
    made = make_archive(args.content, args.n, args.seed)
    write_archive(args.out, made)
    print(f"wrote {len(made.articles)} synthetic articles to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
