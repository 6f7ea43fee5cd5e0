"""The parts of a split transcode: one row per (task, subtask, attempt, part), each with its own
conditional claim, heartbeat, status and staged output, and a plan row that counts the parts done.

Like the task store, every write is a single-item conditional write; a lost condition returns False.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition

from shared.domain.status import SubtaskStatus
from shared.runtime.settings import Settings
from shared.store.conditional import _conditional, _LostCondition
from shared.store.models import PartModel, bind_models

PLAN = 0


def run_key(task_id: str, index: int, attempt: int) -> str:
    return f"{task_id}#{index}#{attempt}"


@dataclass(frozen=True)
class Part:
    number: int
    kind: str  # video | audio
    status: SubtaskStatus
    start: float | None = None
    end: float | None = None
    read_until: float | None = None
    tries: int = 0
    claim_token: str | None = None
    heartbeat: str | None = None
    progress: int = 0
    staged_key: str | None = None
    err_code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Plan:
    n_parts: int
    done: frozenset[int]
    video_offset: float


def _part(item: PartModel) -> Part:
    return Part(
        number=int(item.part),
        kind=item.kind,
        status=SubtaskStatus(item.status),
        start=item.start,
        end=item.end,
        read_until=item.read_until,
        tries=int(item.tries or 0),
        claim_token=item.claim_token,
        heartbeat=item.heartbeat,
        progress=int(item.progress or 0),
        staged_key=item.staged_key,
        err_code=item.err_code,
        message=item.message,
    )


def _updated(item: PartModel, actions: list[Any], condition: Condition) -> bool:
    try:
        with _conditional():
            item.update(actions=actions, condition=condition)
        return True
    except _LostCondition:
        return False


class PartStore:
    def __init__(self, settings: Settings) -> None:
        bind_models(settings)

    def create_run(self, run: str, parts: list[Part], video_offset: float, now: str) -> bool:
        """Parts first, then the plan row: a crash in between leaves parts without a plan, which the
        next try writes again. False if the plan existed (another run planned first)."""
        for p in parts:
            try:
                with _conditional():
                    PartModel(
                        run,
                        p.number,
                        kind=p.kind,
                        status=SubtaskStatus.WAITING.value,
                        start=p.start,
                        end=p.end,
                        read_until=p.read_until,
                        create_time=now,
                    ).save(condition=PartModel.run.does_not_exist())
            except _LostCondition:
                pass
        try:
            with _conditional():
                PartModel(run, PLAN, kind="plan", n_parts=len(parts), video_offset=video_offset, create_time=now).save(
                    condition=PartModel.run.does_not_exist()
                )
        except _LostCondition:
            return False
        return True

    def read_run(self, run: str) -> tuple[Plan | None, list[Part]]:
        plan, parts = None, []
        for item in PartModel.query(run, consistent_read=True):
            if int(item.part) == PLAN:
                done = frozenset(int(n) for n in (item.done or ()))
                plan = Plan(int(item.n_parts or 0), done, float(item.video_offset or 0.0))
            else:
                parts.append(_part(item))
        return plan, sorted(parts, key=lambda p: p.number)

    def claim(self, run: str, number: int, token: str, now: str) -> bool:
        return _updated(
            PartModel(run, number),
            [
                PartModel.status.set(SubtaskStatus.PROCESSING.value),
                PartModel.claim_token.set(token),
                PartModel.heartbeat.set(now),
                PartModel.progress.set(0),
                PartModel.tries.add(1),
            ],
            PartModel.status == SubtaskStatus.WAITING.value,
        )

    def beat(self, run: str, number: int, token: str, progress: int, now: str) -> bool:
        return _updated(
            PartModel(run, number),
            [PartModel.progress.set(max(0, min(100, progress))), PartModel.heartbeat.set(now)],
            (PartModel.claim_token == token) & (PartModel.status == SubtaskStatus.PROCESSING.value),
        )

    def finish(
        self,
        run: str,
        number: int,
        token: str,
        status: SubtaskStatus,
        *,
        staged_key: str | None = None,
        err_code: str | None = None,
        message: str | None = None,
    ) -> bool:
        actions = [PartModel.status.set(status.value)]
        if status == SubtaskStatus.SUCCESS:
            actions.append(PartModel.progress.set(100))
        if staged_key:
            actions.append(PartModel.staged_key.set(staged_key))
        if err_code:
            actions += [PartModel.err_code.set(err_code), PartModel.message.set(message or err_code)]
        return _updated(
            PartModel(run, number),
            actions,
            (PartModel.claim_token == token) & (PartModel.status == SubtaskStatus.PROCESSING.value),
        )

    def release(self, run: str, number: int, token: str, expect_heartbeat: str | None = None) -> bool:
        """Back to WAITING: a passing fault (the event comes again), or a part whose worker died
        (``expect_heartbeat``: only if it has not beaten since it was seen)."""
        condition = (PartModel.claim_token == token) & (PartModel.status == SubtaskStatus.PROCESSING.value)
        if expect_heartbeat is not None:
            condition &= PartModel.heartbeat == expect_heartbeat
        return _updated(
            PartModel(run, number),
            [PartModel.status.set(SubtaskStatus.WAITING.value), PartModel.claim_token.remove()],
            condition,
        )

    def mark_done(self, run: str, number: int) -> int:
        """Add a succeeded part to the plan's set; returns how many parts are done now. Exactly one
        caller sees the count reach the number of parts: each part succeeds once (its claim)."""
        item = PartModel(run, PLAN)
        item.update(actions=[PartModel.done.add({number})], condition=PartModel.run.exists())
        return len(item.done or ())

    def delete_run(self, run: str) -> int:
        """Forget a run's rows (its output is published, or a newer attempt replaced it)."""
        deleted = 0
        for item in PartModel.query(run, consistent_read=True):
            item.delete()
            deleted += 1
        return deleted
