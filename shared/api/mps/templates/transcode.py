"""TranscodeTemplate: MPS's transcode templates over our Transcode kind, and, when the template
carries an ``EnhanceConfig``, over our Enhancement kind (MPS runs enhancement as a transcode).

What a field means here (MPS-REFERENCE.md 2.5; the SDK's models win):
- Container: mp4, hls, flv, mkv, webm, mov, mp3, m4a, flac, ogg, wav (ts and mxf refused).
- VideoTemplate: Codec h264 | h265 | vp9 | av1 (libx264 / libx265 read as h264 / h265), Fps, Bitrate
  (kbps, 0 = constant quality), ResolutionAdaptive open | close, Width, Height, Gop with GopUnit
  second (frame needs a fixed Fps), Vcrf, HlsTime, FillType stretch (what openmps does).
- AudioTemplate: Codec aac | mp3 | opus | vorbis | flac | pcm16 | pcm24 (libfdk_aac, libmp3lame read
  as aac, mp3), Bitrate, SampleRate, AudioChannel 0 | 1 | 2 | 6.
Everything else that carries a value is refused by name (UnsupportedOperation).
"""

from __future__ import annotations

from typing import Any

from shared.api.mps.errors import MpsError
from shared.api.mps.templates import enhance
from shared.api.mps.templates.family import KindKey, TemplateFamily
from shared.api.mps.templates.fields import Fields
from shared.domain.kinds import enhancement, transcode
from shared.domain.kinds.transcode_rules import AUDIO_CODECS, AUDIO_CONTAINERS, CONTAINERS, VIDEO_CODECS

TRANSCODE: KindKey = (transcode.NAME, "")
ENHANCE: KindKey = (enhancement.NAME, "")
VIDEO_ALIASES = {"libx264": "h264", "libx265": "h265"}
AUDIO_ALIASES = {"libfdk_aac": "aac", "libmp3lame": "mp3"}
_VIDEO_UNSUPPORTED = (
    "FpsDenominator",
    "Stereo3dType",
    "VideoProfile",
    "VideoLevel",
    "Bframes",
    "Mode",
    "Sar",
    "NoScenecut",
    "BitDepth",
    "RawPts",
    "Compress",
    "SegmentSpecificInfo",
    "ScenarioBased",
    "SceneType",
    "CompressType",
    "ContentAdaptStream",
)
_AUDIO_UNSUPPORTED = ("TrackChannelInfo", "AudioLanguage", "AudioName", "DefaultTrack", "StreamSelects")

CODES = {
    "Container": ("InvalidParameterValue.Container", "Container"),
    "VideoCodec": ("InvalidParameterValue.VideoCodec", "VideoTemplate.Codec"),
    "Width": ("InvalidParameterValue.Width", "VideoTemplate.Width"),
    "Height": ("InvalidParameterValue.Height", "VideoTemplate.Height"),
    "ResolutionAdaptive": ("InvalidParameterValue.ResolutionAdaptive", "VideoTemplate.ResolutionAdaptive"),
    "VideoBitrateKbps": ("InvalidParameterValue.VideoBitrate", "VideoTemplate.Bitrate"),
    "Crf": ("InvalidParameterValue.Vcrf", "VideoTemplate.Vcrf"),
    "VideoCrf": ("InvalidParameterValue.Vcrf", "VideoTemplate.Vcrf"),
    "Fps": ("InvalidParameterValue.Fps", "VideoTemplate.Fps"),
    "GopSeconds": ("InvalidParameterValue.Gop", "VideoTemplate.Gop"),
    "HlsTime": ("InvalidParameterValue.HlsTime", "VideoTemplate.HlsTime"),
    "AudioCodec": ("InvalidParameterValue.AudioCodec", "AudioTemplate.Codec"),
    "AudioBitrateKbps": ("InvalidParameterValue.AudioBitrate", "AudioTemplate.Bitrate"),
    "SampleRate": ("InvalidParameterValue.AudioSampleRate", "AudioTemplate.SampleRate"),
    "Channels": ("InvalidParameterValue.AudioChannel", "AudioTemplate.AudioChannel"),
    "RemoveAudio": ("InvalidParameterValue.RemoveAudio", "RemoveAudio"),
    "RemoveVideo": ("InvalidParameterValue.RemoveVideo", "RemoveVideo"),
    **enhance.CODES,
}


def _codec(value: str | None, aliases: dict[str, str], known: tuple[str, ...], code: str, name: str) -> str | None:
    if value is None:
        return None
    codec = aliases.get(value, value)
    if codec not in known:
        raise MpsError(code, "bad_choice", name=name, choices=", ".join(known))
    return codec


def _video(video: Fields, out: dict[str, Any]) -> None:
    video.refuse(_VIDEO_UNSUPPORTED, "openmps encodes with the codec's defaults for it")
    codec = _codec(
        video.text("Codec", "InvalidParameterValue.VideoCodec"),
        VIDEO_ALIASES,
        VIDEO_CODECS,
        "InvalidParameterValue.VideoCodec",
        video.name_of("Codec"),
    )
    if codec is not None:
        out["video_codec"] = codec
    for mps, ours, code in (
        ("Fps", "fps", "Fps"),
        ("Bitrate", "video_bitrate_kbps", "VideoBitrate"),
        ("Width", "width", "Width"),
        ("Height", "height", "Height"),
        ("Vcrf", "crf", "Vcrf"),
        ("HlsTime", "hls_time", "HlsTime"),
    ):
        value = video.integer(mps, f"InvalidParameterValue.{code}")
        if value is not None:
            out[ours] = value
    adaptive = video.choice("ResolutionAdaptive", ("open", "close"), "InvalidParameterValue.ResolutionAdaptive")
    if adaptive is not None:
        out["resolution_adaptive"] = adaptive == "open"
    video.choice("FillType", ("stretch",), "InvalidParameterValue.FillType")
    if video.integer("SegmentType", "InvalidParameterValue.SegmentType") not in (None, 0):
        raise MpsError(
            "UnsupportedOperation", "unsupported_field", name=video.name_of("SegmentType"), detail="HLS is TS"
        )
    _gop(video, out)


def _gop(video: Fields, out: dict[str, Any]) -> None:
    gop = video.integer("Gop", "InvalidParameterValue.Gop")
    unit = video.choice("GopUnit", ("frame", "second"), "InvalidParameterValue.Gop") or "frame"
    if gop is None or gop == 0:
        if gop == 0:
            out["gop_seconds"] = 0
        return
    if unit == "second":
        out["gop_seconds"] = gop
    elif out.get("fps"):
        out["gop_seconds"] = round(gop / out["fps"], 3)
    else:
        raise MpsError(
            "UnsupportedOperation",
            "unsupported_field",
            name=video.name_of("Gop"),
            detail="a GOP in frames needs a fixed Fps; give Fps, or GopUnit second",
        )


def _audio(audio: Fields, out: dict[str, Any]) -> None:
    audio.refuse(_AUDIO_UNSUPPORTED, "openmps writes one audio track")
    codec = _codec(
        audio.text("Codec", "InvalidParameterValue.AudioCodec"),
        AUDIO_ALIASES,
        AUDIO_CODECS,
        "InvalidParameterValue.AudioCodec",
        audio.name_of("Codec"),
    )
    if codec is not None:
        out["audio_codec"] = codec
    for mps, ours, code in (
        ("Bitrate", "audio_bitrate_kbps", "AudioBitrate"),
        ("SampleRate", "sample_rate", "AudioSampleRate"),
        ("AudioChannel", "channels", "AudioChannel"),
    ):
        value = audio.integer(mps, f"InvalidParameterValue.{code}")
        if value is not None:
            out[ours] = value


def to_params(fields: Fields, was: KindKey | None, stored: dict[str, Any] | None) -> tuple[KindKey, dict[str, Any]]:
    fields.refuse(("StdExtInfo",), "openmps has no extended parameters")
    tehd = fields.obj("TEHDConfig")
    if tehd is not None:
        tehd.refuse(("Type", "MaxVideoBitrate"), "openmps has no TEHD (极速高清) engine")
    if fields.has("EnhanceConfig") or was == ENHANCE:
        return ENHANCE, enhance.to_params(fields, stored if was == ENHANCE else None)
    container = fields.text("Container", "InvalidParameterValue.Container", required=was is None)
    out: dict[str, Any] = dict(stored or {})
    if container is not None:
        if container not in CONTAINERS:
            raise MpsError(
                "InvalidParameterValue.Container", "bad_choice", name="Container", choices=", ".join(CONTAINERS)
            )
        out["container"] = container
    for mps, ours in (("RemoveVideo", "remove_video"), ("RemoveAudio", "remove_audio")):
        flag = fields.flag(mps, f"InvalidParameterValue.{mps}")
        if flag is not None:
            out[ours] = flag
    video, audio = fields.obj("VideoTemplate"), fields.obj("AudioTemplate")
    if video is not None:
        _video(video, out)
    if audio is not None:
        _audio(audio, out)
    return TRANSCODE, out


def _gop_of(view: dict[str, Any]) -> dict[str, Any]:
    seconds = float(view.get("gop_seconds") or 0)
    if seconds == int(seconds):
        return {"Gop": int(seconds), "GopUnit": "second"}
    return (
        {"Gop": round(seconds * view["fps"]), "GopUnit": "frame"}
        if view.get("fps")
        else {"Gop": 0, "GopUnit": "second"}
    )


def to_item(view: dict[str, Any]) -> dict[str, Any]:
    if view["type"] == enhancement.NAME:
        return enhance.to_item(view)
    audio_only = view["container"] in AUDIO_CONTAINERS
    return {
        "Container": view["container"],
        "RemoveVideo": int(bool(view["remove_video"])),
        "RemoveAudio": int(bool(view["remove_audio"])),
        "VideoTemplate": {
            "Codec": view["video_codec"],
            "Fps": view["fps"],
            "Bitrate": view["video_bitrate_kbps"],
            "ResolutionAdaptive": "open" if view["resolution_adaptive"] else "close",
            "Width": view["width"],
            "Height": view["height"],
            **_gop_of(view),
            "FillType": "stretch",
            "Vcrf": view["crf"],
            "HlsTime": view["hls_time"],
        },
        "AudioTemplate": {
            "Codec": view["audio_codec"],
            "Bitrate": view["audio_bitrate_kbps"],
            "SampleRate": view["sample_rate"],
            "AudioChannel": view["channels"],
        },
        "TEHDConfig": {"Type": "", "MaxVideoBitrate": 0},
        "ContainerType": "PureAudio" if audio_only else "Video",
        "AliasName": "",
    }


def describe_filter(fields: Fields) -> Any:
    container_type = fields.choice("ContainerType", ("Video", "PureAudio"), "InvalidParameterValue.ContainerType")
    transcode_type = fields.choice("TranscodeType", ("Common", "Enhance"), "InvalidParameterValue.TranscodeType")
    tehd = fields.choice("TEHDType", ("Common",), "InvalidParameterValue.TEHDType")
    fields.refuse(
        ("SceneType", "CompressType", "EnhanceSceneType", "EnhanceTranscodeType", "EnhanceType"), "no such templates"
    )
    wanted_type = {"Common": transcode.NAME, "Enhance": enhancement.NAME}.get(transcode_type or "")
    if tehd:
        wanted_type = transcode.NAME

    def keep(view: dict[str, Any]) -> bool:
        if wanted_type and view["type"] != wanted_type:
            return False
        if container_type:
            audio_only = view["type"] == transcode.NAME and view["container"] in AUDIO_CONTAINERS
            return container_type == ("PureAudio" if audio_only else "Video")
        return True

    return keep


FAMILY = TemplateFamily(
    noun="TranscodeTemplate",
    set_name="TranscodeTemplateSet",
    kinds=(TRANSCODE, ENHANCE),
    to_params=to_params,
    to_item=to_item,
    codes=CODES,
    definition_as_text=True,
    describe_filter=describe_filter,
)
