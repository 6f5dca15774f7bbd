"""The GBK mojibake repair, on the real damaged strings of captures 001 and 004."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_src.clean import mojibake
from site_src.clean.pinyin import strip_annotations
from tests._clean_helpers import JIEMIAN, NETEASE, source

NETEASE_WORDS = mojibake.vocabulary(source(NETEASE))
JIEMIAN_WORDS = mojibake.vocabulary(source(JIEMIAN))


def repaired(text: str, known=NETEASE_WORDS) -> str:
    new, _, _ = mojibake.repair_line(text, 1, known)
    return strip_annotations(new)


@pytest.mark.parametrize("damaged, fixed, known", [
    # a lost lead byte of 為 (9e), pinned by the reading the annotator wrote for 驗 (f29e)
    ("有時是因?yàn)槿藗儍H僅將AI視為另一種軟件", "有時是因為人們僅僅將AI視為另一種軟件", NETEASE_WORDS),
    ("要求他們?cè)O(shè)立首席AI官", "要求他們設立首席AI官", NETEASE_WORDS),
    ("地緣戰(zhàn)略?xún)?yōu)勢(shì)。", "地緣戰略優勢。", NETEASE_WORDS),
    ("如今每個(gè)人都想?yún)⑴c的舞臺(tái)中心", "如今每個人都想參與的舞臺中心", NETEASE_WORDS),
    ("但是分?jǐn)偟矫總€(gè)用戶身上", "但是分攤到每個用戶身上", JIEMIAN_WORDS),
    ("*試用企業(yè)級(jí)多智能體請(qǐng)?jiān)L問(wèn):", "*試用企業級多智能體請訪問:", NETEASE_WORDS),
    # a lost lead byte of 。 (a1): the rest pairs one byte off until the next ASCII byte
    ("ERP(企業(yè)資源規(guī)劃)系統(tǒng);蛘撸\ue0e6麄儗⑷蝿(wù)委派給了錯(cuò)誤的人選",
     "ERP(企業資源規劃)系統。或者,他們將任務委派給了錯誤的人選", NETEASE_WORDS),
    ("自主創(chuàng)新?赡軐(shí)驗(yàn)結(jié)果本身", "自主創新。可能實驗結果本身", NETEASE_WORDS),
    ("像人一樣思考?涩F(xiàn)在,萬(wàn)物皆可 AI", "像人一樣思考。可現在,萬物皆可 AI", NETEASE_WORDS),
    ("好的CEO必須要問(wèn)自己的問(wèn)題?!崩铋_(kāi)復(fù)說(shuō)。", "好的CEO必須要問自己的問題。”李開復說。", JIEMIAN_WORDS),
    ("來(lái)看待?!拔矣X(jué)得它代表了", "來看待。“我覺得它代表了", JIEMIAN_WORDS),
    ("應(yīng)該更擁抱開(kāi)源的?,F(xiàn)在我們是", "應該更擁抱開源的。現在我們是", JIEMIAN_WORDS),
    # private-use characters are bytes of GBK's user-defined area, shown by the decoder
    ("因?yàn)楣\ue088镜氖兄到K有一天", "因為公司的市值終有一天", NETEASE_WORDS),
])
def test_damaged_runs_are_repaired(damaged, fixed, known):
    assert repaired(damaged, known) == fixed


def test_each_repair_is_logged_with_before_and_after():
    _, changes, flags = mojibake.repair_line("自主創(chuàng)新?赡軐(shí)驗(yàn)", 45, NETEASE_WORDS)
    assert [(c.rule, c.line, c.before, c.after) for c in changes] == [("gbk-mojibake", 45, "新?赡軐", "新。可能實")]
    assert flags == []


def test_truly_lost_bytes_are_flagged_and_left_alone():
    line = "中國頂尖AI人才的“黃埔軍!;隨后,他又籌組領導了谷歌中國。"
    new, changes, flags = mojibake.repair_line(line, 21, NETEASE_WORDS)
    assert new == line and changes == []
    assert [(f.rule, f.line) for f in flags] == [("gbk-mojibake", 21)] and "黃埔軍!;" in flags[0].text


def test_a_dropped_pair_is_not_papered_over():
    # 為它在開 with the unmappable pair fcd4 dropped re-pairs into 為粟開, all common
    # characters; the article never uses 粟, so the repair is refused and flagged.
    line = "最明顯的肯定是Meta,因?yàn)樗陂_(kāi)源的領(lǐng)先地位"
    new, changes, flags = mojibake.repair_line(line, 74, JIEMIAN_WORDS)
    assert new == line and changes == [] and len(flags) == 1


@pytest.mark.parametrize("line", [
    "近日,在接受《金融時(shí)報(bào)》(Financial Times)專(zhuān)訪時(shí)",
    "他認(rèn)為以O(shè)penAI o1和DeepSeek-R1為基準(zhǔn)",
    "為什么要做這件事情?這是一個(gè)好的CEO必須要問(wèn)自己的問(wèn)題",
    "金融時(shí)報(bào)對(duì)話李開(kāi)復(fù):中國(guó)AI為何能夠領(lǐng)跑全球C端市場(chǎng)?",
    "應該每一家都會吧(笑)。最明顯的肯定是Meta",
    "他們只想做一個客服機器人,但這早已不是技術的前沿",
])
def test_undamaged_text_is_untouched(line):
    new, changes, flags = mojibake.repair_line(line, 1, NETEASE_WORDS | JIEMIAN_WORDS)
    assert (new, changes, flags) == (line, [], [])


def test_repair_must_run_before_readings_are_stripped():
    """The reading (shí) is what pins the lost trail byte of 實 (8c8d); with the
    readings stripped first the same run can no longer be repaired (nor even told
    from rare but real characters, so it is not flagged either)."""
    line = "已經(jīng)實現(xiàn)了多項自主創(chuàng)新?赡軐(shí)驗(yàn)結(jié)果"
    assert "可能實驗" in repaired(line)
    new, changes, flags = mojibake.repair_line(strip_annotations(line), 1, NETEASE_WORDS)
    assert changes == [] and "?赡軐" in new


def test_a_line_found_unsuspicious_has_no_damaged_window() -> None:
    # repair_line skips lines ``suspect`` clears: it must clear none that has a window.
    from tests._clean_helpers import ARTICLES, SLUGS
    lines = [line for slug in SLUGS for line in (ARTICLES / slug / "source.txt").read_text(encoding="utf-8").splitlines()]
    windowed = [line for line in lines if list(mojibake.windows(line))]
    assert len(windowed) > 20 and all(mojibake.suspect(line) for line in windowed)
    assert sum(not mojibake.suspect(line) for line in lines) > len(lines) // 2  # most lines are skipped


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("因為人們僅槿藗儍铋開中文 ,;:!?()@_^€\ue000yàn")), max_size=12))
def test_suspect_clears_only_lines_without_windows(line: str) -> None:
    assert mojibake.suspect(line) or not list(mojibake.windows(line))


def test_the_committed_table_of_common_characters_is_its_derivation(tmp_path):
    from site_src.clean.lexicon import common_chars
    from tests.common_table import TABLE, derive, write

    assert common_chars() == frozenset(derive()), "run `python -m tests.common_table`"
    assert {"網", "网", "開", "复"} <= common_chars() and "铋" not in common_chars()
    # ``write`` reproduces the committed file byte for byte.
    write(tmp_path / "common_table.py")
    assert (tmp_path / "common_table.py").read_bytes() == TABLE.read_bytes()


def _windows_unit_by_unit(line: str) -> list[tuple]:
    """``windows`` as first written: the whole line cut into units, then every stretch
    of them judged by ``_window``.  ``windows`` finds the stretches in the text and cuts
    only those that may hold a signal; it must find the same windows."""
    units = mojibake.tokenize(line)
    found = []
    i = 0
    while i < len(units):
        if not mojibake._is_stretch(units[i]):
            i += 1
            continue
        j = i
        while j < len(units) and mojibake._is_stretch(units[j]):
            j += 1
        stretch, after = list(units[i:j]), units[j] if j < len(units) else None
        evidence, trail_signal, took_ascii = None, False, False
        if after is not None and after.kind == "ascii" and after.text not in " \t":
            following = units[j + 1] if j + 1 < len(units) else None
            if following is not None and following.kind == "group":
                evidence = following
                third = units[j + 2] if j + 2 < len(units) else None
                trail_signal = not (third and third.kind == "ascii" and third.text.isalpha())
            trail_signal = trail_signal or after.text in mojibake._TRAIL_SYMBOLS
            stretch.append(after)
            took_ascii = True
        elif after is not None and after.kind == "group":
            evidence = after
        window = mojibake._window(stretch, evidence, trail_signal)
        if window is not None:
            found.append(window)
        i = j + took_ascii
    return found


def test_windows_are_those_of_the_unit_by_unit_search_on_every_capture_line() -> None:
    from tests._clean_helpers import ARTICLES, SLUGS
    lines = [line for slug in SLUGS for line in (ARTICLES / slug / "source.txt").read_text(encoding="utf-8").splitlines()]
    windowed = 0
    for line in lines:
        expected = _windows_unit_by_unit(line)
        assert list(mojibake.windows(line)) == expected, line
        windowed += bool(expected)
    assert windowed > 20


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["(wǎng)", "?yàn)", "(shè)", "?", ",", ";", ":", "!", "€", "\ue001", "F", "_", "H", " ",
                                 "a", "中", "國", "槿", "藗", "儍", "(", ")", "O", "。", "“", "锟", "x(xiàn)y", "\t"]),
                max_size=24).map("".join))
def test_windows_are_those_of_the_unit_by_unit_search(line: str) -> None:
    assert list(mojibake.windows(line)) == _windows_unit_by_unit(line)


def test_the_search_takes_a_run_of_plain_characters_as_one_step() -> None:
    (window,) = mojibake.windows("因?yàn)槿藗儍H")
    steps = [("unit", u) for u in window.units]
    joined = mojibake._joined(steps)
    assert [kind for kind, _ in joined] == ["bytes", "unit", "bytes"]
    assert joined[0][1] == "因".encode("gbk") and joined[2][1] == "槿藗儍H".encode("gbk")
    # A character GBK cannot give back ends the steps: no path goes past it.
    lone = mojibake.Unit("char", "\U0001f600", 0, 1)
    assert mojibake._joined([("unit", lone), ("unit", window.units[0])]) == [("unit", lone)]
