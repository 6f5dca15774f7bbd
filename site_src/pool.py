"""Per-article work spread over the machine's cores, results in input order.

A worker process starts with nothing loaded: CC-CEDICT, the pinyin and OpenCC tables
cost it most of a second before its first article, so a pool pays only
when there are enough articles to share (``MIN_ITEMS``); fewer run in this process.
``mapper``'s map keeps the input order whatever order the workers finish in, so a build is the
same with one core or many.

Workers start from a fork server (see ``mapper``), which imports the main module
again: a script that runs the pipeline must keep its work under
``if __name__ == "__main__":``, as ``build.py`` and the benchmarks do.
"""
from __future__ import annotations

import ctypes
import functools
import itertools
import multiprocessing
import os
import threading
import time
import traceback
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Callable, Iterable, Iterator, TypeVar

from .errors import Carried, DuizhaoError

T = TypeVar("T")
R = TypeVar("R")

# Articles from which a pool is worth its start-up (about 50 ms of work per article
# against one second per worker).
MIN_ITEMS = 50


def workers() -> int:
    """The cores this process may run on (a container or taskset may allow fewer
    than the machine has)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def spread(items: int, processes: int | None = None, least: int | None = None) -> int:
    """The worker processes to spread ``items`` over (``processes``, default every
    core), or 0 when they are better worked in this process: fewer than ``least``
    (default ``MIN_ITEMS``), or one core."""
    processes = workers() if processes is None else processes
    return processes if processes >= 2 and items >= (MIN_ITEMS if least is None else least) else 0


def give_back_memory() -> None:
    """Hand the heap memory freed so far back to the system (glibc's ``malloc_trim``;
    a no-op where the C library has none).  What the workers send back is freed once
    used, but glibc keeps the freed pages in the process, between the blocks that
    stay: after a cold ``prepare`` of 1,000 articles the process was 391 MB, and
    316 MB once trimmed (8 ms).  Called after each prepare batch, after related
    passages are made and every few hundred articles' pages, what one part of the
    build freed is not carried through the next."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def _executor(processes: int, initializer: Callable[[], None] | None = None) -> ProcessPoolExecutor:
    # Workers started from a clean process, not forked from this one: a fork shares
    # the whole loaded archive, and every object a worker touches (reference counts)
    # is copied into it, so at 10,000 articles each worker grew to the size of the
    # parent (2.5 GB).
    return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=initializer)


# ``fn`` over the items, the results in the items' order.  The items may be a
# generator, read as the map goes: the helper's map sends each to its worker as soon
# as it is made, and the map in this process makes each result only when it is read
# (prepare: an article is aligned while the next is cleaned).
Mapper = Callable[[Callable[[T], R], Iterable[T]], Iterable[R]]


class Standing:
    """Workers kept from one call to the next, their tables loaded when they start
    (``serve``: an edit to a capture prepares the article and the one borrowing its
    English again, on one core each instead of both on one).  A pool started for
    the edit would spend a second loading what the workers already hold."""

    def __init__(self, initializer: Callable[[], None], processes: int | None = None) -> None:
        self.processes = workers() if processes is None else processes
        self._pool = _executor(self.processes, functools.partial(_standing_worker, os.getpid(), initializer)) \
            if self.processes >= 2 else None
        if self._pool is not None:
            # A forkserver pool starts a worker per task while none is idle: one task
            # each starts them all now, not at the first edit.
            for future in [self._pool.submit(os.getpid) for _ in range(self.processes)]:
                future.result()

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        batch = list(items)
        if self._pool is None or len(batch) < 2:
            return [fn(x) for x in batch]
        return list(self._pool.map(fn, batch))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _standing_worker(owner: int, initializer: Callable[[], None]) -> None:
    """A standing worker's start: it watches the process that made the pool and ends
    with it.  A worker waits for tasks without end, so one whose owner was killed
    (``kill -9``, or a test stopping serve) was left idle with its tables (some
    80 MB each, seen after test runs)."""
    def watch() -> None:
        while True:
            time.sleep(1)
            try:
                os.kill(owner, 0)
            except (ProcessLookupError, PermissionError):  # gone (or its pid is another user's now)
                os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    initializer()


@contextmanager
def helper(initializer: Callable[[], None], processes: int | None = None,
           meanwhile: Callable[[], None] | None = None) -> Iterator[Mapper | None]:
    """A ``map`` on one worker forked from this process now, which runs ``initializer``
    at once: for work too small for a pool (``MIN_ITEMS``) that needs tables this
    process has not loaded.  The worker loads them on the other core while this
    process does the work before (five articles: CC-CEDICT, 0.2 s, while the
    captures are cleaned, 0.1 s).  Forked, unlike the pool's workers: this process
    is still small, and a worker from the fork server would first import the whole
    program again (0.3 s).  ``meanwhile`` runs here once, while the first map
    waits for the worker.  None (work in this process) with one core (``processes``
    below 2) or where processes are not forked."""
    processes = workers() if processes is None else processes
    if processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                             initializer=initializer) as pool:
        pool.submit(int)  # a fork-context pool starts its worker at its first task
        waiting = [meanwhile] if meanwhile is not None else []

        def map_(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
            futures = [pool.submit(fn, x) for x in items]  # each sent as it is made
            while waiting:
                waiting.pop()()
            return [f.result() for f in futures]
        yield map_


@contextmanager
def forked(fn: Callable[[], R], processes: int | None = None) -> Iterator[Callable[[], R]]:
    """``fn()`` run at once in a process forked from this one, on another core, while
    this one goes on; the context gives the call that waits for its result.  Forked,
    ``fn`` needs no pickling and finds all this process has made (the archive, the
    compiled templates); only its result is pickled back.  A DuizhaoError it raises is
    raised by the call as such, any other exception as a RuntimeError with the other
    process's traceback.  Left before the call, the process is ended.  With one core
    (``processes`` below 2) or where processes are not forked, ``fn`` runs in this
    process when its result is asked for."""
    processes = workers() if processes is None else processes
    if processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield fn
        return
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_send_result, args=(fn, sending), daemon=True)
    child.start()
    sending.close()

    def result() -> R:
        try:
            kind, value = receiving.recv()
        except EOFError:
            raise RuntimeError(f"the forked process ended with code {child.exitcode} before its result") from None
        if kind == "carried":
            raise value.kind(list(value.problems))
        if kind == "failed":
            raise RuntimeError(f"in the forked process:\n{value}")
        return value  # type: ignore[no-any-return]
    try:
        yield result
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join()


def _send_result(fn: Callable[[], R], sending: Connection) -> None:
    try:
        done: tuple[str, object] = ("done", fn())
    except DuizhaoError as exc:
        done = ("carried", Carried(type(exc), tuple(exc.problems)))
    except BaseException:  # noqa: BLE001 — a bug: its traceback goes to the parent
        done = ("failed", traceback.format_exc())
    sending.send(done)
    sending.close()


@contextmanager
def mapper(items: int, processes: int | None = None, standing: Standing | None = None,
           least: int | None = None) -> Iterator[Mapper]:
    """A ``map`` that keeps the input order, on ``processes`` worker processes (default:
    every core) when ``items`` (the number of items all its calls will map together)
    is at least ``least`` (default ``MIN_ITEMS``): one pool for several calls, so
    that a stage worked in batches starts its workers once.  With ``standing``
    workers, on those whatever the number of items.  The functions must be
    module-level and items and results picklable.  The pool's map gives each result
    as it is read, and its results arrive as the workers finish: a caller that keeps
    a small part of each (annotate) never holds every whole result at once."""
    if standing is not None:
        yield standing.map
        return
    processes = spread(items, processes, least)
    if not processes:
        yield map  # lazy: each result made as it is read
        return
    with _executor(processes) as pool:
        def map_(fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
            batch = list(items)
            # Chunks of a few dozen keep the pipes busy without one worker idling at the end.
            chunk = max(1, min(32, len(batch) // (processes * 4)))
            return pool.map(fn, batch, chunksize=chunk)
        yield map_


def apart(fn: Callable[..., R], *args: object, meanwhile: Callable[[], None] | None = None) -> R:
    """``fn(*args)`` on a process of its own, started from the fork server, and what
    it returns: what ``fn`` leaves in memory goes with that process.  ``meanwhile``
    runs here while it works.  A DuizhaoError it raises is raised here as such; any
    other exception, with the other process's traceback as its cause."""
    with _executor(1) as pool:
        future = pool.submit(_carrying, fn, *args)
        if meanwhile is not None:
            meanwhile()
        result = future.result()
    if isinstance(result, Carried):
        raise result.kind(list(result.problems))
    return result  # type: ignore[no-any-return]


def _carrying(fn: Callable[..., R], *args: object) -> R | Carried:
    # A DuizhaoError does not survive pickling with its problems (errors.Carried).
    try:
        return fn(*args)
    except DuizhaoError as exc:
        return Carried(type(exc), tuple(exc.problems))


def ordered(fn: Callable[[T], R], items: Iterable[T], count: int, processes: int | None = None,
            ahead: int = 8) -> Iterator[R]:
    """``fn`` over the ``count`` ``items`` (read as they are sent: an item may be made
    when its turn comes), each result given as soon as it and those before it are
    done: on ``processes`` worker processes (default: every core) when there are at
    least ``MIN_ITEMS``, in this process otherwise.  At most ``ahead`` items per
    worker are out at once, so results that wait for an earlier one cannot pile up
    (``Executor.map`` sends every item at once and keeps every result until it is
    read: the pages of 10,000 articles are gigabytes).  ``fn`` must be module-level
    and items and results picklable."""
    processes = spread(count, processes)
    if not processes:
        yield from map(fn, items)
        return
    with _executor(processes) as pool:
        waiting = iter(items)
        out: deque[Future[R]] = deque(pool.submit(fn, x) for x in itertools.islice(waiting, ahead * processes))
        try:
            while out:
                result = out.popleft().result()
                out.extend(pool.submit(fn, x) for x in itertools.islice(waiting, 1))
                yield result
        finally:
            for future in out:  # the caller stopped early (or failed): drop the rest
                future.cancel()
