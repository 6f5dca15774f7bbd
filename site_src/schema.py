"""Declared schemas for the content's YAML files, validated with line numbers.

PyYAML's ``safe_load`` forgets where each value came from, so a message could only
say "article.yaml is wrong".  We validate the *composed node tree* instead: every
node carries its start mark, so each problem names file and line.  All problems of a
file are collected and reported together (an editor fixes them in one pass).

The schema is data (``Field`` lists below), not code paths, so the README can list
it and a new key is one line.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Callable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ContentError, Problem
from .model import AlignmentOverride, ArticleMeta, Correction, Editor, RelatedConfig, Relation, SiteConfig, Speaker

LANGS = ("zh-Hant", "zh-Hans", "en")
KINDS = ("interview", "op-ed", "report")
RELATION_KINDS = ("translation_of", "same_source_as", "refers_to", "english_text_from")
ROLES = ("interviewer", "interviewee")
# libyaml's loader when PyYAML was built with it: same nodes and marks, ten times faster
# (the anchor registries are the largest YAML files).
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
COUNT_RE = re.compile(r"^[0-9]+$")
NUMBER_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# A paragraph named by its row's anchor and side: p12-zh, p12-en, p12-en-2 (the second).
PARAGRAPH_REF_RE = re.compile(r"^p[1-9][0-9]*-(zh|en)(-([2-9]|[1-9][0-9]+))?$")
# Captures larger than this are refused before they are read (site.yaml → max_capture_kb).
# The aligner scores every pair of paragraphs, so its time and memory grow with the
# square of the capture: a 0.9 MB bilingual capture took 34 s and 0.7 GB here, a 20 MB
# one would take hours and more memory than a laptop has.  The largest real capture is
# 39 KB; 1 MB leaves room for a long transcript and still builds in well under a minute.
MAX_CAPTURE_KB = 1024


def compose(text: str, path: Path) -> Node | None:
    """Parse YAML text into a node tree; a syntax error names file and line."""
    try:
        return yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = f"YAML syntax error: {exc.problem or exc.context}"
        # The parser notices the error where it gives up, often a line after the cause
        # (an unclosed '[' or quote): name where the construct it was reading began.
        start = exc.context_mark.line + 1 if exc.problem and exc.context and exc.context_mark else None
        if start and start != line:
            problem += f" ({exc.context} that starts on line {start})"
        raise ContentError(
            Problem(path, line, problem,
                    "check indentation and quoting on that line (quote text containing ': ' or '#')")
        ) from None


@dataclass
class Checker:
    """Walks nodes, collecting problems instead of stopping at the first."""

    path: Path
    problems: list[Problem]

    def line(self, node: Node) -> int:
        return node.start_mark.line + 1

    def fail(self, node: Node | None, problem: str, fix: str) -> None:
        self.problems.append(Problem(self.path, self.line(node) if node else 1, problem, fix))

    def mapping(self, node: Node | None, what: str, keys: dict[str, bool],
                hints: dict[str, str] | None = None) -> dict[str, Node]:
        """Return key → value node; report unknown keys and missing required ones.
        ``hints`` give the fix for unknown keys an editor is likely to try."""
        if node is None:
            return {}  # an absent key: the mapping that lacks it has already said so
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} must be a mapping (key: value)", "see the README's content schema")
            return {}
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):  # `[a]: b` or `? {a: 1}` is legal YAML
                self.fail(key_node, f"a key in {what} is a list or mapping", "write a plain word before the ':'")
                continue
            key = key_node.value
            if key not in keys:
                # A typo (tittle) is the usual cause: name the key it was meant to be.
                close = get_close_matches(str(key), list(keys), n=1, cutoff=0.75)
                fix = (hints or {}).get(key) or (f"did you mean '{close[0]}'?" if close
                                                 else f"use one of: {', '.join(keys)}")
                self.fail(key_node, f"unknown key '{key}' in {what}", fix)
            elif key in out:
                self.fail(key_node, f"duplicate key '{key}' in {what}", "keep only one")
            else:
                out[key] = value_node
        for key, required in keys.items():
            if required and key not in out:
                self.fail(node, f"{what} lacks required key '{key}'", f"add '{key}:'")
        return out

    def text(self, node: Node | None, what: str, *, default: str = "", pattern: re.Pattern | None = None,
             choices: tuple[str, ...] = ()) -> str:
        if node is None:
            return default
        if not isinstance(node, ScalarNode):
            self.fail(node, f"{what} must be a single value", "write it on one line or as a quoted string")
            return default
        value = node.value if node.tag != "tag:yaml.org,2002:null" else ""
        if choices and value not in choices:
            self.fail(node, f"{what} is '{value}'", f"use one of: {', '.join(choices)}")
        elif pattern and not value:
            # A pattern-checked value names something (an id, a slug, a date); empty, it
            # would name nothing, or collide (an entity with id '' would be written over
            # the glossary's index page).
            self.fail(node, f"{what} is empty", f"give it a value matching {pattern.pattern}")
        elif pattern and not pattern.match(value):
            self.fail(node, f"{what} '{value}' is malformed", f"expected a value matching {pattern.pattern}")
        return value

    def date(self, node: Node | None, what: str) -> str:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, and a day that exists in the calendar."""
        value = self.text(node, what, pattern=DATE_RE)
        if node is not None and DATE_RE.match(value):
            parts = [int(x) for x in value.split("-")]
            try:
                datetime.date(parts[0], *(parts[1:] + [1, 1][len(parts) - 1:]))
            except ValueError as exc:
                self.fail(node, f"{what} '{value}' is not a date ({exc})",
                          "write YYYY, YYYY-MM or YYYY-MM-DD with a real month and day")
        return value

    def items(self, node: Node | None, what: str) -> list[Node]:
        if node is None:
            return []
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return []
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{what} must be a list", "write one '- item' per line")
            return []
        return list(node.value)

    def texts(self, node: Node | None, what: str, choices: tuple[str, ...] = ()) -> tuple[str, ...]:
        return tuple(self.text(n, f"an item of {what}", choices=choices) for n in self.items(node, what))


def validated(path: Path, node: Node | None, build: Callable[[Checker, Node | None], Any]) -> Any:
    checker = Checker(path, [])
    result = build(checker, node)
    if checker.problems:
        raise ContentError(checker.problems)
    return result


def site_config(text: str, path: Path) -> SiteConfig:
    return site_settings(text, path)[0]


def site_settings(text: str, path: Path) -> tuple[SiteConfig, int]:
    """``site.yaml``: the site's configuration, and the largest capture the build
    accepts, in bytes (``max_capture_kb``; only the loader needs it)."""
    def build(c: Checker, node: Node | None) -> tuple[SiteConfig, int]:
        if node is None:
            c.fail(None, "site.yaml is empty", "write the archive's title, description, base_url, editors and contact")
        f = c.mapping(node, "site.yaml", {"title": True, "subtitle": False, "description": True,
                                          "base_url": True, "language": False, "editors": True,
                                          "contact": True, "related": False, "max_capture_kb": False})
        max_kb = c.text(f.get("max_capture_kb"), "max_capture_kb", default=str(MAX_CAPTURE_KB), pattern=COUNT_RE)
        editors = []
        for item in c.items(f.get("editors"), "editors"):
            e = c.mapping(item, "an editor", {"name": True, "role": False})
            editors.append(Editor(c.text(e.get("name"), "editor name"), c.text(e.get("role"), "editor role")))
        base_url = c.text(f.get("base_url"), "base_url")
        if base_url and not base_url.startswith(("https://", "http://")):
            # 404.html links through it: any other scheme (javascript:) would run there.
            c.fail(f["base_url"], f"base_url '{base_url}' is not a web address",
                   "write the site's full https://… address")
        elif base_url and not base_url.endswith("/"):
            c.fail(f["base_url"], "base_url must end with '/'", f"write '{base_url}/'")
        related = RelatedConfig()
        if "related" in f:
            r = c.mapping(f["related"], "related", {"per_row": False, "min_score": False})
            per_row = c.text(r.get("per_row"), "related.per_row", default=str(related.per_row), pattern=COUNT_RE)
            min_score = c.text(r.get("min_score"), "related.min_score", default=str(related.min_score),
                               pattern=NUMBER_RE)
            if COUNT_RE.match(per_row) and NUMBER_RE.match(min_score):
                related = RelatedConfig(int(per_row), float(min_score))
        return SiteConfig(
            title=c.text(f.get("title"), "title"), subtitle=c.text(f.get("subtitle"), "subtitle"),
            description=c.text(f.get("description"), "description"), base_url=base_url,
            editors=tuple(editors), contact=c.text(f.get("contact"), "contact"),
            language=c.text(f.get("language"), "language", default="zh-Hant", choices=LANGS), related=related,
        ), 1024 * int(max_kb if COUNT_RE.match(max_kb) else MAX_CAPTURE_KB)

    return validated(path, compose(text, path), build)


def _bilingual(c: Checker, node: Node | None, what: str, *, need_zh: bool) -> tuple[str, str]:
    f = c.mapping(node, what, {"zh": need_zh, "en": False})
    return c.text(f.get("zh"), f"{what}.zh"), c.text(f.get("en"), f"{what}.en")


def article_meta(text: str, path: Path, slug: str) -> ArticleMeta:
    def build(c: Checker, node: Node | None) -> ArticleMeta:
        if node is None:
            c.fail(None, "article.yaml is empty", "write the article's title, outlet, date, kind, languages and summary")
        f = c.mapping(node, "article.yaml", {
            "title": True, "outlet": True, "byline": False, "date": True, "date_note": False,
            "url": False, "kind": True, "languages": True, "summary": True, "source_note": False,
            "english_original": False, "speakers": False, "relations": False},
            # Slugs are folder names, unique by construction; a key could repeat one.
            hints={"slug": "an article's slug is its folder's name: rename the folder"})
        title_zh, title_en = _bilingual(c, f.get("title"), "title", need_zh=True)
        outlet_zh, outlet_en = _bilingual(c, f.get("outlet"), "outlet", need_zh=True)
        url = c.text(f.get("url"), "url")
        if url and not url.startswith(("https://", "http://")):
            c.fail(f["url"], f"url '{url}' is not a web address", "write the full https://… address, or leave it empty")
        speakers = []
        for item in c.items(f.get("speakers"), "speakers"):
            s = c.mapping(item, "a speaker", {"id": True, "name": True, "role": True, "labels": True})
            zh, en = _bilingual(c, s.get("name"), "speaker name", need_zh=True)
            labels = c.texts(s.get("labels"), "labels")
            if not labels and "labels" in s:
                c.fail(s["labels"], "a speaker needs at least one label", "list the prefixes that start its turns, e.g. [問]")
            speakers.append(Speaker(id=c.text(s.get("id"), "speaker id", pattern=SLUG_RE), name_zh=zh, name_en=en,
                                    role=c.text(s.get("role"), "speaker role", choices=ROLES), labels=labels))
        relations = []
        rel = c.mapping(f.get("relations"), "relations", {k: False for k in RELATION_KINDS}) \
            if f.get("relations") is not None else {}
        for kind, value in rel.items():
            for item in c.items(value, f"relations.{kind}"):
                r = c.mapping(item, f"a {kind} relation", {"slug": True, "note": False})
                relations.append(Relation(kind, c.text(r.get("slug"), "relation slug", pattern=SLUG_RE),
                                          c.text(r.get("note"), "relation note"), c.line(item)))
        return ArticleMeta(
            slug=slug, title_zh=title_zh, title_en=title_en, outlet_zh=outlet_zh, outlet_en=outlet_en,
            byline=c.text(f.get("byline"), "byline"),
            date=c.date(f.get("date"), "date"),
            date_note=c.text(f.get("date_note"), "date_note"), url=url,
            kind=c.text(f.get("kind"), "kind", choices=KINDS),
            languages=c.texts(f.get("languages"), "languages", choices=LANGS),
            summary=c.text(f.get("summary"), "summary"), source_note=c.text(f.get("source_note"), "source_note"),
            speakers=tuple(speakers), relations=tuple(relations),
            english_original=c.text(f.get("english_original"), "english_original"))

    return validated(path, compose(text, path), build)


def corrections(text: str, path: Path) -> tuple[Correction, ...]:
    def build(c: Checker, node: Node | None) -> tuple[Correction, ...]:
        out = []
        for item in c.items(node, "corrections.yaml"):
            f = c.mapping(item, "a correction", {"find": True, "replace": True, "why": True})
            find = c.text(f.get("find"), "find")
            if "find" in f and not find:
                c.fail(f["find"], "'find' is empty", "quote the exact damaged text to replace")
            why = c.text(f.get("why"), "why")
            if "why" in f and not why.strip():
                c.fail(f["why"], "'why' is empty", "say what was damaged and how the fix was established")
            out.append(Correction(find, c.text(f.get("replace"), "replace"), why, c.line(item)))
        return tuple(out)

    return validated(path, compose(text, path), build)


def alignment_overrides(text: str, path: Path) -> tuple[AlignmentOverride, ...]:
    """``alignment.yaml``: a list of ``pair: [refs]`` or ``alone: ref`` entries, each with
    a ``why``.  Only the form is checked here; whether the refs still name paragraphs
    of the article is decided at build time (``site_src.overrides``), where a stale
    entry is a warning, not an error."""
    def ref(c: Checker, node: Node) -> str:
        value = c.text(node, "a paragraph")
        if value and not PARAGRAPH_REF_RE.match(value):
            c.fail(node, f"'{value}' does not name a paragraph",
                   "write the row's anchor and side: p12-zh, p12-en, or p12-en-2 for the second one")
        return value

    def build(c: Checker, node: Node | None) -> tuple[AlignmentOverride, ...]:
        out = []
        for item in c.items(node, "alignment.yaml"):
            f = c.mapping(item, "an override", {"pair": False, "alone": False, "why": True})
            why = c.text(f.get("why"), "why")
            if "why" in f and not why.strip():
                c.fail(f["why"], "'why' is empty", "say what the aligner got wrong and how you know")
            if ("pair" in f) == ("alone" in f):
                c.fail(item, "an override needs exactly one of 'pair' or 'alone'",
                       "write 'pair: [p12-zh, p12-en]' or 'alone: p12-zh'")
                continue
            if "alone" in f:
                out.append(AlignmentOverride("alone", (ref(c, f["alone"]),), why, c.line(item)))
                continue
            refs = tuple(ref(c, n) for n in c.items(f["pair"], "pair"))
            well_formed = [r for r in refs if PARAGRAPH_REF_RE.match(r)]
            if len(set(refs)) < len(refs):
                c.fail(f["pair"], "a paragraph is named twice in 'pair'", "name each paragraph once")
            # A malformed ref is reported above and says nothing about its side.
            if len(well_formed) == len(refs) and {r.split("-")[1] for r in refs} != {"zh", "en"}:
                c.fail(f["pair"], "a pair must name at least one Chinese and one English paragraph",
                       "add the other side (p12-zh with p12-en), or use 'alone:' for a paragraph on its own")
            out.append(AlignmentOverride("pair", refs, why, c.line(item)))
        return tuple(out)

    return validated(path, compose(text, path), build)
