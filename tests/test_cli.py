"""The command line: summaries, the path to open, and errors without tracebacks."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import INTERVIEW_YAML, INTERVIEW_SOURCE, ROOT, write_archive


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True,
                          timeout=120)


def test_help_explains_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for word in ("build", "serve", "--content", "--out"):
        assert word in result.stdout


def test_build_prints_summary_and_path(fixture_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = run("build", "--content", str(fixture_archive), "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(l.startswith("2025-03-test-interview: ") and "paragraphs" in l and "rows" in l
               and "cleaning changes" in l and "flags" in l for l in lines)
    assert lines[-1].endswith(str(out.resolve() / "index.html"))
    assert (out / "index.html").is_file()


def test_unchanged_build_says_what_it_did(fixture_archive: Path, tmp_path: Path) -> None:
    cache, first, second = str(tmp_path / "cache"), tmp_path / "first", tmp_path / "second"
    assert run("build", "--content", str(fixture_archive), "--out", str(first), "--cache", cache).returncode == 0
    again = run("build", "--content", str(fixture_archive), "--out", str(first), "--cache", cache)
    assert again.stdout.startswith(f"Up to date: nothing has changed since {first.resolve()} was built")
    elsewhere = run("build", "--content", str(fixture_archive), "--out", str(second), "--cache", cache)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert elsewhere.stdout.startswith("Nothing has changed since the last build, whose site the cache kept: "
                                       f"it is now in {second.resolve()}")
    assert elsewhere.stdout.rstrip().endswith(str(second.resolve() / "index.html"))
    assert (second / "articles/2025-03-test-interview/index.html").read_bytes() == \
        (first / "articles/2025-03-test-interview/index.html").read_bytes()


def test_plain_invocation_accepts_out_before_command(fixture_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = run("--content", str(fixture_archive), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "articles/2025-03-test-interview/index.html").is_file()


def test_content_error_is_one_line_per_problem(tmp_path: Path) -> None:
    content = write_archive(tmp_path, {"2025-03-x": {"article.yaml": INTERVIEW_YAML.replace("kind: interview", "kind: [x"),
                                                      "source.txt": INTERVIEW_SOURCE}})
    out = tmp_path / "site"
    result = run("--content", str(content), "--out", str(out))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "2025-03-x/article.yaml:" in result.stderr and "YAML syntax error" in result.stderr
    assert not out.exists()


def test_failed_build_keeps_last_good_site(fixture_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert run("--content", str(fixture_archive), "--out", str(out)).returncode == 0
    before = (out / "index.html").read_bytes()
    (fixture_archive / "site.yaml").write_text("title: [broken\n", encoding="utf-8")
    result = run("--content", str(fixture_archive), "--out", str(out))
    assert result.returncode == 1 and "site.yaml:" in result.stderr
    assert (out / "index.html").read_bytes() == before


def test_debug_shows_traceback(tmp_path: Path) -> None:
    content = write_archive(tmp_path, site="title: [broken\n")
    result = run("--debug", "--content", str(content), "--out", str(tmp_path / "site"))
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_check_passes_on_shipped_content(shipped_content: Path) -> None:
    result = run("check", "--content", str(shipped_content))
    assert result.returncode == 0, result.stderr
    assert "check passed: 5 articles" in result.stdout
    assert not (ROOT / "_site_check").exists()


def test_check_names_anchors_that_would_break(fixture_archive: Path, tmp_path: Path) -> None:
    assert run("--content", str(fixture_archive), "--out", str(tmp_path / "site")).returncode == 0
    # Every paragraph of the op-ed disappears (the capture was replaced by its title
    # alone): its published p1 would lead nowhere.  Check says so without writing.
    (fixture_archive / "articles/2025-12-test-op-ed/source.txt").write_text("测试文章\n", encoding="utf-8")
    result = run("check", "--content", str(fixture_archive))
    assert result.returncode == 1
    assert "2025-12-test-op-ed/source.txt: no article text left after cleaning" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_notes_anchors_to_mint(fixture_archive: Path) -> None:
    result = run("check", "--content", str(fixture_archive))
    assert result.returncode == 0
    assert "would publish new anchors p1, p2" in result.stdout
    assert not (fixture_archive / "articles/2025-03-test-interview/anchors.yaml").exists()  # nothing written


def test_report_lists_doubtful_rows(shipped_content: Path) -> None:
    result = run("report", "2025-03-bloomberg-china-show", "--threshold", "0.99", "--content", str(shipped_content))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("2025-03-bloomberg-china-show: ") and "rows below confidence 0.99" in first
    assert "zh: " in result.stdout and "en: " in result.stdout
    unknown = run("report", "2025-03-bloomberg-china-shows", "--content", str(shipped_content))
    assert unknown.returncode == 1
    assert "no article '2025-03-bloomberg-china-shows' — did you mean '2025-03-bloomberg-china-show'?" in unknown.stderr


def test_gb18030_capture_published_byte_for_byte(tmp_path: Path) -> None:
    from tests.conftest import OPED_SOURCE, OPED_YAML
    content = write_archive(tmp_path, {"2025-12-x": {"article.yaml": OPED_YAML}})
    raw = OPED_SOURCE.encode("gb18030")
    (content / "articles/2025-12-x/source.txt").write_bytes(raw)
    out = tmp_path / "site"
    assert run("--content", str(content), "--out", str(out)).returncode == 0
    assert (out / "articles/2025-12-x/source.txt").read_bytes() == raw


def test_the_process_ends_with_its_code_and_all_it_printed() -> None:
    # build.end skips the interpreter's clean-up (os._exit): what was printed must be
    # out first, and the exit code kept.
    code = "import build; print('one'); print('two', end=''); build.end(3)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (3, "one\ntwo")
    # Under a tracer (coverage, a debugger) the interpreter ends as usual: its exit
    # handlers run, which is where such tools write what they found.
    traced = ("import atexit, sys, build; sys.settrace(lambda *a: None); "
              "atexit.register(print, 'handlers ran'); build.end(0)")
    result = subprocess.run([sys.executable, "-c", traced], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, "handlers ran\n")


def test_the_command_collects_cycles_less_often(fixture_archive: Path) -> None:
    """A full collection walks every object the build holds; the command raises the
    youngest generation's threshold so that a large archive is not walked again and again."""
    import gc

    import build

    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's default (an earlier test may have run main)
    try:
        assert build.main(["check", "--content", str(fixture_archive), "--no-cache"]) == 0
        assert gc.get_threshold() == (build.GC_THRESHOLD, 50, 100)
    finally:
        gc.set_threshold(*before)


def bare_python(tmp_path: Path) -> Path:
    """A Python with none of the project's packages, as ``python3`` outside .venv is."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    return tmp_path / "bare" / "bin" / "python"


def test_a_python_without_the_packages_runs_the_build_under_the_project_s_venv(tmp_path: Path) -> None:
    if not (ROOT / ".venv" / "bin" / "python").is_file():
        pytest.skip("no .venv made by the README's set-up command")
    shown = subprocess.run([str(bare_python(tmp_path)), str(ROOT / "build.py"), "check", "--no-cache"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("check passed: 5 articles")


def test_a_python_without_the_packages_and_no_venv_is_told_what_to_run(tmp_path: Path) -> None:
    import shutil
    project = tmp_path / "project"
    shutil.copytree(ROOT / "site_src", project / "site_src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "build.py", project)
    shown = subprocess.run([str(bare_python(tmp_path)), str(project / "build.py")], capture_output=True, text=True)
    assert shown.returncode == 1 and "Traceback" not in shown.stderr
    assert shown.stderr.startswith("error: ") and "has no package" in shown.stderr and ".venv/bin/python" in shown.stderr


def test_the_program_starts_without_the_standard_librarys_network_modules() -> None:
    """Every build, and every worker process, imports the program: the TMX export's
    escaping once pulled in urllib.request, http.client and ssl (xml.sax.saxutils),
    some 11 ms of each start, for no use."""
    code = "import sys, build; print(sorted(m for m in ('urllib.request', 'http.client', 'ssl') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
