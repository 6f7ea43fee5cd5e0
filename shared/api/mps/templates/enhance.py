"""A transcode template's ``EnhanceConfig``, the MPS way of asking for enhancement, over our
Enhancement kind. The switches openmps does:

- VideoEnhance.FrameRate {Fps}: frame interpolation to Fps (motion compensated).
- VideoEnhance.SuperResolution {Type lq | hq, Size 2}: 2x upscaling with adaptive sharpening (one
  method for both types).
- VideoEnhance.Denoise {Type weak | strong}, ColorEnhance {Type weak | normal | strong},
  ImageQualityEnhance {Type weak | normal | strong} (as detail sharpening).
- AudioEnhance.Denoise; AudioEnhance.VolumeBalance {Type loudNorm: EBU R128 to -16 LUFS |
  gainControl: dynamic balance}.
Refused when switched on, naming them: Hdr, LowLightEnhance, ScratchRepair, ArtifactRepair,
DiffusionEnhance, DiffusionEnhanceV2, FrameRateWithDen, AiRestoration, EnhanceSceneType,
AudioEnhance.Separate, Beautify, AudioEnhanceEdit. The result is an H.264/AAC MP4: Container mp4,
VideoTemplate {Codec h264, Vcrf} and AudioTemplate {Codec aac, Bitrate} only.
"""

from __future__ import annotations

from typing import Any

from shared.api.mps.errors import MpsError
from shared.api.mps.templates.fields import Fields, on_off

_VIDEO_REFUSED = (
    "Hdr",
    "LowLightEnhance",
    "ScratchRepair",
    "ArtifactRepair",
    "DiffusionEnhance",
    "DiffusionEnhanceV2",
    "FrameRateWithDen",
    "AiRestoration",
)
_AUDIO_REFUSED = ("Separate", "Beautify", "AudioEnhanceEdit")
_NO_ENGINE = "openmps has no engine for it"
_ENCODING = "an enhanced result is an H.264/AAC MP4; only Vcrf (video) and Bitrate (audio) can be set"

CODES = {
    "FrameRate": ("InvalidParameterValue.Fps", "EnhanceConfig.VideoEnhance.FrameRate.Fps"),
    "Denoise": ("InvalidParameterValue.Type", "EnhanceConfig.VideoEnhance.Denoise.Type"),
    "Sharpen": ("InvalidParameterValue.Type", "EnhanceConfig.VideoEnhance.ImageQualityEnhance.Type"),
    "ColorEnhance": ("InvalidParameterValue.Type", "EnhanceConfig.VideoEnhance.ColorEnhance.Type"),
    "Switch": ("InvalidParameterValue.Switch", "EnhanceConfig"),
}


def _level(sub: Fields, levels: tuple[str, ...]) -> str:
    """A switched sub-config's level: "off", or its Type (weak by MPS's default)."""
    if not sub.switch():
        return "off"
    return sub.choice("Type", levels, "InvalidParameterValue.Type") or "weak"


def _video(video: Fields, out: dict[str, Any]) -> None:
    video.refuse_switched_on(_VIDEO_REFUSED, _NO_ENGINE)
    video.refuse(("EnhanceSceneType",), _NO_ENGINE)
    frame_rate = video.obj("FrameRate")
    if frame_rate is not None:
        fps = frame_rate.integer("Fps", "InvalidParameterValue.Fps") if frame_rate.switch() else 0
        out["frame_rate"] = fps or 0
    sr = video.obj("SuperResolution")
    if sr is not None:
        out["super_resolution"] = bool(sr.switch())
        sr.choice("Type", ("lq", "hq"), "InvalidParameterValue.Type")
        if sr.integer("Size", "InvalidParameterValue.Size") not in (None, 2):
            raise MpsError("InvalidParameterValue.Size", "bad_choice", name=sr.name_of("Size"), choices="2")
    for mps, ours, levels in (
        ("Denoise", "denoise", ("weak", "strong")),
        ("ColorEnhance", "color_enhance", ("weak", "normal", "strong")),
        ("ImageQualityEnhance", "sharpen", ("weak", "normal", "strong")),
    ):
        sub = video.obj(mps)
        if sub is not None:
            out[ours] = _level(sub, levels)


def _audio(audio: Fields, out: dict[str, Any]) -> None:
    audio.refuse_switched_on(_AUDIO_REFUSED, _NO_ENGINE)
    denoise = audio.obj("Denoise")
    if denoise is not None:
        out["audio_denoise"] = "normal" if denoise.switch() else "off"
    balance = audio.obj("VolumeBalance")
    if balance is not None:
        on = bool(balance.switch())
        kind = balance.choice("Type", ("loudNorm", "gainControl"), "InvalidParameterValue.Type") or "loudNorm"
        out["loudness_normalize"] = on and kind == "loudNorm"
        out["volume_balance"] = on and kind == "gainControl"


def _encoding(fields: Fields, out: dict[str, Any]) -> None:
    container = fields.text("Container", "InvalidParameterValue.Container")
    if container not in (None, "mp4"):
        raise MpsError(
            "InvalidParameterValue.Container", "unsupported_value", name="Container", value=container, detail=_ENCODING
        )
    for flag in ("RemoveVideo", "RemoveAudio"):
        if fields.flag(flag, f"InvalidParameterValue.{flag}"):
            raise MpsError(f"InvalidParameterValue.{flag}", "unsupported_value", name=flag, value=1, detail=_ENCODING)
    video = fields.obj("VideoTemplate")
    if video is not None:
        video.refuse([n for n in video.data if n not in ("Codec", "Vcrf")], _ENCODING)
        video.choice("Codec", ("h264", "libx264"), "InvalidParameterValue.VideoCodec")
        crf = video.integer("Vcrf", "InvalidParameterValue.Vcrf")
        if crf is not None:
            out["video_crf"] = crf
    audio = fields.obj("AudioTemplate")
    if audio is not None:
        audio.refuse([n for n in audio.data if n not in ("Codec", "Bitrate")], _ENCODING)
        audio.choice("Codec", ("aac", "libfdk_aac"), "InvalidParameterValue.AudioCodec")
        bitrate = audio.integer("Bitrate", "InvalidParameterValue.AudioBitrate")
        if bitrate is not None:
            out["audio_bitrate_kbps"] = bitrate


def to_params(fields: Fields, stored: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = dict(stored or {})
    _encoding(fields, out)
    config = fields.obj("EnhanceConfig")
    if config is not None:
        video, audio = config.obj("VideoEnhance"), config.obj("AudioEnhance")
        if video is not None:
            _video(video, out)
        if audio is not None:
            _audio(audio, out)
    return out


def _switch(on: bool, **more: Any) -> dict[str, Any]:
    return {"Switch": on_off(on), **more}


def _typed(level: str) -> dict[str, Any]:
    return _switch(level != "off", Type=level if level != "off" else "weak")


def to_item(view: dict[str, Any]) -> dict[str, Any]:
    """An Enhancement template as MPS shows a transcode template with an EnhanceConfig. Our switches
    MPS cannot name (deinterlace, stabilise, the loudness target) keep their effect unseen here."""
    balance_type = "gainControl" if view["volume_balance"] and not view["loudness_normalize"] else "loudNorm"
    return {
        "Container": "mp4",
        "RemoveVideo": 0,
        "RemoveAudio": 0,
        "VideoTemplate": {"Codec": "h264", "Vcrf": view["video_crf"]},
        "AudioTemplate": {"Codec": "aac", "Bitrate": view["audio_bitrate_kbps"]},
        "TEHDConfig": {"Type": "", "MaxVideoBitrate": 0},
        "ContainerType": "Video",
        "EnhanceConfig": {
            "VideoEnhance": {
                "FrameRate": _switch(bool(view["frame_rate"]), Fps=view["frame_rate"]),
                "SuperResolution": _switch(view["super_resolution"], Type="hq", Size=2),
                "Denoise": _typed(view["denoise"]),
                "ColorEnhance": _typed(view["color_enhance"]),
                "ImageQualityEnhance": _typed(view["sharpen"]),
            },
            "AudioEnhance": {
                "Denoise": _switch(view["audio_denoise"] != "off"),
                "VolumeBalance": _switch(view["volume_balance"] or view["loudness_normalize"], Type=balance_type),
            },
        },
        "AliasName": "",
    }
