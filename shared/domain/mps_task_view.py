"""DescribeTaskDetail's ``WorkflowTask`` (the same object a notification's ``WorkflowTaskEvent`` is),
as a pure function of a task and its subtasks.

A minimal, honest view that the notifications need: helper "mpstasks" owns the full view and
replaces this module at the merge (same name, same signature). Only fields the official SDK's
models know are emitted, so its ParseNotification model parses the event without a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.domain.model import Subtask, Task

_SNAPSHOT_TASKS = {
    "time_offset": "SnapshotByTimeOffsetTask",
    "sampled": "SampleSnapshotTask",
    "sprite": "ImageSpriteTask",
}
_SNAPSHOT_TYPES = {"time_offset": "SnapshotByTimeOffset", "sampled": "SampleSnapshot", "sprite": "ImageSprite"}


def _err_code(err_code: str | None) -> int:
    return 0 if not err_code else -1  # MPS's ErrCode is numeric; the openmps code is in ErrCodeExt


def _paths(sub: Subtask) -> list[str]:
    return ["/" + str(o["key"]).lstrip("/") for o in sub.outputs if o.get("key")]


def _storage(task: Task) -> dict[str, Any]:
    return {"Type": "COS", "CosOutputStorage": {"Bucket": task.output_bucket}}


def _outcome(sub: Subtask) -> dict[str, Any]:
    return {
        "Status": sub.status.value,
        "ErrCodeExt": sub.err_code or "",
        "ErrCode": _err_code(sub.err_code),
        "Message": sub.message or ("SUCCESS" if sub.status.value == "SUCCESS" else ""),
        "Input": {"Definition": int(sub.template.get("definition") or 0)},
    }


def _media_result(task: Task, sub: Subtask) -> dict[str, Any]:
    definition = int(sub.template.get("definition") or 0)
    paths = _paths(sub)
    if sub.type == "Snapshot":
        kind = str(sub.template.get("kind") or "sampled")
        output: dict[str, Any] = {"Definition": definition, "Storage": _storage(task)}
        if kind == "time_offset":
            output = {**output, "PicInfoSet": [{"Path": p} for p in paths]}
        else:
            output = {**output, "ImagePathSet": paths}
        key = _SNAPSHOT_TASKS.get(kind, "SampleSnapshotTask")
        return {"Type": _SNAPSHOT_TYPES.get(kind, "SampleSnapshot"), key: {**_outcome(sub), "Output": output}}
    # Transcode, and Enhancement (MPS runs enhancement as a transcode with an enhance config).
    output = {"Definition": definition, "OutputStorage": _storage(task), "Path": paths[0] if paths else ""}
    return {"Type": "Transcode", "TranscodeTask": {**_outcome(sub), "Output": output}}


def workflow_task(task: Task, subtasks: Sequence[Subtask]) -> dict[str, Any]:
    current = [s for s in subtasks if s.attempt == task.attempt]
    return {
        "TaskId": task.task_id,
        "Status": task.status.value,
        "ErrCode": _err_code(task.err_code),
        "Message": task.message or "",
        "InputInfo": {
            "Type": "COS",
            "CosInputInfo": {"Bucket": task.input_bucket, "Object": "/" + task.input_key.lstrip("/")},
        },
        "MediaProcessResultSet": [
            _media_result(task, s) for s in current if s.type in ("Transcode", "Snapshot", "Enhancement")
        ],
        "AiContentReviewResultSet": [
            {"Type": "Porn", "PornTask": _outcome(s)} for s in current if s.type == "ContentReview"
        ],
        "AiAnalysisResultSet": [
            {"Type": "Classification", "ClassificationTask": _outcome(s)}
            for s in current
            if s.type == "ContentAnalysis"
        ],
    }
