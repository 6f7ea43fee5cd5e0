"""Template parameters and the system presets (MPS-REFERENCE.md section 3).

A subtask keeps a snapshot of its template's parameters (``to_dict``), so a later edit of a
template never changes what a queued or restarted subtask does. What a custom template may hold
is checked in ``template_rules``; its output names in ``object_paths``.
"""

from __future__ import annotations

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
        return {
            "definition": self.definition,
            "type": self.type,
            "name": self.name,
            "preset": self.preset,
            "params": params_to_dict(self.params),
        }


def params_to_dict(params: TranscodeParams | SnapshotParams) -> dict[str, Any]:
    data = asdict(params)
    if "time_offsets" in data:
        data["time_offsets"] = list(data["time_offsets"])
    return data


def params_from_dict(subtask_type: str, data: dict[str, Any]) -> TranscodeParams | SnapshotParams:
    cls: type[TranscodeParams] | type[SnapshotParams] = (
        TranscodeParams if subtask_type == "Transcode" else SnapshotParams
    )
    known = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in known}
    if "time_offsets" in values:
        values["time_offsets"] = tuple(values["time_offsets"])
    return cls(**values)


# --- presets ----------------------------------------------------------------------------------------


def _mp4(definition: int, name: str, height: int, vkbps: int, akbps: int) -> Template:
    return Template(
        definition,
        "Transcode",
        name,
        TranscodeParams(container="mp4", height=height, video_bitrate_kbps=vkbps, fps=25, audio_bitrate_kbps=akbps),
    )


def _hls(definition: int, name: str, height: int, vkbps: int, akbps: int) -> Template:
    return Template(
        definition,
        "Transcode",
        name,
        TranscodeParams(container="hls", height=height, video_bitrate_kbps=vkbps, fps=25, audio_bitrate_kbps=akbps),
    )


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
    ("time_offset", 10): Template(
        10, "Snapshot", "TimeOffset-JPG-source-size", SnapshotParams(kind="time_offset", time_offsets=("0s",))
    ),
    ("sampled", 10): Template(
        10,
        "Snapshot",
        "Sampled-JPG-every-10-percent",
        SnapshotParams(kind="sampled", sample_type="percent", interval=10),
    ),
    ("sprite", 10): Template(
        10,
        "Snapshot",
        "Sprite-142x80-10x10-every-10s",
        SnapshotParams(kind="sprite", width=142, height=80, sample_type="time", interval=10, rows=10, columns=10),
    ),
}

SUBTASK_TYPES = ("Transcode", "Snapshot")


def resolve_template(subtask_type: str, definition: int, snapshot_kind: str = "sampled") -> Template:
    """The system template for a subtask spec, or BadInputError naming what is unknown."""
    if subtask_type == "Transcode":
        template = PRESETS.get(("Transcode", definition))
    elif subtask_type == "Snapshot":
        template = SNAPSHOT_PRESETS.get((snapshot_kind, definition))
    else:
        raise BadInputError(
            f"unknown subtask type {subtask_type!r}; expected one of {SUBTASK_TYPES}",
            code="InvalidParameterValue.SubtaskType",
        )
    if template is None:
        raise BadInputError(
            f"no {subtask_type} template with definition {definition}", code="InvalidParameterValue.Definition"
        )
    return template
