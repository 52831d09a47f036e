"""The reduce and animation benchmarks score the file of seed 0, the command line's default."""

from __future__ import annotations

import numpy as np

from .segment_support import load_benchmark


def test_the_last_single_file_run_is_seed_0_so_the_file_scored_is_the_default(monkeypatch):
    bench = load_benchmark("bench_reduce")
    seeds = []

    def run_once(argv, rss=False):
        seeds.append(int(argv[argv.index("--seed") + 1]))
        return 0.1 * len(seeds), None, 0

    monkeypatch.setattr(bench, "run_once", run_once)
    run = bench.run_median(lambda seed: ["quantize", "--seed", str(seed)], 3)
    assert seeds == [1, 2, 0]
    assert run.seconds == 0.2


def test_the_animation_benchmark_keeps_the_file_of_seed_0(tmp_path, monkeypatch):
    bench = load_benchmark("bench_animation")
    seeds = []

    out = tmp_path / "out.gif"

    def run(argv):
        seeds.append(int(argv[argv.index("--seed") + 1]))
        out.write_bytes(b"GIF89a")
        return 0.1, None

    monkeypatch.setattr(bench, "run", run)
    frame = np.zeros((2, 2, 4), dtype=np.uint8)
    monkeypatch.setattr(bench, "composited_frames", lambda path: ([frame], 40))
    result = bench.measure("quantize reduce", tmp_path / "in.gif", out, 8, 3, [frame])
    assert seeds == [1, 2, 0]
    assert result.frames == 1
