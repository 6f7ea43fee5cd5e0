"""The ContentAnalysis kind (内容理解): scenes, cover, tags, black frames, silence, loudness and
highlights, after MPS's AI analysis templates (MPS-REFERENCE.md section 2.7)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from shared.domain.errors import BadInputError
from shared.domain.kinds.checks import check_known, dataclass_json, float_between, int_between, json_object, switch
from shared.domain.kinds.registry import MpsTaskName, SubtaskKind
from shared.domain.templates import Template

NAME = "ContentAnalysis"


@dataclass(frozen=True)
class AnalysisParams:
    scenes: bool = True
    scene_threshold: float = 0.3  # 0.05-0.95: lower finds more cuts
    min_scene_duration: float = 0.5  # seconds
    cover: bool = True
    cover_count: int = 1  # candidates ranked; the best one is stored as a picture
    tags: bool = True  # from on-screen text (OCR) and the file's metadata
    max_tags: int = 20
    ocr_interval: float = 2.0  # seconds between frames read for text and cover candidates
    max_ocr_frames: int = 120
    black: bool = True
    black_min_duration: float = 0.5
    black_luma_threshold: float = 0.1  # share of full scale below which a pixel is black
    silence: bool = True
    silence_threshold_db: float = -50.0
    silence_min_duration: float = 1.0
    loudness: bool = True
    highlights: bool = True
    highlight_count: int = 3
    highlight_duration: float = 5.0
    summary: bool = True


_ANALYSIS_RANGES: dict[str, tuple[float, float]] = {
    "scene_threshold": (0.05, 0.95),
    "min_scene_duration": (0.0, 60.0),
    "ocr_interval": (0.2, 60.0),
    "black_min_duration": (0.1, 60.0),
    "black_luma_threshold": (0.0, 0.5),
    "silence_threshold_db": (-90.0, -10.0),
    "silence_min_duration": (0.1, 60.0),
    "highlight_duration": (1.0, 60.0),
}
_ANALYSIS_INT_RANGES: dict[str, tuple[int, int]] = {
    "cover_count": (1, 5),
    "max_tags": (1, 100),
    "max_ocr_frames": (1, 1000),
    "highlight_count": (1, 20),
}


def validate_analysis_params(data: Mapping[str, Any] | None) -> AnalysisParams:
    data = json_object("params", data if data is not None else {})
    check_known("", data, {f.name for f in fields(AnalysisParams)})
    base = AnalysisParams()
    values: dict[str, Any] = {}
    for f in fields(AnalysisParams):
        value = data.get(f.name, getattr(base, f.name))
        if f.name in _ANALYSIS_RANGES:
            values[f.name] = float_between(f.name, value, *_ANALYSIS_RANGES[f.name])
        elif f.name in _ANALYSIS_INT_RANGES:
            values[f.name] = int_between(f.name, value, *_ANALYSIS_INT_RANGES[f.name])
        else:
            values[f.name] = switch(f.name, value)
    params = AnalysisParams(**values)
    if not any(
        (params.scenes, params.cover, params.tags, params.black, params.silence, params.loudness, params.highlights)
    ):
        raise BadInputError(
            "an analysis template must switch on at least one analysis", code="InvalidParameterValue.Switch"
        )
    return params


PRESETS: dict[tuple[str, int], Template[AnalysisParams]] = {
    (NAME, 10): Template(10, NAME, "Analysis-All", AnalysisParams()),
    (NAME, 20): Template(
        20,
        "ContentAnalysis",
        "Analysis-Scenes-And-Cover",
        AnalysisParams(tags=False, black=False, silence=False, loudness=False, highlights=False),
    ),
    (NAME, 30): Template(
        30,
        "ContentAnalysis",
        "Analysis-Audio",
        AnalysisParams(scenes=False, cover=False, tags=False, black=False, highlights=False),
    ),
}

KIND = SubtaskKind(
    name=NAME,
    function="analysis",
    params_type=AnalysisParams,
    validate=validate_analysis_params,
    from_json=validate_analysis_params,
    to_json=dataclass_json,
    presets=tuple(PRESETS.values()),
    stems={"": "{name}_contentAnalysis_{definition}"},
    example_outputs=lambda stem, _params: [f"{stem}_result.json"],
    label_key="type.ContentAnalysis",
    view_kind="result",
    downloadable=False,
    mps=lambda _params: MpsTaskName(
        task="AiAnalysisTask", result_type="AiAnalysisResultSet", in_media_process_task=False
    ),
)
