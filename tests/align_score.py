"""Link-level precision, recall and F1 of the aligner against the hand-checked gold.

    /tmp/v/bin/python -m tests.align_score          the table, dev and held-out per article
    /tmp/v/bin/python -m tests.align_score --fit    also the length statistics of the dev gold

A *link* pairs one Chinese paragraph with one English paragraph; an aligned row of
2 Chinese and 1 English paragraphs makes two links.  Gold files (``tests/gold/*.yaml``)
name paragraphs by their line in ``source.txt`` (``"111/2"``: the second paragraph cut
from line 111) and split the article into sections marked ``dev`` (may be used to tune
the aligner) or ``heldout`` (only reported).  A section scores every link the aligner
makes whose Chinese or English paragraph lies inside the section's line spans, so a
translator's lede glued to a neighbour costs precision there.

Inputs are the real pipeline's: ``load_archive`` → ``clean_article`` → ``segment_article``
over ``content/``.
"""
from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import yaml

from site_src.align import align_archive
from site_src.capture import capture
from site_src.clean import clean_article
from site_src.load import load_archive
from site_src.model import AlignedRow, Article, Paragraph
from site_src.segment import segment_article

ROOT = Path(__file__).resolve().parents[1]
GOLD_DIR = Path(__file__).parent / "gold"
TARGET_F1 = 0.97


@dataclass(frozen=True)
class Section:
    split: str  # "dev" or "heldout"
    zh_lines: tuple[int, int]
    en_lines: tuple[int, int]
    links: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Gold:
    zh_article: str
    en_article: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Score:
    article: str
    split: str
    gold: int
    found: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_gold(path: Path) -> Gold:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sections = tuple(
        Section(s["split"], tuple(s["zh_lines"]), tuple(s["en_lines"]),
                frozenset((str(z), str(e)) for z, e in s["links"]))
        for s in data["sections"])
    return Gold(data["zh_article"], data["en_article"], sections)


def gold_files() -> tuple[Path, ...]:
    return tuple(sorted(GOLD_DIR.glob("*.yaml")))


@functools.lru_cache(maxsize=1)
def segmented() -> tuple[Article, ...]:
    """The shipped archive, cleaned and segmented (not yet aligned); built once per run."""
    archive = load_archive(ROOT / "content")
    return tuple(segment_article(clean_article(a, capture(a.source)[0])) for a in archive.articles)


def aligned() -> dict[str, Article]:
    return {a.slug: a for a in align_archive(segmented())}


def paragraph_ids(paras: Sequence[Paragraph]) -> dict[int, str]:
    """``id(paragraph)`` → its gold name: the line, or ``line/k`` when a line gave several."""
    per_line: dict[int, list[Paragraph]] = {}
    for p in paras:
        per_line.setdefault(p.line, []).append(p)
    names = {}
    for line, group in per_line.items():
        for k, p in enumerate(group, 1):
            names[id(p)] = str(line) if len(group) == 1 else f"{line}/{k}"
    return names


def links(rows: Sequence[AlignedRow], zh: Sequence[Paragraph], en: Sequence[Paragraph]) -> set[tuple[str, str]]:
    zn, en_names = paragraph_ids(zh), paragraph_ids(en)
    return {(zn[id(z)], en_names[id(e)]) for row in rows for z in row.zh for e in row.en}


def _line(name: str) -> int:
    return int(name.split("/")[0])


def score_section(section: Section, found: set[tuple[str, str]], article: str) -> Score:
    def inside(link: tuple[str, str]) -> bool:
        z, e = _line(link[0]), _line(link[1])
        return (section.zh_lines[0] <= z <= section.zh_lines[1]
                or section.en_lines[0] <= e <= section.en_lines[1])

    mine = {link for link in found if inside(link)}
    return Score(article, section.split, len(section.links), len(mine), len(mine & section.links))


def scores() -> list[Score]:
    """One score per gold file and split (sections of one split are pooled)."""
    articles = aligned()
    out = []
    for path in gold_files():
        gold = load_gold(path)
        zh_article, en_article = articles[gold.zh_article], articles[gold.en_article]
        found = links(zh_article.rows, zh_article.zh, en_article.en)
        for split in ("dev", "heldout"):
            parts = [score_section(s, found, gold.zh_article) for s in gold.sections if s.split == split]
            if parts:
                out.append(Score(gold.zh_article, split, sum(p.gold for p in parts),
                                 sum(p.found for p in parts), sum(p.correct for p in parts)))
    return out


def length_fit() -> tuple[float, float, int]:
    """Mean and spread of ln(Chinese units / English words) over the dev gold's beads,
    read from the gold itself (connected groups of links), not from the aligner."""
    from site_src.align.score import en_words, zh_units

    articles = {a.slug: a for a in segmented()}
    logs = []
    for path in gold_files():
        gold = load_gold(path)
        zh, en = articles[gold.zh_article].zh, articles[gold.en_article].en
        zh_names, en_names = paragraph_ids(zh), paragraph_ids(en)
        zh_by = {zh_names[id(p)]: p for p in zh}
        en_by = {en_names[id(p)]: p for p in en}
        for section in gold.sections:
            if section.split != "dev":
                continue
            for group in _groups(section.links):
                units = sum(zh_units(zh_by[z].text) for z in group[0])
                words = sum(en_words(en_by[e].text) for e in group[1])
                logs.append(math.log(units / words))
    mean = sum(logs) / len(logs)
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / len(logs))
    return math.exp(mean), sd, len(logs)


def _groups(gold_links: frozenset[tuple[str, str]]) -> list[tuple[set[str], set[str]]]:
    """Connected components of the link graph: the gold's beads."""
    groups: list[tuple[set[str], set[str]]] = []
    for z, e in sorted(gold_links):
        hits = [g for g in groups if z in g[0] or e in g[1]]
        merged = ({z}, {e})
        for g in hits:
            merged[0].update(g[0])
            merged[1].update(g[1])
            groups.remove(g)
        groups.append(merged)
    return groups


def table(rows: Sequence[Score]) -> str:
    lines = [f"{'article':34} {'split':8} {'gold':>5} {'found':>5} {'ok':>4} {'P':>6} {'R':>6} {'F1':>6}"]
    for s in rows:
        lines.append(f"{s.article:34} {s.split:8} {s.gold:5} {s.found:5} {s.correct:4} "
                     f"{s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(scores()))
    if "--fit" in sys.argv:
        ratio, sd, count = length_fit()
        print(f"dev gold beads {count}: ratio {ratio:.2f} Chinese units per English word, sd of log ratio {sd:.2f}")
