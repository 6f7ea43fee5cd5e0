"""The Snapshot kind (截图): time-offset, sampled and sprite templates, which MPS runs as three task
sets (SnapshotByTimeOffsetTaskSet, SampleSnapshotTaskSet, ImageSpriteTaskSet)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.domain.errors import shown
from shared.domain.kinds.checks import as_choice, as_int, bad, check_object, dataclass_json, in_range, known_fields_of
from shared.domain.kinds.registry import MpsTaskName, SubtaskKind
from shared.domain.templates import Template

NAME = "Snapshot"


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


# --- what a custom template may hold -------------------------------------------------------------

SNAPSHOT_KINDS = ("time_offset", "sampled", "sprite")
SNAPSHOT_FORMATS = ("jpg", "png", "webp")
SAMPLE_TYPES = ("percent", "time")
SNAPSHOT_SIZE_RANGE = (16, 4096)
SAMPLE_INTERVAL_RANGE = {"percent": (1, 100), "time": (1, 3600)}
SPRITE_GRID_RANGE = (1, 20)
MAX_SPRITE_SIDE = 8192  # pixels of a whole sheet, either way
MAX_TIME_OFFSETS = 100
TIME_OFFSET_RE = re.compile(r"^(\d{1,9}(?:\.\d{1,6})?)\s*(s|%)?$")


def validate_snapshot_params(data: Mapping[str, Any] | None) -> SnapshotParams:
    """Frozen snapshot parameters (time-offset, sampled or sprite) from a (partial) JSON object."""
    data = check_object(data, SnapshotParams)
    base = SnapshotParams()
    kind = as_choice("kind", data.get("kind", base.kind), SNAPSHOT_KINDS)
    fmt = as_choice("format", data.get("format", base.format), SNAPSHOT_FORMATS)
    sample_type = as_choice("sample_type", data.get("sample_type", base.sample_type), SAMPLE_TYPES)
    ints = {
        name: as_int(name, data.get(name, getattr(base, name)))
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
        raise bad("kind", f"kind {p.kind!r} is not supported; use one of {', '.join(SNAPSHOT_KINDS)}")
    if p.format not in SNAPSHOT_FORMATS:
        raise bad("format", f"format {p.format!r} is not supported; use one of {', '.join(SNAPSHOT_FORMATS)}")
    for name in ("width", "height"):
        in_range(name, getattr(p, name), *SNAPSHOT_SIZE_RANGE, zero="keep the aspect ratio")
    if p.kind == "time_offset":
        if not p.time_offsets:
            raise bad("time_offsets", 'a time_offset template needs at least one time offset, like "3.5s" or "10%"')
        _time_offsets(list(p.time_offsets))
        return
    if p.sample_type not in SAMPLE_TYPES:
        raise bad("sample_type", f"sample_type {p.sample_type!r} is not supported; use percent or time")
    low, high = SAMPLE_INTERVAL_RANGE[p.sample_type]
    unit = "percent of the duration" if p.sample_type == "percent" else "seconds"
    if not low <= p.interval <= high:
        raise bad(
            "interval",
            f"with sample_type {p.sample_type}, interval ({unit}) must be between {low} and {high}, got {p.interval}",
        )
    if p.kind == "sprite":
        for name in ("rows", "columns"):
            in_range(name, getattr(p, name), *SPRITE_GRID_RANGE)
        for name, count, side in (("columns", p.columns, p.width), ("rows", p.rows, p.height)):
            if side and count * side > MAX_SPRITE_SIDE:
                what = "wide" if name == "columns" else "high"
                raise bad(
                    name,
                    f"a sprite sheet of {count} {name} of {side} px would be {count * side} px "
                    f"{what}; the limit is {MAX_SPRITE_SIDE} px: use fewer {name} or smaller images",
                )


def _time_offsets(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise bad("time_offsets", f'time_offsets must be a list like ["3.5s", "10%", 7], got {shown(value)}')
    if len(value) > MAX_TIME_OFFSETS:
        raise bad("time_offsets", f"at most {MAX_TIME_OFFSETS} time offsets are allowed, got {len(value)}")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, int | float) and not isinstance(item, bool):
            if not math.isfinite(item) or item < 0:
                raise bad(
                    "time_offsets", f"time offset {i + 1} ({shown(item)}) must be a number of seconds of 0 or more"
                )
            text = f"{item:.3f}".rstrip("0").rstrip(".") + "s"
        elif isinstance(item, str):
            text = item.strip()
        else:
            raise bad(
                "time_offsets",
                f'time offset {i + 1} must be a string like "3.5s" or "10%" or a number of seconds, got {shown(item)}',
            )
        match = TIME_OFFSET_RE.match(text) if len(text) <= 32 else None
        if match is None:
            raise bad(
                "time_offsets",
                f'time offset {i + 1} ({shown(item)}) is not valid; use seconds like "3.5s" or a percentage like "10%"',
            )
        if match.group(2) == "%" and float(match.group(1)) > 100:
            raise bad("time_offsets", f"time offset {i + 1} ({text}) is more than 100%")
        out.append(text)
    return tuple(out)


def from_json(data: Mapping[str, Any]) -> SnapshotParams:
    """A subtask's stored snapshot as parameters (fields a later version dropped are ignored)."""
    values = known_fields_of(SnapshotParams, data)
    if "time_offsets" in values:
        values["time_offsets"] = tuple(values["time_offsets"])
    return SnapshotParams(**values)


# Presets share definition 10 across kinds, as in MPS; the kind picks the family.
SNAPSHOT_PRESETS: dict[tuple[str, int], Template[Any]] = {
    ("time_offset", 10): Template(
        10, NAME, "TimeOffset-JPG-source-size", SnapshotParams(kind="time_offset", time_offsets=("0s",))
    ),
    ("sampled", 10): Template(
        10, NAME, "Sampled-JPG-every-10-percent", SnapshotParams(kind="sampled", sample_type="percent", interval=10)
    ),
    ("sprite", 10): Template(
        10,
        NAME,
        "Sprite-142x80-10x10-every-10s",
        SnapshotParams(kind="sprite", width=142, height=80, sample_type="time", interval=10, rows=10, columns=10),
    ),
}


def example_outputs(stem: str, params: SnapshotParams) -> list[str]:
    names = [f"{stem}_{{number}}.{params.format}"]
    if params.kind == "sprite":
        names.append(f"{stem}.vtt")
    return names


_MPS = {
    "time_offset": MpsTaskName(task="SnapshotByTimeOffsetTaskSet", result_type="SnapshotByTimeOffset"),
    "sampled": MpsTaskName(task="SampleSnapshotTaskSet", result_type="SampleSnapshot"),
    "sprite": MpsTaskName(task="ImageSpriteTaskSet", result_type="ImageSprites"),
}

KIND = SubtaskKind(
    name=NAME,
    function="snapshot",
    params_type=SnapshotParams,
    validate=validate_snapshot_params,
    from_json=from_json,
    to_json=dataclass_json,
    presets=tuple(SNAPSHOT_PRESETS.values()),
    stems={
        "sampled": "{name}_sampleSnapshot_{definition}",
        "time_offset": "{name}_snapshotByTimeOffset_{definition}",
        "sprite": "{name}_imageSprite_{definition}",
    },
    example_outputs=example_outputs,
    label_key="type.Snapshot",
    view_kind="images",
    variants=SNAPSHOT_KINDS,
    default_variant="sampled",
    numbered_outputs=True,
    # Sprite sheets are named in their WebVTT, so only time-offset and sampled pictures take a custom name.
    custom_output_path=lambda params: params.kind != "sprite",
    dry_run="shared.media.ffmpeg.dryrun:dry_run_snapshot",
    mps=lambda params: _MPS[params.kind],
    # A sprite decodes every frame (an fps filter), as a rendition does, so it joins the renditions' decode;
    # time-offset and sampled pictures seek and decode a GOP each (shared/media/ffmpeg/fused.py).
    fusion_key=lambda params: "full-decode" if params.kind == "sprite" else None,
)
