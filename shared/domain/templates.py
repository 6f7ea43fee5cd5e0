"""Template parameters, the system presets (MPS-REFERENCE.md section 3) and their validation.

A subtask keeps a snapshot of its template's parameters (``to_dict``), so a later edit of a
template never changes what a queued or restarted subtask does.

``validate_transcode_params`` / ``validate_snapshot_params`` turn the JSON object of a custom
template into frozen parameters: defaults filled in, every field and combination checked, each
problem a ``BadInputError`` with code ``InvalidParameterValue.<Field>`` and a plain message. What
the tables here cannot know, a dry run with the real ffmpeg finds (``shared.media.dryrun``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from shared.domain.errors import BadInputError


@dataclass(frozen=True)
class TranscodeParams:
    # mp4 | hls | flv | mkv | webm | mov (video); mp3 | m4a | flac | ogg | wav (audio only)
    container: str = "mp4"
    video_codec: str = "h264"  # h264 | h265 | vp9 | av1
    # With resolution_adaptive, ``height`` is the short side and ``width`` the long side of the
    # displayed picture (MPS ResolutionAdaptive=open); 0 keeps the aspect ratio from the other.
    width: int = 0
    height: int = 0
    resolution_adaptive: bool = True
    allow_upscale: bool = False
    video_bitrate_kbps: int = 0  # 0 = let the encoder choose (CRF)
    crf: int = 23
    fps: int = 0  # 0 = source
    gop_seconds: float = 2.0  # 0 = the encoder's default
    audio_codec: str = "aac"  # aac | mp3 | opus | vorbis | flac | pcm16 | pcm24
    audio_bitrate_kbps: int = 128  # 0 = the encoder's default; ignored by lossless codecs
    sample_rate: int = 44100  # 0 = source (or the nearest rate the codec supports)
    channels: int = 2  # 0 = source
    hls_time: int = 10
    encoder_preset: str = "veryfast"  # x264 names; mapped to the speed knobs of vp9 and av1
    remove_audio: bool = False
    remove_video: bool = False  # always true in the audio-only containers


@dataclass(frozen=True)
class SnapshotParams:
    kind: str = "sampled"  # time_offset | sampled | sprite
    format: str = "jpg"
    width: int = 0  # 0 = source; one side 0 keeps the aspect ratio
    height: int = 0
    sample_type: str = "percent"  # percent | time (seconds)
    interval: int = 10
    rows: int = 10  # sprite only
    columns: int = 10
    time_offsets: tuple[str, ...] = field(default_factory=tuple)  # "3.5s" or "10%"; time_offset only


@dataclass(frozen=True)
class Template:
    definition: int
    type: str  # Transcode | Snapshot
    name: str
    params: Any  # TranscodeParams | SnapshotParams, or the AI types' (ai_templates.py)
    preset: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"definition": self.definition, "type": self.type, "name": self.name,
                "preset": self.preset, "params": params_to_dict(self.params)}


def params_to_dict(params: TranscodeParams | SnapshotParams) -> dict[str, Any]:
    data = asdict(params)
    if "time_offsets" in data:
        data["time_offsets"] = list(data["time_offsets"])
    return data


def params_from_dict(subtask_type: str, data: dict[str, Any]) -> TranscodeParams | SnapshotParams:
    cls: type[TranscodeParams] | type[SnapshotParams] = (
        TranscodeParams if subtask_type == "Transcode" else SnapshotParams)
    known = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in known}
    if "time_offsets" in values:
        values["time_offsets"] = tuple(values["time_offsets"])
    return cls(**values)


# --- what can go with what (checked against the bundled ffmpeg 9) -----------------------------------

VIDEO_CONTAINERS = ("mp4", "hls", "flv", "mkv", "webm", "mov")
AUDIO_CONTAINERS = ("mp3", "m4a", "flac", "ogg", "wav")
CONTAINERS = VIDEO_CONTAINERS + AUDIO_CONTAINERS
VIDEO_CODECS = ("h264", "h265", "vp9", "av1")
AUDIO_CODECS = ("aac", "mp3", "opus", "vorbis", "flac", "pcm16", "pcm24")
LOSSLESS_AUDIO_CODECS = ("flac", "pcm16", "pcm24")
# The file name extension of the main output (HLS: the playlist; its segments are .ts).
CONTAINER_EXTENSIONS = {"mp4": "mp4", "hls": "m3u8", "flv": "flv", "mkv": "mkv", "webm": "webm", "mov": "mov",
                        "mp3": "mp3", "m4a": "m4a", "flac": "flac", "ogg": "ogg", "wav": "wav"}
# mov refuses vp9 and av1 ("av1 only supported in MP4 and AVIF"), webm takes only the royalty-free codecs;
# hls and flv would mux more than this, but players expect these.
CONTAINER_VIDEO_CODECS: dict[str, tuple[str, ...]] = {
    "mp4": ("h264", "h265", "av1", "vp9"), "hls": ("h264", "h265"), "flv": ("h264",), "mkv": VIDEO_CODECS,
    "webm": ("vp9", "av1"), "mov": ("h264", "h265"),
}
CONTAINER_AUDIO_CODECS: dict[str, tuple[str, ...]] = {
    "mp4": ("aac", "mp3", "opus"), "hls": ("aac", "mp3"), "flv": ("aac", "mp3"), "mkv": AUDIO_CODECS,
    "webm": ("opus", "vorbis"), "mov": ("aac", "mp3", "pcm16", "pcm24"),
    "mp3": ("mp3",), "m4a": ("aac",), "flac": ("flac",), "ogg": ("vorbis", "opus", "flac"), "wav": ("pcm16", "pcm24"),
}
SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000)
# Rates each encoder accepts (libopus and libmp3lame refuse the others instead of resampling).
CODEC_SAMPLE_RATES: dict[str, tuple[int, ...]] = {
    "aac": SAMPLE_RATES, "mp3": (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
    "opus": (8000, 12000, 16000, 24000, 48000), "vorbis": SAMPLE_RATES, "flac": SAMPLE_RATES,
    "pcm16": SAMPLE_RATES, "pcm24": SAMPLE_RATES,
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

_ALIASES = {"hevc": "h265", "libx265": "h265", "avc": "h264", "libx264": "h264", "libvpx-vp9": "vp9",
            "libmp3lame": "mp3", "libopus": "opus", "libvorbis": "vorbis", "jpeg": "jpg",
            "pcm_s16le": "pcm16", "pcm_s24le": "pcm24"}


def audio_sample_rates(codec: str, container: str) -> tuple[int, ...]:
    """The output sample rates ``codec`` supports inside ``container``."""
    rates = CODEC_SAMPLE_RATES.get(codec, SAMPLE_RATES)
    if container == "flv" and codec == "mp3":
        rates = tuple(r for r in rates if r in FLV_MP3_SAMPLE_RATES)
    return rates


def container_kind(container: str) -> str:
    return "audio" if container in AUDIO_CONTAINERS else "video"


def _article(container: str) -> str:
    """ "an mp4", "a webm": the article as the name is read out."""
    return f"{'an' if container[:1] in 'aefhilmnorsx' and container not in ('mov', 'wav', 'flac') else 'a'} {container}"


# --- validation helpers ---------------------------------------------------------------------------

def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _bad(name: str, message: str) -> BadInputError:
    return BadInputError(message, code=f"InvalidParameterValue.{_pascal(name)}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(name, f"{name} must be a whole number, got {_show(value)}")
    return value


def _as_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(name, f"{name} must be a number, got {_show(value)}")
    return float(value)


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # MPS spells switches as 0/1 (RemoveVideo)
        return bool(value)
    if name == "resolution_adaptive" and isinstance(value, str) and value.lower() in ("open", "close"):
        return value.lower() == "open"  # MPS's ResolutionAdaptive spelling
    raise _bad(name, f"{name} must be true or false, got {_show(value)}")


def _as_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise _bad(name, f"{name} must be a string, one of {', '.join(choices)}; got {_show(value)}")
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
        raise BadInputError(f"template parameters must be a JSON object, got {_show(data)}",
                            code="InvalidParameter")
    known = [f.name for f in fields(cls)]
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        names = ", ".join(unknown)
        raise BadInputError(f"unknown parameter{'s' if len(unknown) > 1 else ''} {names}; "
                            f"known parameters are {', '.join(known)}", code="UnknownParameter")
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
    raise BadInputError(f"unknown subtask type {subtask_type!r}; expected one of {SUBTASK_TYPES}",
                        code="InvalidParameterValue.SubtaskType")


def validate_transcode_params(data: Mapping[str, Any] | None) -> TranscodeParams:
    """Frozen transcode parameters from a (partial) JSON object, or BadInputError naming the problem.

    Left-out fields take defaults that fit the container: a webm gets vp9/opus, an mp3 file mp3 audio,
    each video codec its own CRF; opus gets 48 kHz. Audio-only containers always remove the video, and
    lossless audio codecs ignore the audio bitrate (stored as 0).
    """
    data = _check_object(data, TranscodeParams)
    base = TranscodeParams()
    container = _as_choice("container", data.get("container", base.container), CONTAINERS)
    video_codec = _as_choice("video_codec", data.get("video_codec", DEFAULT_VIDEO_CODEC.get(container, "h264")),
                             VIDEO_CODECS)
    audio_codec = _as_choice("audio_codec", data.get("audio_codec", DEFAULT_AUDIO_CODEC.get(container, "aac")),
                             AUDIO_CODECS)
    ints = {name: _as_int(name, data.get(name, getattr(base, name)))
            for name in ("width", "height", "video_bitrate_kbps", "fps", "audio_bitrate_kbps", "channels",
                         "hls_time")}
    crf = _as_int("crf", data.get("crf", DEFAULT_CRF[video_codec]))
    default_rate = 48000 if audio_codec == "opus" else base.sample_rate
    sample_rate = _as_int("sample_rate", data.get("sample_rate", default_rate))
    gop_seconds = _as_number("gop_seconds", data.get("gop_seconds", base.gop_seconds))
    bools = {name: _as_bool(name, data.get(name, getattr(base, name)))
             for name in ("resolution_adaptive", "allow_upscale", "remove_audio", "remove_video")}
    preset = _as_choice("encoder_preset", data.get("encoder_preset", base.encoder_preset), ENCODER_PRESETS)
    if container in AUDIO_CONTAINERS:
        bools["remove_video"] = True
    if audio_codec in LOSSLESS_AUDIO_CODECS:
        ints["audio_bitrate_kbps"] = 0
    params = TranscodeParams(
        container=container, video_codec=video_codec, width=ints["width"], height=ints["height"],
        resolution_adaptive=bools["resolution_adaptive"], allow_upscale=bools["allow_upscale"],
        video_bitrate_kbps=ints["video_bitrate_kbps"], crf=crf, fps=ints["fps"], gop_seconds=gop_seconds,
        audio_codec=audio_codec, audio_bitrate_kbps=ints["audio_bitrate_kbps"], sample_rate=sample_rate,
        channels=ints["channels"], hls_time=ints["hls_time"], encoder_preset=preset,
        remove_audio=bools["remove_audio"], remove_video=bools["remove_video"])
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
        raise _bad("video_codec", f"video_codec {p.video_codec!r} is not supported; use one of "
                                  f"{', '.join(VIDEO_CODECS)}")
    allowed = CONTAINER_VIDEO_CODECS[p.container]
    if p.video_codec not in allowed:
        raise _bad("video_codec", f"video_codec {p.video_codec} cannot go in {_article(p.container)} container; "
                                  f"use {' or '.join(allowed)}")
    for name in ("width", "height"):
        _in_range(name, getattr(p, name), *VIDEO_SIZE_RANGE, zero="keep the aspect ratio")
    if p.resolution_adaptive and p.width and p.height and p.width < p.height:
        raise _bad("width", f"with resolution_adaptive on, width is the long side and height the short side; "
                            f"width {p.width} is smaller than height {p.height}: swap them or turn "
                            "resolution_adaptive off")
    _in_range("video_bitrate_kbps", p.video_bitrate_kbps, *VIDEO_BITRATE_RANGE, zero="constant quality (crf)")
    _in_range("crf", p.crf, 0, CRF_MAX[p.video_codec])
    _in_range("fps", p.fps, 1, MAX_FPS, zero="keep the source's")
    _in_range("gop_seconds", p.gop_seconds, *GOP_RANGE, zero="the encoder's default")
    if p.encoder_preset not in ENCODER_PRESETS:
        raise _bad("encoder_preset", f"encoder_preset {p.encoder_preset!r} is not supported; use one of "
                                     f"{', '.join(ENCODER_PRESETS)}")


def _check_audio(p: TranscodeParams) -> None:
    codec = p.audio_codec
    if codec not in AUDIO_CODECS:
        raise _bad("audio_codec", f"audio_codec {codec!r} is not supported; use one of {', '.join(AUDIO_CODECS)}")
    allowed = CONTAINER_AUDIO_CODECS[p.container]
    if codec not in allowed:
        raise _bad("audio_codec", f"audio_codec {codec} cannot go in {_article(p.container)} container; "
                                  f"use {' or '.join(allowed)}")
    _in_range("audio_bitrate_kbps", p.audio_bitrate_kbps, *AUDIO_BITRATE_RANGE, zero="the encoder's default")
    if p.sample_rate and p.sample_rate not in SAMPLE_RATES:
        raise _bad("sample_rate", f"sample_rate must be 0 (the source's) or one of "
                                  f"{', '.join(map(str, SAMPLE_RATES))}; got {p.sample_rate}")
    rates = audio_sample_rates(codec, p.container)
    if p.sample_rate and p.sample_rate not in rates:
        where = " in an flv file" if p.container == "flv" and codec == "mp3" else ""
        usable = ", ".join(str(r) for r in rates if r in SAMPLE_RATES)
        raise _bad("sample_rate", f"sample_rate {p.sample_rate} is not supported by {codec}{where}; use 0 (the "
                                  f"source's) or one of {usable}")
    if p.channels and p.channels not in CHANNELS:
        raise _bad("channels", f"channels must be 0 (the source's), 1, 2 or 6; got {p.channels}")
    if p.channels > CODEC_MAX_CHANNELS[codec]:
        raise _bad("channels", f"{codec} holds at most {CODEC_MAX_CHANNELS[codec]} channels; got {p.channels}")
    if codec == "opus" and p.channels and p.audio_bitrate_kbps > OPUS_MAX_KBPS_PER_CHANNEL * p.channels:
        raise _bad("audio_bitrate_kbps", f"opus allows at most {OPUS_MAX_KBPS_PER_CHANNEL} kbps per channel: "
                                         f"{_fmt_kbps(p.audio_bitrate_kbps)} is too much for {p.channels} "
                                         "channel(s)")


# --- snapshot -------------------------------------------------------------------------------------

def validate_snapshot_params(data: Mapping[str, Any] | None) -> SnapshotParams:
    """Frozen snapshot parameters (time-offset, sampled or sprite) from a (partial) JSON object."""
    data = _check_object(data, SnapshotParams)
    base = SnapshotParams()
    kind = _as_choice("kind", data.get("kind", base.kind), SNAPSHOT_KINDS)
    fmt = _as_choice("format", data.get("format", base.format), SNAPSHOT_FORMATS)
    sample_type = _as_choice("sample_type", data.get("sample_type", base.sample_type), SAMPLE_TYPES)
    ints = {name: _as_int(name, data.get(name, getattr(base, name)))
            for name in ("width", "height", "interval", "rows", "columns")}
    default_offsets = ["0s"] if kind == "time_offset" else []
    offsets = _time_offsets(data.get("time_offsets", default_offsets))
    params = SnapshotParams(kind=kind, format=fmt, width=ints["width"], height=ints["height"],
                            sample_type=sample_type, interval=ints["interval"], rows=ints["rows"],
                            columns=ints["columns"], time_offsets=offsets)
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
            raise _bad("time_offsets", "a time_offset template needs at least one time offset, like \"3.5s\" or "
                                       "\"10%\"")
        _time_offsets(list(p.time_offsets))
        return
    if p.sample_type not in SAMPLE_TYPES:
        raise _bad("sample_type", f"sample_type {p.sample_type!r} is not supported; use percent or time")
    low, high = SAMPLE_INTERVAL_RANGE[p.sample_type]
    unit = "percent of the duration" if p.sample_type == "percent" else "seconds"
    if not low <= p.interval <= high:
        raise _bad("interval", f"with sample_type {p.sample_type}, interval ({unit}) must be between {low} and "
                               f"{high}, got {p.interval}")
    if p.kind == "sprite":
        for name in ("rows", "columns"):
            _in_range(name, getattr(p, name), *SPRITE_GRID_RANGE)
        for name, count, side in (("columns", p.columns, p.width), ("rows", p.rows, p.height)):
            if side and count * side > MAX_SPRITE_SIDE:
                what = "wide" if name == "columns" else "high"
                raise _bad(name, f"a sprite sheet of {count} {name} of {side} px would be {count * side} px "
                                 f"{what}; the limit is {MAX_SPRITE_SIDE} px: use fewer {name} or smaller images")


def _time_offsets(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _bad("time_offsets", f"time_offsets must be a list like [\"3.5s\", \"10%\", 7], got {_show(value)}")
    if len(value) > MAX_TIME_OFFSETS:
        raise _bad("time_offsets", f"at most {MAX_TIME_OFFSETS} time offsets are allowed, got {len(value)}")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, int | float) and not isinstance(item, bool):
            if not math.isfinite(item) or item < 0:
                raise _bad("time_offsets", f"time offset {i + 1} ({_show(item)}) must be a number of seconds "
                                           "of 0 or more")
            text = f"{item:.3f}".rstrip("0").rstrip(".") + "s"
        elif isinstance(item, str):
            text = item.strip()
        else:
            raise _bad("time_offsets", f"time offset {i + 1} must be a string like \"3.5s\" or \"10%\" or a "
                                       f"number of seconds, got {_show(item)}")
        match = TIME_OFFSET_RE.match(text) if len(text) <= 32 else None
        if match is None:
            raise _bad("time_offsets", f"time offset {i + 1} ({_show(item)}) is not valid; use seconds like "
                                       "\"3.5s\" or a percentage like \"10%\"")
        if match.group(2) == "%" and float(match.group(1)) > 100:
            raise _bad("time_offsets", f"time offset {i + 1} ({text}) is more than 100%")
        out.append(text)
    return tuple(out)


# --- output object paths ----------------------------------------------------------------------------

OBJECT_PATH_PLACEHOLDERS = ("inputName", "definition", "number", "format")
MAX_OBJECT_PATH = 200
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_PATH_CODE = "InvalidParameterValue.OutputObjectPath"


def _path_error(message: str) -> BadInputError:
    return BadInputError(message, code=_PATH_CODE)


def _check_path_text(text: str, what: str) -> None:
    for ch in text:
        if not (ch.isalnum() or ch in "_-./=") or not ch.isprintable():
            raise _path_error(f"{what} contains {ch!r}; use letters, digits, '_', '-', '.', '=' and '/'")
    if text.startswith("/"):
        raise _path_error(f"{what} must be relative to the output directory (no leading '/')")
    if text.endswith("/"):
        raise _path_error(f"{what} must name a file, not end with '/'")
    for segment in text.split("/"):
        if not segment:
            raise _path_error(f"{what} has an empty folder name ('//')")
        if segment.startswith("."):
            raise _path_error(f"{what} has a name starting with '.' ({segment!r})")


def validate_object_path(pattern: Any, *, require_number: bool = False) -> str:
    """An MPS OutputObjectPath pattern, checked: {inputName}, {definition}, {number} and {format} only.

    ``require_number`` is for outputs of several files (snapshots, HLS segments), which would
    overwrite each other without ``{number}``.
    """
    if not isinstance(pattern, str) or not pattern:
        raise _path_error(f"the output object path must be a non-empty string, got {_show(pattern)}")
    if len(pattern) > MAX_OBJECT_PATH:
        raise _path_error(f"the output object path has {len(pattern)} characters; the limit is {MAX_OBJECT_PATH}")
    if ".." in pattern:
        raise _path_error("the output object path must not contain '..'")
    used = _PLACEHOLDER_RE.findall(pattern)
    for name in used:
        if name not in OBJECT_PATH_PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in OBJECT_PATH_PLACEHOLDERS)
            raise _path_error(f"unknown placeholder {{{name}}} in the output object path; use {known}")
    literal = _PLACEHOLDER_RE.sub("x", pattern)
    if "{" in literal or "}" in literal:
        raise _path_error("the output object path has an unmatched '{' or '}'")
    _check_path_text(literal, "the output object path")
    if require_number and "number" not in used:
        raise _path_error("this output has several files, so its path needs {number} to tell them apart")
    return pattern


def render_object_path(pattern: str, *, input_name: str, definition: int, number: int | None, fmt: str) -> str:
    """The object path for one output file, from an MPS-style pattern."""
    validate_object_path(pattern)
    values = {"inputName": input_name, "definition": str(definition), "format": fmt,
              "number": None if number is None else str(number)}

    def fill(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        if value is None:
            raise _path_error("the output object path uses {number}, but this output is a single file")
        return value

    path = _PLACEHOLDER_RE.sub(fill, pattern)
    if len(path) > 1024 or any(seg == ".." for seg in path.split("/")):
        raise _path_error(f"the output object path renders to an unusable name: {_show(path)}")
    _check_path_text(path, "the rendered output object path")
    return path


# --- presets ----------------------------------------------------------------------------------------

def _mp4(definition: int, name: str, height: int, vkbps: int, akbps: int) -> Template:
    return Template(definition, "Transcode", name, TranscodeParams(
        container="mp4", height=height, video_bitrate_kbps=vkbps, fps=25, audio_bitrate_kbps=akbps))


def _hls(definition: int, name: str, height: int, vkbps: int, akbps: int) -> Template:
    return Template(definition, "Transcode", name, TranscodeParams(
        container="hls", height=height, video_bitrate_kbps=vkbps, fps=25, audio_bitrate_kbps=akbps))


# (level, mp4 id, hls id, short side, video kbps, audio kbps) per MPS-REFERENCE.md section 3.
_LADDER = [
    ("LD", 100010, 100210, 360, 400, 64),
    ("SD", 100020, 100220, 540, 1000, 64),
    ("HD", 100030, 100230, 720, 1800, 128),
    ("FHD", 100040, 100240, 1080, 2500, 128),
    ("2K", 100070, 100270, 1440, 3000, 160),
    ("4K", 100080, 100280, 2160, 6000, 160),
]

PRESETS: dict[tuple[str, int], Template] = {}
for _level, _mp4_id, _hls_id, _h, _v, _a in _LADDER:
    PRESETS[("Transcode", _mp4_id)] = _mp4(_mp4_id, f"MP4-H.264-{_level}-{_h}p", _h, _v, _a)
    PRESETS[("Transcode", _hls_id)] = _hls(_hls_id, f"HLS-H.264-{_level}-{_h}p", _h, _v, _a)

# Snapshot presets share definition 10 across kinds, as in MPS; the kind picks the family.
SNAPSHOT_PRESETS: dict[tuple[str, int], Template] = {
    ("time_offset", 10): Template(10, "Snapshot", "TimeOffset-JPG-source-size",
                                  SnapshotParams(kind="time_offset", time_offsets=("0s",))),
    ("sampled", 10): Template(10, "Snapshot", "Sampled-JPG-every-10-percent",
                              SnapshotParams(kind="sampled", sample_type="percent", interval=10)),
    ("sprite", 10): Template(10, "Snapshot", "Sprite-142x80-10x10-every-10s",
                             SnapshotParams(kind="sprite", width=142, height=80, sample_type="time",
                                            interval=10, rows=10, columns=10)),
}

SUBTASK_TYPES = ("Transcode", "Snapshot")


def resolve_template(subtask_type: str, definition: int, snapshot_kind: str = "sampled") -> Template:
    """The system template for a subtask spec, or BadInputError naming what is unknown."""
    if subtask_type == "Transcode":
        template = PRESETS.get(("Transcode", definition))
    elif subtask_type == "Snapshot":
        template = SNAPSHOT_PRESETS.get((snapshot_kind, definition))
    else:
        raise BadInputError(f"unknown subtask type {subtask_type!r}; expected one of {SUBTASK_TYPES}",
                            code="InvalidParameterValue.SubtaskType")
    if template is None:
        raise BadInputError(f"no {subtask_type} template with definition {definition}",
                            code="InvalidParameterValue.Definition")
    return template
