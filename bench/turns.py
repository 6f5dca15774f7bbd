#!/usr/bin/env python3
"""The real archive's build with this checkout and with another revision, in turns.

    .venv/bin/python bench/turns.py [--against REV] [--runs 15] [--cache] [--content DIR]

How the five-article target ("the real five-article archive builds in under 1 s") is
measured since the twenty-first pass of issue 7: the peer is the same program at
another revision (``--against``, default the last commit), checked out into a
temporary git worktree beside this one, which shares this checkout's ``.venv``.  The
two build ``content/`` (``--content``) in turns, ``--runs`` times each, so that the
machine's drift (a quarter of its speed within the hour) falls on both; medians and
means of the wall time and of the CPU time of each build with every process it
waited for are printed, and the ratio of the medians.

Each build is ``build.py build --no-cache`` (with ``--cache``: an empty cache of its
own, the first build of a fresh clone) into a new folder, and no folder is deleted
until the end: on a file system that keeps recently deleted inodes out of new files
for some seconds (ext4 without a journal, as on this machine), a build just after
another that replaced a site of 136 files spent twice the kernel time creating its
own (``perf``: 21 % of the samples against 10.5 %), which would charge whichever
revision came second.  For the same reason the script waits ``PAUSE`` seconds before
the first build.  Both checkouts are compiled first (``compileall``): under
``PYTHONDONTWRITEBYTECODE`` a fresh worktree would otherwise compile every module
in every build.
"""
from __future__ import annotations

import argparse
import compileall
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAUSE = 11  # seconds: longer than the 10 s for which ext4 keeps a deleted inode aside


def build_once(checkout: Path, content: Path, out: Path, cache: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one build of ``content`` by ``checkout`` into ``out``.

    Measured from this process's children's rusage, not with ``run.measure``: below
    ``pool.MIN_ITEMS`` articles the build waits for every process it starts (the
    helper, the forked pages, the indexer), so their time is all there, while
    ``tree.py``'s own start and its memory sampling added 40–60 ms of wall time and
    some 80 ms of CPU to a build of the five articles (10 builds each, in turns)."""
    command = [str(ROOT / ".venv" / "bin" / "python"), str(checkout / "build.py"), "build",
               "--content", str(content), "--out", str(out)]
    command += ["--cache", str(out.with_name(out.name + "-cache"))] if cache else ["--no-cache"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def in_turns(checkouts: dict[str, Path], content: Path, runs: int, cache: bool, work: Path,
             pause: float = PAUSE) -> dict[str, list[tuple[float, float]]]:
    """``runs`` builds by each checkout, taking turns; each into a new folder of ``work``.
    A first build by each is not counted: it makes what a checkout keeps beside the
    program (the aligner's dictionary index, the compiled templates)."""
    for name, checkout in checkouts.items():
        build_once(checkout, content, work / f"{name}-first", cache)
    time.sleep(pause)
    measured: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
    for run in range(runs):
        for name, checkout in checkouts.items():
            measured[name].append(build_once(checkout, content, work / f"{name}-{run}", cache))
    return measured


def report(measured: dict[str, list[tuple[float, float]]]) -> list[str]:
    lines = []
    for name, builds in measured.items():
        walls, cpus = [w for w, _ in builds], [c for _, c in builds]
        lines.append(f"{name:>8}: wall median {statistics.median(walls):.3f} s, mean {statistics.mean(walls):.3f}, "
                     f"{min(walls):.3f}–{max(walls):.3f}; CPU median {statistics.median(cpus):.3f} s "
                     f"({len(builds)} builds)")
    this, other = (statistics.median(w for w, _ in builds) for builds in measured.values())
    lines.append(f"wall, this / against: {this / other:.2f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--against", default="HEAD", help="the revision to compare with (default: HEAD)")
    p.add_argument("--runs", type=int, default=15, help="builds by each (default: 15)")
    p.add_argument("--cache", action="store_true", help="each build with an empty cache instead of --no-cache")
    p.add_argument("--content", type=Path, default=ROOT / "content", help="the archive (default: content/)")
    p.add_argument("--pause", type=float, default=PAUSE, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="duizhao-turns-") as folder:
        work = Path(folder)
        # The archive is copied: a build writes its anchor registries and changelog.
        content = work / "content"
        shutil.copytree(args.content, content)
        other = work / "against"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(other), args.against],
                       check=True)
        try:
            for checkout in (ROOT, other):
                compileall.compile_dir(checkout / "site_src", quiet=1)
                compileall.compile_file(checkout / "build.py", quiet=1)
            measured = in_turns({"this": ROOT, "against": other}, content, args.runs, args.cache, work, args.pause)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], check=False)
    revision = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.against],
                              capture_output=True, text=True).stdout.strip()
    print(f"{args.content}, {'empty cache' if args.cache else '--no-cache'}, "
          f"this checkout against {args.against} ({revision}), in turns:")
    print("\n".join(report(measured)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
