"""Running one subtask: claim, fetch, process, publish, record, notify.

The retry contract: ``run_subtask`` raises RetryableProcessingError only after giving the
subtask back to the queue, meaning "deliver this event again". Every other outcome is recorded
in the table (SUCCESS, or FAIL with an err_code) or is a no-op for a stale or duplicate event;
the one exception is the last run of a passing fault: FAIL is recorded, then RetriesExhaustedError
raised, so the platform's dead letter queue keeps the event. The rules themselves, shared with
fused runs and split joins, are in shared/services/outcome.py.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from shared.domain import clock, media_errors
from shared.domain.errors import (
    BadInputError,
    PermanentProcessingError,
    RetryableProcessingError,
)
from shared.domain.model import Subtask
from shared.domain.naming import input_suffix, output_stem
from shared.domain.status import SubtaskStatus
from shared.invoke.port import PermanentInvokeError
from shared.media.contract import Engine
from shared.runtime.observability import logger
from shared.services.deps import Deps
from shared.services.fusion import run_fused
from shared.services.fusion_group import Claimed, claim_siblings, fused_group
from shared.services.heartbeat import Heartbeat
from shared.services.input_metadata import input_media_info
from shared.services.outcome import LOST, RELEASED, exhausted_error, given_back_error, record_outcome
from shared.services.outcome import MAX_TRIES as MAX_TRIES  # the retry contract's number, where callers knew it
from shared.services.publish_outputs import publish_run
from shared.services.run_phases import RunPhases
from shared.services.split_transcode import SplitHandled, run_part, start_split
from shared.services.task_input import check_buckets, fetch_input
from shared.services.templates import params_from_snapshot


class WorkerEvent(BaseModel):
    task_id: str = Field(min_length=1, max_length=128)
    index: int = Field(ge=1)
    attempt: int = Field(ge=0)
    part: int | None = Field(None, ge=1)  # one part of a transcode split across workers


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
    if ev.part is not None:
        return run_part(deps, ev.task_id, ev.index, ev.attempt, ev.part, time_budget=time_budget, prepare=prepare)
    phases = RunPhases()
    sub = deps.tasks.get_subtask(ev.task_id, ev.index)
    if sub is None:
        return {"skipped": "no such subtask"}
    if sub.attempt != ev.attempt or sub.status != SubtaskStatus.WAITING:
        return {"skipped": f"subtask is {sub.status.value} in attempt {sub.attempt}"}
    group = fused_group(deps, sub, engine)  # the one read of the siblings, for both questions
    if group.leader is not None:
        return {"skipped": f"left to subtask {group.leader}, whose run decodes the input once for both"}
    now = clock.now_iso()
    if not deps.tasks.claim_task(ev.task_id, sub.account, ev.attempt, now):
        return {"skipped": "task is finished, terminated or restarted"}
    token = uuid.uuid4().hex
    if not deps.tasks.claim_subtask(ev.task_id, ev.index, ev.attempt, token, now):
        return {"skipped": "claimed by another run"}
    notify_aggregator(deps, ev.task_id)
    phases.mark("claim")
    logger.append_keys(task_id=ev.task_id, index=ev.index, attempt=ev.attempt)
    siblings = claim_siblings(deps, sub, group.followers)  # decode once for the task's fusable outputs
    if siblings:
        return run_fused(deps, [Claimed(sub, token), *siblings], engine, time_budget=time_budget, prepare=prepare)
    fault: Exception | None = None
    try:
        # The result's write is inside the try: a table fault there is a passing fault like any other.
        recorded = record_outcome(deps, sub, token, _execute(deps, sub, token, engine, time_budget, prepare, phases))
        phases.mark("record")
        logger.info("subtask done", extra={"type": sub.type, "phases": phases.seconds})
    except SplitHandled as split:  # the parts record the result
        return split.outcome
    except Exception as exc:  # noqa: BLE001 - every fault goes through the outcome rules
        fault = exc
        recorded = record_outcome(deps, sub, token, exc)
    if recorded.status == LOST:
        return {"skipped": "claim lost while running"}
    if recorded.status == RELEASED:
        raise given_back_error(sub, fault) from fault  # the event comes again
    notify_aggregator(deps, ev.task_id)
    if recorded.exhausted:
        raise exhausted_error(sub, fault) from fault  # FAIL is recorded; the platform keeps the event
    return {"task_id": ev.task_id, "index": ev.index, "status": recorded.status, "recorded": recorded.recorded}


def _execute(
    deps: Deps,
    sub: Subtask,
    token: str,
    engine: Engine,
    time_budget: float,
    prepare: Callable[[], object] | None,
    phases: RunPhases | None = None,
) -> tuple[list[dict[str, Any]], str, dict[str, Any] | None]:
    phases = phases or RunPhases()
    task = deps.tasks.get_task(sub.task_id)
    if task is None:
        raise PermanentProcessingError("the task record is missing", code=media_errors.INTERNAL)
    check_buckets(deps, task)
    settings = deps.settings
    # The heartbeat covers the whole run, not only the engine: fetching a large input or the
    # engine's binary, and publishing large outputs, must not look like a dead worker.
    with (
        tempfile.TemporaryDirectory(prefix="openmps-", dir=settings.work_dir or None) as work,
        Heartbeat(deps.tasks, sub.task_id, sub.index, token, settings.heartbeat_seconds) as beat,
    ):
        if prepare is not None:
            prepare()
        phases.mark("prepare")
        src = Path(work) / ("input" + input_suffix(task.input_key))
        fetch_input(deps, task, src)
        phases.mark("fetch")
        probe = input_media_info(deps, task, src)
        phases.mark("probe")
        params = params_from_snapshot(sub.type, sub.template.get("params", {}))
        stem = output_stem(sub.type, sub.template.get("kind") or "", task.input_key, int(sub.template["definition"]))
        out_dir = Path(work) / "out"
        out_dir.mkdir()
        start_split(deps, task, sub, src, params, probe)  # raises SplitHandled when the transcode runs in parts
        run = engine(src, params, out_dir, stem, timeout=time_budget, on_progress=beat.report, probe=probe)
        phases.mark("engine")
        published = publish_run(deps, task, sub, run, beat)
        phases.mark("publish")
        return published
