"""The animation benchmark's pans over other photos: the frames drawn and the summary printed."""

from __future__ import annotations

import numpy as np

from .segment_support import load_benchmark


def test_a_pan_over_a_flat_source_is_that_colour_but_the_logo():
    bench = load_benchmark("bench_animation")
    source = np.full((50, 80, 3), (10, 120, 200), dtype=np.uint8)
    frames = bench.pan_zoom_frames(3, (40, 30), source=source)
    logo = load_benchmark("_images")._logo(30 // 5)
    assert len(frames) == 3
    for frame in frames:
        assert frame.shape == (30, 40, 3)
        np.testing.assert_array_equal(frame[8:14, 8:20], logo)
        outside = np.ones((30, 40), bool)
        outside[8:14, 8:20] = False
        assert (frame[outside] == (10, 120, 200)).all()


def test_the_photo_pans_print_a_line_per_pan_and_the_medians(tmp_path, monkeypatch, capsys):
    bench = load_benchmark("bench_animation")
    photos = {name: np.full((8, 8, 3), i * 40, np.uint8)
              for i, name in enumerate(["astronaut", "a", "b", "c"])}
    monkeypatch.setattr(bench, "sample_photos", lambda: photos)
    monkeypatch.setattr(bench, "pan_zoom_frames",
                        lambda source: [np.zeros((4, 4, 3), np.uint8)] * 2)
    # quantize's bytes, then gifsicle's and convert's, per pan: ratios 0.9, 1.1, 1.2
    sizes = iter([90, 100, 120, 110, 100, 120, 120, 100, 120])
    psnrs = iter([40, 30, 35, 40, 30, 35, 33, 30, 35])

    def measure(tool, src, out, k, repeats, reference):
        return bench.Result(tool, seconds=1.0, bytes=next(sizes), frames=2, total_ms=80,
                            psnr=float(next(psnrs)))

    monkeypatch.setattr(bench, "measure", measure)
    bench.photo_pans([32], tmp_path)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "k=32 " in line and "quantize" in line]
    assert [line.split()[0] for line in lines] == ["a", "b", "c"]
    assert ("k=32: bytes/gifsicle median 1.100x (at most 1x on 1 of 3); PSNR vs gifsicle "
            "median +10.00 dB, vs convert +5.00 dB (at or above both on 2 of 3); "
            "time/convert median 1.00x") in out


def test_each_pan_is_composited_once_for_every_colour_count(tmp_path, monkeypatch):
    bench = load_benchmark("bench_animation")
    photos = {name: np.full((8, 8, 3), 40, np.uint8) for name in ["astronaut", "a", "b"]}
    monkeypatch.setattr(bench, "sample_photos", lambda: photos)
    monkeypatch.setattr(bench, "pan_zoom_frames",
                        lambda source: [np.zeros((4, 4, 3), np.uint8)] * 2)
    composited = []
    monkeypatch.setattr(bench, "composited_frames",
                        lambda src: composited.append(src.name) or (None, None))
    measured = []

    def measure(tool, src, out, k, repeats, reference):
        measured.append((src.name, k, tool))
        return bench.Result(tool, seconds=1.0, bytes=100, frames=2, total_ms=80, psnr=30.0)

    monkeypatch.setattr(bench, "measure", measure)
    bench.photo_pans([32, 256], tmp_path)
    assert composited == ["pan_a.gif", "pan_b.gif"]
    assert sorted(measured) == sorted((f"pan_{n}.gif", k, t) for n in "ab" for k in (32, 256)
                                      for t in bench.TOOLS)


def test_a_context_row_runs_at_its_own_colour_count(tmp_path):
    bench = load_benchmark("bench_animation")
    src, out = tmp_path / "in.gif", tmp_path / "out.gif"
    own = bench.argv_for("quantize reduce --palette per-frame -k 144", src, out, 256, 0)
    table_k = bench.argv_for("quantize reduce --palette per-frame", src, out, 256, 0)
    assert own[own.index("-k") + 1] == "144"
    assert table_k[table_k.index("-k") + 1] == "256"
    assert own[-2:] == table_k[-2:] == ["--palette", "per-frame"]
