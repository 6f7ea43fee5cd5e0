"""Running one subtask: claim, fetch, process, publish, record, notify.

The retry contract: ``run_subtask`` raises RetryableProcessingError only after giving the
subtask back to the queue, meaning "deliver this event again". Every other outcome is recorded
in the table (SUCCESS, or FAIL with an err_code) or is a no-op for a stale or duplicate event.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from shared.domain import clock, kinds, media_errors
from shared.domain.errors import (
    BadInputError,
    MediaError,
    NotFoundError,
    PermanentProcessingError,
    RetryableProcessingError,
)
from shared.domain.model import Subtask, Task
from shared.domain.naming import input_name, input_suffix, output_stem
from shared.domain.object_paths import render_object_path
from shared.domain.status import SubtaskStatus
from shared.invoke.port import PermanentInvokeError
from shared.media.contract import Engine
from shared.runtime.observability import logger
from shared.runtime.url_policy import fetch_to_file
from shared.services.buckets import owns_bucket
from shared.services.deps import Deps
from shared.services.heartbeat import ClaimLostError, Heartbeat
from shared.services.input_metadata import keep_input_metadata
from shared.services.templates import params_from_snapshot

MAX_TRIES = 3  # runs of one subtask within an attempt before a passing fault becomes a FAIL


class WorkerEvent(BaseModel):
    task_id: str = Field(min_length=1, max_length=128)
    index: int = Field(ge=1)
    attempt: int = Field(ge=0)


def parse_worker_event(event: Any) -> WorkerEvent:
    try:
        return WorkerEvent.model_validate(event)
    except ValidationError as exc:
        raise BadInputError(
            f"not a worker event: {exc.errors()[0]['msg']}", code="InvalidParameter.WorkerEvent"
        ) from exc


def notify_aggregator(deps: Deps, task_id: str) -> None:
    try:
        deps.invoker.invoke_async("aggregator", {"task_id": task_id})
    except (RetryableProcessingError, PermanentInvokeError):
        from shared.services.notify_outbox import aggregate_and_notify  # fall back to aggregating here

        aggregate_and_notify(deps, task_id)


def run_subtask(
    deps: Deps, event: Any, engine: Engine, *, time_budget: float, prepare: Callable[[], object] | None = None
) -> dict[str, Any]:
    """``prepare`` runs once the subtask is claimed (e.g. fetching the engine's binary); its
    failures follow the same retry contract as the engine's."""
    ev = parse_worker_event(event)
    sub = deps.tasks.get_subtask(ev.task_id, ev.index)
    if sub is None:
        return {"skipped": "no such subtask"}
    if sub.attempt != ev.attempt or sub.status != SubtaskStatus.WAITING:
        return {"skipped": f"subtask is {sub.status.value} in attempt {sub.attempt}"}
    now = clock.now_iso()
    if not deps.tasks.claim_task(ev.task_id, sub.account, ev.attempt, now):
        return {"skipped": "task is finished, terminated or restarted"}
    token = uuid.uuid4().hex
    if not deps.tasks.claim_subtask(ev.task_id, ev.index, ev.attempt, token, now):
        return {"skipped": "claimed by another run"}
    notify_aggregator(deps, ev.task_id)
    logger.append_keys(task_id=ev.task_id, index=ev.index, attempt=ev.attempt)
    try:
        outputs, log_tail, result = _execute(deps, sub, token, engine, time_budget, prepare)
        recorded = deps.tasks.finish_subtask(
            ev.task_id,
            ev.index,
            token,
            status=SubtaskStatus.SUCCESS,
            now=clock.now_iso(),
            outputs=outputs,
            log_tail=log_tail,
            result=result,
        )
        outcome = "SUCCESS"
        logger.info("subtask done", extra={"type": sub.type})
    except ClaimLostError:
        return {"skipped": "claim lost while running"}
    except (PermanentProcessingError, BadInputError) as exc:
        # BadInputError here: stored template parameters the engine refuses; running again won't help.
        recorded = deps.tasks.finish_subtask(
            ev.task_id,
            ev.index,
            token,
            status=SubtaskStatus.FAIL,
            now=clock.now_iso(),
            err_code=exc.code,
            message=exc.message,
            log_tail=getattr(exc, "log_tail", None) or None,
        )
        outcome = "FAIL"
        logger.warning("subtask failed", extra={"err_code": exc.code, "reason": exc.message})
    except Exception as exc:
        if sub.tries + 1 < MAX_TRIES and deps.tasks.release_subtask(ev.task_id, ev.index, token, clock.now_iso()):
            logger.exception("passing fault; the subtask goes back to the queue")
            raise RetryableProcessingError(f"subtask {ev.task_id}/{ev.index}: {exc}") from exc
        logger.exception("subtask failed after retries")
        recorded = deps.tasks.finish_subtask(
            ev.task_id,
            ev.index,
            token,
            status=SubtaskStatus.FAIL,
            now=clock.now_iso(),
            err_code=media_errors.INTERNAL,
            message=f"internal error after {MAX_TRIES} runs: {exc}",
        )
        outcome = "FAIL"
    notify_aggregator(deps, ev.task_id)
    return {"task_id": ev.task_id, "index": ev.index, "status": outcome, "recorded": recorded}


def _execute(
    deps: Deps, sub: Subtask, token: str, engine: Engine, time_budget: float, prepare: Callable[[], object] | None
) -> tuple[list[dict[str, Any]], str, dict[str, Any] | None]:
    task = deps.tasks.get_task(sub.task_id)
    if task is None:
        raise PermanentProcessingError("the task record is missing", code=media_errors.INTERNAL)
    _check_buckets(deps, task)
    settings = deps.settings
    # The heartbeat covers the whole run, not only the engine: fetching a large input or the
    # engine's binary, and publishing large outputs, must not look like a dead worker.
    with (
        tempfile.TemporaryDirectory(prefix="openmps-", dir=settings.work_dir or None) as work,
        Heartbeat(deps.tasks, sub.task_id, sub.index, token, settings.heartbeat_seconds) as beat,
    ):
        if prepare is not None:
            prepare()
        src = Path(work) / ("input" + input_suffix(task.input_key))
        _fetch_input(deps, task, src)
        if task.metadata is None:
            keep_input_metadata(deps, task, src)
        params = params_from_snapshot(sub.type, sub.template.get("params", {}))
        stem = output_stem(sub.type, sub.template.get("kind") or "", task.input_key, int(sub.template["definition"]))
        out_dir = Path(work) / "out"
        out_dir.mkdir()
        run = engine(src, params, out_dir, stem, timeout=time_budget, on_progress=beat.report)
        # Outputs first, then the result's files (evidence, covers, the full JSON), numbered on.
        published = []
        for number, f in enumerate([*run.outputs, *run.result_files]):
            if beat.lost:  # the reconciler gave this run up: its results must not land
                raise ClaimLostError("this run no longer holds its subtask")
            key = task.output_dir + output_name(sub, task.input_key, f.name, number)
            deps.storage.upload(task.output_bucket, key, f.path)
            published.append({"bucket": task.output_bucket, "key": key, **f.metadata})
        if beat.lost:
            raise ClaimLostError("this run no longer holds its subtask")
        outputs, result_files = published[: len(run.outputs)], published[len(run.outputs) :]
        result = run.result if not result_files else {**(run.result or {}), "result_files": result_files}
        return outputs, run.log_tail, result


def output_name(sub: Subtask, input_key: str, default: str, number: int) -> str:
    """The engine's MPS default name, or the subtask's output_object_path filled in."""
    pattern = sub.template.get("output_object_path")
    if not pattern:
        return default
    fmt = default.rsplit(".", 1)[-1] if "." in default else ""
    return render_object_path(
        pattern,
        input_name=input_name(input_key),
        definition=int(sub.template["definition"]),
        number=number if kinds.get(sub.type).numbered_outputs else None,
        fmt=fmt,
    )


def _fetch_input(deps: Deps, task: Task, dest: Path) -> None:
    if task.input_url:
        settings = deps.settings
        fetch_to_file(
            task.input_url,
            dest,
            allow_private=settings.private_urls_allowed,
            max_bytes=settings.max_input_bytes,
            timeout=settings.url_fetch_timeout_seconds,
        )
        return
    try:
        head = deps.storage.head(task.input_bucket, task.input_key)
    except NotFoundError:
        raise PermanentProcessingError(
            f"the input object {task.input_key!r} no longer exists in bucket {task.input_bucket}",
            code=media_errors.INPUT_NOT_FOUND,
        ) from None
    if head.size > deps.settings.max_input_bytes:
        raise MediaError(
            f"the input is {head.size} bytes; the limit is {deps.settings.max_input_bytes}",
            code=media_errors.MEDIA_TOO_LARGE,
        )
    _check_same_object(task, head.etag)
    deps.storage.download(task.input_bucket, task.input_key, dest)
    try:  # replaced while we copied it: what we hold may be either version
        _check_same_object(task, deps.storage.head(task.input_bucket, task.input_key).etag)
    except NotFoundError:
        pass  # deleted after the copy finished: the copy is the task's version


def _etag(value: str) -> str:
    return value.strip().strip('"').lower()


def _check_same_object(task: Task, etag: str) -> None:
    """A task processes the object version that made it; a newer upload has its own task."""
    if task.input_etag and _etag(etag) != _etag(task.input_etag):
        raise PermanentProcessingError(
            f"the input object {task.input_key!r} was replaced after this task was created "
            f"(etag {task.input_etag} then, {etag} now); the newer version has its own task",
            code=media_errors.INPUT_CHANGED,
        )


def _check_buckets(deps: Deps, task: Task) -> None:
    """Reads and writes only in the task's own account's buckets, whatever the record says."""
    named = [task.output_bucket] if task.input_url else [task.input_bucket, task.output_bucket]
    for bucket in named:
        if not owns_bucket(deps, task.account, bucket):
            raise PermanentProcessingError(
                f"bucket {bucket} is not a bucket of account {task.account}", code=media_errors.BUCKET_NOT_OWNED
            )
