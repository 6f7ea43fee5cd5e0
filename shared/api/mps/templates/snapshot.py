"""SnapshotByTimeOffsetTemplate, SampleSnapshotTemplate and ImageSpriteTemplate over the three
variants of our Snapshot kind.

Width and Height are the picture's (0 = the source's; one 0 keeps the aspect ratio) and pictures
are stretched to them: FillType stretch only, ResolutionAdaptive close (open is accepted while both
sides are 0, where it makes no difference). Format jpg | png | webp; SampleType Percent | Time.
MPS gives a time-offset snapshot its offsets per task; a template made here holds ["0s"] (the first
frame), which is what a workflow (that has no offsets of its own) takes.
"""

from __future__ import annotations

from typing import Any

from shared.api.mps.errors import MpsError
from shared.api.mps.templates.family import KindKey, TemplateFamily
from shared.api.mps.templates.fields import Fields
from shared.domain.kinds import snapshot

SAMPLE_TYPES = {"Percent": "percent", "Time": "time"}
CODES = {
    "Width": ("InvalidParameterValue.Width", "Width"),
    "Height": ("InvalidParameterValue.Height", "Height"),
    "Format": ("InvalidParameterValue.Format", "Format"),
    "SampleType": ("InvalidParameterValue.SampleType", "SampleType"),
    "Interval": ("InvalidParameterValue.SampleInterval", "SampleInterval"),
    "Rows": ("InvalidParameterValue.RowCount", "RowCount"),
    "Columns": ("InvalidParameterValue.ColumnCount", "ColumnCount"),
}


def _picture(fields: Fields, out: dict[str, Any]) -> None:
    for mps, ours in (("Width", "width"), ("Height", "height")):
        value = fields.integer(mps, f"InvalidParameterValue.{mps}")
        if value is not None:
            out[ours] = value
    fmt = fields.text("Format", "InvalidParameterValue.Format")
    if fmt is not None:
        out["format"] = fmt
    fields.choice("FillType", ("stretch",), "InvalidParameterValue.FillType")
    adaptive = fields.choice("ResolutionAdaptive", ("open", "close"), "InvalidParameterValue.ResolutionAdaptive")
    if adaptive == "open" and (out.get("width") or out.get("height")):
        raise MpsError(
            "UnsupportedOperation",
            "unsupported_field",
            name="ResolutionAdaptive",
            detail="open: snapshot Width and Height are the picture's own; send close",
        )


def _sampling(fields: Fields, out: dict[str, Any], required: bool) -> None:
    sample_type = fields.choice(
        "SampleType", tuple(SAMPLE_TYPES), "InvalidParameterValue.SampleType", required=required
    )
    if sample_type is not None:
        out["sample_type"] = SAMPLE_TYPES[sample_type]
    interval = fields.integer("SampleInterval", "InvalidParameterValue.SampleInterval", required=required)
    if interval is not None:
        out["interval"] = interval


def _params_for(variant: str) -> Any:
    def to_params(fields: Fields, was: KindKey | None, stored: dict[str, Any] | None) -> tuple[KindKey, dict[str, Any]]:
        out: dict[str, Any] = dict(stored or {"kind": variant})
        _picture(fields, out)
        if variant != "time_offset":
            _sampling(fields, out, required=was is None)
        if variant == "sprite":
            for mps, ours in (("RowCount", "rows"), ("ColumnCount", "columns")):
                value = fields.integer(mps, f"InvalidParameterValue.{mps}", required=was is None)
                if value is not None:
                    out[ours] = value
        return (snapshot.NAME, variant), out

    return to_params


def _picture_item(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "Width": view["width"],
        "Height": view["height"],
        "ResolutionAdaptive": "close",
        "Format": view["format"],
        "FillType": "stretch",
    }


def _sampling_item(view: dict[str, Any]) -> dict[str, Any]:
    return {"SampleType": view["sample_type"].title(), "SampleInterval": view["interval"]}


def _family(noun: str, variant: str, to_item: Any) -> TemplateFamily:
    return TemplateFamily(
        noun=noun,
        set_name=f"{noun}Set",
        kinds=((snapshot.NAME, variant),),
        to_params=_params_for(variant),
        to_item=to_item,
        codes=CODES,
    )


TIME_OFFSET = _family("SnapshotByTimeOffsetTemplate", "time_offset", _picture_item)
SAMPLED = _family("SampleSnapshotTemplate", "sampled", lambda v: {**_picture_item(v), **_sampling_item(v)})
SPRITE = _family(
    "ImageSpriteTemplate",
    "sprite",
    lambda v: {**_picture_item(v), **_sampling_item(v), "RowCount": v["rows"], "ColumnCount": v["columns"]},
)
FAMILIES = (TIME_OFFSET, SAMPLED, SPRITE)
