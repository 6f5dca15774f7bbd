#!/usr/bin/env python3
"""duizhao (對照) — build the annotated bilingual archive in content/ into a static site.

    python build.py                 build content/ into _site/
    python build.py build --content DIR --out DIR
    python build.py serve           build, serve on http://127.0.0.1:8000, rebuild on change
    python build.py check           validate content; fail if a published anchor would break
    python build.py report SLUG     list the article's rows the aligner is least sure of

Each stage finishes over all articles before the next begins: alignment needs the
whole set (000 borrows its English from 001), and so will cross-links.
"""
from __future__ import annotations

import argparse
import enum
import functools
import gc
import os
import sys
import tempfile
import traceback
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NoReturn

if __name__ == "__main__":
    # Before the program is imported (0.2 s on one core), so that the search indexer
    # loads its Chinese dictionary on the other core meanwhile (see site_src.indexer;
    # a build of the five articles took 0.04–0.1 s less).
    from site_src.indexer import prestart

    PRESTARTED = prestart(sys.argv[1:])


def _missing(exc: ModuleNotFoundError) -> NoReturn:
    """Started by a Python without the packages (``python3 build.py`` outside the
    project's ``.venv``): run again under ``.venv``'s Python if the README's set-up
    made one, otherwise say what to run, not a traceback."""
    venv = Path(__file__).resolve().parent / ".venv"
    python = venv / "bin" / "python"
    if python.is_file() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(python, [str(python), __file__, *sys.argv[1:]])
    sys.exit(f"error: {sys.executable} has no package {exc.name!r} — install the requirements "
             f"(the README's set-up command makes .venv/ with them), then run .venv/bin/python build.py")


try:
    from site_src.align import LOW_CONFIDENCE
    from site_src.annotate import annotate_archive
    from site_src.anchors import assign_article, unresolved
    from site_src.cache import NO_CACHE, Cache, inputs_stamp, open_cache
    from site_src.edition import PREVIEW, build_date, edition_id
    from site_src.errors import DuizhaoError, slug_fix
    from site_src.export import export_data
    from site_src.load import article_folders, load_archive
    from site_src.model import Archive, Article, Spilled, reopen, spill, unspill
    from site_src.pool import Mapper, apart as run_apart, give_back_memory, mapper
    from site_src.prepare import prepare_archive
    from site_src.render import ArticlePages, Lookups, Selection, environment, iter_site, warm_up
    from site_src.search import warm_indexer
    from site_src.write import (Files, keep_site, kept_pages, mark_site, restore_site, site_stamp, write_registries,
                                write_site)
except ModuleNotFoundError as missing:
    if missing.name and missing.name.split(".")[0] == "site_src":
        raise  # the program itself is broken or incomplete: a bug, not a set-up step
    _missing(missing)


if TYPE_CHECKING:
    import jinja2

    from site_src.indexer import Indexer
    from site_src.serve import Preview

ROOT = Path(__file__).resolve().parent


# From this many articles the stages run in a process of their own (``process``).
APART = 1_000
# From this many articles anchors and annotation are on every core (``stages``).
SHARED = 200


def process(content: Path, cache: Cache = NO_CACHE, meanwhile: Callable[[], None] | None = None,
            apart: bool | None = None) -> Archive:
    """The archive as the pages are made from it: ``stages``, and the archive they
    spilled read back, a compact copy in a heap they no longer hold (model.spill).

    ``apart``: the stages run in a process of their own (default: from ``APART``
    articles).  The heap they leave behind, its blocks part freed, goes with that
    process: after the stages of a cold 10,000-article build, this process held
    292 MB once the archive was read back, against 208 MB after a warm one.  A
    process costs a start and a second import of the program (some 0.3 s), too much
    for a small archive.  ``meanwhile``: work for this process while the stages run
    (see prepare_archive when they run here)."""
    if apart is None:
        apart = len(article_folders(content)) >= APART
    if apart:
        with tempfile.TemporaryDirectory(prefix="duizhao-") as folder:
            run_apart(stages_into, Path(folder), content, cache, meanwhile=meanwhile)
            spilled = reopen(Path(folder))
    else:
        spilled = stages(content, cache, meanwhile)
        give_back_memory()  # what the stages freed, before the copy is read back
    return unspill(spilled)


def stages(content: Path, cache: Cache = NO_CACHE, meanwhile: Callable[[], None] | None = None,
           folder: Path | None = None) -> Spilled:
    """The pipeline up to the point where pages could be rendered, one line per stage;
    the archive spilled (model.spill; into ``folder``, if given)."""
    archive = load_archive(content, cache.registry)
    # clean → segment → align → overrides, per article: from the cache where its files
    # are unchanged, the rest on every core.  Overrides come before anchors: they need
    # the registry as loaded to name rows, and assign_article replaces it.
    archive = prepare_archive(archive, cache, meanwhile=meanwhile)
    # Anchors and annotation work on each article alone, too: on every core from
    # SHARED articles (cross-links and related passages, made here after, need all).
    with mapper(len(archive.articles), least=SHARED) as map_:
        archive = each(archive, assign_article, map_)
        archive = annotate_archive(archive, map_)
    return spill(replace(archive, edition=edition_id(content, build_date())), folder)


def stages_into(folder: Path, content: Path, cache: Cache) -> None:
    """``stages``, as run apart: the archive is left in ``folder``, for ``reopen``."""
    stages(content, cache, folder=folder)


class Reused(enum.Enum):
    """Why ``build`` made nothing: the site it would make was there already."""

    UP_TO_DATE = "up to date"  # in the output folder
    KEPT = "kept"  # in the cache, and put in the output folder


def build(content: Path, out: Path, cache: Cache = NO_CACHE, pages: ArticlePages | None = None,
          indexer: Indexer | None = None) -> Archive | Reused:
    """The site in ``out``.  With a cache, a site of these very inputs is not made
    again: if ``out`` holds it, nothing is done; if the cache kept it from the last
    build, it is put in ``out`` (``write.restore_site``).  Otherwise the articles'
    own pages that would differ from the kept site's only in the edition are taken
    from there (``pages``: the kept site's, read from the cache if None; it records
    which were).  ``--no-cache`` always builds.  ``indexer``: a search indexer started
    already (``indexer.prestart``), to use instead of starting one."""
    kept = cache.site()
    stamp = inputs_stamp(content, ROOT / "templates", build_date().isoformat()) if kept else ""
    if stamp and site_stamp(out) == stamp:
        return Reused.UP_TO_DATE
    # Without a cache nothing is kept, so what the pages were made from is not worked out.
    pages = (kept_pages(kept) if pages is None else pages) if kept else None
    if pages is not None and restore_site(pages, stamp, out):
        return Reused.KEPT
    # The search indexer starts first, if the program's start did not start it, to load
    # its dictionary on the other core while the articles are prepared; it is done once
    # it has every article's data file.
    # The pages' tables load and their templates are read back (or compiled, the first
    # time: render.KEPT_BYTECODE) while the articles are aligned on a helper process.
    env = environment()
    with warm_indexer(cache.index(), indexer) as warmed:
        archive = process(content, cache, meanwhile=functools.partial(warm_up, env))
        write_site(site_files(archive, cache, pages=pages, env=env), out, cache.index(), stamp, indexer=warmed,
                   data_files=len(archive.articles))
    if write_registries(archive) and stamp:
        # The registries now record the anchors this site shows, and a build from them
        # makes this same site (the edition leaves them out): the site is that of the
        # inputs as they are now, so the next build finds it up to date.
        stamp = inputs_stamp(content, ROOT / "templates", build_date().isoformat())
        mark_site(out, stamp)
    if kept and pages is not None:
        keep_site(out, kept, stamp, archive.edition, pages.made)
    return archive


def site_files(archive: Archive, cache: Cache = NO_CACHE, only: Selection | None = None,
               lookups: Lookups | None = None, pages: ArticlePages | None = None,
               env: jinja2.Environment | None = None) -> Files:
    """The pages, then the data files, one at a time: each is on disk before the next
    is made, so the site is never in memory as a whole.  ``only``: the part of the
    site an incremental rebuild makes again (None: all of it), ``lookups``: the
    archive's, if known; ``pages``: see ``build``; ``env``: the templates' environment,
    if made already (``render.warm_up``)."""
    yield from iter_site(archive, only=only, lookups=lookups, pages=pages, env=env)
    # archive.jsonl is the whole archive: after a part, serve makes it later.
    yield from export_data(archive, None if only is None else only.articles, whole=only is None)


def each(archive: Archive, stage: Callable[[Article], Article], map_: Mapper = map) -> Archive:
    # One article unpacked at a time (model.Articles): the archive stays packed.
    return replace(archive, articles=archive.articles.map(stage, map_))


def summary_line(article: Article) -> str:
    clean = article.clean
    patterns = Counter(r.pattern for r in article.rows)
    shape = ", ".join(f"{n}×{p}" for p, n in sorted(patterns.items()))
    open_flags = sum(1 for f in clean.flags if not f.resolved)
    return (f"{article.slug}: {len(article.paragraphs)} paragraphs, {len(article.rows)} rows ({shape}), "
            f"{len(clean.changes)} cleaning changes, {len(clean.cuts)} junk blocks cut, "
            f"{len(clean.flags)} flags ({open_flags} unresolved), {len(article.notes)} notes, "
            f"{len(article.mentions)} glossary mentions")


def cache_of(args: argparse.Namespace) -> Cache:
    return open_cache(None if args.no_cache else args.cache)


def cmd_build(args: argparse.Namespace, indexer: Indexer | None = None) -> int:
    cache = cache_of(args)
    pages = kept_pages(cache.site())
    archive = build(args.content, args.out, cache, pages, indexer)
    if archive is Reused.UP_TO_DATE:
        print(f"Up to date: nothing has changed since {Path(args.out).resolve()} was built "
              "(--no-cache builds anyway).")
        return 0
    if archive is Reused.KEPT:
        print("Nothing has changed since the last build, whose site the cache kept: it is now in "
              f"{Path(args.out).resolve()} (--no-cache builds anyway). Open {Path(args.out).resolve() / 'index.html'}")
        return 0
    for packed in archive.articles.packed:
        article = packed.unpack("clean", "text", "mentions", "notes")  # what the line counts
        print(summary_line(article))
        for warning in article.warnings:
            print(f"warning: {warning}")
    reused = f" (the pages of {len(pages.reused)} taken from the last site, their edition replaced)" \
        if pages.reused else ""
    print(f"Built {len(archive.articles)} articles{reused}. Open {Path(args.out).resolve() / 'index.html'}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate content and anchors without writing anything."""
    archive = process(args.content, cache_of(args))
    failures = 0
    for article in archive.articles.shells():
        lost = unresolved(article)
        registry = article.anchors_path
        for anchor in lost:
            print(f"error: {registry}: anchor {anchor} resolves to nothing — restore its text or "
                  f"give it an alias in the registry", file=sys.stderr)
        failures += len(lost)
        minted = article.anchoring.minted if article.anchoring else ()
        if minted:
            print(f"note: {registry}: this build would publish new anchors {', '.join(minted)} — "
                  f"run python build.py and commit anchors.yaml")
    if failures:
        print(f"check failed: {failures} anchor(s) would break published citations", file=sys.stderr)
        return 1
    print(f"check passed: {len(archive.articles)} articles, every registered anchor resolves "
          f"(edition {archive.edition})")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Rows an editor should look at: those the aligner is least sure of."""
    archive = process(args.content, cache_of(args))
    slugs = [a.slug for a in archive.articles.shells()]
    if args.slug not in slugs:
        print(f"error: no article '{args.slug}' — {slug_fix(args.slug, slugs)}", file=sys.stderr)
        return 1
    article = archive.get(args.slug)
    doubtful = [r for r in article.rows if r.confidence < args.threshold]
    print(f"{article.slug}: {len(doubtful)} of {len(article.rows)} rows below confidence {args.threshold}")
    for row in doubtful:
        zh = " / ".join(p.text for p in row.zh)[:40]
        en = " / ".join(p.text for p in row.en)[:60]
        print(f"  {row.anchor:>5}  {row.pattern}  {row.confidence:.3f}  {row.reason}")
        print(f"         zh: {zh or '—'}")
        print(f"         en: {en or '—'}")
    return 0


def serve_preview(content: Path, out: Path, cache: Cache) -> "Preview":
    """The pipeline as serve runs it, rebuilding ``content`` into ``out``."""
    from site_src.serve import Preview

    def pages(archive: Archive, only: Selection | None, lookups: Lookups) -> Files:
        # The pages name the preview, not an edition (see site_src.serve); the
        # registries and the changelog record the real one.
        return site_files(replace(archive, edition=PREVIEW), cache, only, lookups)

    def whole(archive: Archive) -> Files:
        return export_data(replace(archive, edition=PREVIEW), only=(), whole=True)

    return Preview(lambda: process(content, cache), pages, whole, content, out, cache)


def cmd_serve(args: argparse.Namespace) -> int:
    import signal

    from site_src.serve import report, serve

    # Stopped with SIGTERM (kill, a process manager), end as after Ctrl-C: serve's
    # clean-up (its standing workers) runs instead of being skipped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    preview = serve_preview(args.content, Path(args.out).resolve(), cache_of(args))
    report(preview, preview.rebuild())
    preview.later.request(preview.warm_up)
    if args.host != "127.0.0.1":
        print(f"warning: serving on {args.host}: other machines on the network can read this site")
    print(f"Serving {args.out} on http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    serve(preview, args.host, args.port, rebuild_on=(args.content, ROOT / "templates"),
          restart_on=(ROOT / "site_src",))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="build.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, top: bool = False) -> None:
        # Options are accepted before or after the command.  Subcommands use SUPPRESS
        # defaults because argparse lets a subparser's default overwrite a value
        # already given before the command name.
        def default(value: object) -> object:
            return value if top else argparse.SUPPRESS
        sp.add_argument("--content", type=Path, default=default(ROOT / "content"),
                        help="content folder to read (default: content/)")
        sp.add_argument("--out", type=Path, default=default(ROOT / "_site"),
                        help="folder to write the site to; replaced atomically (default: _site/)")
        sp.add_argument("--cache", type=Path, default=default(ROOT / ".cache"),
                        help="folder for the per-article cache; safe to delete (default: .cache/)")
        sp.add_argument("--no-cache", action="store_true", default=default(False),
                        help="neither read nor write the cache")
        sp.add_argument("--debug", action="store_true", default=default(False),
                        help="show Python tracebacks for errors")

    b = sub.add_parser("build", help="build the site (the default command)")
    common(b)
    b.set_defaults(func=cmd_build)
    c = sub.add_parser("check", help="validate content and anchor registries without writing a site")
    common(c)
    c.set_defaults(func=cmd_check)
    r = sub.add_parser("report", help="list an article's rows below an alignment confidence threshold")
    common(r)
    r.add_argument("slug", help="the article's folder name")
    r.add_argument("--threshold", type=float, default=LOW_CONFIDENCE,
                   help=f"list rows below this confidence (default: {LOW_CONFIDENCE}, the page's doubt marker)")
    r.set_defaults(func=cmd_report)
    s = sub.add_parser("serve", help="build, serve with live reload, rebuild on changes")
    common(s)
    s.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    # Only this machine by default: a preview server has no reason to face the network.
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1; say 0.0.0.0 explicitly to expose it)")
    s.set_defaults(func=cmd_serve)
    common(p, top=True)  # so that plain `python build.py --out X` builds
    p.set_defaults(func=cmd_build)
    return p


# Allocations between two collections of the youngest generation (Python's default:
# 700).  The archive's objects live through the whole build, and each full collection
# walks all of them: with the default, a cold build of 1,000 articles ran 53 full
# collections, 3.5 s of its 59 s, and both their number and their size grow with the
# archive.  With this, none ran and the three younger generations took 0.8 s instead
# of 4.1 s; the peak memory was the same within the machine's spread.
GC_THRESHOLD = 10_000


def main(argv: list[str] | None = None, indexer: Indexer | None = None) -> int:
    """``indexer``: a search indexer started before the program was imported
    (``indexer.prestart``), for a build to use; ended here whatever the command
    made of it."""
    try:
        return run(parser().parse_args(argv), indexer)
    finally:
        if indexer is not None:
            indexer.close(kill=True)  # nothing left to do if the build ended it


def run(args: argparse.Namespace, indexer: Indexer | None = None) -> int:
    gc.set_threshold(GC_THRESHOLD, 50, 100)
    try:
        return cmd_build(args, indexer) if args.func is cmd_build else args.func(args)
    except DuizhaoError as exc:
        if args.debug:
            traceback.print_exc()
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"Build failed with {len(exc.problems)} problem(s); the previous site, if any, is unchanged.",
              file=sys.stderr)
        return 1


def end(code: int) -> None:
    """End the process with ``code``, skipping the interpreter's clean-up when nothing
    needs it: freeing every object the build loaded, OpenCC's dictionaries among
    them, was a tenth of a build of the five articles (0.1 s).  By then the site is
    in place and the workers and the indexer have ended; what is left to flush is
    the two streams.  Under a profiler or a tracer, which report as the interpreter
    ends, the process ends as usual."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        pass  # the reader of a pipe has gone: there is no one left to tell
    if sys.getprofile() is None and sys.gettrace() is None:
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    end(main(indexer=PRESTARTED))
