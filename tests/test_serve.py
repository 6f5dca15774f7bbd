"""`build.py serve`: serves the built site on 127.0.0.1 and rebuilds when content changes."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def wait_for(predicate, seconds: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_serve_builds_serves_and_rebuilds(fixture_archive: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--content", str(fixture_archive),
                             "--out", str(tmp_path / "site"), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: (fetch(url) or "").find("Test archive") >= 0), "server never answered"
        article = fetch(url + "articles/2025-03-test-interview/")
        assert article and 'id="p1"' in article
        site = fixture_archive / "site.yaml"
        site.write_text(site.read_text(encoding="utf-8").replace("Test archive", "Renamed archive"), encoding="utf-8")
        assert wait_for(lambda: "Renamed archive" in (fetch(url) or "")), "no rebuild after editing site.yaml"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
