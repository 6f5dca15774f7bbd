"""Edition ids: serve keeps the content's digests up to date from the watcher's reports
(``edition.LiveDigests``) and must name the edition a full build would."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from site_src import edition
from site_src.edition import LiveDigests, edition_id

DAY = dt.date(2026, 11, 23)


def make(content: Path) -> None:
    for rel, text in {"site.yaml": "title: t\n", "glossary.yaml": "[]\n",
                      "articles/a/source.txt": "一\n", "articles/a/article.yaml": "slug: a\n",
                      "articles/a/anchors.yaml": "entries: []\n", "articles/b/source.txt": "二\n",
                      "CHANGELOG.md": "# log\n"}.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")


def test_kept_digests_name_the_same_edition_as_hashing_everything(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    content = tmp_path / "content"
    make(content)
    live = LiveDigests(content)
    assert live.edition(DAY) == edition_id(content, DAY)
    hashed: list[Path] = []
    digest = edition._digest
    monkeypatch.setattr(edition, "_digest", lambda path: hashed.append(path) or digest(path))

    def edit(*paths: Path) -> None:
        hashed.clear()
        live.changed(paths)
        kept = live.edition(DAY)
        seen = list(hashed)
        assert kept == edition_id(content, DAY)
        hashed[:] = seen

    source = content / "articles/a/source.txt"
    source.write_text("一二\n", encoding="utf-8")
    before = edition_id(content, DAY)
    edit(source)
    assert hashed == [source]  # the edited file only
    (content / "articles/a/notes.md").write_text("## p1\nnew\n", encoding="utf-8")
    edit(content / "articles/a/notes.md")
    assert edition_id(content, DAY) != before
    # Outputs of the build do not name editions: rewriting them changes nothing.
    (content / "articles/a/anchors.yaml").write_text("entries: [1]\n", encoding="utf-8")
    (content / "CHANGELOG.md").write_text("# log\n\nmore\n", encoding="utf-8")
    edit(content / "articles/a/anchors.yaml", content / "CHANGELOG.md")
    assert hashed == []
    (content / "articles/b/source.txt").unlink()
    edit(content / "articles/b/source.txt")
    # A folder moved in one step is reported as the folder alone.
    shutil.move(content / "articles/a", content / "articles/c")
    edit(content / "articles/a", content / "articles/c")
    shutil.rmtree(content / "articles/c")
    edit(content / "articles/c")
    edit(tmp_path / "templates/page.html")  # outside content/: ignored


def test_digests_not_yet_made_are_made_from_the_files_as_they_are(tmp_path: Path) -> None:
    content = tmp_path / "content"
    make(content)
    live = LiveDigests(content)
    live.changed([content / "articles/a/source.txt"])  # before any edition was asked for
    (content / "articles/a/source.txt").write_text("改\n", encoding="utf-8")
    assert live.edition(DAY) == edition_id(content, DAY)
