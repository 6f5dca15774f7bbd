"""Per-article work spread over the machine's cores, results in input order.

A worker process starts with nothing loaded: jieba's dictionary, CC-CEDICT and the
OpenCC tables cost it about a second before its first article, so a pool pays only
when there are enough articles to share (``MIN_ITEMS``); fewer run in this process.
``map`` keeps the input order whatever order the workers finish in, so a build is the
same with one core or many.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Articles from which a pool is worth its start-up (about 50 ms of work per article
# against one second per worker).
MIN_ITEMS = 50


def workers() -> int:
    """The cores this process may run on (a container or taskset may allow fewer
    than the machine has)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def ordered_map(fn: Callable[[T], R], items: Sequence[T], processes: int | None = None) -> list[R]:
    """``[fn(x) for x in items]``, on ``processes`` worker processes (default: every
    core) when there are at least ``MIN_ITEMS`` items.  ``fn`` must be a module-level
    function and items and results picklable."""
    processes = workers() if processes is None else processes
    if processes < 2 or len(items) < MIN_ITEMS:
        return [fn(x) for x in items]
    # Chunks of a few dozen keep the pipes busy without one worker idling at the end.
    chunk = max(1, min(32, len(items) // (processes * 4)))
    with ProcessPoolExecutor(max_workers=processes) as pool:
        return list(pool.map(fn, items, chunksize=chunk))
