"""Review, analysis and enhancement engines on generated media, with the real models and ffmpeg."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from shared.domain import media_errors
from shared.domain.errors import EngineTimeoutError, MediaError
from shared.domain.kinds import analysis, enhancement, review
from shared.domain.kinds.analysis import AnalysisParams
from shared.domain.kinds.enhancement import EnhanceParams
from shared.domain.kinds.review import ReviewParams, validate_review_params
from shared.media.ai.analysis.engine import run_analysis
from shared.media.ai.enhance.engine import run_enhancement
from shared.media.ai.loudness import measure_loudness
from shared.media.ai.review.engine import run_review
from shared.media.ai.run import Deadline
from shared.media.ffmpeg.probe import probe
from shared.media.outputs import md5_file
from tests.ai_media_fixtures import (
    make_black_silence_clip,
    make_noisy_clip,
    make_quiet_clip,
    make_shaky_clip,
    make_shots_clip,
    make_text_clip,
)
from tests.media_fixtures import make_audio, make_clip, make_empty, make_garbage, make_truncated

pytestmark = pytest.mark.integration

AI_PRESETS = {**review.PRESETS, **analysis.PRESETS, **enhancement.PRESETS}


def preset(kind: str, definition: int):
    return AI_PRESETS[(kind, definition)].params


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("ai-media")
    return {
        "keyword": make_text_clip(d / "keyword.mp4", "Buy cheap casino chips now", seconds=8, start=3, end=6),
        "user": make_text_clip(d / "user.mp4", "Welcome to OpenMPS studio", seconds=5, start=1.2, end=3.2),
        "benign": make_clip(d / "benign.mp4", seconds=4, width=640, height=360),
        "shots": make_shots_clip(d / "shots.mp4", shot_seconds=2.0),
        "black": make_black_silence_clip(d / "black.mp4"),
        "sale": make_text_clip(d / "sale.mp4", "Summer Sale Festival", seconds=6, start=0.5, end=5.5),
        "noisy": make_noisy_clip(d / "noisy.mp4", seconds=3, strength=20),
        "quiet": make_quiet_clip(d / "quiet.mp4", seconds=6),
        "quiet_m4a": make_quiet_clip(d / "quiet.m4a", seconds=6, video=False),
        "shaky": make_shaky_clip(d / "shaky.mp4", seconds=4),
        "small": make_clip(d / "small.mp4", seconds=2, width=320, height=180),
        "m4a": make_audio(d / "tone.m4a", seconds=2),
        "mkv": make_clip(d / "long.mkv", seconds=6),
    }


def only_final_files(out_dir: Path) -> None:
    assert not [p.name for p in out_dir.iterdir() if p.name.startswith(".work-")]


def load_result(files, stem: str) -> dict:
    by_name = {f.name: f for f in files}
    assert f"{stem}_result.json" in by_name
    f = by_name[f"{stem}_result.json"]
    assert f.metadata["md5"] == md5_file(f.path) and f.metadata["size"] == f.path.stat().st_size
    return json.loads(f.path.read_text(encoding="utf-8"))


# review ---------------------------------------------------------------------------------------------


def test_review_blocks_burned_in_keyword(tmp_path, media) -> None:
    seen: list[float] = []
    run_result = run_review(
        media["keyword"], preset("ContentReview", 10), tmp_path, "rv", timeout=120, on_progress=seen.append
    )
    files, log_tail, summary = run_result.result_files, run_result.log_tail, run_result.result
    assert run_result.outputs == []  # evidence frames and the JSON belong to the result
    assert summary["suggestion"] == "block" and summary["label"] == "Ad" and summary["asr"] == "not_supported"
    result = load_result(files, "rv")
    [segment] = [s for s in result["segments"] if s["type"] == "Ad.Ocr"]
    # The text is on screen from 3 s to 6 s.
    assert abs(segment["start_time_offset"] - 3.0) <= 1.0 and abs(segment["end_time_offset"] - 6.0) <= 1.0
    assert segment["keyword_set"] == ["casino"] and segment["suggestion"] == "block"
    assert segment["confidence"] >= 90
    evidence = tmp_path / segment["pic_file"]
    assert evidence.read_bytes()[:2] == b"\xff\xd8" and segment["pic_file"] in [f.name for f in files]
    x0, y0, x1, y1 = segment["area_coord_set"][0]
    assert 0 <= x0 < x1 <= 640 and 180 <= y0 < y1 <= 360  # the band sits at the bottom of the picture
    ad = next(item["ad_ocr_task"] for item in result["result_set"] if item["type"] == "Ad.Ocr")
    assert ad["output"]["suggestion"] == "block" and ad["output"]["segment_set"][0]["pic_file"] == segment["pic_file"]
    assert result["frames_sampled"] == 8 and result["sample_interval"] == 1.0
    assert seen == sorted(seen) and seen[-1] == 100.0
    assert isinstance(log_tail, str) and len(json.dumps(summary)) < 100_000
    only_final_files(tmp_path)


def test_review_user_keywords_and_thresholds(tmp_path, media) -> None:
    params = validate_review_params(
        {
            "sample_interval": 0.5,
            "porn_image": {"switch": False},
            "ocr": {"UserDefine": {"keywords": ["openmps"], "review_confidence": 50, "block_confidence": 100}},
        }
    )
    run_result = run_review(media["user"], params, tmp_path, "u", timeout=120)
    files, summary = run_result.result_files, run_result.result
    assert summary["suggestion"] == "review"  # found, but under the block threshold
    [segment] = summary["segments"]
    assert segment["type"] == "UserDefine.Ocr" and segment["keyword_set"] == ["openmps"]
    assert abs(segment["start_time_offset"] - 1.2) <= 1.0 and abs(segment["end_time_offset"] - 3.2) <= 1.0
    result = load_result(files, "u")
    assert [item["type"] for item in result["result_set"]][0] == "Porn.Ocr"  # image review switched off


def test_review_benign_clip_passes(tmp_path, media) -> None:
    run_result = run_review(media["benign"], ReviewParams(), tmp_path, "b", timeout=120)
    files, summary = run_result.result_files, run_result.result
    assert run_result.outputs == []
    assert (summary["suggestion"], summary["segment_count"], summary["files"]) == ("pass", 0, [])
    assert [f.name for f in files] == ["b_result.json"]
    result = load_result(files, "b")
    assert all(
        next(v for k, v in item.items() if k != "type")["output"]["suggestion"] == "pass"
        for item in result["result_set"]
    )


def test_review_needs_a_picture(tmp_path, media) -> None:
    with pytest.raises(MediaError) as err:
        run_review(media["m4a"], ReviewParams(), tmp_path, "a", timeout=60)
    assert err.value.code == media_errors.MEDIA_NO_VIDEO


# analysis -------------------------------------------------------------------------------------------


def test_analysis_finds_three_shots(tmp_path, media) -> None:
    run_result = run_analysis(media["shots"], preset("ContentAnalysis", 10), tmp_path, "an", timeout=120)
    files, summary = run_result.result_files, run_result.result
    assert run_result.outputs == []  # the cover and the JSON belong to the result
    result = load_result(files, "an")
    assert len(result["scenes"]) == 3 and summary["scene_count"] == 3
    assert result["cuts"] == [pytest.approx(2.0, abs=0.5), pytest.approx(4.0, abs=0.5)]
    cover = result["cover"]
    assert cover["cover_file"] == "an_cover_0.jpg" and (tmp_path / "an_cover_0.jpg").read_bytes()[:2] == b"\xff\xd8"
    cover_meta = next(f.metadata for f in files if f.name == "an_cover_0.jpg")
    assert (cover_meta["width"], cover_meta["height"]) == (640, 360)
    assert result["loudness"]["integrated"] < -10 and result["highlights"]
    assert "3 scenes" in result["summary"]
    assert "3 个场景" in result["summary_zh"] and summary["summary_zh"] == result["summary_zh"]
    types = [item["type"] for item in result["result_set"]]
    assert types == ["Cover", "Tag", "Highlight", "SegmentRecognition", "Description"]
    assert result["result_set"][0]["cover_task"]["output"]["cover_set"][0]["cover_path"] == "an_cover_0.jpg"
    only_final_files(tmp_path)


def test_analysis_black_and_silence(tmp_path, media) -> None:
    params = AnalysisParams(cover=False, tags=False)
    run_result = run_analysis(media["black"], params, tmp_path, "bs", timeout=120)
    files, summary = run_result.result_files, run_result.result
    [black] = summary["black_segments"]
    assert black["start_time_offset"] == pytest.approx(2.0, abs=0.3)
    assert black["end_time_offset"] == pytest.approx(4.0, abs=0.3)
    [silence] = summary["silence_segments"]
    assert silence["start_time_offset"] == pytest.approx(2.0, abs=0.3)
    assert silence["end_time_offset"] == pytest.approx(4.0, abs=0.3)
    assert [f.name for f in files] == ["bs_result.json"]


def test_analysis_tags_from_text(tmp_path, media) -> None:
    params = AnalysisParams(ocr_interval=1.0, black=False, silence=False)
    run_result = run_analysis(media["sale"], params, tmp_path, "t", timeout=120)
    files, summary = run_result.result_files, run_result.result
    tags = [t["tag"] for t in summary["tags"] if t["source"] == "ocr"]
    for word in ("summer", "sale", "festival"):  # OCR may also glue the words into one token
        assert any(word in tag for tag in tags), tags
    assert {"SD", "landscape", "short"} <= {t["tag"] for t in summary["tags"]}
    result = load_result(files, "t")
    assert any("Summer" in t["text"] for t in result["ocr_text"])


def test_analysis_audio_only(tmp_path, media) -> None:
    summary = run_analysis(media["m4a"], AnalysisParams(), tmp_path, "a", timeout=60).result
    assert summary["loudness"]["integrated"] is not None and "cover" not in summary
    assert "audio-only" in {t["tag"] for t in summary["tags"]}


# enhancement ----------------------------------------------------------------------------------------


def test_denoise_lowers_the_noise(tmp_path, media) -> None:
    run_result = run_enhancement(media["noisy"], preset("Enhancement", 10), tmp_path, "dn", timeout=120)
    files, summary = run_result.outputs, run_result.result
    noise = summary["changes"]["noise"]
    assert noise["after"] < noise["before"]
    assert summary["changes"]["output_noise"]["after"] < noise["before"]  # the encoded output is cleaner too
    out = next(f for f in files if f.name == "dn.mp4")
    info = probe(out.path)
    assert info.video is not None and info.video.codec == "h264" and info.audio is not None
    assert out.metadata["md5"] == md5_file(out.path) and out.metadata["duration"] == pytest.approx(3.0, abs=0.15)
    assert [op["name"] for op in summary["operations"]] == ["denoise", "sharpen"]
    only_final_files(tmp_path)


def test_denoise_and_sharpen_reports_what_each_step_did(tmp_path, media) -> None:
    # GIVEN a clean clip, where the sharpening after the denoise raises the output's measured grain
    summary = run_enhancement(media["benign"], preset("Enhancement", 10), tmp_path, "ds", timeout=120).result
    changes = summary["changes"]
    # THEN the reported noise is the denoise step's, and it goes down; the sharpening shows as sharpness
    assert changes["noise"]["measured"] == "after_denoise_before_sharpen"
    assert changes["noise"]["after"] < changes["noise"]["before"]
    assert changes["sharpness"]["after"] > changes["sharpness"]["before"]
    assert changes["output_noise"]["before"] == changes["noise"]["before"]


@pytest.mark.parametrize("key", ["quiet", "quiet_m4a"])
def test_loudness_normalisation_reaches_the_target(tmp_path, media, key) -> None:
    run_result = run_enhancement(media[key], preset("Enhancement", 30), tmp_path, "ln", timeout=120)
    files, summary = run_result.outputs, run_result.result
    out = next(f for f in files if f.name == "ln.mp4")
    measured = measure_loudness(out.path, Deadline(60))
    assert measured["integrated"] == pytest.approx(-16.0, abs=1.0)
    assert summary["changes"]["integrated_loudness"]["before"] < -35
    assert summary["loudnorm"]["normalization_type"] == "linear"
    info = probe(out.path)
    assert (info.video is None) == (key == "quiet_m4a")
    assert [f.name for f in files] == ["ln.mp4"]  # the measurements JSON belongs to the result
    result = load_result(run_result.result_files, "ln")
    assert result["filters"]["video"] is None  # the picture is copied, not re-encoded
    assert [op["name"] for op in result["operations"]] == ["loudness_normalize"]


def test_stabilise_reduces_shake(tmp_path, media) -> None:
    out_dir = tmp_path / "we:ird,dir'[1];x"  # vid.stab's transform file path goes through filter escaping
    summary = run_enhancement(media["shaky"], preset("Enhancement", 40), out_dir, "st", timeout=120).result
    shake = summary["changes"]["shake_jitter"]
    assert shake["after"] < 0.7 * shake["before"]


def test_upscale_doubles_the_size(tmp_path, media) -> None:
    run_result = run_enhancement(media["small"], preset("Enhancement", 20), tmp_path, "up", timeout=120)
    files, summary = run_result.outputs, run_result.result
    out = next(f for f in files if f.name == "up.mp4")
    assert (out.metadata["width"], out.metadata["height"]) == (640, 360)
    assert summary["changes"]["resolution"] == {"before": "320x180", "after": "640x360"}


def test_enhance_rejects_what_it_cannot_apply(tmp_path, media) -> None:
    with pytest.raises(MediaError) as err:
        run_enhancement(media["m4a"], preset("Enhancement", 10), tmp_path, "x", timeout=60)
    assert err.value.code == media_errors.MEDIA_NO_VIDEO


# failures -------------------------------------------------------------------------------------------

ENGINES = [
    ("review", run_review, ReviewParams()),
    ("analysis", run_analysis, AnalysisParams()),
    ("enhance", run_enhancement, EnhanceParams(denoise="weak", loudness_normalize=True)),
]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda d, m: make_garbage(d / "garbage.mp4"), media_errors.MEDIA_UNREADABLE),
        (lambda d, m: make_empty(d / "empty.mp4"), media_errors.MEDIA_EMPTY),
        (lambda d, m: make_truncated(m["mkv"], d / "cut.mkv"), media_errors.MEDIA_TRUNCATED),
    ],
    ids=["garbage", "empty", "truncated"],
)
@pytest.mark.parametrize(("name", "engine", "params"), ENGINES, ids=[e[0] for e in ENGINES])
def test_corrupt_input_fails_with_a_code(tmp_path, media, make, code, name, engine, params) -> None:
    src = make(tmp_path, media)
    out_dir = tmp_path / "out"
    with pytest.raises(MediaError) as err:
        engine(src, params, out_dir, "c", timeout=60)
    assert err.value.code == code
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def ffmpeg_reading(path: Path) -> bool:
    needle = str(path).encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if needle in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


@pytest.mark.parametrize(("name", "engine", "params"), ENGINES, ids=[e[0] for e in ENGINES])
def test_abort_from_progress_stops_everything(tmp_path, media, name, engine, params) -> None:
    src = tmp_path / f"abort-{name}-{time.time_ns()}.mp4"
    src.write_bytes(media["noisy"].read_bytes())

    def cancel(_percent: float) -> None:
        raise KeyboardInterrupt

    out_dir = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        engine(src, params, out_dir, "ab", timeout=60, on_progress=cancel)
    assert not ffmpeg_reading(src)
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize(("name", "engine", "params"), ENGINES, ids=[e[0] for e in ENGINES])
def test_timeout(tmp_path, media, name, engine, params) -> None:
    out_dir = tmp_path / "out"
    with pytest.raises(EngineTimeoutError) as err:
        engine(media["noisy"], params, out_dir, "slow", timeout=0.05)
    assert err.value.code == media_errors.ENGINE_TIMEOUT
    assert not out_dir.exists() or list(out_dir.iterdir()) == []
