"""Bad input, end to end: every way an editor can break ``content/`` stops the build
with exit code 1 and one line per problem, ``error: file:line: problem — fix``, and no
traceback (``--debug`` shows one).

One table, one case per row; each case breaks the two-article fixture archive
(``tests/conftest.py``) in one way and names the exact line the build must print.
Cases tested end to end elsewhere are not repeated here:

* a stale ``alignment.yaml`` entry is a warning, not an error (the build goes on):
  ``tests/test_overrides.py::test_cli_prints_the_warning_and_builds``;
* a failed build leaves the previous site byte for byte: ``tests/test_write.py``;
* several problems in one run, all reported: ``tests/test_load.py``.
"""
from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

import build
from site_src import render
from tests.conftest import INTERVIEW_YAML, OPED_SOURCE, OPED_YAML, SITE_YAML, write_archive

INTERVIEW = "articles/2025-03-test-interview"
OPED = "articles/2025-12-test-op-ed"
GLOSSARY = """\
- id: openai
  kind: company
  name: {en: OpenAI}
  aliases: {en: [OpenAI]}
  description: An American AI lab.
"""


@dataclass(frozen=True)
class Case:
    id: str
    setup: Callable[[Path], None]  # breaks the content folder it is given
    file: str  # the file the message names, relative to content/
    line: int | None
    message: str  # problem — fix, exactly as printed after "file:line: "

    def expected(self, content: Path) -> str:
        where = f"{content / self.file}:{self.line}" if self.line else f"{content / self.file}"
        return f"error: {where}: {self.message}"


def write(rel: str, text: str) -> Callable[[Path], None]:
    def setup(content: Path) -> None:
        (content / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return setup


def edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def setup(content: Path) -> None:
        path = content / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture changed: {old!r} is not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return setup


def write_bytes(rel: str, data: bytes) -> Callable[[Path], None]:
    def setup(content: Path) -> None:
        (content / rel).write_bytes(data)
    return setup


def new_article(slug: str, files: dict[str, str]) -> Callable[[Path], None]:
    def setup(content: Path) -> None:
        folder = content / "articles" / slug
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    return setup


def sparse(rel: str, size: int) -> Callable[[Path], None]:
    """A file of ``size`` bytes that takes no disk space: the build must refuse it by
    its size alone (it is all NUL bytes, so reading it would report "binary" instead)."""
    def setup(content: Path) -> None:
        with open(content / rel, "wb") as f:
            f.truncate(size)
    return setup


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


SLUG_FIX = "expected a value matching ^[a-z0-9]+(-[a-z0-9]+)*$"

CASES = [
    Case("malformed-yaml", edit(f"{INTERVIEW}/article.yaml", "kind: interview", "kind: [interview"),
         f"{INTERVIEW}/article.yaml", line_of(INTERVIEW_YAML, "languages:"),
         "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence that starts on line "
         f"{line_of(INTERVIEW_YAML, 'kind:')}) — check indentation and quoting "
         "on that line (quote text containing ': ' or '#')"),
    Case("missing-required-field", edit(f"{OPED}/article.yaml", "kind: op-ed\n", ""),
         f"{OPED}/article.yaml", 1, "article.yaml lacks required key 'kind' — add 'kind:'"),
    Case("unknown-key-typo", edit(f"{OPED}/article.yaml", "summary:", "sumary:"),
         f"{OPED}/article.yaml", line_of(OPED_YAML, "summary:"),
         "unknown key 'sumary' in article.yaml — did you mean 'summary'?"),
    Case("unknown-key-tittle", edit(f"{OPED}/article.yaml", "title:", "tittle:"),
         f"{OPED}/article.yaml", 1, "unknown key 'tittle' in article.yaml — did you mean 'title'?"),
    Case("date-not-a-date", edit(f"{OPED}/article.yaml", '"2025-12-09"', "2025-02-30"),
         f"{OPED}/article.yaml", line_of(OPED_YAML, "date:"),
         "date '2025-02-30' is not a date (day is out of range for month) — write YYYY, YYYY-MM or YYYY-MM-DD "
         "with a real month and day"),
    Case("date-in-words", edit(f"{OPED}/article.yaml", '"2025-12-09"', "9 December 2025"),
         f"{OPED}/article.yaml", line_of(OPED_YAML, "date:"),
         f"date '9 December 2025' is malformed — expected a value matching ^\\d{{4}}(-\\d{{2}}(-\\d{{2}})?)?$"),
    Case("date-empty", edit(f"{OPED}/article.yaml", '"2025-12-09"', '""'),
         f"{OPED}/article.yaml", line_of(OPED_YAML, "date:"),
         "date is empty — give it a value matching ^\\d{4}(-\\d{2}(-\\d{2})?)?$"),
    # Slugs are folder names, so two articles cannot share one; an article.yaml cannot
    # set its own (which could otherwise repeat another's, or climb out of the site).
    Case("slug-key-in-article-yaml", edit(f"{OPED}/article.yaml", "kind:", "slug: ../../x\nkind:"),
         f"{OPED}/article.yaml", line_of(OPED_YAML, "kind:"),
         "unknown key 'slug' in article.yaml — an article's slug is its folder's name: rename the folder"),
    Case("folder-name-not-a-slug", new_article("2025-12-X..y", {"article.yaml": OPED_YAML, "source.txt": "x。\n"}),
         "articles/2025-12-X..y", None,
         "folder name '2025-12-X..y' is not a readable slug — use lowercase words and digits joined by '-', "
         "e.g. 2025-03-bloomberg-china-show"),
    Case("same-capture-twice", new_article("2025-12-copy", {"article.yaml": OPED_YAML, "source.txt": OPED_SOURCE}),
         f"{OPED}/source.txt", None,
         f"the same capture as {{content}}/articles/2025-12-copy/source.txt — keep one article folder per capture"),
    Case("relation-slug-escapes", edit(f"{OPED}/article.yaml", "kind:", "relations:\n  refers_to:\n"
                                       "    - slug: ../../x\nkind:"),
         f"{OPED}/article.yaml", line_of(OPED_YAML, "kind:") + 2, f"relation slug '../../x' is malformed — {SLUG_FIX}"),
    Case("entity-id-escapes", write("glossary.yaml", GLOSSARY.replace("id: openai", "id: ../../x")),
         "glossary.yaml", 1, f"id '../../x' is malformed — {SLUG_FIX}"),
    Case("entity-id-empty", write("glossary.yaml", GLOSSARY.replace("id: openai", "id: ''")),
         "glossary.yaml", 1, f"id is empty — give it a value matching ^[a-z0-9]+(-[a-z0-9]+)*$"),
    Case("empty-capture", write(f"{OPED}/source.txt", "\ufeff\n \u3000\n"), f"{OPED}/source.txt", None,
         "the capture is empty — import the page's text into source.txt"),
    # Only the title and page furniture: the rules cut the rest (a save of the wrong page).
    Case("capture-with-no-article-text", write(f"{OPED}/source.txt", "测试文章\n\n相關推薦\n免責聲明:本文僅代表作者個人觀點。\n"),
         f"{OPED}/source.txt", None,
         "no article text left after cleaning (3 block(s) cut as page furniture) — check that source.txt is this "
         "article's capture; the cleaning log (build without this article) lists what the rules cut"),
    Case("binary-capture", write_bytes(f"{OPED}/source.txt", b"%PDF-1.4\n\x00\x01\x02"), f"{OPED}/source.txt", 2,
         "the capture is binary (it contains NUL bytes) — save the page as text, not as a PDF, image or archive"),
    Case("neither-utf8-nor-gb18030", write_bytes(f"{OPED}/source.txt", "第一行\n".encode() + b"abc \xff\xff\n"),
         f"{OPED}/source.txt", 2, "not valid UTF-8 or GB18030: byte 0xff at column 5 — re-import the capture "
         "converted from its original encoding"),
    Case("capture-of-20-mb", sparse(f"{OPED}/source.txt", 20 * 1024 * 1024), f"{OPED}/source.txt", None,
         "the capture is 20,480 KB, over the limit of 1,024 KB (alignment time grows with the square of its "
         "length) — split it into several articles, or raise max_capture_kb in site.yaml if you can wait"),
    Case("capture-over-configured-limit", lambda c: (write("site.yaml", SITE_YAML + "max_capture_kb: 1\n")(c),
                                                     write(f"{OPED}/source.txt", OPED_SOURCE * 20)(c)),
         f"{OPED}/source.txt", None,
         "the capture is 2 KB, over the limit of 1 KB (alignment time grows with the square of its length) — "
         "split it into several articles, or raise max_capture_kb in site.yaml if you can wait"),
    Case("note-to-missing-anchor", write(f"{INTERVIEW}/notes.md", "## p9 note\nOn a row that is not there.\n"),
         f"{INTERVIEW}/notes.md", 1, "note addresses p9, which is not a row of 2025-03-test-interview — use an "
         "anchor shown on the article page (¶ links)"),
    Case("note-to-missing-side", write(f"{OPED}/notes.md", "## p1-en sic\nThe op-ed has no English.\n"),
         f"{OPED}/notes.md", 1, "note addresses p1-en, but that row has no en side — address p1 instead"),
    Case("link-to-missing-anchor", write("links.yaml", """\
         - id: spend
           claim: OpenAI's costs
           passages:
             - 2025-03-test-interview#p2
             - 2025-12-test-op-ed#p9
         """), "links.yaml", 1,
         "cross-link 'spend' names 2025-12-test-op-ed#p9, which is not a row — use an anchor shown on the article page"),
    Case("glossary-alias-collision", write("glossary.yaml", GLOSSARY + textwrap.dedent("""\
         - id: openai-inc
           kind: company
           name: {en: OpenAI Inc.}
           aliases: {en: [OpenAI]}
           description: The same lab under another id.
         """)), "glossary.yaml", 6,
         "alias 'OpenAI' of 'openai-inc' is also an alias of 'openai' (line 1) — keep the alias on one entity only"),
    Case("correction-no-longer-matches", write(f"{OPED}/corrections.yaml",
                                               "- find: 不在文中\n  replace: x\n  why: an old fix\n"),
         f"{OPED}/corrections.yaml", 1,
         "correction no longer matches: '不在文中' is not in the cleaned text — fix: rebuild and copy the damaged "
         "text as it now reads into 'find', or delete the entry"),
    Case("corrupt-anchor-registry", write(f"{OPED}/anchors.yaml", "next: 2\nanchors:\n  p1: 5\n"),
         f"{OPED}/anchors.yaml", 3, "p1 has a malformed fingerprint — restore it from git"),
    Case("list-as-key", edit(f"{OPED}/article.yaml", "kind:", "[a]: b\nkind:"), f"{OPED}/article.yaml",
         line_of(OPED_YAML, "kind:"), "a key in article.yaml is a list or mapping — write a plain word before the ':'"),
    Case("base-url-not-a-web-address", edit("site.yaml", "https://example.org/archive/", "javascript:alert(1)//"),
         "site.yaml", 3, "base_url 'javascript:alert(1)//' is not a web address — write the site's full https://… "
         "address"),
    Case("empty-site-yaml", write("site.yaml", ""), "site.yaml", 1,
         "site.yaml is empty — write the archive's title, description, base_url, editors and contact"),
]


def run(content: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = build.main([*extra, "build", "--content", str(content), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_naming_file_line_and_fix(case: Case, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    content = write_archive(tmp_path)
    case.setup(content)
    code, _, err = run(content, tmp_path / "site", capsys)
    assert code == 1
    assert "Traceback" not in err
    lines = err.splitlines()
    assert case.expected(content).replace("{content}", str(content)) in lines, err
    assert lines[-1].startswith("Build failed with ")
    assert not (tmp_path / "site").exists()


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = write_archive(tmp_path)
    CASES[0].setup(content)
    code, _, err = run(content, tmp_path / "site", capsys, "--debug")
    assert code == 1 and "Traceback (most recent call last)" in err and "ContentError" in err
    assert CASES[0].expected(content) in err.splitlines()


def test_capture_is_refused_by_its_size_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit must hold before a 20 MB file is read into memory, not after."""
    from site_src import load
    from site_src.errors import ContentError
    content = write_archive(tmp_path)
    sparse(f"{OPED}/source.txt", 20 * 1024 * 1024)(content)
    read = Path.read_bytes

    def guarded(path: Path) -> bytes:
        assert path.name != "source.txt" or path.stat().st_size < 1 << 20, f"read {path} of {path.stat().st_size} bytes"
        return read(path)
    monkeypatch.setattr(Path, "read_bytes", guarded)
    with pytest.raises(ContentError, match="over the limit"):
        load.load_archive(content)


def test_raised_limit_lets_a_large_capture_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = write_archive(tmp_path, site=SITE_YAML + "max_capture_kb: 4\n")
    (content / OPED / "source.txt").write_text(OPED_SOURCE * 20, encoding="utf-8")
    code, _, err = run(content, tmp_path / "site", capsys)
    assert code == 0, err


def broken_templates(tmp_path: Path, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, folder)
    text = (folder / name).read_text(encoding="utf-8")
    assert old in text
    (folder / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


# render.py reads its templates from one folder (``render.TEMPLATES``); there is no
# option to point a build at another, so these tests swap the module's constant.
@pytest.mark.parametrize("old, new, where, message", [
    ("{% block", "{% blok", "base.html:", "Encountered unknown tag 'blok'. — fix the template"),
    # An undefined value and a failing expression are found at run time: the line comes
    # from the traceback Jinja rewrites into the template's own lines.
    ("{{ site.title }}", "{{ site.titel }}", "base.html:",
     "'dict object' has no attribute 'titel' — templates may only use the keys of their page's TypedDict in render.py"),
    ("{{ page_title }}", "{{ page_title|round }}", "base.html:",
     "— fix the expression on that line of the template"),
    ('{% block main %}{% endblock %}', '{% include "missing.html" %}{% block main %}{% endblock %}', "base.html:",
     "template missing.html not found — restore it in"),
], ids=["syntax", "undefined-key", "bad-expression", "missing-include"])
def test_template_error_names_the_template(old: str, new: str, where: str, message: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = broken_templates(tmp_path, "base.html", old, new)
    monkeypatch.setattr(render, "TEMPLATES", folder)
    content = write_archive(tmp_path)
    code, _, err = run(content, tmp_path / "site", capsys)
    assert code == 1 and "Traceback" not in err, err
    (line,) = [l for l in err.splitlines() if l.startswith("error: ")]
    assert line.startswith(f"error: {folder}/{where}") and message in line, line
    number = int(line.split(where, 1)[1].split(":", 1)[0])  # the line of the mistake
    assert new.split("|")[0].strip("{ ") in (folder / "base.html").read_text().splitlines()[number - 1], line
    assert not (tmp_path / "site").exists()
