"""Run a command and measure it together with every process it starts (Linux).

    python bench/tree.py RESULT.json -- COMMAND [ARG ...]

runs COMMAND, waits for it and for every process it left behind, writes to
RESULT.json the CPU time (user + system) of all of them, the peak resident size of
the largest one, and the peak of their proportional set sizes added up (PSS, read
from ``/proc/PID/smaps_rollup`` every ``INTERVAL`` seconds), and exits with COMMAND's
status.

Why a wrapper: a build's own rusage leaves out processes it never waits for.
duizhao's workers are forked by multiprocessing's fork server, which the build does
not wait for either: when the build exits, the fork server is handed to init with
the CPU time of every worker it reaped, and that time was in no figure before the
fourteenth pass.  This wrapper makes itself a child subreaper
(``PR_SET_CHILD_SUBREAPER``), so such processes are handed to it instead, and it waits
for them: their time is then in its children's rusage.

The sum of PSS is what the processes hold of the machine's memory together (a page
shared by two processes counts half in each); the largest process alone is what
earlier passes reported as peak RSS.  Sampling misses a peak shorter than the
interval.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

INTERVAL = 0.1  # seconds between samples of the processes' memory
PR_SET_CHILD_SUBREAPER = 36


def descendants(pid: int) -> list[int]:
    """``pid``'s descendants now, by the kernel's lists of each thread's children: a
    process started from a thread other than the first (duizhao's search indexer
    starts Pagefind from one) is listed under that thread only."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        children = []
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                children += [int(c) for c in task.read_text().split()]
            except OSError:
                continue  # the thread has ended since it was listed
        found += children
        todo += children
    return found


def pss_kib(pid: int) -> int:
    """The process's proportional set size in KiB, 0 if it has exited."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit(__doc__)
    result, command = Path(argv[0]), argv[2:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit(f"tree.py: prctl failed ({os.strerror(ctypes.get_errno())})")
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        me = os.getpid()
        while not done.wait(INTERVAL):
            peak = max(peak, sum(pss_kib(p) for p in descendants(me)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    status = subprocess.call(command)
    # What the command left running (a fork server, then reaped here).
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.write_text(json.dumps({"cpu": usage.ru_utime + usage.ru_stime, "largest_kib": usage.ru_maxrss,
                                  "total_kib": peak}))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
