"""The review result in MPS's AiContentReviewResult shape (snake_case), its evidence pictures and the
compact summary kept on the subtask.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from shared.domain.kinds.review import ReviewParams
from shared.media.ai.review.rules import NOT_SUPPORTED, SUGGESTIONS, FrameFindings, Segment, merge_segments, task_key
from shared.media.ai.run import compact, image_meta
from shared.media.contract import OutputFile


def build_result(
    params: ReviewParams,
    findings: list[FrameFindings],
    interval: float,
    duration: float,
    scale: float,
    engine: dict[str, Any],
) -> dict[str, Any]:
    """The full review result (pure: evidence file names are filled in afterwards)."""
    thresholds: dict[str, tuple[int, int]] = {
        "Porn": (params.porn_image.review_confidence, params.porn_image.block_confidence)
    }
    for rule in params.ocr_rules:
        thresholds[f"{rule.category}.Ocr"] = (rule.review_confidence, rule.block_confidence)
    hits = [h for f in findings for h in f.hits]
    segments = merge_segments(hits, thresholds, interval, duration)
    tasks: list[tuple[str, dict[str, Any]]] = []
    if params.porn_image.switch:
        tasks.append(
            (
                "Porn",
                {
                    "switch": True,
                    "label_set": list(params.porn_image.labels),
                    "review_confidence": params.porn_image.review_confidence,
                    "block_confidence": params.porn_image.block_confidence,
                },
            )
        )
    for rule in params.ocr_rules:
        if rule.switch:
            tasks.append(
                (
                    f"{rule.category}.Ocr",
                    {
                        "switch": True,
                        "keyword_count": len(rule.keywords),
                        "review_confidence": rule.review_confidence,
                        "block_confidence": rule.block_confidence,
                    },
                )
            )
    result_set = []
    for task_type, task_input in tasks:
        mine = [s for s in segments if s.task == task_type]
        top = max(mine, key=lambda s: (SUGGESTIONS.index(s.suggestion), s.confidence), default=None)
        output: dict[str, Any] = {
            "confidence": top.confidence if top else 0.0,
            "suggestion": top.suggestion if top else "pass",
            "segment_set": [_segment_dict(s, scale) for s in mine],
        }
        if task_type == "Porn":
            output["label"] = top.label if top else ""
        result_set.append(
            {
                "type": task_type,
                task_key(task_type): {
                    "status": "SUCCESS",
                    "err_code_ext": "",
                    "err_code": 0,
                    "message": "SUCCESS",
                    "input": task_input,
                    "output": output,
                },
            }
        )
    top_segment = max(segments, key=lambda s: (SUGGESTIONS.index(s.suggestion), s.confidence), default=None)
    reviewed = sum(1 for f in findings if not f.reused)
    return {
        "type": "ContentReview",
        "suggestion": top_segment.suggestion if top_segment else "pass",
        "confidence": top_segment.confidence if top_segment else 0.0,
        "label": top_segment.label if top_segment else "",
        "top_segment_type": top_segment.task if top_segment else "",
        "duration": round(duration, 3),
        "sample_rate": round(1.0 / interval, 4) if interval > 0 else 0.0,  # frames per second reviewed
        "sample_interval": interval,
        "frames_sampled": len(findings),
        "frames_analysed": reviewed,
        "asr": "not_supported",
        "not_supported": [{"type": k, "reason": v} for k, v in NOT_SUPPORTED.items()],
        "engine": engine,
        "segments": [{"type": s.task, **_segment_dict(s, scale)} for s in segments],
        "result_set": result_set,
        "files": [],
    }


def _segment_dict(s: Segment, scale: float) -> dict[str, Any]:
    best = s.best
    out: dict[str, Any] = {
        "start_time_offset": s.start,
        "end_time_offset": s.end,
        "confidence": s.confidence,
        "suggestion": s.suggestion,
        "label": s.label,
        "frame_time_offset": best.time if best else None,
        "area_coord_set": [[round(v * scale) for v in box] for box in (best.boxes if best else ())],
        "pic_file": s.pic_file,
    }
    if s.task != "Porn":
        out["keyword_set"] = list(s.keywords)
        out["text"] = best.text if best else ""
    elif best and best.details:
        out["detections"] = list(best.details)
    return out


def evidence_files(
    result: dict[str, Any], findings: list[FrameFindings], limit: int, work: Path, stem: str, width: int, height: int
) -> list[OutputFile]:
    """Store the best frame of each segment (worst suggestion first, up to ``limit`` pictures)."""
    by_index = {f.frame.index: f.frame for f in findings}
    entries = [seg for seg in result["segments"]]
    for item in result["result_set"]:
        entries += next(v for k, v in item.items() if k != "type")["output"]["segment_set"]
    ranked = sorted(result["segments"], key=lambda s: (-SUGGESTIONS.index(s["suggestion"]), -s["confidence"]))
    names: dict[float, str] = {}
    files: list[OutputFile] = []
    for seg in ranked:
        t = seg["frame_time_offset"]
        if t in names or t is None:
            continue
        if len(names) >= limit:
            break
        frame = next((fr for fr in by_index.values() if fr.time == t), None)
        if frame is None:
            continue
        name = f"{stem}_evidence_{len(names)}.jpg"
        dest = work / name
        try:
            os.link(frame.path, dest)
        except OSError:
            shutil.copyfile(frame.path, dest)
        names[t] = name
        files.append(OutputFile(name, dest, image_meta(dest, width, height, t)))
    for seg in entries:
        seg["pic_file"] = names.get(seg["frame_time_offset"])
    result["files"] = [f.name for f in files]
    return files


def summary_of(result: dict[str, Any], result_name: str) -> dict[str, Any]:
    """The compact summary kept on the subtask; the full result is the ``result_file``."""
    tasks = []
    for item in result["result_set"]:
        body = next(v for k, v in item.items() if k != "type")
        out = body["output"]
        tasks.append(
            {
                "type": item["type"],
                "suggestion": out["suggestion"],
                "confidence": out["confidence"],
                "segment_count": len(out["segment_set"]),
            }
        )
    segments = [
        {
            k: s.get(k)
            for k in (
                "type",
                "start_time_offset",
                "end_time_offset",
                "confidence",
                "suggestion",
                "label",
                "keyword_set",
                "pic_file",
            )
            if k in s
        }
        for s in result["segments"]
    ]
    return compact(
        {
            "type": "ContentReview",
            "suggestion": result["suggestion"],
            "confidence": result["confidence"],
            "label": result["label"],
            "duration": result["duration"],
            "sample_interval": result["sample_interval"],
            "frames_sampled": result["frames_sampled"],
            "asr": result["asr"],
            "tasks": tasks,
            "segment_count": len(result["segments"]),
            "segments": segments,
            "files": result["files"],
            "result_file": result_name,
            "engine": result["engine"],
        },
        max_items=50,
    )
