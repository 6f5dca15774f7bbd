"""The exception tree users see as ``file:line: problem — fix``.

Every error a user can cause by editing ``content/`` is a :class:`DuizhaoError`;
``build.py`` prints it in one line and exits non-zero.  A traceback is shown only
with ``--debug``: anything else that escapes is a bug in duizhao itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


class DuizhaoError(Exception):
    """Base of every error caused by input rather than by a bug."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


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
