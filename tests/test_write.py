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
