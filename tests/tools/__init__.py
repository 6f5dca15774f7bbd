"""The JavaScript tools the tests run, pinned in ``package.json`` / ``package-lock.json``
and installed with ``npm ci --prefix tests/tools`` (the README's test command and
``.ci/run`` do it): axe-core, injected into Chromium for the accessibility checks, and
html-validate, run with node over every built page.

Outside CI a missing install skips the tests that need it, with the command to run;
under CI=true it is a failure, as a missing Chromium is (tests/browser/conftest.py).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent
NODE_MODULES = TOOLS / "node_modules"
HTMLVALIDATE_CONFIG = TOOLS / ".htmlvalidate.json"


def _missing(what: str, fix: str = "npm ci --prefix tests/tools") -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}: CI must install it (see .ci/run)")
    pytest.skip(f"{what}: run `{fix}`")


def tool(relative: str) -> Path:
    """A file installed under ``tests/tools/node_modules`` (skip or fail when absent)."""
    path = NODE_MODULES / relative
    if not path.exists():
        _missing(f"{path} not found")
    return path


def node() -> str:
    found = shutil.which("node")
    if found is None:
        _missing("node not found", "apt-get install -y nodejs npm")
    return str(found)
