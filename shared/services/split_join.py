"""The end of a split transcode: its parts joined into the output (streams copied), published
under the subtask's final name, the subtask's result recorded, the parts' rows and files removed.

Run by the part that completed the set of parts, or by the subtask's next run if that part died
on the way; the result is recorded under the subtask's claim, so it lands at most once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from shared.domain import media_errors
from shared.domain.errors import BadInputError, OpenMpsError, PermanentProcessingError
from shared.domain.kinds.transcode_rules import CONTAINER_EXTENSIONS, TranscodeParams
from shared.domain.model import Subtask, Task
from shared.domain.naming import output_stem
from shared.domain.status import SubtaskStatus
from shared.media.contract import EngineResult, OutputFile
from shared.media.ffmpeg.engines import _extinf, _segments
from shared.media.ffmpeg.runner import ffmpeg_exe, run_ffmpeg
from shared.media.ffmpeg.segments import concat_list, join_argv
from shared.media.outputs import md5_file, probe_output, publish
from shared.runtime.observability import logger
from shared.services.deps import Deps
from shared.services.heartbeat import ClaimLostError, Heartbeat
from shared.services.outcome import FAIL, LOST, Published, record_outcome
from shared.services.publish_outputs import publish_run
from shared.services.templates import params_from_snapshot
from shared.store.parts import Part, PartStore, run_key

JOIN_TIMEOUT_SECONDS = 3600.0  # a copy of every packet: minutes for hours of video


def staging_prefix(task: Task, index: int) -> str:
    """The work area of a subtask's parts in the output bucket (beside the outputs, so it can never
    trigger a workflow: workflows refuse output dirs under their own prefix)."""
    return f"{task.output_dir}.openmps-parts/{index}/"


def join_and_finish(deps: Deps, task_id: str, index: int, attempt: int) -> dict[str, Any]:
    from shared.services.worker import notify_aggregator  # the worker imports the split modules

    sub = deps.tasks.get_subtask(task_id, index)
    task = deps.tasks.get_task(task_id)
    if task is None or sub is None or sub.attempt != attempt or sub.status != SubtaskStatus.PROCESSING:
        return {"skipped": "the subtask is not running this attempt"}
    token = sub.claim_token or ""
    store = deps.parts or PartStore(deps.settings)
    run = run_key(task_id, index, attempt)
    _plan, parts = store.read_run(run)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="openmps-join-", dir=deps.settings.work_dir or None) as work,
            Heartbeat(deps.tasks, task_id, index, token, deps.settings.heartbeat_seconds) as beat,
        ):
            joined = _join(deps, task, sub, parts, Path(work))
            published: Published | OpenMpsError = publish_run(deps, task, sub, joined, beat)
    except (ClaimLostError, PermanentProcessingError, BadInputError) as exc:
        # A passing fault propagates: the part's event comes again, or the reconciler gives the
        # subtask another run, which joins (start_split); the outcome rules' retries are not for it.
        published = exc
    recorded = record_outcome(deps, sub, token, published, failing="joining the parts")
    if recorded.status == LOST:
        return {"skipped": "claim lost while joining"}
    notify_aggregator(deps, task_id)
    if recorded.status == FAIL:
        return {"task_id": task_id, "index": index, "status": "FAIL"}
    logger.info("split transcode joined", extra={"parts": len(parts), "recorded": recorded.recorded})
    if recorded.recorded:
        forget_run(deps, task, sub)
    return {"task_id": task_id, "index": index, "status": "SUCCESS", "recorded": recorded.recorded}


def _join(deps: Deps, task: Task, sub: Subtask, parts: list[Part], work: Path) -> EngineResult:
    params = params_from_snapshot(sub.type, sub.template.get("params", {}))
    if not isinstance(params, TranscodeParams):
        raise PermanentProcessingError("a split subtask must be a transcode", code=media_errors.INTERNAL)
    video = [p for p in parts if p.kind == "video"]
    audio = next((p for p in parts if p.kind == "audio"), None)
    names = []
    for p in [*video, *([audio] if audio else [])]:
        if p.status != SubtaskStatus.SUCCESS or not p.staged_key:
            raise PermanentProcessingError(f"part {p.number} has no output to join", code=media_errors.INTERNAL)
        name = "audio.m4a" if p.kind == "audio" else f"part-{p.number:04d}.mp4"
        deps.storage.download(task.output_bucket, p.staged_key, work / name)
        names.append(name)
    script = work / "parts.ffconcat"
    durations = [None if p.end is None or p.start is None else p.end - p.start for p in video]
    script.write_text(concat_list(names[: len(video)], durations), encoding="utf-8")
    stem = output_stem(sub.type, sub.template.get("kind") or "", task.input_key, int(sub.template["definition"]))
    final = f"{stem}.{CONTAINER_EXTENSIONS[params.container]}"
    out_dir = work / "out"
    out_dir.mkdir()
    first = video[0].start or 0.0
    argv = join_argv(
        ffmpeg_exe(), script, work / "audio.m4a" if audio else None, params, work / final, video_offset=first
    )
    result = run_ffmpeg(argv, timeout=JOIN_TIMEOUT_SECONDS)
    main = work / final
    info = probe_output(main, result.log_tail)
    meta = info.to_metadata() | {"md5": md5_file(main)}
    if params.container == "hls":
        return _hls_result(work, out_dir, stem, final, meta, info.duration, result.log_tail)
    return EngineResult([OutputFile(final, publish(main, out_dir), meta)], result.log_tail)


def _hls_result(
    work: Path, out_dir: Path, stem: str, playlist: str, meta: dict[str, Any], duration: float, log_tail: str
) -> EngineResult:
    """The playlist and its segments described as the single run describes them (engines.run_transcode)."""
    segments = _segments(work, stem)
    durations = _extinf(work / playlist)
    seg_meta = [
        {"size": seg.stat().st_size, "md5": md5_file(seg), "duration": durations[i] if i < len(durations) else None}
        for i, seg in enumerate(segments)
    ]
    total = meta["size"] + sum(seg.stat().st_size for seg in segments)
    meta = meta | {
        "playlist_size": meta["size"],
        "segment_count": len(segments),
        "size": total,
        "bitrate": int(total * 8 / duration) if duration > 0 else meta["bitrate"],
    }
    published = [OutputFile(seg.name, publish(seg, out_dir), m) for seg, m in zip(segments, seg_meta, strict=True)]
    return EngineResult([OutputFile(playlist, publish(work / playlist, out_dir), meta), *published], log_tail)


def forget_run(deps: Deps, task: Task, sub: Subtask) -> None:
    """Remove a finished run's staged files and rows (best effort: a newer attempt's plan removes
    whatever is left)."""
    store = deps.parts or PartStore(deps.settings)
    prefix = f"{staging_prefix(task, sub.index)}{sub.attempt}/"
    try:
        for obj in deps.storage.list(task.output_bucket, prefix):
            deps.storage.delete(task.output_bucket, obj.key)
        store.delete_run(run_key(sub.task_id, sub.index, sub.attempt))
    except Exception:
        logger.exception("the parts of a joined transcode were not all removed")
