"""Review and analysis subtasks as MPS's AiContentReviewResult and AiAnalysisResult items.

A ContentReview subtask answers for several MPS review types at once (Porn on pictures, the OCR
keyword checks): each type it reviewed is one AiContentReviewResult, from the summary the worker
keeps on the subtask. A ContentAnalysis subtask gives a Tag, a Cover and a Description item. Before
the subtask has succeeded there is no per-type breakdown yet, so one item (Porn, or Tag) carries its
status.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from shared.domain import kinds
from shared.domain.model import Subtask
from shared.domain.status import SubtaskStatus

StatusFields = Callable[[Subtask], dict[str, Any]]
# The review types MPS's AiContentReviewResult has a task for; openmps's others (Ad.Ocr) show in the
# REST API and the console only.
MPS_REVIEW_TYPES = frozenset(
    {
        "Porn",
        "Terrorism",
        "Political",
        "Porn.Asr",
        "Porn.Ocr",
        "Political.Asr",
        "Political.Ocr",
        "Terrorism.Ocr",
        "Prohibited.Asr",
        "Prohibited.Ocr",
    }
)


def _result_set_of(sub: Subtask) -> str | None:
    kind = kinds.get(sub.type)
    family = kind.presets[0].params if kind.presets else None  # AI kinds have one family
    if kind.mps is None or family is None:
        return None
    name = kind.mps(family)
    return None if name.in_media_process_task else name.result_type


def _task_key(review_type: str) -> str:
    return review_type.replace(".", "") + "Task"  # "Terrorism.Ocr" -> "TerrorismOcrTask"


def _review_segment(review_type: str, seg: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "StartTimeOffset": float(seg.get("start_time_offset") or 0.0),
        "EndTimeOffset": float(seg.get("end_time_offset") or 0.0),
        "Confidence": float(seg.get("confidence") or 0.0),
        "Suggestion": seg.get("suggestion") or "pass",
    }
    if review_type.endswith(".Ocr"):
        item["KeywordSet"] = list(seg.get("keyword_set") or [])
    else:
        item["Label"] = seg.get("label") or ""
    return item


def ai_review_results(subs: list[Subtask], status_fields: StatusFields) -> list[dict[str, Any]]:
    items = []
    for sub in subs:
        if _result_set_of(sub) != "AiContentReviewResultSet":
            continue
        definition = int(sub.template.get("definition") or 0)
        summary = sub.result or {}
        tasks = summary.get("tasks") if sub.status == SubtaskStatus.SUCCESS else None
        interval = float(summary.get("sample_interval") or 0.0)
        common = {
            "SampleRate": round(1.0 / interval, 4) if interval > 0 else 0.0,
            "Duration": float(summary.get("duration") or 0.0),
        }
        if not tasks:
            body = {**status_fields(sub), "Input": {"Definition": definition}, "Output": None}
            items.append({"Type": "Porn", **common, "PornTask": body})
            continue
        for task in tasks:
            review_type = task["type"]
            if review_type not in MPS_REVIEW_TYPES:
                continue
            segments = [s for s in summary.get("segments") or [] if s.get("type") == review_type]
            output: dict[str, Any] = {
                "Confidence": float(task.get("confidence") or 0.0),
                "Suggestion": task.get("suggestion") or "pass",
                "SegmentSet": [_review_segment(review_type, s) for s in segments],
            }
            if not review_type.endswith(".Ocr"):
                output["Label"] = summary.get("label") or ""
            body = {**status_fields(sub), "Input": {"Definition": definition}, "Output": output}
            items.append({"Type": review_type, **common, _task_key(review_type): body})
    return items


def ai_analysis_results(subs: list[Subtask], status_fields: StatusFields) -> list[dict[str, Any]]:
    items = []
    for sub in subs:
        if _result_set_of(sub) != "AiAnalysisResultSet":
            continue
        definition = int(sub.template.get("definition") or 0)
        task_input = {"Definition": definition}
        summary = sub.result or {}
        if sub.status != SubtaskStatus.SUCCESS:
            items.append({"Type": "Tag", "TagTask": {**status_fields(sub), "Input": task_input, "Output": None}})
            continue
        tags = [
            {"Tag": t.get("tag") or "", "Confidence": float(t.get("confidence") or 0.0), "SpecialInfo": ""}
            for t in summary.get("tags") or []
        ]
        done = {**status_fields(sub), "Input": task_input}
        items.append({"Type": "Tag", "TagTask": {**done, "Output": {"TagSet": tags}}})
        cover = summary.get("cover")
        if cover:
            name = str(cover.get("cover_file"))
            key = next((o["key"] for o in sub.outputs if posixpath.basename(o["key"]) == name), "")
            cover_set = [{"CoverPath": "/" + key if key else "", "Confidence": float(cover.get("confidence") or 0.0)}]
            items.append({"Type": "Cover", "CoverTask": {**done, "Output": {"CoverSet": cover_set}}})
        if summary.get("summary"):
            description = [{"Description": str(summary["summary"]), "Confidence": 100.0}]
            description_task = {k: v for k, v in done.items() if k != "ErrCodeExt"}  # the SDK model has none
            items.append(
                {
                    "Type": "Description",
                    "DescriptionTask": {**description_task, "Output": {"DescriptionSet": description}},
                }
            )
    return items
