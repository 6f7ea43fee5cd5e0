"""The Transcode kind (音视频转码): MPS's TranscodeTaskSet, with its H.264 MP4 and HLS presets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.domain.kinds.checks import dataclass_json, known_fields_of
from shared.domain.kinds.registry import MpsTaskName, SubtaskKind
from shared.domain.kinds.transcode_rules import TranscodeParams, validate_transcode_params
from shared.domain.templates import Template

NAME = "Transcode"


def _preset(definition: int, name: str, container: str, height: int, vkbps: int, akbps: int) -> Template[Any]:
    params = TranscodeParams(
        container=container, height=height, video_bitrate_kbps=vkbps, fps=25, audio_bitrate_kbps=akbps
    )
    return Template(definition, NAME, name, params)


# (level, mp4 id, hls id, short side, video kbps, audio kbps) per MPS-REFERENCE.md section 3.
_LADDER = [
    ("LD", 100010, 100210, 360, 400, 64),
    ("SD", 100020, 100220, 540, 1000, 64),
    ("HD", 100030, 100230, 720, 1800, 128),
    ("FHD", 100040, 100240, 1080, 2500, 128),
    ("2K", 100070, 100270, 1440, 3000, 160),
    ("4K", 100080, 100280, 2160, 6000, 160),
]

PRESETS: dict[tuple[str, int], Template[Any]] = {}
for _level, _mp4_id, _hls_id, _h, _v, _a in _LADDER:
    PRESETS[(NAME, _mp4_id)] = _preset(_mp4_id, f"MP4-H.264-{_level}-{_h}p", "mp4", _h, _v, _a)
    PRESETS[(NAME, _hls_id)] = _preset(_hls_id, f"HLS-H.264-{_level}-{_h}p", "hls", _h, _v, _a)


def from_json(data: Mapping[str, Any]) -> TranscodeParams:
    """A subtask's stored snapshot as parameters (fields a later version dropped are ignored)."""
    return TranscodeParams(**known_fields_of(TranscodeParams, data))


def example_outputs(stem: str, params: TranscodeParams) -> list[str]:
    if params.container == "hls":
        return [f"{stem}.m3u8", f"{stem}_{{number}}.ts"]
    return [f"{stem}.{params.container}"]


KIND = SubtaskKind(
    name=NAME,
    function="transcode",
    params_type=TranscodeParams,
    validate=validate_transcode_params,
    from_json=from_json,
    to_json=dataclass_json,
    presets=tuple(PRESETS.values()),
    stems={"": "{name}_transcode_{definition}"},
    example_outputs=example_outputs,
    label_key="type.Transcode",
    view_kind="video",
    # HLS segments are named after their playlist, so only single files take a custom name.
    custom_output_path=lambda params: params.container != "hls",
    dry_run="shared.media.ffmpeg.dryrun:dry_run_transcode",
    mps=lambda _params: MpsTaskName(task="TranscodeTaskSet", result_type="Transcode"),
    # Every rendition (MP4, HLS, audio-only) decodes the whole input the same way; one decode can feed
    # them all (measured: shared/media/ffmpeg/fused.py).
    fusion_key=lambda _params: "full-decode",
    fusion_leads=True,
)
