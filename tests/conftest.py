"""Shared fixtures: small archives written to a temporary folder.

Tests that need a content tree build it here instead of touching content/, so a test
can break a file on purpose without affecting any other test.
"""
from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests (test_properties.py, test_anchor_guarantee.py): bounded example counts.
# Under CI the examples are derandomized, so a CI run checks the same cases every time
# and fails only when the code changed; a local run searches afresh, and what it finds
# is kept as an @example.  HYPOTHESIS_PROFILE=thorough searches longer.
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=_QUIET,
                          derandomize=bool(os.environ.get("CI")))
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"

SITE_YAML = """\
title: Test archive
description: A fixture archive.
base_url: https://example.org/archive/
editors:
  - name: Test Editor
contact: mailto:editor@example.org
"""

# The interview's two speakers, shared by fixtures of articles in the same conversation.
SPEAKERS_YAML = """\
speakers:
  - id: host
    name: {zh: 主持人, en: Host}
    role: interviewer
    labels: [問, Q]
  - id: kfl
    name: {zh: 李開復, en: Kai-Fu Lee}
    role: interviewee
    labels: [李開復, A]
"""

INTERVIEW_YAML = """\
title:
  zh: 測試訪談
  en: A test interview
outlet:
  zh: 測試網
  en: Test Net
byline: 記者甲
date: "2025-03-20"
url: ""
kind: interview
languages: [zh-Hant, en]
summary: A two-language fixture.
english_original: Test Net
""" + SPEAKERS_YAML

INTERVIEW_SOURCE = """\
問:OpenAI每年花多少錢?
李開復:OpenAI 在 2024 年的運營成本為 70 億美元。
Q: How much does OpenAI spend?
A: OpenAI spent $7 billion of operating cost in 2024.
"""

OPED_YAML = """\
title:
  zh: 测试文章
outlet:
  zh: 测试网
date: "2025-12-09"
kind: op-ed
languages: [zh-Hans]
summary: A Chinese-only fixture.
"""

OPED_SOURCE = "测试文章\n\n今年 1 月,在 DeepSeek 发布 R1 大语言模型后,美国纳斯达克指数单日下跌3%。\n"


def write_archive(root: Path, articles: dict[str, dict[str, str]] | None = None, site: str = SITE_YAML) -> Path:
    """Write a content tree: {slug: {filename: text}}; returns the content folder."""
    content = root / "content"
    (content / "articles").mkdir(parents=True)
    (content / "site.yaml").write_text(site, encoding="utf-8")
    if articles is None:
        articles = {
            "2025-03-test-interview": {"article.yaml": INTERVIEW_YAML, "source.txt": INTERVIEW_SOURCE},
            "2025-12-test-op-ed": {"article.yaml": OPED_YAML, "source.txt": OPED_SOURCE},
        }
    for slug, files in articles.items():
        folder = content / "articles" / slug
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return content


@pytest.fixture
def fixture_archive(tmp_path: Path) -> Path:
    return write_archive(tmp_path)


@pytest.fixture
def shipped_content(tmp_path: Path) -> Path:
    """A private copy of the shipped content/, so builds may rewrite its registries."""
    dest = tmp_path / "content"
    shutil.copytree(CONTENT, dest)
    return dest
