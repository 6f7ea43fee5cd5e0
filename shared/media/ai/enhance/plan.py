"""What an enhancement template turns into for a given input: the operations that apply, the ffmpeg
filters they need and the output size and rate (pure, tested by comparing values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.domain import media_errors
from shared.domain.errors import MediaError
from shared.domain.kinds.enhancement import EnhanceParams
from shared.media.ai.run import MISSING_AUDIO
from shared.media.ffmpeg.probe import MediaInfo

MAX_OUTPUT_LONG_SIDE = 4096
MAX_OUTPUT_SHORT_SIDE = 2304


# Denoise strength follows the noise measured on the input (sigma, 8-bit levels): the level picks a
# multiple of it, with a floor so a clean-looking input still gets the level's usual strength.
DENOISE_MULTIPLE = {"weak": 0.6, "normal": 1.0, "strong": 1.5}
HQDN3D_FLOOR = {"weak": 2.0, "normal": 4.0, "strong": 8.0}  # luma spatial (hqdn3d's default is 4)
HQDN3D_MAX = 40.0
NLMEANS_FLOOR = {"weak": 1.5, "normal": 3.0, "strong": 5.0}
NLMEANS_PATCH = {"weak": "p=5:r=9", "normal": "p=7:r=9", "strong": "p=7:r=11"}
SHARPEN = {"weak": "unsharp=5:5:0.5:5:5:0", "normal": "unsharp=5:5:1.0:5:5:0", "strong": "unsharp=5:5:1.5:5:5:0"}
COLOR = {
    "weak": "eq=contrast=1.03:saturation=1.12",
    "normal": "eq=contrast=1.06:saturation=1.25",
    "strong": "eq=contrast=1.10:saturation=1.45:gamma=1.02",
}
AUDIO_DENOISE = {
    "weak": "afftdn=nr=6:nf=-50:tn=1",
    "normal": "afftdn=nr=12:nf=-45:tn=1",
    "strong": "afftdn=nr=24:nf=-40:tn=1",
}
VOLUME_BALANCE = "dynaudnorm=f=200:g=15:p=0.9"


_INTERPOLATE = {
    "mci": "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1",
    "blend": "minterpolate=fps={fps}:mi_mode=blend",
    "dup": "fps={fps}",
}


@dataclass
class Plan:
    """What will run: filters per stream, what was left out and why."""

    video: list[tuple[str, str]] = field(default_factory=list)  # (operation, filter)
    audio: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    stabilize: bool = False
    loudnorm: bool = False
    out_size: tuple[int, int] | None = None
    out_fps: float | None = None


def plan_enhancement(params: EnhanceParams, info: MediaInfo) -> Plan:
    """The filters for ``params`` on this input (pure; vid.stab and loudnorm get their pass-1 data later)."""
    plan = Plan()
    video_ops, audio_ops = params.video_operations(), params.audio_operations()
    if info.video is None:
        plan.skipped += [{"name": op, "reason": "the input has no video stream"} for op in video_ops]
        video_ops = []
    if info.audio is None:
        plan.skipped += [{"name": op, "reason": "the input has no audio stream"} for op in audio_ops]
        audio_ops = []
    if not video_ops and not audio_ops:
        if params.video_operations() and info.video is None:
            raise MediaError(
                "the input has no video stream, and this template only enhances video", code=media_errors.MEDIA_NO_VIDEO
            )
        raise MediaError("the input has no audio stream, and this template only enhances audio", code=MISSING_AUDIO)
    if info.video is not None:
        w, h = info.display_width, info.display_height
        fps = info.video.fps or 25.0
        for op in video_ops:
            if op == "deinterlace":
                deint = "interlaced" if params.deinterlace == "auto" else "all"
                plan.video.append((op, f"bwdif=mode=send_frame:parity=auto:deint={deint}"))
            elif op == "stabilize":
                plan.stabilize = True
                plan.video.append((op, "vidstabtransform"))  # filled in once pass 1 wrote its transforms
            elif op == "denoise":
                plan.video.append((op, params.denoise_method))  # strength set from the measured noise
            elif op == "frame_rate":
                if params.frame_rate <= fps + 0.01:
                    plan.skipped.append(
                        {
                            "name": op,
                            "reason": f"the source already has {fps:g} fps; frame-rate "
                            "conversion only interpolates upwards",
                        }
                    )
                    continue
                plan.out_fps = float(params.frame_rate)
                plan.video.append((op, _INTERPOLATE[params.frame_interpolation].format(fps=params.frame_rate)))
            elif op == "super_resolution":
                factor = min(2.0, MAX_OUTPUT_LONG_SIDE / max(w, h), MAX_OUTPUT_SHORT_SIDE / max(1, min(w, h)))
                if factor < 1.2:
                    plan.skipped.append(
                        {
                            "name": op,
                            "reason": f"{w}x{h} is already at the output size limit "
                            f"({MAX_OUTPUT_LONG_SIDE} px long side)",
                        }
                    )
                    continue
                tw, th = max(2, int(w * factor) // 2 * 2), max(2, int(h * factor) // 2 * 2)
                plan.out_size = (tw, th)
                plan.video.append((op, f"scale={tw}:{th}:flags=lanczos+accurate_rnd+full_chroma_int,cas=strength=0.4"))
            elif op == "sharpen":
                plan.video.append((op, SHARPEN[params.sharpen]))
            elif op == "color_enhance":
                plan.video.append((op, COLOR[params.color_enhance]))
    for op in audio_ops:
        if op == "audio_denoise":
            plan.audio.append((op, AUDIO_DENOISE[params.audio_denoise]))
        elif op == "volume_balance":
            plan.audio.append((op, VOLUME_BALANCE))
        elif op == "loudness_normalize":
            plan.loudnorm = True
            plan.audio.append((op, "loudnorm"))  # filled in once pass 1 measured the input
    if not plan.video and not plan.audio:
        raise MediaError(
            "nothing in this template applies to this input: " + "; ".join(s["reason"] for s in plan.skipped),
            code=media_errors.MEDIA_NO_VIDEO,
        )
    return plan


def denoise_filter(params: EnhanceParams, sigma: float | None) -> str:
    """hqdn3d / nlmeans with a strength proportional to the measured noise ``sigma``."""
    level = params.denoise
    estimate = DENOISE_MULTIPLE[level] * (sigma or 0.0)
    if params.denoise_method == "nlmeans":
        strength = min(30.0, max(NLMEANS_FLOOR[level], 0.6 * estimate))
        return f"nlmeans=s={strength:.2f}:{NLMEANS_PATCH[level]}"
    luma = min(HQDN3D_MAX, max(HQDN3D_FLOOR[level], estimate))
    # hqdn3d's own ratios: chroma spatial 3/4 of luma, temporal 1.5x spatial.
    return f"hqdn3d={luma:.2f}:{luma * 0.75:.2f}:{luma * 1.5:.2f}:{luma * 1.125:.2f}"


def loudnorm_filter(params: EnhanceParams, measured: dict[str, Any] | None = None) -> str:
    base = f"loudnorm=I={params.loudness_target:g}:TP={params.true_peak:g}:LRA={params.loudness_range:g}"
    if measured is None:
        return base + ":print_format=json"
    return (
        base + f":measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
        f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
        f":offset={measured['target_offset']}:linear=true:print_format=json"
    )


def output_rate(info: MediaInfo) -> int:
    rate = info.audio.sample_rate if info.audio else 0
    return rate if 8000 <= rate <= 48000 else 48000
