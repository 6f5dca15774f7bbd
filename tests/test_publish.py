"""The GitHub Pages workflow: its steps are the commands this repository really has."""
from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from build import parser

WORKFLOW = Path(__file__).parent.parent / ".github" / "workflows" / "pages.yml"


def steps() -> list[dict[str, object]]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data["jobs"]["build"]["steps"]


def test_workflow_checks_then_builds_then_uploads_what_it_built() -> None:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert data["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert data["jobs"]["deploy"]["needs"] == "build"
    runs = [str(s["run"]) for s in steps() if "run" in s]
    assert runs[0] == "pip install -r requirements.txt"
    assert runs[1] == "python build.py check"
    build = shlex.split(runs[2])
    assert build[0].startswith("SOURCE_DATE_EPOCH=") and build[1:3] == ["python", "build.py"]
    args = parser().parse_args(build[3:])  # every option the workflow passes exists
    upload = next(s for s in steps() if str(s.get("uses", "")).startswith("actions/upload-pages-artifact"))
    assert Path(upload["with"]["path"]) == args.out  # type: ignore[index]
    # The build reads the cache the check filled: the stages run once, not twice.
    check = parser().parse_args(shlex.split(runs[1])[2:])
    assert not args.no_cache and not check.no_cache and args.cache == check.cache
