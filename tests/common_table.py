"""The table of common characters the mojibake repair accepts (``site_src/clean/common_table.py``).

    python -m tests.common_table      write it again (after an OpenCC upgrade, say)

``tests/test_clean_mojibake.py`` checks that the committed table is what ``derive``
gives, so the table cannot drift from its definition unnoticed.
"""
from __future__ import annotations

from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "site_src" / "clean" / "common_table.py"


def derive() -> str:
    """The common characters, sorted, from their definition (see the module's doc)."""
    import opencc

    level1 = "".join(
        bytes((lead, trail)).decode("gb2312")
        for lead in range(0xB0, 0xD8)
        for trail in range(0xA1, 0xFF)
        if not (lead == 0xD7 and trail > 0xF9)  # level 1 ends at D7F9
    )
    chars = set(level1)
    for config in ("s2t", "s2tw", "s2hk"):
        chars.update(opencc.OpenCC(config).convert(level1))
    return "".join(sorted(chars))


def write(path: Path = TABLE, width: int = 40) -> None:
    chars = derive()
    lines = "".join(f'    "{chars[i:i + width]}"\n' for i in range(0, len(chars), width))
    path.write_text(
        '"""The common characters of ``lexicon`` (GB2312 level 1 and its Traditional forms).\n\n'
        "Written by ``python -m tests.common_table``; do not edit.\n"
        '"""\n'
        f"CHARACTERS = (\n{lines})\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    write()
