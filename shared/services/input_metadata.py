"""The input's probe, kept on the task: what MPS reports as a task's MetaData.

The first worker to fetch the input probes it and writes the result once (a conditional write);
workers of the same task that come later see it and skip the probe. A file the probe cannot read
is left without metadata: the engine fails the subtask with the precise reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.domain.errors import MediaError
from shared.domain.model import Task
from shared.media.ffmpeg.probe import MediaInfo, probe
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
    }


def keep_input_metadata(deps: Deps, task: Task, src: Path) -> None:
    try:
        info = probe(src)
    except MediaError:
        return
    if deps.tasks.record_input_metadata(task.task_id, metadata_of(info)):
        logger.info("input metadata recorded", extra={"task_id": task.task_id})
