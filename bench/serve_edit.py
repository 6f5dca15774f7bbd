"""How long ``serve`` takes from a saved edit to the rewritten site, on a synthetic archive.

    /tmp/v/bin/python bench/serve_edit.py N [--seed 1] [--work DIR] [--runs 3] [--profile EDIT]

Makes the archive of ``make_archive.py N`` (or reuses it in ``--work``), builds it
once as serve does (from the cache in ``--work`` if it has one), then makes
three edits an editor makes, one at a time, and times ``Preview.rebuild`` for each:
from the list of changed files to the last file of the site rewritten, and, where the
rebuild shows the edited articles' pages before it searches related passages again
(``Preview.first``), until those pages were in place: what the browser waits for
before it reloads (it holds a status request open and learns of a build at once).

* **note**: a note added to an article's ``notes.md``;
* **source**: one word of a body line changed in an article's ``source.txt`` (an
  article that lends its English to others, so its borrowers are rebuilt too), to
  another word in each run, so that it is cleaned and aligned each time;
* **title**: the Chinese title changed in an article's ``article.yaml``.

Like serve, the aligner's tables are loaded after the first build, and the
archive-wide files (archive.jsonl, the search index) are made after each rebuild in
a thread of their own, and the garbage collector runs once a second after it
(``serve.Collector``); that time is printed as "afterwards", and waited for before
the next edit.  Each edit is undone before the next; medians over ``--runs``.
``--profile EDIT`` prints where the first rebuild of that edit spends its time
(pyinstrument, which must be installed; the profiler slows it somewhat).
"""
from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import make_archive  # noqa: E402

from build import serve_preview  # noqa: E402
from site_src.cache import open_cache  # noqa: E402
from site_src.load import load_archive  # noqa: E402


# The word a capture edit puts in, a new one each run: the per-article cache keeps
# what an edited capture cleaned and aligned to, so the same edit again would be read
# from there instead of cleaned and aligned as an editor's new edit is.
WORDS = "不是有在人這中大為上"


def edits(content: Path, run: int = 0) -> dict[str, tuple[Path, str, str]]:
    """name → (file, text to replace, its replacement), for the ``run``-th run."""
    archive = load_archive(content)
    middle = archive.articles[len(archive.articles) // 2]
    lenders = {s for a in archive.articles for s in a.meta.related("english_text_from")}
    lender = next(a for a in archive.articles if a.slug in lenders)
    notes = middle.folder / "notes.md"
    note_text = notes.read_text(encoding="utf-8") if notes.is_file() else ""
    source = lender.folder / "source.txt"
    line = next(x for x in source.read_text(encoding="utf-8").splitlines()[20:] if len(x) > 40)
    meta = middle.folder / "article.yaml"
    return {
        "note": (notes, note_text, note_text + "\n## p1 note\nA note added while serving.\n"),
        "source": (source, line, line[:10] + next(w for w in WORDS[run % len(WORDS):] + WORDS if w != line[10])
                   + line[11:]),
        "title": (meta, middle.meta.title_zh, middle.meta.title_zh + "(改)"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", type=int)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--work", type=Path, help="scratch folder, kept (default: a temporary one, removed)")
    p.add_argument("--profile", choices=("note", "source", "title"),
                   help="print where the first rebuild of this edit spends its time (pyinstrument)")
    args = p.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="duizhao-serve-"))
    content, cache = work / "content", open_cache(work / "cache")
    if not content.is_dir():
        make_archive.write_archive(content, make_archive.make_archive(make_archive.ROOT / "content", args.n, args.seed))
    try:
        preview = serve_preview(content, work / "site", cache)
        shutil.rmtree(work / "site", ignore_errors=True)
        start = time.perf_counter()
        preview.rebuild()
        print(f"first build: {time.perf_counter() - start:.1f} s", flush=True)
        assert not preview.problems, preview.problems
        preview.later.request(preview.warm_up)
        preview.later.wait()
        pauses: list[float] = []  # seconds of each full collection of the garbage collector
        started: list[float] = []

        def timed(phase: str, info: dict[str, int]) -> None:
            if info["generation"] == 2:
                if phase == "start":
                    started[:] = [time.perf_counter()]
                elif started:
                    pauses.append(time.perf_counter() - started[0])
        gc.callbacks.append(timed)
        times: dict[str, list[float]] = {}
        firsts: dict[str, list[float]] = {}  # where the edited pages came first
        for run in range(args.runs):
            for name, (path, old, new) in edits(content, run).items():
                for before, after in ((old, new), (new, old)):
                    text = path.read_text(encoding="utf-8") if path.is_file() else ""
                    path.write_text(text.replace(before, after, 1) if before else after, encoding="utf-8")
                    pauses.clear()
                    if args.profile == name and before == old and not times.get(name):
                        from pyinstrument import Profiler
                        with Profiler() as profiler:
                            seconds = preview.rebuild([path])
                        print(profiler.output_text(show_all=False, color=False), flush=True)
                    else:
                        seconds = preview.rebuild([path])
                    collected = sum(pauses)
                    assert not preview.problems, preview.problems
                    start = time.perf_counter()
                    preview.later.wait()
                    preview.collector.wait()
                    later = time.perf_counter() - start
                    if before == old:
                        times.setdefault(name, []).append(seconds)
                        if preview.first:
                            firsts.setdefault(name, []).append(preview.first)
                        shown = f", edited pages shown after {preview.first * 1000:.0f} ms" if preview.first else ""
                        print(f"{name}: {seconds * 1000:.0f} ms ({preview.made}{shown}; full garbage collections "
                              f"{collected * 1000:.0f} ms), afterwards {later:.1f} s (the collection "
                              f"{(sum(pauses) - collected) * 1000:.0f} ms)", flush=True)
        print(f"\nN = {args.n}, medians of {args.runs}:")
        for name, values in times.items():
            shown = firsts.get(name, [])
            print(f"  {name}: {statistics.median(values) * 1000:.0f} ms"
                  + (f" (edited pages shown after {statistics.median(shown) * 1000:.0f} ms in {len(shown)} of "
                     f"{len(values)})" if shown else ""))
        preview.close()
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
