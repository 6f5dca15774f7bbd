"""Loading and validating content: every problem names file and line.

One problem per case, through the command line, is tests/test_bad_input.py; this file
holds what loads, and problems that come together."""
from __future__ import annotations

from pathlib import Path

import pytest

from site_src.capture import capture
from site_src.errors import ContentError
from site_src.load import load_archive, reload_articles
from tests.conftest import (
    INTERVIEW_SOURCE,
    INTERVIEW_YAML,
    OPED_SOURCE,
    OPED_YAML,
    write_archive,
)


def problems(content: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_archive(content)
    return [str(p) for p in info.value.problems]


def test_fixture_archive_loads(fixture_archive: Path) -> None:
    archive = load_archive(fixture_archive)
    assert [a.slug for a in archive.articles] == ["2025-12-test-op-ed", "2025-03-test-interview"]
    interview = archive.get("2025-03-test-interview")
    assert interview.meta.languages == ("zh-Hant", "en")
    assert [s.labels for s in interview.meta.speakers] == [("問", "Q"), ("李開復", "A")]
    assert interview.source.text is None, "a capture is hashed, not held (cleaning reads it again)"
    assert capture(interview.source)[0] == INTERVIEW_SOURCE


def test_shipped_content_loads() -> None:
    archive = load_archive(Path(__file__).resolve().parents[1] / "content")
    assert len(archive.articles) == 5
    phoenix = archive.get("2026-02-ft-interview-phoenix")
    assert phoenix.meta.related("english_text_from") == ("2026-02-ft-interview-netease",)
    assert archive.get("2025-03-jiemian-interview").meta.related("refers_to") == ("2025-03-bloomberg-china-show",)




def test_all_schema_problems_reported_at_once(tmp_path: Path) -> None:
    bad = (INTERVIEW_YAML.replace("kind: interview", "kind: podcast")
           .replace('date: "2025-03-20"', 'date: "20 March"') + "colour: red\n")
    content = write_archive(tmp_path, {"2025-03-x": {"article.yaml": bad, "source.txt": INTERVIEW_SOURCE}})
    found = problems(content)
    lines = bad.splitlines()
    assert any(f"article.yaml:{lines.index('kind: podcast') + 1}: kind is 'podcast'" in m for m in found)
    date_line = lines.index('date: "20 March"') + 1
    assert any(f"article.yaml:{date_line}: date '20 March' is malformed" in m for m in found)
    assert any("unknown key 'colour'" in m and " — use one of:" in m for m in found)
    assert len(found) == 3






def test_unknown_relation_target(tmp_path: Path) -> None:
    yaml_text = OPED_YAML + "relations:\n  refers_to:\n    - slug: 2025-01-nowhere\n"
    content = write_archive(tmp_path, {"2025-12-x": {"article.yaml": yaml_text, "source.txt": OPED_SOURCE}})
    (msg,) = problems(content)
    assert f"article.yaml:{yaml_text.splitlines().index('    - slug: 2025-01-nowhere') + 1}:" in msg
    assert "unknown article '2025-01-nowhere'" in msg
    # The fix names no list of every slug (an archive has thousands), only a near one.
    assert msg.endswith("— use the name of an article folder under content/articles/")
    near = OPED_YAML + "relations:\n  refers_to:\n    - slug: 2025-12-y\n"
    content = write_archive(tmp_path / "near", {"2025-12-x": {"article.yaml": OPED_YAML, "source.txt": OPED_SOURCE},
                                                "2025-12-z": {"article.yaml": near, "source.txt": OPED_SOURCE + "\n乙"}})
    (msg,) = problems(content)
    assert msg.endswith("unknown article '2025-12-y' — did you mean '2025-12-x'?")


def test_bad_folder_name_and_missing_source(tmp_path: Path) -> None:
    content = write_archive(tmp_path, {"Bad Name": {"article.yaml": OPED_YAML}})
    found = problems(content)
    assert any("is not a readable slug" in m for m in found)
    assert any("source.txt: missing" in m for m in found)


def test_corrections_schema(tmp_path: Path) -> None:
    corrections = "- find: 黃埔軍!;\n  replace: 黃埔軍校”;\n  why: bytes lost\n- find: x\n  replace: y\n"
    content = write_archive(tmp_path, {"2025-12-x": {"article.yaml": OPED_YAML, "source.txt": OPED_SOURCE,
                                                      "corrections.yaml": corrections}})
    (msg,) = problems(content)
    assert "corrections.yaml:4: a correction lacks required key 'why'" in msg






def test_gb18030_capture_is_read(tmp_path: Path) -> None:
    content = write_archive(tmp_path, {"2025-12-x": {"article.yaml": OPED_YAML}})
    (content / "articles/2025-12-x/source.txt").write_bytes(OPED_SOURCE.encode("gb18030"))
    source = load_archive(content).articles[0].source
    assert capture(source) == (OPED_SOURCE, OPED_SOURCE.encode("gb18030")), "published byte for byte"






def test_glossary_and_article_problems_reported_together(tmp_path: Path) -> None:
    content = write_archive(tmp_path, {"2025-12-x": {"article.yaml": OPED_YAML.replace("kind: op-ed", "kind: poem"),
                                                      "source.txt": OPED_SOURCE}})
    (content / "glossary.yaml").write_text("- id: Bad Id\n  kind: company\n  name: {en: X}\n  description: x\n",
                                           encoding="utf-8")
    found = problems(content)
    assert any("article.yaml" in m and "kind is 'poem'" in m for m in found)
    assert any("glossary.yaml:1: id 'Bad Id' is malformed" in m for m in found)


def test_related_tuning_in_site_yaml(tmp_path: Path) -> None:
    from tests.conftest import SITE_YAML
    content = write_archive(tmp_path, site=SITE_YAML + "related:\n  per_row: 5\n  min_score: 1.5\n")
    assert (load_archive(content).site.related.per_row, load_archive(content).site.related.min_score) == (5, 1.5)
    bad = write_archive(tmp_path / "bad", site=SITE_YAML + "related:\n  per_row: many\n")
    (msg,) = problems(bad)
    assert "site.yaml:8: related.per_row 'many' is malformed" in msg


def test_reloading_a_lender_that_lost_its_english_tells_its_borrower(shipped_content: Path) -> None:
    """reload_articles checks only the reloaded articles' relations, unless one of
    them no longer has English: then those borrowing it are wrong, reloaded or not."""
    archive = load_archive(shipped_content)
    lender, borrower = "2026-02-ft-interview-netease", "2026-02-ft-interview-phoenix"
    meta = shipped_content / "articles" / lender / "article.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("languages: [zh-Hant, en]", "languages: [zh-Hant]"),
                    encoding="utf-8")
    with pytest.raises(ContentError) as info:
        reload_articles(archive, {lender})
    told = [str(p) for p in info.value.problems]
    assert told == problems(shipped_content)
    assert len(told) == 1 and f"{borrower}/article.yaml" in told[0] and "which has no English" in told[0]


def test_reloading_keeps_the_order_unless_a_date_moved(shipped_content: Path) -> None:
    archive = load_archive(shipped_content)
    slug = "2025-12-ft-op-ed-open-source"
    same = reload_articles(archive, {slug})
    assert [p.slug for p in same.articles.packed] == [p.slug for p in archive.articles.packed]
    meta = shipped_content / "articles" / slug / "article.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace('date: "2025-12-09"', 'date: "2027-01-01"'),
                    encoding="utf-8")
    moved = reload_articles(archive, {slug})
    assert [p.slug for p in moved.articles.packed] == [p.slug for p in load_archive(shipped_content).articles.packed]
    assert moved.articles.packed[0].slug == slug and moved.get(slug).meta.date == "2027-01-01"
