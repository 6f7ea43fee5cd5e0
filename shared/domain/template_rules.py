"""What a custom transcode or snapshot template may hold, checked field by field.

``validate_transcode_params`` / ``validate_snapshot_params`` turn the JSON object of a custom
template into frozen parameters: defaults filled in, every field and combination checked, each
problem a ``BadInputError`` with code ``InvalidParameterValue.<Field>`` and a plain message. What
the tables here cannot know, a dry run with the real ffmpeg finds (``shared.media.dryrun``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from shared.domain.errors import BadInputError, shown
from shared.domain.templates import SUBTASK_TYPES, SnapshotParams, TranscodeParams

# --- what can go with what (checked against the bundled ffmpeg 9) -----------------------------------

VIDEO_CONTAINERS = ("mp4", "hls", "flv", "mkv", "webm", "mov")
AUDIO_CONTAINERS = ("mp3", "m4a", "flac", "ogg", "wav")
CONTAINERS = VIDEO_CONTAINERS + AUDIO_CONTAINERS
VIDEO_CODECS = ("h264", "h265", "vp9", "av1")
AUDIO_CODECS = ("aac", "mp3", "opus", "vorbis", "flac", "pcm16", "pcm24")
LOSSLESS_AUDIO_CODECS = ("flac", "pcm16", "pcm24")
# The file name extension of the main output (HLS: the playlist; its segments are .ts).
CONTAINER_EXTENSIONS = {
    "mp4": "mp4",
    "hls": "m3u8",
    "flv": "flv",
    "mkv": "mkv",
    "webm": "webm",
    "mov": "mov",
    "mp3": "mp3",
    "m4a": "m4a",
    "flac": "flac",
    "ogg": "ogg",
    "wav": "wav",
}
# mov refuses vp9 and av1 ("av1 only supported in MP4 and AVIF"), webm takes only the royalty-free codecs;
# hls and flv would mux more than this, but players expect these.
CONTAINER_VIDEO_CODECS: dict[str, tuple[str, ...]] = {
    "mp4": ("h264", "h265", "av1", "vp9"),
    "hls": ("h264", "h265"),
    "flv": ("h264",),
    "mkv": VIDEO_CODECS,
    "webm": ("vp9", "av1"),
    "mov": ("h264", "h265"),
}
CONTAINER_AUDIO_CODECS: dict[str, tuple[str, ...]] = {
    "mp4": ("aac", "mp3", "opus"),
    "hls": ("aac", "mp3"),
    "flv": ("aac", "mp3"),
    "mkv": AUDIO_CODECS,
    "webm": ("opus", "vorbis"),
    "mov": ("aac", "mp3", "pcm16", "pcm24"),
    "mp3": ("mp3",),
    "m4a": ("aac",),
    "flac": ("flac",),
    "ogg": ("vorbis", "opus", "flac"),
    "wav": ("pcm16", "pcm24"),
}
SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000)
# Rates each encoder accepts (libopus and libmp3lame refuse the others instead of resampling).
CODEC_SAMPLE_RATES: dict[str, tuple[int, ...]] = {
    "aac": SAMPLE_RATES,
    "mp3": (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
    "opus": (8000, 12000, 16000, 24000, 48000),
    "vorbis": SAMPLE_RATES,
    "flac": SAMPLE_RATES,
    "pcm16": SAMPLE_RATES,
    "pcm24": SAMPLE_RATES,
}
# FLV's header has room for 11/22/44 kHz only; ffmpeg lets 48 kHz MP3 through (the frames carry the rate).
FLV_MP3_SAMPLE_RATES = (11025, 22050, 44100, 48000)
CHANNELS = (1, 2, 6)
CODEC_MAX_CHANNELS = {"aac": 8, "mp3": 2, "opus": 8, "vorbis": 8, "flac": 8, "pcm16": 8, "pcm24": 8}
OPUS_MAX_KBPS_PER_CHANNEL = 256
ENCODER_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
CRF_MAX = {"h264": 51, "h265": 51, "vp9": 63, "av1": 63}
# Used when a template leaves the field out: each codec's "good default" quality.
DEFAULT_CRF = {"h264": 23, "h265": 28, "vp9": 32, "av1": 35}
DEFAULT_VIDEO_CODEC = {"webm": "vp9"}
DEFAULT_AUDIO_CODEC = {"webm": "opus", "mp3": "mp3", "flac": "flac", "ogg": "vorbis", "wav": "pcm16"}
VIDEO_BITRATE_RANGE = (128, 100_000)  # kbps; 0 = CRF
AUDIO_BITRATE_RANGE = (26, 320)  # kbps; 0 = the encoder's default
VIDEO_SIZE_RANGE = (128, 4096)  # pixels; 0 = from the source / the other side
MAX_FPS = 120
GOP_RANGE = (0.5, 30.0)  # seconds; 0 = the encoder's default
HLS_TIME_RANGE = (1, 30)

SNAPSHOT_KINDS = ("time_offset", "sampled", "sprite")
SNAPSHOT_FORMATS = ("jpg", "png", "webp")
SAMPLE_TYPES = ("percent", "time")
SNAPSHOT_SIZE_RANGE = (16, 4096)
SAMPLE_INTERVAL_RANGE = {"percent": (1, 100), "time": (1, 3600)}
SPRITE_GRID_RANGE = (1, 20)
MAX_SPRITE_SIDE = 8192  # pixels of a whole sheet, either way
MAX_TIME_OFFSETS = 100
TIME_OFFSET_RE = re.compile(r"^(\d{1,9}(?:\.\d{1,6})?)\s*(s|%)?$")

_ALIASES = {
    "hevc": "h265",
    "libx265": "h265",
    "avc": "h264",
    "libx264": "h264",
    "libvpx-vp9": "vp9",
    "libmp3lame": "mp3",
    "libopus": "opus",
    "libvorbis": "vorbis",
    "jpeg": "jpg",
    "pcm_s16le": "pcm16",
    "pcm_s24le": "pcm24",
}


def audio_sample_rates(codec: str, container: str) -> tuple[int, ...]:
    """The output sample rates ``codec`` supports inside ``container``."""
    rates = CODEC_SAMPLE_RATES.get(codec, SAMPLE_RATES)
    if container == "flv" and codec == "mp3":
        rates = tuple(r for r in rates if r in FLV_MP3_SAMPLE_RATES)
    return rates


def _article(container: str) -> str:
    """ "an mp4", "a webm": the article as the name is read out."""
    return f"{'an' if container[:1] in 'aefhilmnorsx' and container not in ('mov', 'wav', 'flac') else 'a'} {container}"


# --- validation helpers ---------------------------------------------------------------------------


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _bad(name: str, message: str) -> BadInputError:
    return BadInputError(message, code=f"InvalidParameterValue.{_pascal(name)}")


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(name, f"{name} must be a whole number, got {shown(value)}")
    return value


def _as_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(name, f"{name} must be a number, got {shown(value)}")
    return float(value)


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # MPS spells switches as 0/1 (RemoveVideo)
        return bool(value)
    if name == "resolution_adaptive" and isinstance(value, str) and value.lower() in ("open", "close"):
        return value.lower() == "open"  # MPS's ResolutionAdaptive spelling
    raise _bad(name, f"{name} must be true or false, got {shown(value)}")


def _as_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise _bad(name, f"{name} must be a string, one of {', '.join(choices)}; got {shown(value)}")
    text = value.strip().lower()
    text = _ALIASES.get(text, text)
    if text not in choices:
        raise _bad(name, f"{name} {value!r} is not supported; use one of {', '.join(choices)}")
    return text


def _in_range(name: str, value: float, low: float, high: float, *, zero: str | None = None) -> None:
    if zero is not None and value == 0:
        return
    if not low <= value <= high:
        allowed = f"0 ({zero}) or between {low:g} and {high:g}" if zero else f"between {low:g} and {high:g}"
        raise _bad(name, f"{name} must be {allowed}, got {value:g}")


def _check_object(data: Any, cls: type) -> Mapping[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise BadInputError(f"template parameters must be a JSON object, got {shown(data)}", code="InvalidParameter")
    known = [f.name for f in fields(cls)]
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        names = ", ".join(unknown)
        raise BadInputError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {names}; known parameters are {', '.join(known)}",
            code="UnknownParameter",
        )
    return data


def _fmt_kbps(value: int) -> str:
    return f"{value} kbps"


# --- transcode ------------------------------------------------------------------------------------


def validate_params(subtask_type: str, data: Mapping[str, Any] | None) -> TranscodeParams | SnapshotParams:
    """``validate_transcode_params`` or ``validate_snapshot_params``, by subtask type."""
    if subtask_type == "Transcode":
        return validate_transcode_params(data)
    if subtask_type == "Snapshot":
        return validate_snapshot_params(data)
    raise BadInputError(
        f"unknown subtask type {subtask_type!r}; expected one of {SUBTASK_TYPES}",
        code="InvalidParameterValue.SubtaskType",
    )


def validate_transcode_params(data: Mapping[str, Any] | None) -> TranscodeParams:
    """Frozen transcode parameters from a (partial) JSON object, or BadInputError naming the problem.

    Left-out fields take defaults that fit the container: a webm gets vp9/opus, an mp3 file mp3 audio,
    each video codec its own CRF; opus gets 48 kHz. Audio-only containers always remove the video, and
    lossless audio codecs ignore the audio bitrate (stored as 0).
    """
    data = _check_object(data, TranscodeParams)
    base = TranscodeParams()
    container = _as_choice("container", data.get("container", base.container), CONTAINERS)
    video_codec = _as_choice(
        "video_codec", data.get("video_codec", DEFAULT_VIDEO_CODEC.get(container, "h264")), VIDEO_CODECS
    )
    audio_codec = _as_choice(
        "audio_codec", data.get("audio_codec", DEFAULT_AUDIO_CODEC.get(container, "aac")), AUDIO_CODECS
    )
    ints = {
        name: _as_int(name, data.get(name, getattr(base, name)))
        for name in ("width", "height", "video_bitrate_kbps", "fps", "audio_bitrate_kbps", "channels", "hls_time")
    }
    crf = _as_int("crf", data.get("crf", DEFAULT_CRF[video_codec]))
    default_rate = 48000 if audio_codec == "opus" else base.sample_rate
    sample_rate = _as_int("sample_rate", data.get("sample_rate", default_rate))
    gop_seconds = _as_number("gop_seconds", data.get("gop_seconds", base.gop_seconds))
    bools = {
        name: _as_bool(name, data.get(name, getattr(base, name)))
        for name in ("resolution_adaptive", "allow_upscale", "remove_audio", "remove_video")
    }
    preset = _as_choice("encoder_preset", data.get("encoder_preset", base.encoder_preset), ENCODER_PRESETS)
    if container in AUDIO_CONTAINERS:
        bools["remove_video"] = True
    if audio_codec in LOSSLESS_AUDIO_CODECS:
        ints["audio_bitrate_kbps"] = 0
    params = TranscodeParams(
        container=container,
        video_codec=video_codec,
        width=ints["width"],
        height=ints["height"],
        resolution_adaptive=bools["resolution_adaptive"],
        allow_upscale=bools["allow_upscale"],
        video_bitrate_kbps=ints["video_bitrate_kbps"],
        crf=crf,
        fps=ints["fps"],
        gop_seconds=gop_seconds,
        audio_codec=audio_codec,
        audio_bitrate_kbps=ints["audio_bitrate_kbps"],
        sample_rate=sample_rate,
        channels=ints["channels"],
        hls_time=ints["hls_time"],
        encoder_preset=preset,
        remove_audio=bools["remove_audio"],
        remove_video=bools["remove_video"],
    )
    check_transcode_params(params)
    return params


def check_transcode_params(p: TranscodeParams) -> None:
    """Every rule a transcode template must follow; BadInputError for the first one broken."""
    if p.container not in CONTAINERS:
        raise _bad("container", f"container {p.container!r} is not supported; use one of {', '.join(CONTAINERS)}")
    audio_only = p.container in AUDIO_CONTAINERS
    if p.remove_audio and (p.remove_video or audio_only):
        why = f"{_article(p.container)} file holds only audio" if audio_only else "remove_video is also true"
        raise _bad("remove_audio", f"remove_audio cannot be true here: {why}, so the output would be empty")
    if not (p.remove_video or audio_only):
        _check_video(p)
    if not p.remove_audio:
        _check_audio(p)
    if p.container == "hls":
        _in_range("hls_time", p.hls_time, *HLS_TIME_RANGE)


def _check_video(p: TranscodeParams) -> None:
    if p.video_codec not in VIDEO_CODECS:
        raise _bad(
            "video_codec", f"video_codec {p.video_codec!r} is not supported; use one of {', '.join(VIDEO_CODECS)}"
        )
    allowed = CONTAINER_VIDEO_CODECS[p.container]
    if p.video_codec not in allowed:
        raise _bad(
            "video_codec",
            f"video_codec {p.video_codec} cannot go in {_article(p.container)} container; use {' or '.join(allowed)}",
        )
    for name in ("width", "height"):
        _in_range(name, getattr(p, name), *VIDEO_SIZE_RANGE, zero="keep the aspect ratio")
    if p.resolution_adaptive and p.width and p.height and p.width < p.height:
        raise _bad(
            "width",
            f"with resolution_adaptive on, width is the long side and height the short side; "
            f"width {p.width} is smaller than height {p.height}: swap them or turn "
            "resolution_adaptive off",
        )
    _in_range("video_bitrate_kbps", p.video_bitrate_kbps, *VIDEO_BITRATE_RANGE, zero="constant quality (crf)")
    _in_range("crf", p.crf, 0, CRF_MAX[p.video_codec])
    _in_range("fps", p.fps, 1, MAX_FPS, zero="keep the source's")
    _in_range("gop_seconds", p.gop_seconds, *GOP_RANGE, zero="the encoder's default")
    if p.encoder_preset not in ENCODER_PRESETS:
        raise _bad(
            "encoder_preset",
            f"encoder_preset {p.encoder_preset!r} is not supported; use one of {', '.join(ENCODER_PRESETS)}",
        )


def _check_audio(p: TranscodeParams) -> None:
    codec = p.audio_codec
    if codec not in AUDIO_CODECS:
        raise _bad("audio_codec", f"audio_codec {codec!r} is not supported; use one of {', '.join(AUDIO_CODECS)}")
    allowed = CONTAINER_AUDIO_CODECS[p.container]
    if codec not in allowed:
        raise _bad(
            "audio_codec",
            f"audio_codec {codec} cannot go in {_article(p.container)} container; use {' or '.join(allowed)}",
        )
    _in_range("audio_bitrate_kbps", p.audio_bitrate_kbps, *AUDIO_BITRATE_RANGE, zero="the encoder's default")
    if p.sample_rate and p.sample_rate not in SAMPLE_RATES:
        raise _bad(
            "sample_rate",
            f"sample_rate must be 0 (the source's) or one of {', '.join(map(str, SAMPLE_RATES))}; got {p.sample_rate}",
        )
    rates = audio_sample_rates(codec, p.container)
    if p.sample_rate and p.sample_rate not in rates:
        where = " in an flv file" if p.container == "flv" and codec == "mp3" else ""
        usable = ", ".join(str(r) for r in rates if r in SAMPLE_RATES)
        raise _bad(
            "sample_rate",
            f"sample_rate {p.sample_rate} is not supported by {codec}{where}; use 0 (the source's) or one of {usable}",
        )
    if p.channels and p.channels not in CHANNELS:
        raise _bad("channels", f"channels must be 0 (the source's), 1, 2 or 6; got {p.channels}")
    if p.channels > CODEC_MAX_CHANNELS[codec]:
        raise _bad("channels", f"{codec} holds at most {CODEC_MAX_CHANNELS[codec]} channels; got {p.channels}")
    if codec == "opus" and p.channels and p.audio_bitrate_kbps > OPUS_MAX_KBPS_PER_CHANNEL * p.channels:
        raise _bad(
            "audio_bitrate_kbps",
            f"opus allows at most {OPUS_MAX_KBPS_PER_CHANNEL} kbps per channel: "
            f"{_fmt_kbps(p.audio_bitrate_kbps)} is too much for {p.channels} "
            "channel(s)",
        )


# --- snapshot -------------------------------------------------------------------------------------


def validate_snapshot_params(data: Mapping[str, Any] | None) -> SnapshotParams:
    """Frozen snapshot parameters (time-offset, sampled or sprite) from a (partial) JSON object."""
    data = _check_object(data, SnapshotParams)
    base = SnapshotParams()
    kind = _as_choice("kind", data.get("kind", base.kind), SNAPSHOT_KINDS)
    fmt = _as_choice("format", data.get("format", base.format), SNAPSHOT_FORMATS)
    sample_type = _as_choice("sample_type", data.get("sample_type", base.sample_type), SAMPLE_TYPES)
    ints = {
        name: _as_int(name, data.get(name, getattr(base, name)))
        for name in ("width", "height", "interval", "rows", "columns")
    }
    default_offsets = ["0s"] if kind == "time_offset" else []
    offsets = _time_offsets(data.get("time_offsets", default_offsets))
    params = SnapshotParams(
        kind=kind,
        format=fmt,
        width=ints["width"],
        height=ints["height"],
        sample_type=sample_type,
        interval=ints["interval"],
        rows=ints["rows"],
        columns=ints["columns"],
        time_offsets=offsets,
    )
    check_snapshot_params(params)
    return params


def check_snapshot_params(p: SnapshotParams) -> None:
    """Every rule a snapshot template must follow; BadInputError for the first one broken."""
    if p.kind not in SNAPSHOT_KINDS:
        raise _bad("kind", f"kind {p.kind!r} is not supported; use one of {', '.join(SNAPSHOT_KINDS)}")
    if p.format not in SNAPSHOT_FORMATS:
        raise _bad("format", f"format {p.format!r} is not supported; use one of {', '.join(SNAPSHOT_FORMATS)}")
    for name in ("width", "height"):
        _in_range(name, getattr(p, name), *SNAPSHOT_SIZE_RANGE, zero="keep the aspect ratio")
    if p.kind == "time_offset":
        if not p.time_offsets:
            raise _bad("time_offsets", 'a time_offset template needs at least one time offset, like "3.5s" or "10%"')
        _time_offsets(list(p.time_offsets))
        return
    if p.sample_type not in SAMPLE_TYPES:
        raise _bad("sample_type", f"sample_type {p.sample_type!r} is not supported; use percent or time")
    low, high = SAMPLE_INTERVAL_RANGE[p.sample_type]
    unit = "percent of the duration" if p.sample_type == "percent" else "seconds"
    if not low <= p.interval <= high:
        raise _bad(
            "interval",
            f"with sample_type {p.sample_type}, interval ({unit}) must be between {low} and {high}, got {p.interval}",
        )
    if p.kind == "sprite":
        for name in ("rows", "columns"):
            _in_range(name, getattr(p, name), *SPRITE_GRID_RANGE)
        for name, count, side in (("columns", p.columns, p.width), ("rows", p.rows, p.height)):
            if side and count * side > MAX_SPRITE_SIDE:
                what = "wide" if name == "columns" else "high"
                raise _bad(
                    name,
                    f"a sprite sheet of {count} {name} of {side} px would be {count * side} px "
                    f"{what}; the limit is {MAX_SPRITE_SIDE} px: use fewer {name} or smaller images",
                )


def _time_offsets(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _bad("time_offsets", f'time_offsets must be a list like ["3.5s", "10%", 7], got {shown(value)}')
    if len(value) > MAX_TIME_OFFSETS:
        raise _bad("time_offsets", f"at most {MAX_TIME_OFFSETS} time offsets are allowed, got {len(value)}")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, int | float) and not isinstance(item, bool):
            if not math.isfinite(item) or item < 0:
                raise _bad(
                    "time_offsets", f"time offset {i + 1} ({shown(item)}) must be a number of seconds of 0 or more"
                )
            text = f"{item:.3f}".rstrip("0").rstrip(".") + "s"
        elif isinstance(item, str):
            text = item.strip()
        else:
            raise _bad(
                "time_offsets",
                f'time offset {i + 1} must be a string like "3.5s" or "10%" or a number of seconds, got {shown(item)}',
            )
        match = TIME_OFFSET_RE.match(text) if len(text) <= 32 else None
        if match is None:
            raise _bad(
                "time_offsets",
                f'time offset {i + 1} ({shown(item)}) is not valid; use seconds like "3.5s" or a percentage like "10%"',
            )
        if match.group(2) == "%" and float(match.group(1)) > 100:
            raise _bad("time_offsets", f"time offset {i + 1} ({text}) is more than 100%")
        out.append(text)
    return tuple(out)
