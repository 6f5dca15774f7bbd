"""The committed sample archive and its golden build.

    python -m tests.golden      rebuild tests/sample/golden/ after an intended change

``tests/test_golden.py`` builds the sample again and compares every file with the
golden copy, so any change to cleaning, alignment or the pages shows up as a diff that
a reviewer reads before regenerating.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "sample"
CONTENT = SAMPLE / "content"
GOLDEN = SAMPLE / "golden"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


def build_sample(workdir: Path) -> Path:
    """Build a copy of the sample content (the build writes anchor registries into its
    content folder, and the committed sample must only change through this command)."""
    from build import build

    content = workdir / "content"
    shutil.copytree(CONTENT, content)
    out = workdir / "site"
    # A fixed build date (reproducible-builds convention), so the edition id in the
    # golden pages does not change with the day the tests run.
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        build(content, out)
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    return out


# Golden files carry this extra suffix so tools that scan the tree for source code
# (linters, the duplicate finder) do not mistake generated pages for hand-written ones.
SUFFIX = ".golden"


# The search index is Pagefind's output (binary, named by hashes): tests/test_search.py
# checks what it finds instead of its bytes.
NOT_GOLDEN = "pagefind/"


def files(root: Path) -> dict[str, bytes]:
    return {name: p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not (name := p.relative_to(root).as_posix().removesuffix(SUFFIX)).startswith(NOT_GOLDEN)}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = build_sample(Path(tmp))
        # Keep the sample's registries in step with the golden pages that cite them.
        for written in [*(Path(tmp) / "content").rglob("anchors.yaml"), Path(tmp) / "content/CHANGELOG.md"]:
            target = CONTENT / written.relative_to(Path(tmp) / "content")
            shutil.copyfile(written, target)
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        for name, data in files(out).items():
            target = GOLDEN / (name + SUFFIX)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    print(f"wrote {len(files(GOLDEN))} files to {GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
