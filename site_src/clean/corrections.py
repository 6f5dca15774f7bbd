"""Editors' corrections (``corrections.yaml``) for what the rules cannot repair.

They run after every automatic rule, so ``find`` is written against the text as the
cleaner leaves it.  A correction that no longer matches is an error, not a silent
no-op: the capture or the rules changed, and the editor must look again.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import CleaningError, Problem
from ..model import Change, Correction, Flag, Line

RULE = "correction"


def apply(lines: tuple[Line, ...], corrections: tuple[Correction, ...],
          path: Path | None) -> tuple[tuple[Line, ...], list[Change]]:
    changes: list[Change] = []
    problems: list[Problem] = []
    for correction in corrections:
        hit = False
        new_lines = []
        for line in lines:
            if correction.find in line.text:
                hit = True
                text = line.text.replace(correction.find, correction.replace)
                changes.append(Change(RULE, line.number, correction.find, correction.replace, correction.why))
                line = replace(line, text=text)
            new_lines.append(line)
        lines = tuple(new_lines)
        if not hit:
            problems.append(Problem(
                path or "corrections.yaml", correction.line,
                f"correction no longer matches: {correction.find!r} is not in the cleaned text",
                "fix: rebuild and copy the damaged text as it now reads into 'find', or delete the entry"))
    if problems:
        raise CleaningError(problems)
    return lines, changes


def settle_flags(flags: list[Flag], lines: tuple[Line, ...], changes: list[Change]) -> list[Flag]:
    """A flag whose damaged text an editor's correction replaced stays in the log,
    marked resolved (the flag records the damage as captured; the correction, how it
    was fixed).  Judged per flag, not per line: a line may hold two damaged spots and
    a correction for only one of them."""
    corrected = {c.line for c in changes if c.rule == RULE}
    final = {line.number: line.text for line in lines}
    return [replace(f, resolved=True, message=f.message + "; corrected in corrections.yaml")
            if f.line in corrected and f.text not in final.get(f.line, "") else f
            for f in flags]
