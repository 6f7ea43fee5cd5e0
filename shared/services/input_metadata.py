"""The input's probe, kept on the task: what MPS reports as a task's MetaData, and what the engines
start from.

The first worker to fetch the input probes it and writes the result once (a conditional write);
workers of the same task that come later see it and skip the probe. Either way the worker hands
the MediaInfo to its engine, which then does not probe again: one probe per task (per worker
when they start together). ``media_info`` inside the metadata keeps the probe exactly as the
engines use it (MPS's MetaData fields are rounded). A file the probe cannot read is left without
metadata: the engine fails the subtask with the precise reason.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from shared.domain.errors import MediaError
from shared.domain.model import Task
from shared.media.ffmpeg.probe import AudioStream, MediaInfo, VideoStream, probe
from shared.runtime.observability import logger
from shared.services.deps import Deps


def metadata_of(info: MediaInfo) -> dict[str, Any]:
    v, a = info.video, info.audio
    return {
        "size": info.size,
        "container": info.container,
        "bitrate": info.bitrate,
        "duration": round(info.duration, 3),
        "width": info.display_width,
        "height": info.display_height,
        "rotate": v.rotation if v else 0,
        "video": None
        if v is None
        else {
            "codec": v.codec,
            "width": v.width,
            "height": v.height,
            "fps": v.fps,
            "bitrate": v.bitrate or 0,
            "duration": v.duration,
        },
        "audio": None
        if a is None
        else {
            "codec": a.codec,
            "sample_rate": a.sample_rate,
            "channels": a.channels,
            "bitrate": a.bitrate or 0,
            "duration": a.duration,
        },
        "media_info": asdict(info),
    }


def media_info_of(metadata: dict[str, Any] | None) -> MediaInfo | None:
    """The MediaInfo kept in a task's metadata; None for metadata written before it was kept."""
    kept = (metadata or {}).get("media_info")
    if not isinstance(kept, dict):
        return None
    try:
        video, audio = kept.get("video"), kept.get("audio")
        return MediaInfo(
            **{k: v for k, v in kept.items() if k not in ("video", "audio")},
            video=VideoStream(**video) if video else None,
            audio=AudioStream(**audio) if audio else None,
        )
    except TypeError:  # a shape from another version: probe again
        return None


def input_media_info(deps: Deps, task: Task, src: Path) -> MediaInfo | None:
    """The probe of ``src`` (the task's input, fetched and checked): the one kept on the task, or a
    new one, kept if the task has none yet. None if the file cannot be probed."""
    # An object's version is fixed by its etag, so another worker's probe describes these bytes;
    # a URL may answer differently each time, so only this worker's own probe does.
    kept = media_info_of(task.metadata) if task.input_etag and not task.input_url else None
    if kept is not None:
        return kept
    try:
        info = probe(src)
    except MediaError:
        return None
    if task.metadata is None and deps.tasks.record_input_metadata(task.task_id, metadata_of(info)):
        logger.info("input metadata recorded", extra={"task_id": task.task_id})
    return info


def keep_input_metadata(deps: Deps, task: Task, src: Path) -> None:
    """The former name, for callers that only want the metadata kept."""
    input_media_info(deps, task, src)
