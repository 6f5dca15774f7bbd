"""Every HTML page the build publishes from the shipped content is valid HTML: html-validate
(tests/tools, pinned) with ``html-validate:recommended`` and the few relaxations listed
and justified in tests/tools/README.md.  Any message — error or warning — fails.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from build import build
from tests.conftest import CONTENT
from tests.tools import HTMLVALIDATE_CONFIG, TOOLS, node, tool


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("valid")
    shutil.copytree(CONTENT, root / "content")
    build(root / "content", root / "_site")
    return root / "_site"


def test_every_page_is_valid_html(site: Path) -> None:
    validator = tool("html-validate/bin/html-validate.mjs")
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20 and site / "index.html" in pages and site / "404.html" in pages
    run = subprocess.run([node(), str(validator), "--config", str(HTMLVALIDATE_CONFIG), "--formatter", "json",
                          *map(str, pages)], cwd=TOOLS, capture_output=True, text=True, timeout=300)
    if run.returncode not in (0, 1) or not run.stdout.strip():  # 1 = problems found, reported as JSON
        pytest.fail(f"html-validate did not run (exit {run.returncode}): {run.stderr[-2000:]}")
    problems = [f"{Path(result['filePath']).relative_to(site)}:{m['line']}:{m['column']}: {m['message']} [{m['ruleId']}]"
                for result in json.loads(run.stdout) for m in result["messages"]]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
