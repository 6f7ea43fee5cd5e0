"""Decode once for a task's fusable outputs: a claimed subtask takes its waiting siblings along.

The worker that claimed one subtask also claims the siblings of the same task and attempt that their
kinds' ``fusion_key`` says share its decode (the Transcode renditions, and a Snapshot's sprite), each
with its own conditional claim and token, so terminate, restart, concurrency and stale-attempt rules
hold per subtask exactly as for a run alone: a sibling another worker claimed first is simply not
taken. One engine run serves them all; then each subtask's outputs are checked, published and
recorded on their own, with one heartbeat each.

A fused run never turns a success into a failure: an output that fails in it (or the whole run
failing) is run again alone, with its own kind's engine, and its result is the one it gets alone.
Only first runs are fused: a subtask given back for another try (a passing fault, a fused run out of
time, a lost worker) runs alone. A sibling whose claim is lost while it runs is dropped (nothing
published, nothing recorded) and the others go on. A fused run holds one slot of the function that
runs it (the transcode function's, also for a sprite); the siblings' own invocations find them
claimed, or their leader coming, and end at once.

Who fuses with whom, and who leads: shared/services/fusion_group.py.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.domain import kinds, media_errors
from shared.domain.errors import (
    EngineTimeoutError,
    PermanentProcessingError,
    RetryableProcessingError,
)
from shared.domain.model import Subtask
from shared.domain.naming import input_suffix, output_stem
from shared.media.contract import Engine, EngineResult
from shared.media.ffmpeg.fused import (
    FusedEngine,
    FusedOutput,
    fused_engine_for,
    unfused_engine,
)
from shared.media.ffmpeg.probe import MediaInfo
from shared.runtime.observability import logger
from shared.services.deps import Deps
from shared.services.fusion_group import Claimed
from shared.services.heartbeat import ClaimLostError, Heartbeat
from shared.services.input_metadata import input_media_info
from shared.services.outcome import (
    LOST,
    RELEASED,
    SUCCESS,
    Published,
    RecordedOutcome,
    exhausted_error,
    given_back_error,
    record_outcome,
)
from shared.services.publish_outputs import publish_run
from shared.services.split_transcode import SplitHandled, start_split
from shared.services.task_input import check_buckets, fetch_input
from shared.services.templates import params_from_snapshot

Prepare = Callable[[], object]  # as the worker's: runs once the subtasks are claimed


def run_fused(
    deps: Deps, members: list[Claimed], engine: Engine, *, time_budget: float, prepare: Prepare | None = None
) -> dict[str, Any]:
    """Run ``members`` (the leader first) as one engine run and record each one's outcome.

    Raises RetryableProcessingError, after recording the others, when the leader was given back to
    the queue (the worker's retry contract); given-back siblings are invoked again here.
    """
    fused = fused_engine_for(engine)
    assert fused is not None
    task_id = members[0].sub.task_id
    logger.info("fused run", extra={"indexes": [m.sub.index for m in members]})
    outcomes = _execute(deps, members, engine, fused, time_budget, prepare)
    statuses: dict[str, str] = {}
    leader_released = False
    leader_exhausted = False  # an exhausted sibling raises nothing: outcome.py says why
    for m in members:
        recorded = _record(deps, m, outcomes[m.sub.index])
        statuses[str(m.sub.index)] = recorded.status
        if recorded.status == RELEASED:
            if m is members[0]:
                leader_released = True
            else:
                _invoke_again(deps, m.sub)
        leader_exhausted |= recorded.exhausted and m is members[0]
    from shared.services.worker import notify_aggregator  # imported here: the worker imports this module

    notify_aggregator(deps, task_id)
    if leader_released:
        raise given_back_error(members[0].sub, "fused run given back")
    if leader_exhausted:  # the leader's own event, as a lone run's: the platform keeps it
        raise exhausted_error(members[0].sub, outcomes[members[0].sub.index])
    leader = members[0].sub.index
    return {"task_id": task_id, "index": leader, "status": statuses[str(leader)], "fused": statuses}


def _execute(
    deps: Deps, members: list[Claimed], engine: Engine, fused: FusedEngine, time_budget: float, prepare: Prepare | None
) -> dict[int, Published | BaseException]:
    deadline = time.monotonic() + time_budget
    outcomes: dict[int, Published | BaseException] = {}
    task = deps.tasks.get_task(members[0].sub.task_id)
    settings = deps.settings
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="openmps-", dir=settings.work_dir or None)))
        beats = {
            m.sub.index: stack.enter_context(
                Heartbeat(deps.tasks, m.sub.task_id, m.sub.index, m.token, settings.heartbeat_seconds)
            )
            for m in members
        }
        try:
            if task is None:
                raise PermanentProcessingError("the task record is missing", code=media_errors.INTERNAL)
            check_buckets(deps, task)
            if prepare is not None:
                prepare()
            src = work / ("input" + input_suffix(task.input_key))
            fetch_input(deps, task, src)
            probe = input_media_info(deps, task, src)
            shares = {m.sub.index: _share(m.sub, task.input_key, work) for m in members}
            for m in members:  # a long input's transcode is split across workers instead: it leaves the group
                try:
                    start_split(deps, task, m.sub, src, shares[m.sub.index].params, probe)
                except SplitHandled as split:
                    outcomes[m.sub.index] = split
        except Exception as exc:  # noqa: BLE001 - the input's fault is every member's, as it would be alone
            return {m.sub.index: outcomes.get(m.sub.index, exc) for m in members}
        live = [m.sub.index for m in members if m.sub.index not in outcomes]
        if not live:
            return outcomes
        members = [m for m in members if m.sub.index in live]

        def progress(percent: float) -> None:
            for index in list(live):
                try:
                    beats[index].report(percent)
                except ClaimLostError:
                    live.remove(index)  # dropped: the others go on
            if not live:
                raise ClaimLostError("no member of this fused run holds its subtask any more")

        try:
            left = max(1.0, deadline - time.monotonic())
            results = fused(
                src, [shares[m.sub.index] for m in members], timeout=left, on_progress=progress, probe=probe
            )
        except ClaimLostError as exc:
            return {**outcomes, **{m.sub.index: exc for m in members}}
        except Exception as exc:  # noqa: BLE001 - e.g. the input's probe: what every member meets alone
            results = [exc for _ in members]
        for m, result in zip(members, results, strict=True):
            index = m.sub.index
            if index not in live:
                outcomes[index] = ClaimLostError("dropped from the fused run: its claim was lost")
                continue
            if isinstance(result, EngineTimeoutError):  # the group's time, not this output's: try again alone
                outcomes[index] = RetryableProcessingError(f"the fused run ran out of time: {result.message}")
                continue
            if isinstance(result, Exception):
                alone = unfused_engine(shares[index].params)  # a sprite runs as the snapshot engine runs it
                result = _alone(alone, src, shares[index], beats[index], deadline, probe)
            if isinstance(result, BaseException):
                outcomes[index] = result
                continue
            try:
                outcomes[index] = publish_run(deps, task, m.sub, result, beats[index])
            except Exception as exc:  # noqa: BLE001 - a lost claim or a storage fault, recorded per member
                outcomes[index] = exc
    return outcomes


def _share(sub: Subtask, input_key: str, work: Path) -> FusedOutput:
    params = params_from_snapshot(sub.type, sub.template.get("params", {}))
    stem = output_stem(sub.type, sub.template.get("kind") or "", input_key, int(sub.template["definition"]))
    out_dir = work / f"out-{sub.index}"  # two subtasks of one template must not meet in one directory
    out_dir.mkdir()
    return FusedOutput(params=params, out_dir=out_dir, stem=stem)


def _alone(
    engine: Engine, src: Path, share: FusedOutput, beat: Heartbeat, deadline: float, probe: MediaInfo | None
) -> EngineResult | Exception:
    """The output run by itself, as an unfused worker would: its result or its own error."""
    try:
        left = max(1.0, deadline - time.monotonic())
        return engine(src, share.params, share.out_dir, share.stem, timeout=left, on_progress=beat.report, probe=probe)
    except Exception as exc:  # noqa: BLE001 - recorded per member
        return exc


def _record(deps: Deps, m: Claimed, outcome: Published | BaseException) -> RecordedOutcome:
    """The worker's outcome rules (shared/services/outcome.py), for one member."""
    if isinstance(outcome, SplitHandled):  # its parts record it
        return RecordedOutcome("SPLIT", recorded=False)
    recorded = record_outcome(deps, m.sub, m.token, outcome)
    if recorded.status == SUCCESS and not recorded.recorded:
        return RecordedOutcome(LOST, recorded=False)  # the claim went between publishing and recording
    return recorded


def _invoke_again(deps: Deps, sub: Subtask) -> None:
    event = {"task_id": sub.task_id, "index": sub.index, "attempt": sub.attempt}
    try:
        deps.invoker.invoke_async(kinds.get(sub.type).function, event)
    except Exception:  # noqa: BLE001 - the reconciler re-invokes what stays WAITING
        logger.exception("could not invoke a given-back sibling again")
