"""A task as MPS's WorkflowTask (DescribeTaskDetail; the notifications' event body), a pure function
of the task and its subtasks. Field names and JSON types are the SDK's models (2019-06-12): ints
stay ints (Definition, Size, Bitrate, Width, Height, Rotate, Fps, ErrCode, Progress), durations and
time offsets are floats in seconds, paths are object keys with a leading ``/``.

Per MPS, a subtask's Status is PROCESSING, SUCCESS or FAIL; openmps also shows WAITING for one
still queued (the values are plain strings to the SDK). Output is null until the subtask succeeds.
"""

from __future__ import annotations

from typing import Any

from shared.domain import kinds
from shared.domain.model import Subtask, Task
from shared.domain.mps.ai_results import ai_analysis_results, ai_review_results
from shared.domain.mps.views import TASK_TYPE, mps_name, mps_time
from shared.domain.status import SubtaskStatus, TaskStatus

# MPS's deprecated integer ErrCode beside ErrCodeExt: 0 ok, 40000 bad input, 70000 internal.
INPUT_ERROR, INTERNAL_ERROR = 40000, 70000


def err_code_int(sub: Subtask) -> int:
    if sub.status != SubtaskStatus.FAIL:
        return 0
    return INPUT_ERROR if (sub.err_code or "").startswith(("InvalidMedia", "InvalidInput")) else INTERNAL_ERROR


def status_fields(sub: Subtask) -> dict[str, Any]:
    ok = sub.status == SubtaskStatus.SUCCESS
    return {
        "Status": sub.status.value,
        "ErrCodeExt": "" if sub.status != SubtaskStatus.FAIL else (sub.err_code or ""),
        "ErrCode": err_code_int(sub),
        "Message": "SUCCESS" if ok else (sub.message or ""),
    }


def storage(bucket: str, region: str) -> dict[str, Any]:
    return {"Type": "COS", "CosOutputStorage": {"Bucket": bucket, "Region": region}}


def input_info(task: Task, region: str) -> dict[str, Any]:
    if task.input_url:
        return {"Type": "URL", "UrlInputInfo": {"Url": task.input_url}}
    return {
        "Type": "COS",
        "CosInputInfo": {"Bucket": task.input_bucket, "Region": region, "Object": "/" + task.input_key},
    }


def _video_stream(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "Bitrate": int(m.get("bitrate") or 0),
        "Height": int(m.get("height") or 0),
        "Width": int(m.get("width") or 0),
        "Codec": m.get("codec") or "",
        "Fps": round(float(m.get("fps") or 0)),
    }


def _audio_stream(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "Bitrate": int(m.get("bitrate") or 0),
        "SamplingRate": int(m.get("sample_rate") or 0),
        "Codec": m.get("codec") or "",
        "Channel": int(m.get("channels") or 0),
    }


def meta_data(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    if not metadata:
        return None
    video, audio = metadata.get("video"), metadata.get("audio")
    out: dict[str, Any] = {
        "Size": int(metadata.get("size") or 0),
        "Container": metadata.get("container") or "",
        "Bitrate": int(metadata.get("bitrate") or 0),
        "Height": int(metadata.get("height") or 0),
        "Width": int(metadata.get("width") or 0),
        "Duration": float(metadata.get("duration") or 0.0),
        "Rotate": int(metadata.get("rotate") or 0),
        "VideoStreamSet": [_video_stream(video)] if video else [],
        "AudioStreamSet": [_audio_stream(audio)] if audio else [],
    }
    if video and video.get("duration"):
        out["VideoDuration"] = float(video["duration"])
    if audio and audio.get("duration"):
        out["AudioDuration"] = float(audio["duration"])
    return out


def _path(output: dict[str, Any]) -> str:
    return "/" + output["key"]


def _media_files(sub: Subtask) -> list[dict[str, Any]]:
    return [o for o in sub.outputs if not o["key"].endswith((".json", ".ts", ".vtt"))]


def transcode_item(sub: Subtask, definition: int, region: str) -> dict[str, Any] | None:
    files = _media_files(sub)
    if sub.status != SubtaskStatus.SUCCESS or not files:
        return None
    main = files[0]
    video = {
        "codec": main.get("video_codec"),
        "width": main.get("width"),
        "height": main.get("height"),
        "fps": main.get("fps"),
    }
    audio = {"codec": main.get("audio_codec"), "sample_rate": main.get("sample_rate"), "channels": main.get("channels")}
    return {
        "OutputStorage": storage(main["bucket"], region),
        "Path": _path(main),
        "Definition": definition,
        "Bitrate": int(main.get("bitrate") or 0),
        "Height": int(main.get("height") or 0),
        "Width": int(main.get("width") or 0),
        "Size": int(main.get("size") or 0),
        "Duration": float(main.get("duration") or 0.0),
        "Container": main.get("container") or "",
        "Md5": main.get("md5") or "",
        "VideoStreamSet": [_video_stream(video)] if video["codec"] else [],
        "AudioStreamSet": [_audio_stream(audio)] if audio["codec"] else [],
    }


def _images(sub: Subtask) -> list[dict[str, Any]]:
    return [o for o in sub.outputs if not o["key"].endswith((".json", ".vtt"))]


def snapshot_item(sub: Subtask, variant: str, definition: int, region: str, params: Any) -> dict[str, Any] | None:
    if sub.status != SubtaskStatus.SUCCESS:
        return None
    images, bucket = _images(sub), sub.outputs[0]["bucket"] if sub.outputs else ""
    if variant == "time_offset":
        pics = [{"TimeOffset": float(o.get("time_offset") or 0.0), "Path": _path(o)} for o in images]
        return {"Definition": definition, "PicInfoSet": pics, "Storage": storage(bucket, region)}
    paths = [_path(o) for o in images]
    if variant == "sprite":
        vtt = next((o for o in sub.outputs if o["key"].endswith(".vtt")), None)
        return {
            "Definition": definition,
            "Height": int(getattr(params, "height", 0) or 0),
            "Width": int(getattr(params, "width", 0) or 0),
            "TotalCount": int(getattr(params, "rows", 0)) * int(getattr(params, "columns", 0)),
            "ImagePathSet": paths,
            "WebVttPath": _path(vtt) if vtt else "",
            "Storage": storage(bucket, region),
        }
    return {
        "Definition": definition,
        "SampleType": "Time" if getattr(params, "sample_type", "") == "time" else "Percent",
        "Interval": int(getattr(params, "interval", 0) or 0),
        "Storage": storage(bucket, region),
        "ImagePathSet": paths,
    }


def _task_input(sub: Subtask, definition: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"Definition": definition}
    if sub.template.get("output_object_path"):
        entry["OutputObjectPath"] = sub.template["output_object_path"]
    return entry


def media_process_result(sub: Subtask, region: str) -> dict[str, Any] | None:
    name = mps_name(sub)
    if name is None or not name.in_media_process_task:
        return None
    kind = kinds.get(sub.type)
    params = kind.from_json(sub.template.get("params") or {})
    definition = int(sub.template.get("definition") or 0)
    body = {**status_fields(sub), "Input": _task_input(sub, definition)}
    result_key = {"Transcode": "TranscodeTask", "ImageSprites": "ImageSpriteTask"}.get(
        name.result_type, f"{name.result_type}Task"
    )
    if result_key == "TranscodeTask":  # MPS's transcode result has Progress and no times
        body["Output"] = transcode_item(sub, definition, region)
        body["Progress"] = 100 if sub.status == SubtaskStatus.SUCCESS else int(sub.progress)
    else:
        body["Output"] = snapshot_item(
            sub, sub.template.get("kind") or kind.default_variant, definition, region, params
        )
        body["BeginProcessTime"] = mps_time(sub.begin_time)
        body["FinishTime"] = mps_time(sub.finish_time)
    return {"Type": name.result_type, result_key: body}


def current(task: Task, subtasks: list[Subtask]) -> list[Subtask]:
    return sorted((s for s in subtasks if s.attempt == task.attempt), key=lambda s: s.index)


def workflow_task(task: Task, subtasks: list[Subtask], region: str) -> dict[str, Any]:
    subs = current(task, subtasks)
    results = [r for s in subs if (r := media_process_result(s, region)) is not None]
    return {
        "TaskId": task.task_id,
        # MPS's WorkflowTask is PROCESSING until FINISH; a queued task shows WAITING at the top level.
        "Status": TaskStatus.FINISH.value if task.status == TaskStatus.FINISH else TaskStatus.PROCESSING.value,
        "ErrCode": 0 if not task.err_code else INTERNAL_ERROR,
        "Message": task.message or "",
        "InputInfo": input_info(task, region),
        "MetaData": meta_data(task.metadata),
        "MediaProcessResultSet": results,
        "AiContentReviewResultSet": ai_review_results(subs, status_fields),
        "AiAnalysisResultSet": ai_analysis_results(subs, status_fields),
    }


def task_detail(task: Task, subtasks: list[Subtask], region: str) -> dict[str, Any]:
    """The DescribeTaskDetail response fields (without RequestId)."""
    detail: dict[str, Any] = {
        "TaskType": TASK_TYPE,
        "Status": task.status.value,
        "CreateTime": mps_time(task.create_time),
        "BeginProcessTime": mps_time(task.begin_process_time),
        "FinishTime": mps_time(task.finish_time),
        "WorkflowTask": workflow_task(task, subtasks, region),
        "TasksPriority": task.priority,
        "SessionId": task.session_id or "",
        "SessionContext": task.session_context or "",
    }
    if task.notify:
        detail["TaskNotifyConfig"] = task.notify.to_mps()
    return detail
