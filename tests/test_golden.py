"""Layer 2: the committed sample archive builds to exactly the committed golden output."""
from __future__ import annotations

import difflib
from pathlib import Path

from tests.golden import GOLDEN, build_sample, files


def test_sample_builds_to_golden(tmp_path: Path) -> None:
    built = files(build_sample(tmp_path))
    golden = files(GOLDEN)
    assert sorted(built) == sorted(golden), "file list differs; run `python -m tests.golden` if intended"
    for name, data in golden.items():
        if built[name] != data:
            diff = "\n".join(difflib.unified_diff(
                data.decode("utf-8", "replace").splitlines(), built[name].decode("utf-8", "replace").splitlines(),
                f"golden/{name}", f"built/{name}", lineterm="", n=2))
            raise AssertionError(f"{name} differs from golden (run `python -m tests.golden` if intended):\n"
                                 + diff[:4000])


def test_sample_registries_committed(tmp_path: Path) -> None:
    build_sample(tmp_path)
    for registry in [*(tmp_path / "content").rglob("anchors.yaml"), tmp_path / "content/CHANGELOG.md"]:
        committed = Path(__file__).parent / "sample/content" / registry.relative_to(tmp_path / "content")
        assert committed.read_text(encoding="utf-8") == registry.read_text(encoding="utf-8")
