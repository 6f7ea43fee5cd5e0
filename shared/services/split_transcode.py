"""A long transcode split across workers: plan the parts, hand them out, encode one, join them.

The subtask's own run (``start_split``) plans parts at input keyframes, records them and invokes
the transcode function once per part; then it returns, leaving the subtask PROCESSING under its
claim. Each part's run (``run_part``) claims its part, encodes it into the output bucket's work
area (``{output_dir}.openmps-parts/``, never a final key) and beats for the subtask. The run that
completes the plan's set of parts joins them (no re-encoding), publishes the output and records
the subtask's result, exactly once (the set is the conditional counter).

The retry contract, per part: a passing fault gives the part back and raises
RetryableProcessingError (the event comes again), at most MAX_TRIES runs; a permanent fault
fails the part and the subtask. A part whose worker died stops beating the subtask; the
reconciler then gives the subtask another run, which finds the parts already done, hands out
again only the ones that are not, or joins if all are. A new attempt (restart) has parts of its
own; the old attempt's rows and staged files are removed when it plans.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from shared.domain import clock, kinds, media_errors
from shared.domain.errors import BadInputError, PermanentProcessingError, RetryableProcessingError
from shared.domain.kinds.transcode_rules import TranscodeParams
from shared.domain.model import Subtask, Task
from shared.domain.naming import input_suffix
from shared.domain.segments import Segment, plan_segments, segment_seconds
from shared.domain.status import SubtaskStatus
from shared.media.ffmpeg.probe import MediaInfo, probe_input
from shared.media.ffmpeg.runner import ffmpeg_exe, run_ffmpeg
from shared.media.ffmpeg.segments import audio_part_argv, gop_frames, split_refusal, video_index, video_part_argv
from shared.media.outputs import probe_output
from shared.runtime.observability import logger
from shared.services.deps import Deps
from shared.services.heartbeat import ClaimLostError
from shared.services.outcome import MAX_TRIES
from shared.services.part_heartbeat import PartBeat
from shared.services.split_join import join_and_finish, staging_prefix
from shared.services.task_input import check_buckets, fetch_input
from shared.services.templates import params_from_snapshot
from shared.store.parts import Part, PartStore, run_key


class SplitHandled(Exception):  # noqa: N818 - not an error: the split took the subtask's run over
    """The split path took the subtask's run over; ``outcome`` is what the worker returns."""

    def __init__(self, outcome: dict[str, Any]) -> None:
        super().__init__(outcome.get("status", ""))
        self.outcome = outcome


def part_store(deps: Deps) -> PartStore:
    if deps.parts is None:
        deps.parts = PartStore(deps.settings)
    return deps.parts


def wants_split(deps: Deps, sub: Subtask, info: MediaInfo, params: Any) -> bool:
    threshold = deps.settings.split_threshold_seconds
    if sub.type != "Transcode" or threshold <= 0 or not isinstance(params, TranscodeParams):
        return False
    if info.streams_duration <= threshold:
        return False
    refusal = split_refusal(info, params)
    if refusal is not None:
        logger.info("long transcode runs whole", extra={"reason": refusal})
        return False
    return True


def start_split(deps: Deps, task: Task, sub: Subtask, src: Path, params: Any, probe: MediaInfo | None = None) -> None:
    """The subtask's own run, once its input is fetched and probed (``probe``: the task's kept
    probe, so no second one): returns (and the run goes on whole) unless the transcode is split,
    else raises SplitHandled once the parts are handed out (or joined)."""
    threshold = deps.settings.split_threshold_seconds
    if sub.type != "Transcode" or threshold <= 0:
        return
    known = (task.metadata or {}).get("duration")
    if probe is None and isinstance(known, (int, float)) and known <= threshold:
        return  # the task's kept probe says it is short: no second probe
    info = probe_input(src, probe)
    if not wants_split(deps, sub, info, params):
        return
    store, run = part_store(deps), run_key(sub.task_id, sub.index, sub.attempt)
    plan, parts = store.read_run(run)
    if plan is None:
        index = video_index(src)
        target = segment_seconds(
            info.streams_duration, deps.settings.split_segment_seconds, deps.settings.split_max_parts
        )
        segments = plan_segments(index.frames, index.keyframes, target, every=gop_frames(info, params))
        if len(segments) < 2:
            return  # no keyframe where a cut is wanted: one part is the whole run
        _forget_older_attempts(deps, task, sub)
        store.create_run(run, _parts_of(segments, info, params), segments[0].start, clock.now_iso())
        plan, parts = store.read_run(run)
    if plan is None:
        raise RetryableProcessingError("the split plan was not recorded")
    failed = next((p for p in parts if p.status == SubtaskStatus.FAIL), None)
    if failed is not None:
        raise PermanentProcessingError(
            f"part {failed.number} failed: {failed.message}", code=failed.err_code or media_errors.INTERNAL
        )
    # every part done, but the last one's run died before (or while) joining: join here
    if len(plan.done) >= plan.n_parts or all(p.status == SubtaskStatus.SUCCESS for p in parts):
        raise SplitHandled(join_and_finish(deps, task.task_id, sub.index, sub.attempt))
    stale_before = clock.iso(clock.now() - timedelta(seconds=deps.settings.stale_after_seconds))
    handed = []
    for p in parts:
        lost = p.status == SubtaskStatus.PROCESSING and p.claim_token and (p.heartbeat or "") < stale_before
        if lost and store.release(run, p.number, p.claim_token or "", expect_heartbeat=p.heartbeat):
            logger.warning("part lost its worker; handed out again", extra={"part": p.number, "tries": p.tries})
        elif p.status != SubtaskStatus.WAITING:
            continue
        _dispatch(deps, sub, p.number)
        handed.append(p.number)
    logger.info("transcode split", extra={"parts": plan.n_parts, "handed_out": handed})
    raise SplitHandled(
        {"task_id": sub.task_id, "index": sub.index, "status": "SPLIT", "parts": plan.n_parts, "handed_out": handed}
    )


def _parts_of(segments: list[Segment], info: MediaInfo, params: TranscodeParams) -> list[Part]:
    parts = [
        Part(s.number, "video", SubtaskStatus.WAITING, start=s.start, end=s.end, read_until=s.read_until)
        for s in segments
    ]
    if info.audio is not None and not params.remove_audio:
        parts.append(Part(len(segments) + 1, "audio", SubtaskStatus.WAITING))
    return parts


def _dispatch(deps: Deps, sub: Subtask, number: int) -> None:
    event = {"task_id": sub.task_id, "index": sub.index, "attempt": sub.attempt, "part": number}
    try:
        deps.invoker.invoke_async(kinds.get(sub.type).function, event)
    except Exception as exc:  # the part stays WAITING: the subtask's next run hands it out again
        logger.warning("part invoke failed", extra={"part": number, "error": str(exc)})


def _forget_older_attempts(deps: Deps, task: Task, sub: Subtask) -> None:
    """A restart's parts start clean: the previous attempt's rows and every older staged file go."""
    if sub.attempt > 0:
        part_store(deps).delete_run(run_key(sub.task_id, sub.index, sub.attempt - 1))
    prefix = staging_prefix(task, sub.index)
    current = f"{prefix}{sub.attempt}/"
    for obj in deps.storage.list(task.output_bucket, prefix):
        if not obj.key.startswith(current):
            deps.storage.delete(task.output_bucket, obj.key)


def run_part(
    deps: Deps, task_id: str, index: int, attempt: int, number: int, *, time_budget: float, prepare: Any
) -> dict[str, Any]:
    """One part's invocation: claim it, encode it, stage it; the last part to finish joins."""
    sub = deps.tasks.get_subtask(task_id, index)
    if sub is None or sub.attempt != attempt or sub.status != SubtaskStatus.PROCESSING:
        return {"skipped": "the subtask is not running this attempt"}
    store, run = part_store(deps), run_key(task_id, index, attempt)
    plan, parts = store.read_run(run)
    part = next((p for p in parts if p.number == number), None)
    if plan is None or part is None:
        return {"skipped": "no such part"}
    if part.status != SubtaskStatus.WAITING:
        return {"skipped": f"part is {part.status.value}"}
    token = uuid.uuid4().hex
    if not store.claim(run, number, token, clock.now_iso()):
        return {"skipped": "part claimed by another run"}
    logger.append_keys(task_id=task_id, index=index, attempt=attempt, part=number)
    outcome = {"task_id": task_id, "index": index, "part": number}
    try:
        staged = _encode_part(deps, sub, part, run, token, time_budget, prepare)
    except ClaimLostError:
        return {"skipped": "part claim lost while running"}
    except (PermanentProcessingError, BadInputError) as exc:
        store.finish(run, number, token, SubtaskStatus.FAIL, err_code=exc.code, message=exc.message)
        fail_subtask(
            deps, task_id, index, attempt, exc.code, f"part {number}: {exc.message}", getattr(exc, "log_tail", "")
        )
        return {**outcome, "status": "FAIL"}
    except Exception as exc:
        if part.tries + 1 < MAX_TRIES and store.release(run, number, token):
            logger.exception("passing fault; the part goes back to the queue")
            raise RetryableProcessingError(f"part {number} of {task_id}/{index}: {exc}") from exc
        logger.exception("part failed after retries")
        message = f"part {number}: internal error after {MAX_TRIES} runs: {exc}"
        store.finish(run, number, token, SubtaskStatus.FAIL, err_code=media_errors.INTERNAL, message=message)
        fail_subtask(deps, task_id, index, attempt, media_errors.INTERNAL, message, "")
        return {**outcome, "status": "FAIL"}
    if not store.finish(run, number, token, SubtaskStatus.SUCCESS, staged_key=staged):
        return {"skipped": "part claim lost before its result"}
    done = store.mark_done(run, number)
    logger.info("part done", extra={"kind": part.kind, "done": done, "of": plan.n_parts})
    if done < plan.n_parts:
        return {**outcome, "status": "SUCCESS", "done": done, "of": plan.n_parts}
    return {**outcome, "status": "SUCCESS", "joined": join_and_finish(deps, task_id, index, attempt)}


def _encode_part(deps: Deps, sub: Subtask, part: Part, run: str, token: str, time_budget: float, prepare: Any) -> str:
    task = deps.tasks.get_task(sub.task_id)
    if task is None:
        raise PermanentProcessingError("the task record is missing", code=media_errors.INTERNAL)
    check_buckets(deps, task)
    store = part_store(deps)
    with (
        tempfile.TemporaryDirectory(prefix="openmps-part-", dir=deps.settings.work_dir or None) as work,
        PartBeat(
            deps.tasks,
            store,
            run,
            part.number,
            token,
            (sub.task_id, sub.index, sub.attempt),
            deps.settings.heartbeat_seconds,
        ) as beat,
    ):
        if prepare is not None:
            prepare()
        src = Path(work) / ("input" + input_suffix(task.input_key))
        fetch_input(deps, task, src)
        info = probe_input(src)
        params = params_from_snapshot(sub.type, sub.template.get("params", {}))
        out = Path(work) / ("audio.m4a" if part.kind == "audio" else "video.mp4")
        if part.kind == "audio":
            argv = audio_part_argv(ffmpeg_exe(), src, info, params, out)
            length = info.audio.duration if info.audio and info.audio.duration else info.duration
        else:
            segment = Segment(part.number, part.start or 0.0, part.end, part.read_until)
            argv = video_part_argv(ffmpeg_exe(), src, info, params, segment, out)
            length = (part.end if part.end is not None else info.video_end) - (part.start or 0.0)
        result = run_ffmpeg(argv, timeout=time_budget, duration_hint=max(length, 0.1), on_progress=beat.report)
        encoded = probe_output(out, result.log_tail)
        if length >= 1.0 and encoded.duration < 0.9 * length:
            raise PermanentProcessingError(
                f"part {part.number} came out {encoded.duration:.1f} s long instead of {length:.1f} s; "
                "the input may be damaged",
                code=media_errors.MEDIA_TRUNCATED,
            )
        if beat.lost:
            raise ClaimLostError("this run no longer holds its part")
        key = f"{staging_prefix(task, sub.index)}{sub.attempt}/part-{part.number:04d}"
        deps.storage.upload(task.output_bucket, key, out)
        return key


def fail_subtask(deps: Deps, task_id: str, index: int, attempt: int, code: str, message: str, log_tail: str) -> None:
    """Fail the subtask for one of its parts, under whichever run holds its claim now."""
    from shared.services.worker import notify_aggregator

    sub = deps.tasks.get_subtask(task_id, index)
    if sub is None or sub.attempt != attempt or sub.status != SubtaskStatus.PROCESSING or not sub.claim_token:
        return
    if deps.tasks.finish_subtask(
        task_id,
        index,
        sub.claim_token,
        status=SubtaskStatus.FAIL,
        now=clock.now_iso(),
        err_code=code,
        message=message,
        log_tail=log_tail or None,
    ):
        logger.warning("subtask failed in a part", extra={"err_code": code, "reason": message})
        notify_aggregator(deps, task_id)
