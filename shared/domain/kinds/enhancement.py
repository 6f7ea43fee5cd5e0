"""The Enhancement kind (音视频增强): video and audio enhancement, after the EnhanceConfig of MPS's
transcode templates (MPS-REFERENCE.md section 2.5); MPS runs it as a transcode with enhancement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from shared.domain.errors import BadInputError
from shared.domain.kinds.checks import (
    at,
    check_known,
    dataclass_json,
    float_between,
    int_between,
    json_object,
    one_of,
    switch,
)
from shared.domain.kinds.registry import MpsTaskName, SubtaskKind
from shared.domain.templates import Template

NAME = "Enhancement"

LEVELS = ("off", "weak", "normal", "strong")
DENOISE_METHODS = ("hqdn3d", "nlmeans")
DEINTERLACE_MODES = ("off", "auto", "all")
INTERPOLATION_MODES = ("mci", "blend", "dup")
ENCODER_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")


@dataclass(frozen=True)
class EnhanceParams:
    # video (MPS VideoEnhanceConfig)
    deinterlace: str = "off"  # off | auto (frames flagged interlaced) | all
    denoise: str = "off"  # off | weak | normal | strong
    denoise_method: str = "hqdn3d"  # hqdn3d (fast) | nlmeans (better, much slower)
    sharpen: str = "off"
    color_enhance: str = "off"
    super_resolution: bool = False  # 2x: high-quality scaling plus adaptive sharpening
    frame_rate: int = 0  # 0 = source; above the source rate, frames are interpolated
    frame_interpolation: str = "mci"  # mci (motion compensated) | blend | dup
    stabilize: bool = False  # vid.stab two passes
    stabilize_smoothing: int = 15  # frames either side averaged into the camera path
    # audio (MPS AudioEnhanceConfig)
    audio_denoise: str = "off"
    volume_balance: bool = False  # dynamic normalisation: quiet passages up, loud ones down
    loudness_normalize: bool = False  # two-pass EBU R128 to the target
    loudness_target: float = -16.0  # LUFS
    true_peak: float = -1.5  # dBTP
    loudness_range: float = 11.0  # LU
    # encoding of the result
    video_crf: int = 20
    encoder_preset: str = "veryfast"
    audio_bitrate_kbps: int = 192

    def video_operations(self) -> list[str]:
        ops = []
        if self.deinterlace != "off":
            ops.append("deinterlace")
        if self.stabilize:
            ops.append("stabilize")
        if self.denoise != "off":
            ops.append("denoise")
        if self.frame_rate:
            ops.append("frame_rate")
        if self.super_resolution:
            ops.append("super_resolution")
        if self.sharpen != "off":
            ops.append("sharpen")
        if self.color_enhance != "off":
            ops.append("color_enhance")
        return ops

    def audio_operations(self) -> list[str]:
        ops = []
        if self.audio_denoise != "off":
            ops.append("audio_denoise")
        if self.volume_balance:
            ops.append("volume_balance")
        if self.loudness_normalize:
            ops.append("loudness_normalize")
        return ops


_ENHANCE_CHOICES: dict[str, tuple[str, ...]] = {
    "deinterlace": DEINTERLACE_MODES,
    "denoise": LEVELS,
    "denoise_method": DENOISE_METHODS,
    "sharpen": LEVELS,
    "color_enhance": LEVELS,
    "frame_interpolation": INTERPOLATION_MODES,
    "audio_denoise": LEVELS,
    "encoder_preset": ENCODER_PRESETS,
}
_ENHANCE_BOOLS = ("super_resolution", "stabilize", "volume_balance", "loudness_normalize")
_ENHANCE_INTS: dict[str, tuple[int, int]] = {
    "frame_rate": (0, 120),
    "stabilize_smoothing": (1, 100),
    "video_crf": (0, 51),
    "audio_bitrate_kbps": (32, 512),
}
_ENHANCE_FLOATS: dict[str, tuple[float, float]] = {
    "loudness_target": (-70.0, -5.0),
    "true_peak": (-9.0, 0.0),
    "loudness_range": (1.0, 50.0),
}


def validate_enhance_params(data: Mapping[str, Any] | None) -> EnhanceParams:
    data = json_object("params", data if data is not None else {})
    check_known("", data, {f.name for f in fields(EnhanceParams)})
    base = EnhanceParams()
    values: dict[str, Any] = {}
    for f in fields(EnhanceParams):
        value = data.get(f.name, getattr(base, f.name))
        if f.name in _ENHANCE_CHOICES:
            values[f.name] = one_of(f.name, value, _ENHANCE_CHOICES[f.name])
        elif f.name in _ENHANCE_BOOLS:
            values[f.name] = switch(f.name, value)
        elif f.name in _ENHANCE_INTS:
            values[f.name] = int_between(f.name, value, *_ENHANCE_INTS[f.name])
        else:
            values[f.name] = float_between(f.name, value, *_ENHANCE_FLOATS[f.name])
    if values["frame_rate"] and values["frame_rate"] < 5:
        raise at("frame_rate", f"must be 0 (keep the source's) or between 5 and 120, got {values['frame_rate']}")
    params = EnhanceParams(**values)
    if not params.video_operations() and not params.audio_operations():
        raise BadInputError(
            "an enhancement template must switch on at least one enhancement", code="InvalidParameterValue.Switch"
        )
    return params


PRESETS: dict[tuple[str, int], Template[EnhanceParams]] = {
    (NAME, 10): Template(10, NAME, "Denoise-And-Sharpen", EnhanceParams(denoise="normal", sharpen="weak")),
    (NAME, 20): Template(20, NAME, "Upscale-2x", EnhanceParams(super_resolution=True, sharpen="weak")),
    (NAME, 30): Template(
        30, NAME, "Loudness-To-Minus-16-LUFS", EnhanceParams(loudness_normalize=True, loudness_target=-16.0)
    ),
    (NAME, 40): Template(40, NAME, "Stabilise", EnhanceParams(stabilize=True)),
    (NAME, 50): Template(
        50, NAME, "Frame-Rate-60-Interpolated", EnhanceParams(frame_rate=60, frame_interpolation="mci")
    ),
    (NAME, 60): Template(
        60, NAME, "Audio-Denoise-And-Balance", EnhanceParams(audio_denoise="normal", volume_balance=True)
    ),
    (NAME, 70): Template(
        70,
        "Enhancement",
        "Restore-Old-Footage",
        EnhanceParams(
            deinterlace="auto", denoise="strong", sharpen="normal", color_enhance="weak", audio_denoise="weak"
        ),
    ),
    (NAME, 80): Template(80, NAME, "Colour-Enhance", EnhanceParams(color_enhance="normal")),
    (NAME, 90): Template(
        90,
        "Enhancement",
        "Loudness-To-Minus-23-LUFS-Broadcast",
        EnhanceParams(loudness_normalize=True, loudness_target=-23.0, true_peak=-1.0, loudness_range=15.0),
    ),
}

KIND = SubtaskKind(
    name=NAME,
    function="enhance",
    params_type=EnhanceParams,
    validate=validate_enhance_params,
    from_json=validate_enhance_params,
    to_json=dataclass_json,
    presets=tuple(PRESETS.values()),
    stems={"": "{name}_enhancement_{definition}"},
    example_outputs=lambda stem, _params: [f"{stem}.mp4", f"{stem}_result.json"],
    label_key="type.Enhancement",
    view_kind="video",
    # MPS has no enhancement task of its own: it is a transcode whose template carries an EnhanceConfig.
    mps=lambda _params: MpsTaskName(task="TranscodeTaskSet", result_type="Transcode"),
)
