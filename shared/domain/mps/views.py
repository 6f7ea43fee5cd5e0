"""openmps records in the shapes the MPS SDK models name and type (models.py of 2019-06-12)."""

from __future__ import annotations

from typing import Any

from shared.domain import clock, kinds
from shared.domain.model import Subtask, Task

NOT_YET = "0000-00-00T00:00:00Z"  # MPS's "has not happened" time
TASK_TYPE = "WorkflowTask"


def mps_time(value: str | None) -> str:
    """MPS times are whole seconds, ``2019-07-16T06:21:27Z``."""
    if not value:
        return NOT_YET
    return clock.parse_iso(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def mps_name(sub: Subtask) -> kinds.MpsTaskName | None:
    """Where the subtask sits in MPS, from its kind and template family (a preset of that family
    stands in for the parameters: the name depends on the family only, and reading a task never
    re-validates what its subtasks stored)."""
    kind = kinds.get(sub.type)
    variant = (sub.template.get("kind") or kind.default_variant) if kind.variants else ""
    family = next((t.params for t in kind.presets if kind.variant_of(t.params) == variant), None)
    return None if kind.mps is None or family is None else kind.mps(family)


def mps_subtask_type(sub: Subtask) -> str:
    """The MPS name of a subtask's kind of work: the media result type (Transcode, SampleSnapshot,
    ImageSprites, ...; enhancement is a Transcode in MPS), or the AI task without "Task"
    (AiContentReview, AiAnalysis). A kind without MPS names keeps its own."""
    name = mps_name(sub)
    if name is None:
        return sub.type
    return name.result_type if name.in_media_process_task else name.task.removesuffix("Task")


def subtask_types(subtasks: list[Subtask]) -> list[str]:
    """The kinds of work a task holds, by their MPS names, in order, each once (MPS leaves the
    values undocumented)."""
    seen: list[str] = []
    for sub in subtasks:
        name = mps_subtask_type(sub)
        if name not in seen:
            seen.append(name)
    return seen


def task_simple_info(task: Task, subtasks: list[Subtask]) -> dict[str, Any]:
    return {
        "TaskId": task.task_id,
        "TaskType": TASK_TYPE,
        "CreateTime": mps_time(task.create_time),
        "BeginProcessTime": mps_time(task.begin_process_time),
        "FinishTime": mps_time(task.finish_time),
        "SubTaskTypes": subtask_types(subtasks),
    }
