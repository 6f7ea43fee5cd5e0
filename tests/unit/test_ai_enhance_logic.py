"""The enhancement engine's pure parts: filter plans, denoise strength, measurements, escaping."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from shared.domain import media_errors
from shared.domain.errors import MediaError
from shared.domain.kinds.enhancement import PRESETS as AI_PRESETS
from shared.domain.kinds.enhancement import EnhanceParams
from shared.media.ai.decode import filter_path, fit_size, rate_text
from shared.media.ai.enhance.denoise_step import sharpened_denoise
from shared.media.ai.enhance.measure import changes, noise_sigma, shake_from_frames, sharpness
from shared.media.ai.enhance.plan import denoise_filter, loudnorm_filter, plan_enhancement
from shared.media.ai.ports import EngineChoice, engine_for, register_engine
from shared.media.ai.run import MISSING_AUDIO
from shared.media.contract import EngineResult
from shared.media.ffmpeg.probe import AudioStream, MediaInfo, VideoStream

pytestmark = pytest.mark.unit


def media(width: int = 1280, height: int = 720, fps: float = 25.0, video: bool = True, audio: bool = True) -> MediaInfo:
    return MediaInfo(
        container="mov,mp4,m4a,3gp,3g2,mj2",
        duration=60.0,
        size=1,
        bitrate=1,
        video=VideoStream("h264", width, height, fps, None, 0, 60.0) if video else None,
        audio=AudioStream("aac", 44100, 2, None, 60.0) if audio else None,
    )


def preset(definition: int) -> EnhanceParams:
    params = AI_PRESETS[("Enhancement", definition)].params
    assert isinstance(params, EnhanceParams)
    return params


def test_presets_plan_their_filters() -> None:
    plan = plan_enhancement(preset(10), media())
    assert [op for op, _ in plan.video] == ["denoise", "sharpen"] and plan.audio == []
    plan = plan_enhancement(preset(20), media())
    assert plan.out_size == (2560, 1440)
    assert plan.video[0][1].startswith("scale=2560:1440:flags=lanczos") and "cas=" in plan.video[0][1]
    plan = plan_enhancement(preset(30), media())
    assert plan.loudnorm and plan.video == [] and [op for op, _ in plan.audio] == ["loudness_normalize"]
    plan = plan_enhancement(preset(40), media())
    assert plan.stabilize and [op for op, _ in plan.video] == ["stabilize"]
    plan = plan_enhancement(preset(50), media())
    assert plan.out_fps == 60 and "minterpolate=fps=60:mi_mode=mci" in plan.video[0][1]
    plan = plan_enhancement(preset(70), media())
    assert [op for op, _ in plan.video] == ["deinterlace", "denoise", "sharpen", "color_enhance"]
    assert plan.video[0][1] == "bwdif=mode=send_frame:parity=auto:deint=interlaced"


def test_filter_order_is_fixed() -> None:
    params = EnhanceParams(
        deinterlace="all",
        stabilize=True,
        denoise="weak",
        frame_rate=50,
        super_resolution=True,
        sharpen="weak",
        color_enhance="weak",
        audio_denoise="weak",
        volume_balance=True,
        loudness_normalize=True,
    )
    plan = plan_enhancement(params, media(640, 360))
    assert [op for op, _ in plan.video] == [
        "deinterlace",
        "stabilize",
        "denoise",
        "frame_rate",
        "super_resolution",
        "sharpen",
        "color_enhance",
    ]
    assert [op for op, _ in plan.audio] == ["audio_denoise", "volume_balance", "loudness_normalize"]


def test_what_does_not_apply_is_skipped_with_a_reason() -> None:
    plan = plan_enhancement(
        EnhanceParams(super_resolution=True, frame_rate=25, loudness_normalize=True), media(3840, 2160)
    )
    reasons = {s["name"]: s["reason"] for s in plan.skipped}
    assert "output size limit" in reasons["super_resolution"] and "already has 25 fps" in reasons["frame_rate"]
    assert plan.loudnorm
    plan = plan_enhancement(EnhanceParams(super_resolution=True, loudness_normalize=True), media(audio=False))
    assert [s["name"] for s in plan.skipped] == ["loudness_normalize"]


def test_nothing_applicable_is_a_media_error() -> None:
    with pytest.raises(MediaError) as err:
        plan_enhancement(preset(10), media(video=False))
    assert err.value.code == media_errors.MEDIA_NO_VIDEO
    with pytest.raises(MediaError) as err:
        plan_enhancement(preset(30), media(audio=False))
    assert err.value.code == MISSING_AUDIO


def test_denoise_strength_follows_the_measured_noise() -> None:
    weak = EnhanceParams(denoise="weak")
    assert denoise_filter(weak, None) == "hqdn3d=2.00:1.50:3.00:2.25"
    assert denoise_filter(EnhanceParams(denoise="normal"), 10.0) == "hqdn3d=10.00:7.50:15.00:11.25"
    assert denoise_filter(EnhanceParams(denoise="strong"), 100.0).startswith("hqdn3d=40.00:")  # capped
    assert denoise_filter(EnhanceParams(denoise="normal", denoise_method="nlmeans"), 10.0) == "nlmeans=s=6.00:p=7:r=9"


def test_loudnorm_filter_passes() -> None:
    params = EnhanceParams(loudness_normalize=True, loudness_target=-16, true_peak=-1.5, loudness_range=11)
    assert loudnorm_filter(params) == "loudnorm=I=-16:TP=-1.5:LRA=11:print_format=json"
    measured = {
        "input_i": "-40.1",
        "input_tp": "-30.0",
        "input_lra": "2.0",
        "input_thresh": "-50.2",
        "target_offset": "0.1",
    }
    assert loudnorm_filter(params, measured) == (
        "loudnorm=I=-16:TP=-1.5:LRA=11:measured_I=-40.1:measured_TP=-30.0:measured_LRA=2.0:"
        "measured_thresh=-50.2:offset=0.1:linear=true:print_format=json"
    )


def test_noise_estimate_measures_gaussian_noise() -> None:
    rng = np.random.default_rng(5)
    y = np.linspace(40, 200, 320)[None, :].repeat(180, 0)  # a smooth ramp: no noise of its own
    for sigma in (2.0, 5.0, 10.0):
        noisy = np.clip(y + rng.normal(0, sigma, y.shape), 0, 255)
        assert noise_sigma(noisy) == pytest.approx(sigma, rel=0.2)
    assert noise_sigma(y) < 0.2


def test_shake_estimate() -> None:
    rng = np.random.default_rng(6)
    scene = rng.integers(0, 255, (140, 240)).astype(np.uint8)
    import cv2

    scene = cv2.GaussianBlur(scene, (5, 5), 1.5)
    steady = np.stack([scene[20:110, 20 + i // 2 : 180 + i // 2] for i in range(50)])  # a slow, smooth pan
    shaky = np.stack(
        [
            scene[
                20 + int(8 * np.sin(i * 2.1)) : 110 + int(8 * np.sin(i * 2.1)),
                20 + int(8 * np.cos(i * 1.3)) : 180 + int(8 * np.cos(i * 1.3)),
            ]
            for i in range(50)
        ]
    )
    calm, jittery = shake_from_frames(steady, 25.0), shake_from_frames(shaky, 25.0)
    assert isinstance(calm["jitter"], float) and isinstance(jittery["jitter"], float)
    assert calm["jitter"] < 0.5 < jittery["jitter"]
    assert (calm["mean_motion"] or 0) > 0 and calm["steps_used"] == 49
    flat = np.full((10, 90, 160), 128, dtype=np.uint8)  # nothing to correlate: no guess
    assert shake_from_frames(flat, 25.0)["jitter"] is None


def test_changes_report_deltas() -> None:
    before = {
        "width": 640,
        "height": 360,
        "fps": 25.0,
        "noise": 6.0,
        "loudness": {"integrated": -40.0, "range": 2.0, "true_peak": -30.0, "noise_floor": -60.0},
    }
    after = {
        "width": 1280,
        "height": 720,
        "fps": 25.0,
        "noise": 2.5,
        "loudness": {"integrated": -16.2, "range": 2.1, "true_peak": -6.0, "noise_floor": -36.0},
    }
    out = changes(before, after)
    assert out["resolution"] == {"before": "640x360", "after": "1280x720"}
    assert out["noise"]["delta"] == -3.5 and out["integrated_loudness"]["delta"] == pytest.approx(23.8)


def test_changes_take_the_denoise_step_apart_from_sharpening() -> None:
    # GIVEN a denoise-and-sharpen run whose output came out grainier than its input
    before = {"noise": 0.372, "sharpness": 150.0}
    after = {"noise": 0.4585, "sharpness": 190.0, "denoised": {"noise": 0.31}}
    # WHEN its changes are reported
    out = changes(before, after)
    # THEN "noise" is what denoising left, and the output's noise and the sharpness stand apart
    assert out["noise"] == {"before": 0.372, "after": 0.31, "delta": -0.062, "measured": "after_denoise_before_sharpen"}
    assert out["output_noise"]["delta"] == pytest.approx(0.0865)
    assert out["sharpness"]["delta"] == 40.0


def test_only_a_denoise_followed_by_sharpening_is_measured_apart() -> None:
    dn, sh = {"name": "denoise", "filter": "hqdn3d=4"}, {"name": "sharpen", "filter": "unsharp"}
    assert sharpened_denoise([dn, sh]) == "hqdn3d=4"
    assert sharpened_denoise([dn, {"name": "super_resolution", "filter": "scale"}]) == "hqdn3d=4"
    assert sharpened_denoise([sh, dn]) is None and sharpened_denoise([dn]) is None and sharpened_denoise([sh]) is None


def test_sharpness_rises_with_unsharp_edges() -> None:
    rng = np.random.default_rng(3)
    soft = np.clip(np.cumsum(rng.normal(0, 1, (64, 64)), axis=1) + 128, 0, 255).astype(np.uint8)
    crisp = np.clip(soft * 2.0 - cv2.GaussianBlur(soft, (5, 5), 0), 0, 255).astype(np.uint8)
    assert sharpness(crisp) > sharpness(soft) > 0


def test_filter_path_escapes_both_levels() -> None:
    assert filter_path("/tmp/a b/t.trf") == "/tmp/a b/t.trf"
    # Level 1 escapes \\ ' : in the option value; level 2 escapes \\ ' [ ] , ; in the graph.
    assert filter_path("/tmp/x:y,z'[1];\\") == "/tmp/x\\\\:y\\,z\\\\\\'\\[1\\]\\;\\\\\\\\"


def test_small_helpers() -> None:
    assert fit_size(1920, 1080, 960) == (960, 540) and fit_size(320, 240, 960) == (320, 240)
    assert fit_size(1080, 1920, 960) == (540, 960)
    assert rate_text(0.5) == "1/2" and rate_text(10) == "10/1" and rate_text(29.97) == "2997/100"


def test_engines_are_replaceable() -> None:
    class Fake:
        name = "fake"

        def __init__(self, choice: EngineChoice) -> None:
            self.choice = choice

        def enhance(self, *args, **kwargs):
            return EngineResult([], "log", {"fake": True})

    register_engine("enhance", "fake-test", Fake)
    choice = EngineChoice(enhance="fake-test", onnx_threads=2)
    from shared.media.ai.enhance.engine import run_enhancement

    assert run_enhancement(None, None, None, "x", timeout=1, choice=choice) == EngineResult([], "log", {"fake": True})  # type: ignore[arg-type]
    assert engine_for("enhance", choice) is engine_for("enhance", choice)  # created once, reused
    assert engine_for("enhance", choice).choice == choice  # the factory is given the choice
    assert type(engine_for("enhance")).__name__ == "LocalEnhanceEngine"  # the default: the local engine
    with pytest.raises(ValueError, match="no enhance engine named 'missing'"):
        engine_for("enhance", EngineChoice(enhance="missing"))
    with pytest.raises(ValueError):
        engine_for("transmogrify")
