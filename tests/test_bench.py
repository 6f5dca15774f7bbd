"""The benchmark's synthetic archive (bench/make_archive.py): fast checks, no timings."""
from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import make_archive  # noqa: E402

from site_src.model import AnchorRegistry  # noqa: E402
from site_src.schema import SLUG_RE  # noqa: E402

CONTENT = ROOT / "content"


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def made(tmp_path: Path, name: str, n: int, seed: int) -> Path:
    out = tmp_path / name
    assert make_archive.main([str(n), str(out), "--seed", str(seed)]) == 0
    return out


def test_same_seed_gives_identical_files(tmp_path):
    first, second = made(tmp_path, "a", 7, 3), made(tmp_path, "b", 7, 3)
    assert files_of(first) == files_of(second)


def test_different_seed_gives_different_sources(tmp_path):
    first, second = files_of(made(tmp_path, "a", 7, 3)), files_of(made(tmp_path, "b", 7, 4))
    assert first.keys() == second.keys()
    sources = [k for k in first if k.endswith("source.txt")]
    assert sources and all(first[k] != second[k] for k in sources)


def test_n_articles_with_new_slugs_and_no_registries(tmp_path):
    out = made(tmp_path, "a", 7, 1)
    folders = sorted((out / "articles").iterdir())
    assert len(folders) == 7
    assert (out / "site.yaml").is_file()
    for folder in folders:
        assert SLUG_RE.match(folder.name) and "-synthetic-" in folder.name
        assert (folder / "source.txt").is_file() and (folder / "article.yaml").is_file()
        assert not (folder / "anchors.yaml").exists()
    assert {f.name.rsplit("-", 1)[1] for f in folders} == {f"{i:05d}" for i in range(7)}


def test_refuses_a_non_empty_output_folder(tmp_path):
    out = tmp_path / "a"
    out.mkdir()
    (out / "keep.txt").write_text("not ours")
    with pytest.raises(SystemExit):
        make_archive.main(["2", str(out)])
    assert (out / "keep.txt").read_text() == "not ours"


@pytest.fixture(scope="module")
def bases():
    return make_archive.read_bases(CONTENT)


def test_english_donors_come_first(bases):
    # The ordering rule of family_order: a borrower's donor precedes it.
    position = {b.article.slug: i for i, b in enumerate(bases)}
    pairs = [(position[r.slug], position[b.article.slug])
             for b in bases for r in b.article.meta.relations if r.kind == "english_text_from"]
    assert pairs, "the real content has an english_text_from relation to check"
    assert all(donor < borrower for donor, borrower in pairs)


@pytest.mark.parametrize("n", range(1, 12))
def test_relations_name_only_articles_that_exist(bases, n):
    articles = make_archive.make_archive(CONTENT, n, seed=1).articles
    by_slug = {a.slug: a for a in articles}
    borrowed = 0
    for a in articles:
        for kind, items in a.meta_doc["relations"].items():
            for item in items:
                target = by_slug[item["slug"]]
                if kind == "english_text_from":
                    assert "en" in target.meta_doc["languages"]
                    borrowed += 1
        # english_text_from is never dropped, whatever N cuts off.
        assert len(a.meta_doc["relations"].get("english_text_from", [])) == len(
            a.base.meta_doc.get("relations", {}).get("english_text_from", []))
    assert borrowed == sum(1 for a in articles if a.base.article.slug == "2026-02-ft-interview-phoenix")


def test_page_chrome_stays_in_place_and_body_lines_are_only_moved(bases):
    articles = make_archive.make_archive(CONTENT, len(bases), seed=5).articles
    reordered = 0
    for a in articles:
        raw, synthetic = a.base.lines, a.source.split("\n")
        body = sorted(i for section in a.base.sections for i in section)
        chrome = [i for i in range(len(raw)) if i not in set(body)]
        assert len(synthetic) == len(raw)
        assert [synthetic[i] for i in chrome] == [raw[i] for i in chrome]
        # With digits masked, the body holds the same lines, possibly in another order.
        mask = make_archive.DIGIT
        before, after = [mask.sub("#", raw[i]) for i in body], [mask.sub("#", synthetic[i]) for i in body]
        assert sorted(before) == sorted(after)
        reordered += before != after
    assert reordered == len(articles)


def test_corrections_are_kept_only_if_they_still_match(bases):
    base = next(b for b in bases if b.corrections_doc)
    stale = {"find": "這段文字不在任何一篇稿件裏", "replace": "x", "why": "a test entry"}
    digits = {d: d for d in make_archive.DIGITS}
    source = "\n".join(base.lines)
    with_stale = make_archive.Base(base.article, base.meta_doc, [*base.corrections_doc, stale],
                                   base.lines, base.sections)
    kept = make_archive.matching_corrections(with_stale, source, digits)
    assert kept == base.corrections_doc


def test_digits_change_in_corrections_as_in_the_text(bases):
    base = next(b for b in bases if b.corrections_doc)
    entry = {"find": "2025", "replace": "2025年", "why": "a test entry"}
    swap = dict(zip(make_archive.DIGITS, "9876543210"))
    text = "\n".join(make_archive.change_digits(line, swap) for line in base.lines)
    probe = make_archive.Base(base.article, base.meta_doc, [entry], base.lines, base.sections)
    assert make_archive.matching_corrections(probe, text, swap) == [
        {"find": "7974", "replace": "7974年", "why": "a test entry"}]


def test_tiny_archive_builds(tmp_path):
    # Imported here so that the generator's own tests still run while build.py is
    # being changed; this is the one test that needs the whole pipeline.
    from build import process

    out = made(tmp_path, "a", 3, 1)
    archive = process(out)
    assert len(archive.articles) == 3
    assert all(a.rows for a in archive.articles)
    # The real glossary: the synthetic articles link to entities as the real ones do.
    assert (out / "glossary.yaml").read_bytes() == (CONTENT / "glossary.yaml").read_bytes()
    assert all(a.mentions for a in archive.articles)


def test_report_gives_the_issues_targets_as_ratios_of_the_run():
    import run  # bench/run.py

    sample = run.Sample
    results = {100: {"duizhao": (sample(16.0, 12.0, 400, 900), 6000),
                     "duizhao-warm": (sample(8.0, 8.0, 150, 300), 6000),
                     "hugo": (sample(0.2, 0.2, 100, 90), 105), "pelican": (sample(1.0, 0.9, 45, 45), 122)}}
    text = run.report(results, 3, 1)
    assert "* cold duizhao's peak memory, all processes: 900 MB (target: under 1 GiB)" in text
    # Memory is compared as all processes together: 900 / 45.
    assert "| pelican | 1.00 | 0.90 | 45 | 45 | 122 | 16.0× | 13.3× | 20.0× |" in text
    assert "* warm duizhao / Hugo: 40.0× wall, 40.0× CPU (target: at most 2×)" in text
    assert "* cold duizhao / pelican: 16.00× wall (target: at most 0.33×)" in text
    assert "mkdocs" not in text  # no line for a peer that was not run
    assert "again, same folder" not in text


def test_report_gives_the_unchanged_rebuild_against_hugo():
    import run

    sample = run.Sample
    results = {100: {"duizhao-warm": (sample(8.0, 8.0, 150, 200), 6000),
                     "duizhao-again": (sample(0.3, 0.3, 90, 95), 0), "hugo": (sample(0.2, 0.2, 100, 100), 105)}}
    text = run.report(results, 3, 1)
    assert "* duizhao again, same folder / Hugo: 1.5× wall, 1.5× CPU (target: at most 2×)" in text
    assert "| duizhao-again | 0.30 | 0.30 | 90 | 95 | 0 | — | — | — |" in text


def test_the_unchanged_rebuild_needs_the_warm_build_before_it(tmp_path):
    import run

    with pytest.raises(SystemExit, match="list duizhao-warm before it"):
        run.jobs(1, 1, tmp_path, ("duizhao-again", "duizhao-warm"))
    jobs, out = run.jobs(1, 1, tmp_path / "ok", ("duizhao-warm", "duizhao-again"))
    again = jobs[1].command(out / "duizhao-again")
    # Into the folder the warm build writes, with the same content and cache.
    assert again[again.index("--out") + 1] == str(out / "duizhao-warm")
    assert again == jobs[0].command(out / "duizhao-warm")


def test_versions_ask_only_the_tools_that_ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run of duizhao alone needs no peers' environment: it once timed every build
    and then failed looking for Hugo's version."""
    import run

    monkeypatch.setattr(run, "VENV", tmp_path / "no-venv")
    assert list(run.versions(("duizhao", "duizhao-warm"))) == ["duizhao"]
    with pytest.raises(SystemExit, match="no Hugo binary"):
        run.versions(("duizhao", "hugo"))


def test_the_edit_build_makes_the_edited_page_again(tmp_path):
    """duizhao-edit times a build after a note was added: the cache holds every
    article's cleaning and alignment and the last site, which cannot be put in place
    as it is: the edited article's page must be made again."""
    import run

    jobs, out = run.jobs(1, 1, tmp_path, ("duizhao-warm", "duizhao-edit", "duizhao-again"))
    warm, job, again = jobs
    job.prepare()
    [article] = (tmp_path / "edit-run-content" / "articles").iterdir()
    # In folders of its own: duizhao-again, after it, builds duizhao-warm's content.
    assert "edit-" not in " ".join(again.command(out / "duizhao-warm"))
    assert again.command(out / "duizhao-warm") == warm.command(out / "duizhao-warm")
    assert "Added by the benchmark" in (article / "notes.md").read_text(encoding="utf-8")
    done = subprocess.run(job.command(out / "duizhao-edit"), capture_output=True, text=True, check=True)
    assert done.stdout.startswith(article.name + ":")  # built, not put back from the cache
    page = (out / "duizhao-edit" / "articles" / article.name / "index.html").read_text(encoding="utf-8")
    assert "Added by the benchmark" in page


def test_the_warm_and_edit_builds_start_from_the_cold_builds_content_and_cache(tmp_path, monkeypatch):
    """After a cold build in the same run, the warm and edit builds need no untimed
    build of their own (the same build again: a quarter of an hour at 10,000): they
    run on the cold build's content and cache, in place (the cache's keys name the
    articles' folders: a copy elsewhere found none of its entries), the edit build
    last, as it adds its note.  A new run's cold build starts afresh."""
    import run

    with pytest.raises(SystemExit, match="list duizhao-again before it"):
        run.jobs(1, 1, tmp_path / "order", ("duizhao", "duizhao-warm", "duizhao-edit", "duizhao-again"))
    assert run.TOOLS.index("duizhao-again") < run.TOOLS.index("duizhao-edit")
    jobs, out = run.jobs(2, 1, tmp_path, ("duizhao", "duizhao-warm", "duizhao-edit"))
    cold, warm, edit = jobs
    cold.prepare()
    subprocess.run(cold.command(out / "duizhao"), capture_output=True, check=True)
    cold.done()
    builds: list[object] = []
    monkeypatch.setattr(run.subprocess, "run", lambda *a, **k: builds.append(a))
    warm.prepare()
    assert builds == []
    monkeypatch.undo()
    done = subprocess.run(warm.command(out / "duizhao-warm"), capture_output=True, text=True, check=True)
    assert "whose site the cache kept" in done.stdout
    monkeypatch.setattr(run.subprocess, "run", lambda *a, **k: builds.append(a))
    edit.prepare()
    assert builds == []
    monkeypatch.undo()
    assert edit.command(out / "x") == warm.command(out / "x")  # the same content and cache
    first = min((tmp_path / "run-content" / "articles").iterdir())
    assert "Added by the benchmark" in (first / "notes.md").read_text(encoding="utf-8")
    entries = set((tmp_path / "cache").rglob("*.pickle"))
    done = subprocess.run(edit.command(out / "duizhao-edit"), capture_output=True, text=True, check=True)
    assert "Built 2 articles" in done.stdout  # built, not put back from the cache
    # Every article's cleaning and alignment were in the cache: the entries added are
    # the registries the cold build wrote, read for the first time.
    added = set((tmp_path / "cache").rglob("*.pickle")) - entries
    assert entries and all(isinstance(pickle.loads(p.read_bytes()), AnchorRegistry) for p in added)
    monkeypatch.setattr(run.subprocess, "run", lambda *a, **k: builds.append(a))
    cold.prepare()  # the next run
    warm.prepare()
    assert len(builds) == 1  # its own untimed build: the cold build has not run yet


def test_report_gives_the_edit_build_without_a_target():
    import run

    sample = run.Sample
    results = {100: {"duizhao-edit": (sample(8.0, 8.0, 150, 150), 6000),
                     "hugo": (sample(0.2, 0.2, 100, 100), 105)}}
    text = run.report(results, 3, 1)
    assert "* duizhao after a note (no target: every page names a new edition) / Hugo: 40.0× wall, 40.0× CPU\n" in text


LEFT_BEHIND = """
import os, sys, threading, time


def spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def work():
    child = os.fork()
    if child == 0:
        if os.fork() == 0:  # left running when its parent exits, as a fork server's workers are
            spin(1.0)
            os._exit(0)
        block = bytearray(60 * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        spin(0.6)
        os._exit(0)
    os.waitpid(child, 0)


# Forked from a thread, as duizhao's indexer thread starts Pagefind.
thread = threading.Thread(target=work)
thread.start()
thread.join()
sys.exit(3)
"""


def test_tree_measures_the_processes_the_command_leaves_behind(tmp_path):
    """The command's own rusage would leave out the second of CPU of the process its
    child leaves running, as a build's leaves out the workers of the fork server;
    and the child holding the memory was started from a thread, where the kernel
    lists it under that thread only."""
    import json

    result = tmp_path / "tree.json"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "tree.py"), str(result), "--",
                           sys.executable, "-c", LEFT_BEHIND])
    assert done.returncode == 3  # the command's status
    usage = json.loads(result.read_text())
    assert usage["cpu"] >= 1.5
    assert usage["largest_kib"] >= 60 * 1024
    assert usage["total_kib"] >= 50 * 1024  # sampled while the child held the block


def test_measure_reads_the_tree(tmp_path):
    import run

    sample = run.measure([sys.executable, "-c", "print('built')"], tmp_path / "tool.log")
    assert sample.cpu > 0 and 0 < sample.rss_mb < 200 and sample.wall > 0
    assert (tmp_path / "tool.log").read_text() == "built\n"


def test_serve_edit_changes_a_capture_to_a_new_text_each_run(tmp_path):
    """The per-article cache keeps what an edited capture cleans to: a run that made
    the same edit again would time a cache read, not the cleaning of a new edit."""
    import serve_edit

    content = made(tmp_path, "a", 10, 1)
    runs = [serve_edit.edits(content, run)["source"] for run in range(3)]
    (path, old, _), = {(p, o, "") for p, o, _ in runs}
    assert old in path.read_text(encoding="utf-8")
    news = [new for _, _, new in runs]
    assert len(set(news)) == 3 and old not in news and all(len(new) == len(old) for new in news)


def test_stages_counts_every_stage_of_a_cold_build_per_article(tmp_path):
    """bench/stages.py: the table of the bench README's "Why the cold build is not a
    third of Pelican's".  It pins itself to one core, so the cleaning and alignment
    (done by the helper or the pool on two) are counted in its own process."""
    content = made(tmp_path, "content", 3, 1)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "stages.py"), str(content),
                           str(tmp_path / "site")], check=True, capture_output=True, text=True)
    lines = done.stdout.splitlines()
    assert lines[0] == "3 articles; ms of CPU an article"
    per_article = {line[:45].strip(): float(line[45:].split()[0]) for line in lines[1:]}
    for stage in ("load", "clean + segment", "align + overrides", "prepare (all of it)", "anchors", "annotate",
                  "the article's five files", "pages, data files and writing (all of it)",
                  "processes the build started (search indexer)", "total"):
        assert per_article[stage] > 0, stage
    assert per_article["clean + segment"] + per_article["align + overrides"] <= per_article["prepare (all of it)"]
    assert (tmp_path / "site" / "index.html").is_file()


def test_turns_builds_the_archive_with_both_revisions_in_turns(tmp_path, monkeypatch, capsys):
    """bench/turns.py: the five-article measure of the README.  Both checkouts build,
    alternately, each into a folder of its own; the worktree of the other revision is
    removed afterwards."""
    import turns

    built: list[str] = []
    real = turns.build_once

    def build_once(checkout, content, out, cache):  # type: ignore[no-untyped-def]
        built.append(out.name)
        assert not out.exists()
        return real(checkout, content, out, cache)
    monkeypatch.setattr(turns, "build_once", build_once)
    worktrees = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True).stdout
    assert turns.main(["--runs", "2", "--pause", "0", "--against", "HEAD"]) == 0
    assert built == ["this-first", "against-first", "this-0", "against-0", "this-1", "against-1"]
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("    this: wall median") and out[2].startswith(" against: wall median")
    assert out[3].startswith("wall, this / against: ")
    assert subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True,
                          text=True).stdout == worktrees
