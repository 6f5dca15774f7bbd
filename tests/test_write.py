"""Writing the site: atomic swap, and never clobbering a folder duizhao did not make."""
from __future__ import annotations

from pathlib import Path

import pytest

from site_src.errors import OutputError
from site_src.write import MARKER, write_site


def test_write_then_replace(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"one", "a/b.html": b"two"}, out)
    assert (out / "a/b.html").read_bytes() == b"two" and (out / MARKER).exists()
    write_site({"index.html": b"three"}, out)
    assert (out / "index.html").read_bytes() == b"three"
    assert not (out / "a").exists()  # stale pages of the old build are gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]  # no staging folders left


def test_failed_write_keeps_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"good"}, out)
    with pytest.raises(ValueError):
        write_site({"index.html": b"half", "../escape.html": b"x"}, out)
    assert (out / "index.html").read_bytes() == b"good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_refuses_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(OutputError) as info:
        write_site({"index.html": b"x"}, out)
    assert "was not made by duizhao" in str(info.value)
    assert (out / "precious.txt").read_text() == "keep me"


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("break_content", [
    # Fails at load, before anything runs.
    lambda c: (c / "articles/2025-12-test-op-ed/article.yaml").write_text("kind: [\n", encoding="utf-8"),
    # Fails late, in the annotate stage, after cleaning, alignment and anchors have run.
    lambda c: (c / "articles/2025-03-test-interview/notes.md").write_text("## p9 note\nNo such row.\n",
                                                                          encoding="utf-8"),
], ids=["load", "annotate"])
def test_failed_build_leaves_site_and_registries_byte_identical(break_content, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import build
    from tests.conftest import write_archive
    content = write_archive(tmp_path)
    out = tmp_path / "_site"
    assert build.main(["--content", str(content), "--out", str(out)]) == 0
    site_before, content_before = tree(out), tree(content)
    # A content edit that would change every page if it were built, then the breakage.
    (content / "site.yaml").write_text((content / "site.yaml").read_text(encoding="utf-8")
                                       .replace("Test archive", "Renamed archive"), encoding="utf-8")
    break_content(content)
    assert build.main(["--content", str(content), "--out", str(out)]) == 1
    assert "the previous site, if any, is unchanged" in capsys.readouterr().err
    assert tree(out) == site_before
    # Registries and CHANGELOG.md are written only after a site is in place.
    changed = {k for k in tree(content) if tree(content)[k] != content_before.get(k)}
    assert changed <= {"site.yaml", "articles/2025-12-test-op-ed/article.yaml", "articles/2025-03-test-interview/notes.md"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site", "content"]  # no staging folder left
