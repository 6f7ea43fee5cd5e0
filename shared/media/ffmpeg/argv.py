"""Pure builders of ffmpeg argv lists for transcoding.

No I/O here: paths come in already safe and absolute, the result is a list for ``run_ffmpeg``.
Snapshot and sprite builders live in ``snapshot_argv.py``; what every command starts from
(global options, input guard, checked paths, times) in ``command.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

from shared.domain import media_errors
from shared.domain.errors import BadInputError, MediaError
from shared.domain.kinds.transcode_rules import (
    AUDIO_CONTAINERS,
    CODEC_MAX_CHANNELS,
    CONTAINER_EXTENSIONS,
    LOSSLESS_AUDIO_CODECS,
    OPUS_MAX_KBPS_PER_CHANNEL,
    TranscodeParams,
    audio_sample_rates,
    check_transcode_params,
)
from shared.media.ffmpeg.command import base_argv, check_paths, fmt_seconds
from shared.media.ffmpeg.probe import MediaInfo

DEFAULT_FPS = 25.0
_VIDEO_ENCODERS = {"h264": "libx264", "h265": "libx265", "vp9": "libvpx-vp9", "av1": "libsvtav1"}
_AUDIO_ENCODERS = {
    "aac": "aac",
    "mp3": "libmp3lame",
    "opus": "libopus",
    "vorbis": "libvorbis",
    "flac": "flac",
    "pcm16": "pcm_s16le",
    "pcm24": "pcm_s24le",
}
# The x264 preset names, as the speed knobs of the other encoders: libvpx's -cpu-used (with -deadline good;
# 5 is its fastest useful setting) and SVT-AV1's -preset (10 and above are meant for tooling, not viewing).
_VP9_CPU_USED = {
    "ultrafast": 5,
    "superfast": 5,
    "veryfast": 4,
    "faster": 4,
    "fast": 3,
    "medium": 2,
    "slow": 1,
    "slower": 1,
    "veryslow": 0,
}
_SVT_PRESET = {
    "ultrafast": 10,
    "superfast": 9,
    "veryfast": 8,
    "faster": 7,
    "fast": 6,
    "medium": 5,
    "slow": 4,
    "slower": 3,
    "veryslow": 2,
}
# ffmpeg muxer and its options per container (hls is built separately).
_MUXERS = {
    "mp4": ["-movflags", "+faststart", "-f", "mp4"],
    "mov": ["-movflags", "+faststart", "-f", "mov"],
    "m4a": ["-movflags", "+faststart", "-f", "ipod"],
    "mkv": ["-f", "matroska"],
    "webm": ["-f", "webm"],
    "flv": ["-f", "flv"],
    "mp3": ["-f", "mp3"],
    "flac": ["-f", "flac"],
    "ogg": ["-f", "ogg"],
    "wav": ["-f", "wav"],
}
_HVC1_CONTAINERS = ("mp4", "mov")  # the hvc1 tag Apple players require; other muxers have no use for it


def _floor_even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def _round_even(value: float) -> int:
    return max(2, math.floor(value / 2.0 + 0.5) * 2)  # half up, not Python's half-to-even


def plan_dimensions(
    src_w: int, src_h: int, params_width: int, params_height: int, adaptive: bool, allow_upscale: bool
) -> tuple[int, int]:
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


def output_fps(info: MediaInfo, params_fps: int) -> float | None:
    """The frame rate to force, or None to keep the source's (never faster than the source)."""
    source = info.video.fps if info.video else 0.0
    if params_fps > 0 and source > 0 and params_fps < source - 0.01:
        return float(params_fps)
    return None


def kept_streams(info: MediaInfo, params: TranscodeParams) -> tuple[bool, bool]:
    """(video, audio): which of the input's streams the output carries."""
    video = info.video is not None and not params.remove_video and params.container not in AUDIO_CONTAINERS
    audio = info.audio is not None and not params.remove_audio
    return video, audio


def transcode_argv(
    ffmpeg: str, src: str | Path, info: MediaInfo, params: TranscodeParams, out_dir: str | Path, stem: str
) -> tuple[list[str], list[str]]:
    """argv and the names it writes into ``out_dir``: ``{stem}.{extension of the container}``.

    For HLS only the playlist is named; its segments are ``{stem}_{n}.ts`` (n from 0).
    """
    check_transcode_params(params)
    check_paths(src, out_dir, stem)
    out_dir = Path(out_dir)
    video, audio = kept_streams(info, params)
    if not (video or audio):
        raise _nothing_to_keep(info, params)
    hls = params.container == "hls"
    argv = base_argv(ffmpeg) + ["-i", str(src)]
    if video:
        argv += ["-map", "0:V:0"]  # capital V: never the cover art of an audio file
        argv += _video_options(info, params, hls)
    else:
        argv += ["-vn"]
    if audio:
        argv += ["-map", "0:a:0"] + _audio_options(info, params)
    else:
        argv += ["-an"]
    argv += ["-sn", "-dn"]
    name = f"{stem}.{CONTAINER_EXTENSIONS[params.container]}"
    if hls:
        argv += [
            "-f",
            "hls",
            "-hls_time",
            str(params.hls_time),
            "-hls_playlist_type",
            "vod",
            "-hls_list_size",
            "0",
            "-start_number",
            "0",
            "-hls_segment_filename",
            str(out_dir / f"{stem}_%d.ts"),
            str(out_dir / name),
        ]
    else:
        argv += [*_MUXERS[params.container], str(out_dir / name)]
    return argv, [name]


def _nothing_to_keep(info: MediaInfo, params: TranscodeParams) -> MediaError:
    if info.audio is None and (params.remove_video or params.container in AUDIO_CONTAINERS):
        what = (
            f"{params.container} files hold only audio"
            if params.container in AUDIO_CONTAINERS
            else "the template removes the video"
        )
        return MediaError(f"the input has no audio stream, and {what}", code=media_errors.MEDIA_NO_STREAMS)
    return MediaError(
        "the input has no video stream, and the template removes the audio", code=media_errors.MEDIA_NO_VIDEO
    )


def _video_options(info: MediaInfo, params: TranscodeParams, hls: bool) -> list[str]:
    codec = params.video_codec
    # ffmpeg turns rotated sources upright before filtering, so plan on the displayed size.
    width, height = plan_dimensions(
        info.display_width,
        info.display_height,
        params.width,
        params.height,
        params.resolution_adaptive,
        params.allow_upscale,
    )
    opts = ["-vf", f"scale={width}:{height},setsar=1", "-c:v", _VIDEO_ENCODERS[codec]]
    kbps = params.video_bitrate_kbps
    if codec in ("h264", "h265"):
        opts += ["-preset", params.encoder_preset]
        lossless = codec == "h264" and kbps == 0 and params.crf == 0
        if not lossless:  # x264 picks the High 4:4:4 profile itself for lossless; "high" would be refused
            opts += ["-profile:v", "high" if codec == "h264" else "main"]
    elif codec == "vp9":
        opts += ["-deadline", "good", "-cpu-used", str(_VP9_CPU_USED[params.encoder_preset]), "-row-mt", "1"]
    else:
        opts += ["-preset", str(_SVT_PRESET[params.encoder_preset])]
    opts += ["-pix_fmt", "yuv420p"]
    if codec == "h265":
        if params.container in _HVC1_CONTAINERS:
            opts += ["-tag:v", "hvc1"]
        # x265 takes scene-cut control only through its own params.
        opts += ["-x265-params", "log-level=error" + (":scenecut=0" if hls else "")]
    if kbps > 0:
        opts += ["-b:v", f"{kbps}k"]
        if codec != "av1":  # SVT-AV1 takes a maximum bitrate only in CRF mode
            opts += ["-maxrate", f"{int(kbps * 1.5)}k", "-bufsize", f"{kbps * 2}k"]
    else:
        opts += ["-crf", str(params.crf)]
        if codec == "vp9":
            opts += ["-b:v", "0"]  # libvpx's constant-quality mode needs the bitrate cap off
    fps = output_fps(info, params.fps)
    if fps is not None:
        opts += ["-r", fmt_seconds(fps)]
    if params.gop_seconds > 0:
        rate = fps or (info.video.fps if info.video and info.video.fps > 0 else DEFAULT_FPS)
        gop = max(1, math.ceil(params.gop_seconds * rate - 0.01))
        opts += ["-g", str(gop)]
        if hls:
            # Fixed keyframe spacing, so segments can be cut at the same points in every rendition.
            opts += ["-keyint_min", str(gop), "-sc_threshold", "0"]
    return opts


def _audio_options(info: MediaInfo, params: TranscodeParams) -> list[str]:
    codec = params.audio_codec
    opts = ["-c:a", _AUDIO_ENCODERS[codec]]
    source_rate = info.audio.sample_rate if info.audio else 0
    source_channels = info.audio.channels if info.audio else 0
    rate = params.sample_rate or _nearest_rate(source_rate, audio_sample_rates(codec, params.container))
    channels = params.channels or min(source_channels, CODEC_MAX_CHANNELS[codec]) or 0
    kbps = params.audio_bitrate_kbps
    if codec == "opus" and kbps and channels:
        kbps = min(kbps, OPUS_MAX_KBPS_PER_CHANNEL * channels)  # a "source" mono input under a 320k template
    if kbps > 0 and codec not in LOSSLESS_AUDIO_CODECS:
        opts += ["-b:a", f"{kbps}k"]
    if rate:
        opts += ["-ar", str(rate)]
    if channels:
        opts += ["-ac", str(channels)]
    return opts


def _nearest_rate(source: int, supported: tuple[int, ...]) -> int:
    """The source's rate if the codec takes it, else the closest it does (ties: the higher); 0 if unknown."""
    if source <= 0:
        return 48000 if 44100 not in supported else 0
    if source in supported:
        return source
    return min(supported, key=lambda r: (abs(r - source), -r))
