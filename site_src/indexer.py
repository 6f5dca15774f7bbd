"""The search indexer: Pagefind's binary in its ``--service`` mode, and its start
before the program is imported.

The build talks to the ``pagefind_extended`` binary (PyPI ``pagefind-bin-extended``,
pinned) directly: the official Python wrapper sleeps 100 ms before reading each
answer, while sending every request at once and reading the answers takes a
fraction of a second.  The protocol: each message is base64 of a JSON
``{"message_id", "payload"}``, followed by a comma, both ways; the service answers
in order and exits when its standard input closes.  What is indexed, and how, is
``site_src.search``'s.

This module imports no more than the standard library's process and thread tools
and ``site_src.errors``: ``build.py`` starts the indexer (``prestart``) before it
imports the program, which takes a build of the five articles some 0.2 s on one
core, so that the indexer loads its Chinese dictionary (0.25 s of CPU) on the other
core meanwhile instead of while the articles are prepared, when both cores are busy.
"""
from __future__ import annotations

import base64
import json
import os
import queue
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Callable

from .errors import OutputError, Problem

LANGUAGE = "zh"  # one index for the whole bilingual archive, segmented as Chinese

# Seconds the indexer may go neither answering nor working (using CPU time) before the
# build gives up on it: a limit on a stalled indexer, not on the whole index, which
# grows with the archive, nor on one slow step of it (writing a shard's files is
# one step with no answer until it ends).
TIMEOUT = 120
POLL = 0.005  # seconds between looks at the answers while waiting for the last

FIX = "reinstall the pinned indexer with pip install -r requirements.txt (or run with --debug)"


def executable() -> Path:
    """The indexer's binary, as the pinned package installed it."""
    try:
        from pagefind_bin_extended import get_executable  # type: ignore[import-untyped]
    except ImportError:
        raise OutputError(Problem("pagefind-bin-extended", None, "the search indexer is not installed",
                                  "pip install -r requirements.txt")) from None
    return Path(get_executable())


# The record of ``Indexer.warm_up``, in an index of its own that is never written.
WARM_UP = "/duizhao-warm-up"


class Indexer:
    """A Pagefind service fed one request at a time, its answers read as they come.

    Requests go to a queue that a thread writes to the service's input, so that a
    service that stops reading cannot hang the build; the service reads its input on
    a thread of its own into an unbounded queue, so writing everything before reading
    cannot deadlock.  It must not see the end of its input before the last answer,
    since it exits there at once."""

    def __init__(self, binary: Path, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        self.binary, self.proc, self.log = binary, proc, log
        self.sent = 0
        self.closed = False
        self.answers: list[dict[str, object]] = []
        self._outbox: queue.SimpleQueue[dict[str, object] | None] = queue.SimpleQueue()
        self._reader = threading.Thread(target=_read_answers, args=(proc, self.answers), daemon=True)
        self._reader.start()
        threading.Thread(target=_send, args=(proc, self._outbox), daemon=True).start()
        self.send({"type": "NewIndex", "config": {"force_language": LANGUAGE, "keep_index_url": True}})

    @classmethod
    def start(cls, binary: Path) -> Indexer:
        log = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen([str(binary), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=log, cwd=tempfile.gettempdir())
        except OSError as exc:
            log.close()
            raise OutputError(Problem(binary, None, f"could not start the search indexer: {exc.strerror or exc}",
                                      FIX)) from None
        return cls(binary, proc, log)

    def send(self, payload: dict[str, object]) -> None:
        self.sent += 1
        self._outbox.put({"message_id": self.sent, "payload": payload})

    def warm_up(self) -> None:
        """Have the service load its Chinese dictionary now, which it does at its first
        Chinese record: one in a second index (index 1), never written."""
        self.send({"type": "NewIndex", "config": {"force_language": LANGUAGE}})
        self.send({"type": "AddRecord", "index_id": 1, "url": WARM_UP, "content": "中文分词", "language": LANGUAGE,
                   "meta": {}, "filters": None, "sort": None})

    def add_html(self, url: str, html: str) -> None:
        """Index the document ``html`` (``record_html``) as the page at ``url``."""
        self.send({"type": "AddFile", "index_id": 0, "file_path": None, "url": url, "file_contents": html})

    def finish(self, written: Callable[[], bool] = lambda: True) -> list[dict[str, object]]:
        """Every answer, once the service has answered all that was sent (raises
        ``OutputError`` if it cannot)."""
        expected, proc = self.sent, self.proc
        progress = (len(self.answers), _cpu_ticks(proc.pid))
        look = time.monotonic() + TIMEOUT
        while len(self.answers) < expected and self._reader.is_alive():
            time.sleep(POLL)
            if time.monotonic() >= look:
                now = (len(self.answers), _cpu_ticks(proc.pid))
                if now == progress:
                    break
                progress, look = now, time.monotonic() + TIMEOUT  # still answering or working: wait on
        timed_out = len(self.answers) < expected and self._reader.is_alive()
        if timed_out:
            proc.kill()  # which also ends a write blocked on its input
        else:
            # The service may answer WriteFiles before its last file is on disk, and it
            # exits as soon as its input ends: a CI run once read an empty entry file.
            deadline = time.monotonic() + TIMEOUT
            while not written() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
        # Checked before the service is stopped: once killed, the reader ends too, and
        # a timeout would pass for a crash.
        answers = list(self.answers)
        said = self.close()
        errors = [str(a.get("message", "")) for a in answers if a.get("type") == "Error"]
        if timed_out or len(answers) < expected or errors:
            why = errors[0] if errors else (f"no answer for {TIMEOUT} s" if timed_out
                                            else "it stopped before finishing")
            why += f", after {len(answers)} of {expected} answers" if not errors else ""
            detail = f": {said.splitlines()[-1]}" if said else ""
            raise OutputError(Problem(self.binary, None, f"the search index could not be built ({why}{detail})",
                                      FIX))
        return answers

    def close(self, kill: bool = False) -> str:
        """End the service (at once with ``kill``); return what it said on stderr (""
        once closed before)."""
        if self.closed:
            return ""
        self.closed = True
        if kill:
            self.proc.kill()
        self._outbox.put(None)  # the writer closes the input: the service exits there
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.seek(0)
        said = self.log.read().decode("utf-8", "replace").strip()
        self.log.close()
        return said


def _cpu_ticks(pid: int) -> int | None:
    """CPU time a process has used so far, in clock ticks (Linux's /proc; None where
    there is none, and then only answers count as progress)."""
    try:
        # The command name, in parentheses, may hold spaces: count fields after it.
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError, IndexError):
        return None


def _send(proc: subprocess.Popen[bytes], outbox: queue.SimpleQueue[dict[str, object] | None]) -> None:
    # One message at a time: the whole request, encoded at once, doubled the build's
    # memory at a thousand articles.  None closes the input.
    assert proc.stdin is not None
    try:
        while (message := outbox.get()) is not None:
            proc.stdin.write(base64.b64encode(json.dumps(message).encode("utf-8")) + b",")
            if outbox.empty():
                proc.stdin.flush()
    except (OSError, ValueError):
        pass  # the service died (reported with what it said) or its input was closed
    try:
        proc.stdin.close()
    except OSError:
        pass


ANSWERED = ("type", "page_url", "message")  # what is kept of each answer


def _read_answers(proc: subprocess.Popen[bytes], answers: list[dict[str, object]]) -> None:
    assert proc.stdout is not None
    buffer = b""
    while True:
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            return
        # Answers are short; only the unfinished tail is carried over.
        *complete, buffer = (buffer + chunk).split(b",")
        for raw in complete:
            try:
                answer = json.loads(base64.b64decode(raw))
            except ValueError:
                answer = {"payload": {"type": "Error", "message": "unreadable answer from the indexer"}}
            # An article's answer repeats its meta (every row's Chinese, 10 MB for a
            # shard): only what finish() reads is kept.
            answers.append({k: v for k, v in (answer.get("payload") or {}).items() if k in ANSWERED})


# The commands of build.py, and the one run when none is named.
COMMANDS = ("build", "check", "report", "serve")
DEFAULT = "build"


def prestart(argv: list[str]) -> Indexer | None:
    """An indexer started now and loading its dictionary (``Indexer.warm_up``), for
    ``build.py``'s arguments ``argv`` when they ask for a build (its first command
    word, else the default); None otherwise, and when the indexer cannot start (the
    build says so if it needs one).  The arguments are not parsed yet: an option's
    value that reads as a command word can only make the start a wasted one or a
    late one (``main`` ends an unused indexer, and a build starts its own).  A build
    that has no use for it (its site is up to date, the cache holds the index) ends
    it too."""
    if "-h" in argv or "--help" in argv or next((a for a in argv if a in COMMANDS), DEFAULT) != "build":
        return None
    try:
        service = Indexer.start(executable())
    except (OutputError, OSError):
        return None  # the build starts one again when it needs it, and reports why it cannot
    service.warm_up()
    return service
