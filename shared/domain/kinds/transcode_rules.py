"""Transcode parameters, and what a custom transcode template may hold, checked field by field.

``validate_transcode_params`` turns the JSON object of a custom template into frozen parameters:
defaults filled in, every field and combination checked, each problem a ``BadInputError`` with code
``InvalidParameterValue.<Field>`` and a plain message. What the tables here cannot know, a dry run
with the real ffmpeg finds (``shared.media.ffmpeg.dryrun``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.domain.kinds.checks import as_bool, as_choice, as_int, as_number, bad, check_object, in_range


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


def audio_sample_rates(codec: str, container: str) -> tuple[int, ...]:
    """The output sample rates ``codec`` supports inside ``container``."""
    rates = CODEC_SAMPLE_RATES.get(codec, SAMPLE_RATES)
    if container == "flv" and codec == "mp3":
        rates = tuple(r for r in rates if r in FLV_MP3_SAMPLE_RATES)
    return rates


def _article(container: str) -> str:
    """ "an mp4", "a webm": the article as the name is read out."""
    return f"{'an' if container[:1] in 'aefhilmnorsx' and container not in ('mov', 'wav', 'flac') else 'a'} {container}"


# --- transcode ------------------------------------------------------------------------------------


def _fmt_kbps(value: int) -> str:
    return f"{value} kbps"


def validate_transcode_params(data: Mapping[str, Any] | None) -> TranscodeParams:
    """Frozen transcode parameters from a (partial) JSON object, or BadInputError naming the problem.

    Left-out fields take defaults that fit the container: a webm gets vp9/opus, an mp3 file mp3 audio,
    each video codec its own CRF; opus gets 48 kHz. Audio-only containers always remove the video, and
    lossless audio codecs ignore the audio bitrate (stored as 0).
    """
    data = check_object(data, TranscodeParams)
    base = TranscodeParams()
    container = as_choice("container", data.get("container", base.container), CONTAINERS)
    video_codec = as_choice(
        "video_codec", data.get("video_codec", DEFAULT_VIDEO_CODEC.get(container, "h264")), VIDEO_CODECS
    )
    audio_codec = as_choice(
        "audio_codec", data.get("audio_codec", DEFAULT_AUDIO_CODEC.get(container, "aac")), AUDIO_CODECS
    )
    ints = {
        name: as_int(name, data.get(name, getattr(base, name)))
        for name in ("width", "height", "video_bitrate_kbps", "fps", "audio_bitrate_kbps", "channels", "hls_time")
    }
    crf = as_int("crf", data.get("crf", DEFAULT_CRF[video_codec]))
    default_rate = 48000 if audio_codec == "opus" else base.sample_rate
    sample_rate = as_int("sample_rate", data.get("sample_rate", default_rate))
    gop_seconds = as_number("gop_seconds", data.get("gop_seconds", base.gop_seconds))
    bools = {
        name: as_bool(name, data.get(name, getattr(base, name)))
        for name in ("resolution_adaptive", "allow_upscale", "remove_audio", "remove_video")
    }
    preset = as_choice("encoder_preset", data.get("encoder_preset", base.encoder_preset), ENCODER_PRESETS)
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
        raise bad("container", f"container {p.container!r} is not supported; use one of {', '.join(CONTAINERS)}")
    audio_only = p.container in AUDIO_CONTAINERS
    if p.remove_audio and (p.remove_video or audio_only):
        why = f"{_article(p.container)} file holds only audio" if audio_only else "remove_video is also true"
        raise bad("remove_audio", f"remove_audio cannot be true here: {why}, so the output would be empty")
    if not (p.remove_video or audio_only):
        _check_video(p)
    if not p.remove_audio:
        _check_audio(p)
    if p.container == "hls":
        in_range("hls_time", p.hls_time, *HLS_TIME_RANGE)


def _check_video(p: TranscodeParams) -> None:
    if p.video_codec not in VIDEO_CODECS:
        raise bad(
            "video_codec", f"video_codec {p.video_codec!r} is not supported; use one of {', '.join(VIDEO_CODECS)}"
        )
    allowed = CONTAINER_VIDEO_CODECS[p.container]
    if p.video_codec not in allowed:
        raise bad(
            "video_codec",
            f"video_codec {p.video_codec} cannot go in {_article(p.container)} container; use {' or '.join(allowed)}",
        )
    for name in ("width", "height"):
        in_range(name, getattr(p, name), *VIDEO_SIZE_RANGE, zero="keep the aspect ratio")
    if p.resolution_adaptive and p.width and p.height and p.width < p.height:
        raise bad(
            "width",
            f"with resolution_adaptive on, width is the long side and height the short side; "
            f"width {p.width} is smaller than height {p.height}: swap them or turn "
            "resolution_adaptive off",
        )
    in_range("video_bitrate_kbps", p.video_bitrate_kbps, *VIDEO_BITRATE_RANGE, zero="constant quality (crf)")
    in_range("crf", p.crf, 0, CRF_MAX[p.video_codec])
    in_range("fps", p.fps, 1, MAX_FPS, zero="keep the source's")
    in_range("gop_seconds", p.gop_seconds, *GOP_RANGE, zero="the encoder's default")
    if p.encoder_preset not in ENCODER_PRESETS:
        raise bad(
            "encoder_preset",
            f"encoder_preset {p.encoder_preset!r} is not supported; use one of {', '.join(ENCODER_PRESETS)}",
        )


def _check_audio(p: TranscodeParams) -> None:
    codec = p.audio_codec
    if codec not in AUDIO_CODECS:
        raise bad("audio_codec", f"audio_codec {codec!r} is not supported; use one of {', '.join(AUDIO_CODECS)}")
    allowed = CONTAINER_AUDIO_CODECS[p.container]
    if codec not in allowed:
        raise bad(
            "audio_codec",
            f"audio_codec {codec} cannot go in {_article(p.container)} container; use {' or '.join(allowed)}",
        )
    in_range("audio_bitrate_kbps", p.audio_bitrate_kbps, *AUDIO_BITRATE_RANGE, zero="the encoder's default")
    if p.sample_rate and p.sample_rate not in SAMPLE_RATES:
        raise bad(
            "sample_rate",
            f"sample_rate must be 0 (the source's) or one of {', '.join(map(str, SAMPLE_RATES))}; got {p.sample_rate}",
        )
    rates = audio_sample_rates(codec, p.container)
    if p.sample_rate and p.sample_rate not in rates:
        where = " in an flv file" if p.container == "flv" and codec == "mp3" else ""
        usable = ", ".join(str(r) for r in rates if r in SAMPLE_RATES)
        raise bad(
            "sample_rate",
            f"sample_rate {p.sample_rate} is not supported by {codec}{where}; use 0 (the source's) or one of {usable}",
        )
    if p.channels and p.channels not in CHANNELS:
        raise bad("channels", f"channels must be 0 (the source's), 1, 2 or 6; got {p.channels}")
    if p.channels > CODEC_MAX_CHANNELS[codec]:
        raise bad("channels", f"{codec} holds at most {CODEC_MAX_CHANNELS[codec]} channels; got {p.channels}")
    if codec == "opus" and p.channels and p.audio_bitrate_kbps > OPUS_MAX_KBPS_PER_CHANNEL * p.channels:
        raise bad(
            "audio_bitrate_kbps",
            f"opus allows at most {OPUS_MAX_KBPS_PER_CHANNEL} kbps per channel: "
            f"{_fmt_kbps(p.audio_bitrate_kbps)} is too much for {p.channels} "
            "channel(s)",
        )
