"""Time align_pair on a synthetic 60x60 interview against a plain length-only
Gale–Church-style DP (1-1, 1-0, 0-1, 2-1, 1-2) run in the same process.

The dictionary and converter load once per process; their load time is
reported on its own line and kept out of the alignment timings (the first call pays it).

Run: /tmp/v/bin/python bench/bench_align.py [--profile]
"""
from __future__ import annotations

import cProfile
import math
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from site_src.align import align_pair  # noqa: E402
from site_src.align.lexicon import load_time  # noqa: E402
from site_src.align.score import RATIO, en_words, zh_units  # noqa: E402
from site_src.model import Paragraph  # noqa: E402


def synthetic(n: int) -> tuple[list[Paragraph], list[Paragraph]]:
    zh, en = [], []
    for i in range(n):
        who, label_zh, label_en = ("host", "問", "Q") if i % 2 == 0 else ("kfl", "李開復", "A")
        words = 20 + (i * 7) % 40
        zh.append(Paragraph("zh-Hant", "模型" * int(words * RATIO / 2) + f"{2000 + i}年。", speaker=who, label=label_zh))
        en.append(Paragraph("en", " ".join(["model"] * words) + f" in {2000 + i}.", speaker=who, label=label_en))
    return zh, en


def length_only(zh, en):
    n, m = len(zh), len(en)
    best = [[math.inf] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if best[i][j] == math.inf:
                continue
            for di, dj in ((1, 1), (1, 0), (0, 1), (2, 1), (1, 2)):
                if i + di > n or j + dj > m:
                    continue
                if di and dj:
                    u = sum(zh_units(p.text) for p in zh[i:i + di])
                    w = sum(en_words(p.text) for p in en[j:j + dj])
                    cost = abs(math.log(max(u, 1) / (RATIO * max(w, 1)))) + (di + dj - 2)
                else:
                    cost = 2.0
                best[i + di][j + dj] = min(best[i + di][j + dj], best[i][j] + cost)
    return best[n][m]


def timed(fn, *args, repeat=5):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        runs.append(time.perf_counter() - start)
    return min(runs)


if __name__ == "__main__":
    print(f"dictionary, segmenter and converter load: {load_time() * 1000:.0f} ms (once per process)")
    zh, en = synthetic(60)
    if "--profile" in sys.argv:
        profile = cProfile.Profile()
        profile.runcall(align_pair, zh, en)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(15)
    ours = timed(align_pair, zh, en)
    peer = timed(length_only, zh, en)
    print(f"align_pair 60x60: {ours * 1000:.1f} ms; length-only DP: {peer * 1000:.1f} ms; "
          f"ratio {ours / peer:.2f}x")
