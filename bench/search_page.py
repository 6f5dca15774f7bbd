"""How long the search page takes to answer in a browser: a built site against a peer.

    python bench/search_page.py SITE [--peer SITE] [--runs 3] [--query Q ...]

Serves each site on 127.0.0.1 (as the browser tests do) and opens its search page in
Debian's chromium (headless, through Playwright), in a new browser context each run
(nothing cached), and times, for each query:

* **first**: from opening ``search.html?q=QUERY`` to the status that reports the
  query's results: Pagefind's script, its WebAssembly module, the folding table and
  the index of every shard (each merged into the first) are fetched first;
* **next**: the same query put in the box again (after clearing it) in that page:
  what a reader waits for after the first search, the page's 200 ms pause for
  typing included.

It also counts what the first query fetched of the index (``pagefind/`` and the
shards in ``pagefind-shards/``): requests and bytes.
The peer (default: the shipped five articles, built into a temporary folder with
``build.py build --no-cache``) is measured in the same run, and each time is given
as a ratio SITE / peer: a site with many shards against one with one.  Medians over
``--runs``.  No timing is asserted anywhere: tests/browser/test_search.py checks
what the page finds.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("DUIZHAO_CHROMIUM", "/usr/bin/chromium")
QUERIES = ("蒸餾", "distilling", "開源模型")


@dataclass(frozen=True)
class Sample:
    first: float  # seconds
    next: float
    requests: int  # of the index (pagefind/, pagefind-shards/), for the first query
    kib: float
    status: str  # the page's status line after the first query


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def served(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def measure(browser: object, base: str, query: str) -> Sample:
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        fetched: list[int] = []
        page.on("requestfinished", lambda r: "/pagefind" in r.url and fetched.append(r.sizes()["responseBodySize"]))
        answered = "q => document.getElementById('search-status').textContent.includes(q)"
        start = time.perf_counter()
        page.goto(f"{base}search.html?q={query}")
        page.wait_for_function(answered, arg=query, timeout=300_000)
        first = time.perf_counter() - start
        status = page.inner_text("#search-status")
        requests, size = len(fetched), sum(fetched)
        page.fill("#search-input", "")
        page.wait_for_function("() => !document.getElementById('search-status').textContent.trim()")
        start = time.perf_counter()
        page.fill("#search-input", query)
        page.wait_for_function(answered, arg=query, timeout=300_000)
        again = time.perf_counter() - start
        return Sample(first, again, requests, size / 1024, status)
    finally:
        context.close()


def sites(args: argparse.Namespace) -> Iterator[tuple[str, Path]]:
    yield "site", args.site
    if args.peer is not None:
        yield "peer", args.peer
        return
    with tempfile.TemporaryDirectory(prefix="duizhao-peer-") as folder:
        out = Path(folder) / "_site"
        subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--no-cache", "--out", str(out)],
                       check=True, stdout=subprocess.DEVNULL)
        yield "peer (the five shipped articles)", out


def table(browser: object, sites: Iterable[tuple[str, Path]], queries: list[str], runs: int) -> list[str]:
    """The lines of the results table: the first site against the second."""
    results: dict[str, dict[str, list[Sample]]] = {}
    for name, site in sites:
        server, base = served(site)
        try:
            # One query untimed first: the browser's own first page (its start-up,
            # compiling the WebAssembly) would otherwise count against the first site.
            measure(browser, base, queries[0])
            # Runs alternate between queries, so a slow moment of the machine is not
            # all one query's.
            results[name] = {q: [] for q in queries}
            for _ in range(runs):
                for query in queries:
                    results[name][query].append(measure(browser, base, query))
        finally:
            server.shutdown()
    site, peer = results

    def median(samples: list[Sample], field: str) -> float:
        return statistics.median(getattr(s, field) for s in samples)
    lines = ["| query | site: first (s) | peer: first (s) | ratio | site: next (s) | peer: next (s) | ratio "
             "| site: index requests, KiB | peer: requests, KiB | site's status |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for query in queries:
        ours, theirs = results[site][query], results[peer][query]
        first, peer_first = median(ours, "first"), median(theirs, "first")
        again, peer_again = median(ours, "next"), median(theirs, "next")
        lines.append(f"| {query} | {first:.2f} | {peer_first:.2f} | {first / peer_first:.1f}× | {again:.2f} | "
                     f"{peer_again:.2f} | {again / peer_again:.1f}× | {ours[0].requests}, {ours[0].kib:,.0f} | "
                     f"{theirs[0].requests}, {theirs[0].kib:,.0f} | {ours[0].status} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path, help="a built site (its search.html)")
    parser.add_argument("--peer", type=Path, help="the site to compare with (default: the five shipped articles)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--query", action="append", help=f"a query (default: {', '.join(QUERIES)})")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            print("\n".join(table(browser, sites(args), args.query or list(QUERIES), args.runs)))
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
