"""Stages 2–4b per article — clean, segment, align, overrides — cached and on every core.

Each article goes ``clean_article`` → ``segment_article`` → aligned against its English
(its own, or that of the article its ``english_text_from`` names, as in
``align.align_archive``) → ``apply_overrides``.  The result is looked up in the
per-article cache first (``site_src.cache``); only articles whose files changed are
worked on, spread over the cores by ``site_src.pool`` when there are enough of them.
An article that borrows its English needs the donor's paragraphs, so a donor is
cleaned and segmented along with the articles it lends to unless the cache has it.

Problems (a correction that no longer matches) are collected over all articles and
raised together, as the load stage does.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Callable, Iterator

from .cache import Cache, Prepared, Spilled, article_key
from .capture import capture
from .errors import Carried, DuizhaoError
from .model import AlignedRow, Archive, Article, Articles, Notice, Packed, Paragraph
from .pool import Mapper, Standing, give_back_memory, helper, mapper, spread


@dataclass(frozen=True)
class Failed(Carried):
    """A worker's DuizhaoError and the stage that raised it."""

    stage: str  # "clean" (cleaning and segmentation) or "align" (alignment and overrides)


# Articles the cache lacks are worked on this many at a time: only one batch's
# cleaning output (the kept lines, a fifth of an article) and the copies the workers
# send back are in memory at once, some 130 KB an article while it is worked on
# (tracemalloc, 300 articles in one batch: 72 MB at the peak, 33 MB after), instead
# of every article's at once (1.3 GB at 10,000).
BATCH = 500


def prepare_archive(archive: Archive, cache: Cache, processes: int | None = None,
                    standing: Standing | None = None, meanwhile: Callable[[], None] | None = None) -> Archive:
    """``standing``: workers to use whatever the number of articles (serve's).
    ``meanwhile``: work for this process while a helper aligns (``pool.helper``, for
    archives too small for the pool), done once; not done without a helper."""
    shells = list(archive.articles.shells())  # what the stage reads of the articles as loaded
    loaded = {p.slug: p for p in archive.articles.packed}  # and all of them (the notes wait packed)
    by_slug = {a.slug: a for a in shells}
    donors = {a.slug: tuple(by_slug[s] for s in a.meta.related("english_text_from") if s in by_slug)
              for a in shells}
    keys = {a.slug: article_key(a, donors[a.slug]) for a in shells}
    # Each article as the later stages see it, packed (model.Packed) as soon as it is
    # ready: held as objects until the end of the stage, they were most of a 10,000-
    # article build's memory.  An entry just read is in the cache: its log can be
    # read back from there.
    found: dict[str, Packed | None] = {slug: _ready(loaded[slug], _kept(cache.get(key), cache, key))
                                       for slug, key in keys.items()}
    missing = [a for a in shells if found[a.slug] is None]
    # Articles that lend their English go first (the sort is stable), so a borrower's
    # batch finds its donor prepared; a donor still to come is segmented with it.
    lending = {d.slug for a in missing for d in donors[a.slug]}
    missing.sort(key=lambda a: a.slug not in lending)
    failures: list[Failed] = []
    # Too few articles for the pool: they are aligned on a helper process, which
    # loads the aligner's tables while they are cleaned here.
    few = bool(missing) and standing is None and not spread(len(missing), processes)
    with mapper(len(missing), processes, standing) as map_, \
            (helper(warm, processes, meanwhile) if few else nullcontext(None)) as aligning:
        for start in range(0, len(missing), BATCH):
            failures += _prepare_batch(missing[start:start + BATCH], donors, found, keys, cache, map_,
                                       aligning or map_, loaded, helped=aligning is not None)
            give_back_memory()
    # As before batching: cleaning problems first, each article's once.
    failures.sort(key=lambda f: f.stage != "clean")
    _raise_failures(failures)
    return replace(archive, articles=Articles(found[a.slug] for a in shells))  # type: ignore[misc]


def _prepare_batch(batch: list[Article], donors: dict[str, tuple[Article, ...]], found: dict[str, Packed | None],
                   keys: dict[str, str], cache: Cache, map_: Mapper, align_map: Mapper,
                   loaded: dict[str, Packed], helped: bool = False) -> list[Failed]:
    """Clean, segment, align and override ``batch``; put each result in the cache and
    in ``found``; return the failures.  ``map_`` cleans and segments, ``align_map``
    aligns.  ``loaded``: the articles as loaded, packed.  ``helped``: ``align_map`` is
    a helper's, which an article without English is not sent to (its rows, one a
    paragraph, need none of the aligner's tables): two of the five articles, whose
    turns on the helper came after the others' alignment and held up the stage.

    An article is sent to be aligned as soon as it and the donors of its English are
    segmented (``ready``): when ``map_`` cleans here and a helper aligns, the helper
    aligns one article while the next is cleaned (five articles: 0.2 s of alignment
    had waited for the last cleaning)."""
    names = {a.slug for a in batch}
    extra = {d.slug: d for a in batch for d in donors[a.slug] if found[d.slug] is None and d.slug not in names}
    early = batch + list(extra.values())
    segmented: dict[str, Article | Failed] = {}
    # What each article of the batch waits for before it can be aligned: itself and
    # the donors still to be segmented; and who waits for each.
    awaited = {a.slug: {a.slug} | {d.slug for d in donors[a.slug] if found[d.slug] is None} for a in batch}
    waiting: dict[str, list[str]] = {}
    for slug, slugs in awaited.items():
        for other in slugs:
            waiting.setdefault(other, []).append(slug)

    def english(article: Article) -> tuple[Paragraph, ...] | None:
        """The borrowed English; None when a donor failed (its problems are reported)."""
        for donor in donors[article.slug]:
            done = segmented.get(donor.slug) or found[donor.slug]
            if isinstance(done, Failed):
                return None
            prepared = done if isinstance(done, Article) else done.unpack("text")  # type: ignore[union-attr]
            en = prepared.en
            if en:
                return en
        return ()

    by_name = {a.slug: a for a in batch}
    jobs: list[tuple[Article, Article, tuple[Paragraph, ...]]] = []  # (as loaded, segmented, English)
    sent: list[str] = []  # the jobs given to align_map, in order
    aligned_as: dict[str, Aligned | Failed] = {}

    def ready() -> Iterator[tuple[Article, tuple[Paragraph, ...]]]:
        """The alignment jobs, each as soon as what it needs is segmented."""
        for article, done in zip(early, map_(_clean_and_segment, early)):
            segmented[article.slug] = done
            for slug in waiting.get(article.slug, ()):
                awaited[slug].discard(article.slug)
                if awaited[slug]:
                    continue
                own = segmented[slug]
                en = english(by_name[slug])
                if isinstance(own, Article) and en is not None:
                    jobs.append((by_name[slug], own, en))
                    # Workers get no cleaning log and send back only rows and warnings:
                    # the parent has the rest, and a second copy of every article would
                    # double the peak memory.
                    job = replace(own, clean=None), en
                    if helped and not (own.en or en):
                        aligned_as[slug] = _align_and_override(job)
                        continue
                    sent.append(slug)
                    yield job

    made = list(align_map(_align_and_override, ready()))  # ready() has filled ``sent`` once read
    aligned_as.update(zip(sent, made))
    failures = [r for slug, r in segmented.items() if isinstance(r, Failed) and slug in names]
    # Kept and reported in the batch's order, whatever order they were ready in.
    place = {a.slug: i for i, a in enumerate(batch)}
    for article, done, en in sorted(jobs, key=lambda job: place[job[0].slug]):
        aligned = aligned_as[article.slug]
        if isinstance(aligned, Failed):
            failures.append(aligned)
            continue
        assert done.clean is not None
        # The kept lines were segmentation's input and nothing after it reads them: at
        # a fifth of an article's memory they are neither cached nor kept.
        rows = _shared(aligned.rows, done.paragraphs + en)
        prepared = Prepared(replace(done.clean, lines=()), done.paragraphs, rows, aligned.warnings)
        cache.put(keys[article.slug], prepared)
        key = keys[article.slug]
        # The log is left in the cache entry if the entry could be written.
        kept = _kept(prepared, cache, key) if cache.has(key) else prepared
        found[article.slug] = _ready(loaded[article.slug], kept)
    return failures


# The stages are imported where they run: their tables (pypinyin's alone is 0.2 s)
# would otherwise load on every build, also when the cache serves every article.
def _clean_and_segment(article: Article) -> Article | Failed:
    from .clean import clean_article
    from .segment import segment_article

    try:
        # Read here, in the worker: load keeps only the capture's hash.
        return segment_article(clean_article(article, capture(article.source)[0]))
    except DuizhaoError as exc:
        return Failed(type(exc), tuple(exc.problems), "clean")


@dataclass(frozen=True)
class Aligned:
    rows: tuple[AlignedRow, ...]
    warnings: tuple[Notice, ...]  # from the overrides


def _align_and_override(job: tuple[Article, tuple[Paragraph, ...]]) -> Aligned | Failed:
    from .align import align_pair, chinese_only
    from .overrides import apply_overrides

    article, borrowed = job
    en = article.en or borrowed
    aligned = replace(article, rows=align_pair(article.zh, en) if en else chinese_only(article.zh))
    try:
        done = apply_overrides(aligned)
    except DuizhaoError as exc:
        return Failed(type(exc), tuple(exc.problems), "align")
    return Aligned(done.rows, done.warnings[len(article.warnings):])


def warm(sample: Article | None = None) -> None:
    """Load the tables cleaning and alignment read (CC-CEDICT, the character lists):
    time that serve spends once while it waits for the first edit
    instead of on that edit, since its first build takes every article from the cache.

    ``sample``: an article with English, cleaned and aligned once too.  What these
    stages read lazily (the pinyin table, the glosses of words, the bytes a reading
    vouches for) made a process's first article cost twice the next: at 10,000
    articles, 95 and 60 ms more for the first capture edit's cleaning and alignment.
    A sample that cannot be read or cleaned warms what it reached."""
    from .align.lexicon import chinese_keys
    from .clean.lexicon import common_chars

    chinese_keys("對照")
    common_chars()
    if sample is None:
        return
    try:
        done = _clean_and_segment(sample)
    except OSError:
        return  # gone since it was loaded: the next edit will say so
    if isinstance(done, Article) and done.en:
        _align_and_override((replace(done, clean=None), done.en))


def _kept(prepared: Prepared | None, cache: Cache, key: str) -> Prepared | None:
    """``prepared``, which the cache holds, as it waits for the other articles: with
    its cleaning log left in its cache entry (the cleaning page reads it back).
    Held to the end of the stage, every article's log was part of its peak: at 1,000
    articles with a full cache the peak fell from 311 to 217 MB without them."""
    if prepared is None:
        return None
    return replace(prepared, clean=replace(prepared.clean, changes=Spilled(cache, key, len(prepared.clean.changes))))


def _ready(loaded: Packed, prepared: Prepared | None) -> Packed | None:
    """The article as the later stages see it, packed: what the cached stages made of
    it, without what only a page of its own shows, which is read again there (the
    capture from its file, the cleaning log from the cache: see ``_kept``)."""
    if prepared is None:
        return None
    article = loaded.unpack()  # as loaded: its notes
    return Packed.of(replace(article, clean=prepared.clean, paragraphs=prepared.paragraphs, rows=prepared.rows,
                             warnings=article.warnings + prepared.warnings,
                             source=replace(article.source, text=None, raw=b"")))


def _shared(rows: tuple[AlignedRow, ...], paragraphs: tuple[Paragraph, ...]) -> tuple[AlignedRow, ...]:
    """``rows`` holding the very objects of ``paragraphs`` where they hold equal ones.

    Rows made in a worker arrive as copies of the article's paragraphs; pointing
    them back at one object keeps one copy of the text in the cache entry and in the
    packed article."""
    own = {p: p for p in paragraphs}
    out = []
    for row in rows:
        zh, en = tuple(own.get(p, p) for p in row.zh), tuple(own.get(p, p) for p in row.en)
        same = all(a is b for a, b in zip(zh + en, row.zh + row.en))
        out.append(row if same else replace(row, zh=zh, en=en))
    return tuple(out)


def _raise_failures(failures: list[Failed]) -> None:
    if failures:
        raise failures[0].kind([p for f in failures for p in f.problems])
