"""The two translations of the FT interview, read against each other through the English."""
from __future__ import annotations


import pytest

from build import process
from site_src.parallel import parallel_rows, three_way, translation_groups
from site_src.model import Archive

PHOENIX, NETEASE = "2026-02-ft-interview-phoenix", "2026-02-ft-interview-netease"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    import shutil

    from tests.conftest import CONTENT
    content = tmp_path_factory.mktemp("parallel") / "content"
    shutil.copytree(CONTENT, content)
    return process(content)


def row_starting(archive: Archive, slug: str, text: str) -> str:
    return next(r.anchor for r in archive.get(slug).rows if r.zh and r.zh[0].text.startswith(text))


def test_groups_the_two_ft_translations(archive: Archive) -> None:
    assert translation_groups(archive) == [(NETEASE, (NETEASE, PHOENIX))]


def test_same_question_in_both_translations(archive: Archive) -> None:
    links = parallel_rows(archive, translation_groups(archive))
    phoenix = row_starting(archive, PHOENIX, "另外那99家")
    netease = row_starting(archive, NETEASE, "那么對于另外99家")
    assert [(p.slug, p.anchor) for p in links[PHOENIX][phoenix]] == [(NETEASE, netease)]
    assert [(p.slug, p.anchor) for p in links[NETEASE][netease]] == [(PHOENIX, phoenix)]
    # A translator's lede has no English, so no parallel.
    lede = row_starting(archive, NETEASE, "近日,在接受")
    assert lede not in links[NETEASE]


def test_three_way_covers_everything_once_in_order(archive: Archive) -> None:
    (_, slugs), = translation_groups(archive)
    articles = [archive.get(s) for s in slugs]
    english = archive.get(NETEASE).en
    bands = three_way(english, articles)
    assert [p for b in bands for p in b.en] == list(english)
    for article in articles:
        placed = [r.anchor for b in bands for r in b.rows.get(article.slug, ())]
        assert placed == [r.anchor for r in article.rows]
    # No band splits a row: every row's English lies inside its band.
    for band in bands:
        for rows in band.rows.values():
            for row in rows:
                assert all(p in band.en for p in row.en)
