"""Where a cold build's CPU goes, stage by stage, per article.

    .venv/bin/python bench/stages.py CONTENT OUT

Builds CONTENT (a copy: the build writes anchor registries into it) into OUT with
``--no-cache`` and prints the CPU time (``time.process_time``) spent in each stage's
function, per article, and the CPU of the processes the build started (the search
indexer's) from ``RUSAGE_CHILDREN``.  The script keeps itself to one core (as
``taskset -c 0`` would): the build then works on every article in its own process,
where the counters see it; with two cores the pool's workers and the alignment
helper would do part of it out of their sight.  Indented names are parts of the
stage above them.  Nothing is written anywhere but OUT and CONTENT.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import build  # noqa: E402  (after the path is set)
import site_src.prepare as prepare  # noqa: E402
import site_src.render as render  # noqa: E402

# (module, function name, label): the labels in the order the build reaches them.
STAGES = [
    (build, "load_archive", "load"),
    (prepare, "_clean_and_segment", "  clean + segment"),
    (prepare, "_align_and_override", "  align + overrides"),
    (build, "prepare_archive", "prepare (all of it)"),
    (build, "each", "anchors"),
    (build, "annotate_archive", "annotate"),
    (render, "article_page", "  the article page's view"),
    (render, "render", "  templates (every page)"),
    (render, "article_files", "  the article's five files"),
    (build, "write_site", "pages, data files and writing (all of it)"),
    (build, "write_registries", "anchor registries written"),
]


def timed(spent: Counter[str], label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start
    return wrapper


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("content", type=Path)
    p.add_argument("out", type=Path)
    args = p.parse_args()
    # One core: the pools and the helper then leave the work in this process.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    articles = len(build.article_folders(args.content))
    spent: Counter[str] = Counter()
    for module, name, label in STAGES:
        setattr(module, name, timed(spent, label, getattr(module, name)))
    # The stages in this process, where the counters are (a process of their own
    # from build.APART articles).
    build.APART = sys.maxsize
    sys.argv = ["build.py", "build", "--no-cache", "--content", str(args.content), "--out", str(args.out)]
    wall = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        build.main()
    wall = time.perf_counter() - wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = time.process_time()
    print(f"{articles} articles; ms of CPU an article")
    for _, _, label in STAGES:
        print(f"{label:45s} {1000 * spent[label] / articles:8.1f}")
    indexer = children.ru_utime + children.ru_stime
    print(f"{'processes the build started (search indexer)':45s} {1000 * indexer / articles:8.1f}")
    print(f"{'total':45s} {1000 * (own + indexer) / articles:8.1f}   (wall {wall:.1f} s)")


if __name__ == "__main__":
    main()
