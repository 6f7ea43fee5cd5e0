"""The analysis engine's pure parts, on synthetic frame arrays and captured ffmpeg log lines."""

from __future__ import annotations

import numpy as np
import pytest

from shared.media.ai.analysis.signals import (
    SMALL_H,
    SMALL_W,
    black_frames,
    cover_scores,
    detect_cuts,
    frame_scores,
    parse_silence,
    pick_highlights,
    runs,
    scenes_from,
)
from shared.media.ai.analysis.text import text_segments, text_tags
from shared.media.ai.loudness import parse_astats, parse_ebur128, parse_loudnorm_json
from shared.media.ai.models import TextLine

pytestmark = pytest.mark.unit
RATE = 10.0


def shot(colour: tuple[int, int, int], n: int, rng: np.random.Generator, moving: bool = False) -> np.ndarray:
    frames = np.empty((n, SMALL_H, SMALL_W, 3), dtype=np.uint8)
    x = np.arange(SMALL_W)
    for i in range(n):
        base = np.array(colour, dtype=np.float32)[None, None, :].repeat(SMALL_H, 0).repeat(SMALL_W, 1)
        if moving:  # a bright bar sweeping across: motion, not a cut
            base[:, np.abs(x - (i * 3) % SMALL_W) < 6, :] = 230
        frames[i] = np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8)
    return frames


def test_three_shots_make_two_cuts() -> None:
    rng = np.random.default_rng(1)
    frames = np.concatenate(
        [
            shot((200, 40, 40), 20, rng, moving=True),
            shot((30, 160, 60), 20, rng),
            shot((40, 40, 190), 20, rng, moving=True),
        ]
    )
    score, motion = frame_scores(frames)
    cuts = detect_cuts(score, RATE, threshold=0.3, min_scene=0.5)
    assert cuts == [20, 40]
    scenes = scenes_from(cuts, motion, RATE, duration=6.0)
    assert [(s["start_time_offset"], s["end_time_offset"]) for s in scenes] == [(0.0, 1.95), (1.95, 3.95), (3.95, 6.0)]
    assert scenes[0]["motion"] > scenes[1]["motion"]  # the sweeping bar moves, the still shot does not


def test_motion_alone_is_not_a_cut() -> None:
    rng = np.random.default_rng(2)
    frames = shot((120, 120, 120), 60, rng, moving=True)
    score, _ = frame_scores(frames)
    assert detect_cuts(score, RATE, threshold=0.3, min_scene=0.5) == []


def test_min_scene_duration_keeps_the_stronger_cut() -> None:
    score = np.zeros(40)
    score[10], score[12] = 0.5, 0.9
    assert detect_cuts(score, RATE, threshold=0.3, min_scene=0.5) == [12]
    assert detect_cuts(score, RATE, threshold=0.3, min_scene=0.1) == [10, 12]


def test_black_frames_and_runs() -> None:
    frames = np.full((10, SMALL_H, SMALL_W, 3), 120, dtype=np.uint8)
    frames[3:6] = 5
    frames[5, :2, :2] = 255  # a tiny logo does not stop a frame from being black
    assert runs(black_frames(frames, 0.1)) == [(3, 5)]
    assert runs(np.array([True, False, True, True])) == [(0, 0), (2, 3)]


def test_highlights_pick_the_busiest_windows() -> None:
    activity = np.zeros(100)
    activity[60:80] = 5.0
    activity[10:20] = 1.0
    found = pick_highlights(
        activity,
        RATE,
        10.0,
        length=2.0,
        count=3,
        scenes=[{"index": 0, "start_time_offset": 0.0, "end_time_offset": 10.0}],
    )
    assert len(found) == 2  # the rest of the clip does not move at all
    assert found[0]["start_time_offset"] == pytest.approx(5.95) and found[0]["confidence"] == 100.0
    assert found[0]["scene_index"] == 0
    assert 0.4 <= found[1]["start_time_offset"] <= 1.0 and found[1]["confidence"] < 50


def test_cover_prefers_sharp_well_exposed_frames() -> None:
    import cv2

    rng = np.random.default_rng(3)
    sharp = np.zeros((270, 480, 3), np.uint8)
    for i in range(0, 480, 24):
        sharp[:, i : i + 12] = (40, 160, 220)
    sharp = np.clip(sharp.astype(np.int16) + rng.integers(0, 20, sharp.shape), 0, 255).astype(np.uint8)
    blurred = cv2.GaussianBlur(sharp, (31, 31), 10)
    dark = (sharp // 12).astype(np.uint8)
    stats = cover_scores([blurred, sharp, dark])
    assert stats[1]["score"] > stats[0]["score"] > 0
    assert stats[2]["score"] == 0.0  # black-ish frames never make a cover


EBUR128_LOG = """[Parsed_ebur128_0 @ 0x7ff5f0001c00] Summary:

  Integrated loudness:
    I:         -47.8 LUFS
    Threshold: -57.8 LUFS

  Loudness range:
    LRA:         3.5 LU
    Threshold: -67.8 LUFS
    LRA low:   -49.8 LUFS
    LRA high:  -46.3 LUFS

  True peak:
    Peak:      -44.1 dBFS
[Parsed_astats_1 @ 0x7fd8c80024c0] Overall
[Parsed_astats_1 @ 0x7fd8c80024c0] Peak level dB: -37.800703
[Parsed_astats_1 @ 0x7fd8c80024c0] RMS level dB: -49.801634
[Parsed_astats_1 @ 0x7fd8c80024c0] Noise floor dB: -inf
"""


def test_parse_loudness_logs() -> None:
    assert parse_ebur128(EBUR128_LOG) == {"integrated": -47.8, "range": 3.5, "true_peak": -44.1, "threshold": -57.8}
    silent = EBUR128_LOG.replace("-47.8 LUFS", "-70.0 LUFS").replace("-44.1 dBFS", "-inf dBFS")
    assert parse_ebur128(silent) == {"integrated": None, "range": None, "true_peak": None, "threshold": None}
    assert parse_ebur128("nothing here") is None
    assert parse_astats(EBUR128_LOG) == {"peak_level": -37.8, "rms_level": -49.8, "noise_floor": None}
    log = '[Parsed_loudnorm_0 @ 0x1] \n{\n\t"input_i" : "-47.85",\n\t"target_offset" : "-0.05"\n}\n[out#0] done'
    assert parse_loudnorm_json(log) == {"input_i": "-47.85", "target_offset": "-0.05"}


def test_parse_silence() -> None:
    log = "\n".join(
        [
            "[silencedetect @ 0x55] silence_start: 2.02",
            "[silencedetect @ 0x55] silence_end: 3.994 | silence_duration: 1.974",
            "[out#0/null @ 0x1] video:0KiB",
            "[silencedetect @ 0x55] silence_start: 8.5",
        ]
    )
    assert parse_silence(log, duration=10.0) == [
        {"start_time_offset": 2.02, "end_time_offset": 3.994, "duration": 1.974},
        {"start_time_offset": 8.5, "end_time_offset": 10.0, "duration": 1.5},
    ]


def test_text_segments_and_tags() -> None:
    sale = TextLine("Summer Sale 50%", 0.96, (0, 0, 1, 1))
    noise = TextLine("xq", 0.4, (0, 0, 1, 1))
    chinese = TextLine("夏季促销", 0.9, (0, 0, 1, 1))
    frames = [(0.0, []), (2.0, [sale, noise]), (4.0, [sale, chinese]), (6.0, [chinese]), (8.0, [sale])]
    segments = text_segments(frames, interval=2.0, duration=9.0)
    assert [(s["text"], s["start_time_offset"], s["end_time_offset"]) for s in segments] == [
        ("Summer Sale 50%", 1.0, 5.0),
        ("夏季促销", 3.0, 7.0),
        ("Summer Sale 50%", 7.0, 9.0),
    ]
    tags = text_tags(frames, limit=10)
    names = [t["tag"] for t in tags]
    assert names[:2] == ["sale", "summer"] and "夏季促销" in names and "xq" not in names
    assert tags[0]["special_info"] == "ocr:frames=3" and tags[0]["source"] == "ocr"
    assert text_tags([], limit=5) == []
