"""Pure builders of ffmpeg argv lists for transcoding, and the shared helpers of all builders.

No I/O here: paths come in already safe and absolute, the result is a list for ``run_ffmpeg``.
Snapshot and sprite builders live in ``snapshot_argv.py``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from shared.domain.errors import BadInputError
from shared.domain.templates import TranscodeParams
from shared.media.probe import MediaInfo

# Local files only: a crafted input (an HLS playlist, say) must not make ffmpeg open URLs.
# It is a per-input option, so builders repeat it before every -i.
INPUT_GUARD = ["-protocol_whitelist", "file,pipe"]
DEFAULT_FPS = 25.0
_VIDEO_CODECS = {"h264": ("libx264", "high"), "h265": ("libx265", "main")}
_CONTAINERS = ("mp4", "hls")
_OFFSET_RE = re.compile(r"^(\d{1,9}(?:\.\d{1,6})?)\s*(s|%)?$")
_STEM_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}$")


def base_argv(ffmpeg: str) -> list[str]:
    """The global options every ffmpeg run starts with (the first input's guard included)."""
    return [ffmpeg, "-hide_banner", "-nostdin", "-y", *INPUT_GUARD]


def check_paths(src: str | Path, out_dir: str | Path, stem: str) -> None:
    """Programming errors, not user errors: the caller must pass sanitized values."""
    if not Path(src).is_absolute() or not Path(out_dir).is_absolute():
        raise ValueError("ffmpeg paths must be absolute")
    if "%" in str(out_dir):
        raise ValueError("the output directory must not contain '%' (ffmpeg expands it in patterns)")
    if not _STEM_RE.match(stem):
        raise ValueError(f"unsafe output stem {stem!r}")


def fmt_seconds(value: float) -> str:
    """A time for the command line: plain decimal, millisecond precision ("1e-05" is rejected)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _floor_even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def _round_even(value: float) -> int:
    return max(2, math.floor(value / 2.0 + 0.5) * 2)  # half up, not Python's half-to-even


def plan_dimensions(src_w: int, src_h: int, params_width: int, params_height: int,
                    adaptive: bool, allow_upscale: bool) -> tuple[int, int]:
    """Output size from the displayed source size and the template (even numbers, >= 2).

    With ``adaptive`` the template's height is the short side and its width the long side, so one
    template serves landscape and portrait sources alike.
    """
    if src_w <= 0 or src_h <= 0:
        raise BadInputError(f"invalid source size {src_w}x{src_h}", code="InvalidParameterValue.Resolution")
    if params_width < 0 or params_height < 0:
        raise BadInputError("width and height must not be negative", code="InvalidParameterValue.Resolution")
    target_w, target_h = params_width, params_height
    if adaptive and src_h > src_w:
        target_w, target_h = params_height, params_width
    if target_w == 0 and target_h == 0:
        return _floor_even(src_w), _floor_even(src_h)
    if target_h == 0:
        exact_w: float = target_w
        exact_h: float = target_w * src_h / src_w
    elif target_w == 0:
        exact_w, exact_h = target_h * src_w / src_h, target_h
    else:
        exact_w, exact_h = target_w, target_h
    if not allow_upscale and (exact_w > src_w or exact_h > src_h):
        return _floor_even(src_w), _floor_even(src_h)
    max_w = 1 << 30 if allow_upscale else _floor_even(src_w)
    max_h = 1 << 30 if allow_upscale else _floor_even(src_h)
    if target_h == 0:
        # Round the given side first and derive the other from it, so the aspect ratio survives.
        width = min(_round_even(exact_w), max_w)
        return width, min(_round_even(width * src_h / src_w), max_h)
    if target_w == 0:
        height = min(_round_even(exact_h), max_h)
        return min(_round_even(height * src_w / src_h), max_w), height
    return min(_round_even(exact_w), max_w), min(_round_even(exact_h), max_h)


def parse_time_offset(text: str, duration: float) -> float:
    """Seconds from "3.5s", "3.5" or "10%" (of ``duration``); not yet clamped to the media."""
    match = _OFFSET_RE.match(str(text).strip()) if len(str(text)) <= 32 else None
    if match is None:
        raise BadInputError(f"invalid time offset {text!r}; expected seconds like '3.5s' or a percentage "
                            "like '10%'", code="InvalidParameterValue.TimeOffset")
    value = float(match.group(1))
    if match.group(2) == "%":
        if value > 100:
            raise BadInputError(f"invalid time offset {text!r}: a percentage must be at most 100%",
                                code="InvalidParameterValue.TimeOffset")
        return duration * value / 100.0
    return value


def output_fps(info: MediaInfo, params_fps: int) -> float | None:
    """The frame rate to force, or None to keep the source's (never faster than the source)."""
    source = info.video.fps if info.video else 0.0
    if params_fps > 0 and source > 0 and params_fps < source - 0.01:
        return float(params_fps)
    return None


def transcode_argv(ffmpeg: str, src: str | Path, info: MediaInfo, params: TranscodeParams,
                   out_dir: str | Path, stem: str) -> tuple[list[str], list[str]]:
    """argv and the names it writes into ``out_dir``.

    For HLS only the playlist is named; its segments are ``{stem}_{n}.ts`` (n from 0).
    """
    if params.container not in _CONTAINERS:
        raise BadInputError(f"unsupported container {params.container!r}; expected one of {_CONTAINERS}",
                            code="InvalidParameterValue.Container")
    if params.video_codec not in _VIDEO_CODECS:
        raise BadInputError(f"unsupported video codec {params.video_codec!r}",
                            code="InvalidParameterValue.VideoCodec")
    if params.audio_codec != "aac":
        raise BadInputError(f"unsupported audio codec {params.audio_codec!r}",
                            code="InvalidParameterValue.AudioCodec")
    check_paths(src, out_dir, stem)
    out_dir = Path(out_dir)
    hls = params.container == "hls"
    argv = base_argv(ffmpeg) + ["-i", str(src)]
    if info.video is not None:
        argv += ["-map", "0:V:0"]  # capital V: never the cover art of an audio file
        argv += _video_options(info, params, hls)
    if info.audio is not None:
        argv += ["-map", "0:a:0", "-c:a", "aac", "-b:a", f"{params.audio_bitrate_kbps}k",
                 "-ar", str(params.sample_rate), "-ac", str(params.channels)]
    if hls:
        name = f"{stem}.m3u8"
        argv += ["-f", "hls", "-hls_time", str(params.hls_time), "-hls_playlist_type", "vod",
                 "-hls_list_size", "0", "-start_number", "0",
                 "-hls_segment_filename", str(out_dir / f"{stem}_%d.ts"), str(out_dir / name)]
    else:
        name = f"{stem}.mp4"
        argv += ["-movflags", "+faststart", "-f", "mp4", str(out_dir / name)]
    return argv, [name]


def _video_options(info: MediaInfo, params: TranscodeParams, hls: bool) -> list[str]:
    encoder, profile = _VIDEO_CODECS[params.video_codec]
    # ffmpeg turns rotated sources upright before filtering, so plan on the displayed size.
    width, height = plan_dimensions(info.display_width, info.display_height, params.width, params.height,
                                    params.resolution_adaptive, params.allow_upscale)
    opts = ["-vf", f"scale={width}:{height},setsar=1", "-c:v", encoder, "-preset", params.encoder_preset,
            "-profile:v", profile, "-pix_fmt", "yuv420p"]
    if params.video_codec == "h265":
        # hvc1: the tag Apple players require; x265 takes scene-cut control only through its own params.
        x265 = "log-level=error" + (":scenecut=0" if hls else "")
        opts += ["-tag:v", "hvc1", "-x265-params", x265]
    if params.video_bitrate_kbps > 0:
        kbps = params.video_bitrate_kbps
        opts += ["-b:v", f"{kbps}k", "-maxrate", f"{int(kbps * 1.5)}k", "-bufsize", f"{kbps * 2}k"]
    else:
        opts += ["-crf", str(params.crf)]
    fps = output_fps(info, params.fps)
    if fps is not None:
        opts += ["-r", fmt_seconds(fps)]
    rate = fps or (info.video.fps if info.video and info.video.fps > 0 else DEFAULT_FPS)
    gop = max(1, math.ceil(params.gop_seconds * rate - 0.01))
    opts += ["-g", str(gop)]
    if hls:
        # Fixed keyframe spacing, so segments can be cut at the same points in every rendition.
        opts += ["-keyint_min", str(gop), "-sc_threshold", "0"]
    return opts
