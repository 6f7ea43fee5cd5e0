"""The analysis result in MPS's AiAnalysisResult shape (snake_case) and the compact summary kept on the
subtask (the description sentences are written in summary.py).
"""

from __future__ import annotations

from typing import Any

from shared.domain.kinds.analysis import AnalysisParams
from shared.media.ai.run import compact


def result_set(result: dict[str, Any], params: AnalysisParams) -> list[dict[str, Any]]:
    """The MPS-shaped AiAnalysisResult entries for what this template asked for."""

    def task(kind: str, key: str, output: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": kind,
            key: {
                "status": "SUCCESS",
                "err_code_ext": "",
                "err_code": 0,
                "message": "SUCCESS",
                "input": {},
                "output": output,
            },
        }

    out = []
    if params.cover:
        out.append(
            task(
                "Cover",
                "cover_task",
                {
                    "cover_set": [
                        {"cover_path": c["cover_file"], "confidence": c["confidence"]}
                        for c in result.get("cover_set") or []
                    ]
                },
            )
        )
    if params.tags:
        out.append(
            task(
                "Tag",
                "tag_task",
                {
                    "tag_set": [
                        {"tag": t["tag"], "confidence": t["confidence"], "special_info": t["special_info"]}
                        for t in result.get("tags") or []
                    ]
                },
            )
        )
    if params.highlights and "highlights" in result:
        out.append(
            task(
                "Highlight",
                "highlight_task",
                {
                    "highlight_set": [
                        {
                            "start_time_offset": h["start_time_offset"],
                            "end_time_offset": h["end_time_offset"],
                            "confidence": h["confidence"],
                        }
                        for h in result["highlights"]
                    ]
                },
            )
        )
    if params.scenes and "scenes" in result:
        out.append(
            task(
                "SegmentRecognition",
                "segment_task",
                {
                    "segment_set": [
                        {
                            "start_time_offset": s["start_time_offset"],
                            "end_time_offset": s["end_time_offset"],
                            "confidence": 100.0,
                        }
                        for s in result["scenes"]
                    ]
                },
            )
        )
    if params.summary:
        out.append(
            task(
                "Description",
                "description_task",
                {"description_set": [{"description": result.get("summary", ""), "confidence": 100.0}]},
            )
        )
    return out


def summary_of(result: dict[str, Any], result_name: str) -> dict[str, Any]:
    keep = (
        "type",
        "duration",
        "summary",
        "summary_zh",
        "cuts",
        "cover",
        "loudness",
        "highlights",
        "black_segments",
        "silence_segments",
        "engine",
        "files",
    )
    out = {k: result[k] for k in keep if k in result}
    if "scenes" in result:
        out["scene_count"] = len(result["scenes"])
    if "tags" in result:
        out["tags"] = [
            {"tag": t["tag"], "confidence": t["confidence"], "source": t["source"]} for t in result["tags"][:20]
        ]
    out["result_file"] = result_name
    return compact(out, max_items=50)
