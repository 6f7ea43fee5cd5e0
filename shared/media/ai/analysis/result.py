"""The analysis result in MPS's AiAnalysisResult shape (snake_case), its one-line description and the
compact summary kept on the subtask.
"""

from __future__ import annotations

from typing import Any

from shared.domain.kinds.analysis import AnalysisParams
from shared.media.ai.run import compact
from shared.media.ffmpeg.probe import MediaInfo


def describe(result: dict[str, Any], info: MediaInfo) -> str:
    """A few plain sentences about what was found."""
    parts = []
    kind = "video" if info.video is not None else "audio"
    size = f" {info.display_width}x{info.display_height}" if info.video is not None else ""
    audio = "" if info.video is None else (" with sound" if info.audio is not None else " without sound")
    parts.append(f"{info.duration:.1f} s{size} {kind}{audio}.")
    scenes = result.get("scenes")
    if scenes is not None:
        if len(scenes) <= 1:
            parts.append("One continuous shot.")
        else:
            cuts = ", ".join(f"{c:.1f} s" for c in result["cuts"][:5]) + (" ..." if len(result["cuts"]) > 5 else "")
            parts.append(f"{len(scenes)} scenes (cuts at {cuts}).")
    highlights = result.get("highlights")
    if highlights:
        h = highlights[0]
        parts.append(f"Most active part: {h['start_time_offset']:.1f}-{h['end_time_offset']:.1f} s.")
    black = result.get("black_segments")
    if black:
        parts.append(f"{len(black)} black segment(s), {sum(b['duration'] for b in black):.1f} s in all.")
    silence = result.get("silence_segments")
    if silence:
        parts.append(f"{len(silence)} silent stretch(es), {sum(s['duration'] for s in silence):.1f} s in all.")
    loud = result.get("loudness")
    if loud and loud.get("integrated") is not None:
        lra = f", range {loud['range']:.1f} LU" if loud.get("range") is not None else ""
        parts.append(f"Loudness {loud['integrated']:.1f} LUFS{lra}.")
    elif loud is not None and "loudness" in result and info.audio is not None:
        parts.append("The sound track is silent.")
    texts = result.get("ocr_text")
    if texts:
        shown = "; ".join(f'"{t["text"][:40]}"' for t in texts[:3])
        parts.append(f"On-screen text: {shown}{' ...' if len(texts) > 3 else ''}.")
    tags = [t["tag"] for t in result.get("tags") or [] if t["source"] == "ocr"][:5]
    if tags:
        parts.append(f"Text tags: {', '.join(tags)}.")
    cover = result.get("cover")
    if cover:
        parts.append(f"Cover taken at {cover['time_offset']:.1f} s.")
    return " ".join(parts)


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
