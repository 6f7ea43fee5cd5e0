"""A workflow's MediaProcessTask, AiContentReviewTask and AiAnalysisTask as our subtask entries, and
back. Each task names a template by Definition (and may name its output with OutputObjectPath);
a transcode Definition of an Enhancement template becomes an Enhancement subtask, as MPS runs
enhancement as a transcode. Per-task overrides (watermarks, time offsets, clipping, own output
storage) are refused by name: a workflow's subtasks run their templates as they are.
"""

from __future__ import annotations

from typing import Any

from shared.api.mps.context import ActionContext
from shared.api.mps.templates.fields import Fields
from shared.domain.kinds import analysis, enhancement, review, snapshot, transcode
from shared.domain.workflow import SubtaskSpec
from shared.services.templates import CUSTOM_DEFINITION_BASE

_PER_TASK = "a workflow runs its templates as they are; put the settings in the template"
# MediaProcessTask list -> (our kind, variant or None)
MEDIA_SETS = {
    "TranscodeTaskSet": (transcode.NAME, None),
    "SnapshotByTimeOffsetTaskSet": (snapshot.NAME, "time_offset"),
    "SampleSnapshotTaskSet": (snapshot.NAME, "sampled"),
    "ImageSpriteTaskSet": (snapshot.NAME, "sprite"),
}
_OVERRIDES = (
    "RawParameter",
    "OverrideParameter",
    "WatermarkSet",
    "BlindWatermark",
    "MosaicSet",
    "StartTimeOffset",
    "EndTimeOffset",
    "OutputStorage",
    "SegmentObjectName",
    "ObjectNumberFormat",
    "HeadTailParameter",
    "ExtTimeOffsetSet",
    "TimeOffsetSet",
    "ExtInfo",
    "WebVttObjectName",
)
AI_TASKS = {"AiContentReviewTask": review.NAME, "AiAnalysisTask": analysis.NAME}


def _is_enhancement(ctx: ActionContext, definition: int) -> bool:
    if definition >= CUSTOM_DEFINITION_BASE:
        item = ctx.deps.templates.get(ctx.account, definition)
        return item is not None and item["type"] == enhancement.NAME
    return any(t.definition == definition for t in enhancement.KIND.presets)


def _entry(type_: str, task: Fields, variant: str | None) -> dict[str, Any]:
    task.refuse(_OVERRIDES, _PER_TASK)
    definition = task.integer("Definition", "InvalidParameterValue.Definition", required=True)
    entry: dict[str, Any] = {"type": type_, "definition": definition}
    if variant:
        entry["kind"] = variant
    path = task.text("OutputObjectPath", "InvalidParameterValue.OutputObjectPath")
    if path:
        entry["output_object_path"] = path
    return entry


def subtask_entries(ctx: ActionContext, fields: Fields) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    media = fields.obj("MediaProcessTask")
    if media is not None:
        media.refuse(("AnimatedGraphicTaskSet", "AdaptiveDynamicStreamingTaskSet"), "openmps has no engine for it")
        for name, (type_, variant) in MEDIA_SETS.items():
            items = media.data.get(name) or []
            if not isinstance(items, list):
                items = [items]  # Fields(...) below names the bad value
            for i, item in enumerate(items):
                task = Fields(item, f"MediaProcessTask.{name}.{i}")
                entry = _entry(type_, task, variant)
                if type_ == transcode.NAME and _is_enhancement(ctx, entry["definition"]):
                    entry["type"] = enhancement.NAME
                entries.append(entry)
    fields.refuse(("AiRecognitionTask",), "openmps has no recognition engine")
    for name, type_ in AI_TASKS.items():
        ai_task = fields.obj(name)
        if ai_task is not None:
            ai_task.refuse(("ExtendedParameter",), _PER_TASK)
            entries.append(_entry(type_, ai_task, None))
    return entries


def _task(spec: SubtaskSpec) -> dict[str, Any]:
    task: dict[str, Any] = {"Definition": spec.definition}
    if spec.output_object_path:
        task["OutputObjectPath"] = spec.output_object_path
    return task


def task_fields(specs: tuple[SubtaskSpec, ...]) -> dict[str, Any]:
    """The rule's subtasks as WorkflowInfo's MediaProcessTask and AI task fields."""
    media: dict[str, list[dict[str, Any]]] = {name: [] for name in MEDIA_SETS}
    out: dict[str, Any] = {}
    for spec in specs:
        if spec.type in (transcode.NAME, enhancement.NAME):
            media["TranscodeTaskSet"].append(_task(spec))
        elif spec.type == snapshot.NAME:
            name = next(n for n, (_t, v) in MEDIA_SETS.items() if v == (spec.kind or "sampled"))
            media[name].append(_task(spec))
        else:
            ai = next(n for n, t in AI_TASKS.items() if t == spec.type)
            out[ai] = {"Definition": spec.definition}
    return {"MediaProcessTask": media, **out}
