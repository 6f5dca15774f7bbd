"""The exception tree users see as ``file:line: problem — fix``.

Every error a user can cause by editing ``content/`` is a :class:`DuizhaoError`;
``build.py`` prints it in one line and exits non-zero.  A traceback is shown only
with ``--debug``: anything else that escapes is a bug in duizhao itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Collection


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located precisely enough to fix it."""

    path: Path | str
    line: int | None
    problem: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.problem}" + (f" — {self.fix}" if self.fix else "")


def slug_fix(slug: str, slugs: Collection[str]) -> str:
    """The fix for a name of an article that does not exist: the nearest slugs, or
    where slugs come from.  Never the whole list: an archive has thousands."""
    close = get_close_matches(slug, sorted(slugs), n=3, cutoff=0.8)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    return "use the name of an article folder under content/articles/"


class DuizhaoError(Exception):
    """Base of every error caused by input rather than by a bug."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Carried:
    """A DuizhaoError carried back from a worker process as data: the exception itself
    does not survive pickling with its problems (its one argument is their text)."""

    kind: type[DuizhaoError]
    problems: tuple[Problem, ...]


class ContentError(DuizhaoError):
    """Content files are malformed: YAML syntax, schema, undecodable bytes."""


class CleaningError(DuizhaoError):
    """A correction or cleaning instruction no longer matches the capture."""


class AnchorError(DuizhaoError):
    """The anchor registry is inconsistent (an anchor would resolve to nothing)."""


class RenderError(DuizhaoError):
    """A template failed, or content would inject markup into a page."""


class OutputError(DuizhaoError):
    """The output folder cannot be written or swapped into place."""
