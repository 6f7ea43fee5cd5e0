"""The subtask's lifecycle writes: claim, heartbeat, result, give back, fail a lost or cancelled
one, and carry it into a restart's new attempt. Each is conditional on the claim token or the
attempt the caller saw, so a stale run, a duplicate or a race can never overwrite the current state."""

from __future__ import annotations

from typing import Any

from shared.domain.status import SubtaskStatus
from shared.store.conditional import _update
from shared.store.models import SubtaskModel


def _fail_actions(now: str, err_code: str, message: str) -> list[Any]:
    """A subtask ends in FAIL without a result of its own (lost worker, cancelled)."""
    return [
        SubtaskModel.status.set(SubtaskStatus.FAIL.value),
        SubtaskModel.finish_time.set(now),
        SubtaskModel.err_code.set(err_code),
        SubtaskModel.message.set(message),
        SubtaskModel.active.remove(),
        SubtaskModel.active_at.remove(),
    ]


def _failed_by(sub: Any, now: str, err_code: str) -> bool:
    return bool(sub.status == SubtaskStatus.FAIL.value and sub.err_code == err_code and sub.finish_time == now)


class SubtaskWrites:
    def claim_subtask(self, task_id: str, index: int, attempt: int, token: str, now: str) -> bool:
        return _update(
            SubtaskModel(task_id, index),
            [
                SubtaskModel.status.set(SubtaskStatus.PROCESSING.value),
                SubtaskModel.claim_token.set(token),
                SubtaskModel.begin_time.set(now),
                SubtaskModel.heartbeat.set(now),
                SubtaskModel.progress.set(0),
                SubtaskModel.tries.add(1),
                SubtaskModel.active.set(SubtaskStatus.PROCESSING.value),
                SubtaskModel.active_at.set(now),
                SubtaskModel.err_code.remove(),
                SubtaskModel.message.remove(),
            ],
            (SubtaskModel.status == SubtaskStatus.WAITING.value) & (SubtaskModel.attempt == attempt),
            lambda s: s.claim_token == token and s.attempt == attempt and s.status == SubtaskStatus.PROCESSING.value,
        )

    def heartbeat(self, task_id: str, index: int, token: str, progress: int, now: str) -> bool:
        return _update(
            SubtaskModel(task_id, index),
            [
                SubtaskModel.progress.set(max(0, min(100, int(progress)))),
                SubtaskModel.heartbeat.set(now),
                SubtaskModel.active_at.set(now),
            ],
            (SubtaskModel.claim_token == token) & (SubtaskModel.status == SubtaskStatus.PROCESSING.value),
            lambda s: s.claim_token == token and s.status == SubtaskStatus.PROCESSING.value,
        )

    def finish_subtask(
        self,
        task_id: str,
        index: int,
        token: str,
        *,
        status: SubtaskStatus,
        now: str,
        outputs: list[dict[str, Any]] | None = None,
        err_code: str | None = None,
        message: str | None = None,
        log_tail: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> bool:
        """Record a result, only for the run that holds the claim: a stale attempt, a run the
        reconciler gave up on, or a duplicate can never overwrite the current state."""
        actions = [
            SubtaskModel.status.set(status.value),
            SubtaskModel.finish_time.set(now),
            SubtaskModel.active.remove(),
            SubtaskModel.active_at.remove(),
        ]
        if status == SubtaskStatus.SUCCESS:
            actions.append(SubtaskModel.progress.set(100))
        if outputs is not None:
            actions.append(SubtaskModel.outputs.set(outputs))
        if err_code:
            actions += [SubtaskModel.err_code.set(err_code), SubtaskModel.message.set(message or err_code)]
        if log_tail:
            actions.append(SubtaskModel.log_tail.set(log_tail[-8000:]))
        if result is not None:
            actions.append(SubtaskModel.result.set(result))
        return _update(
            SubtaskModel(task_id, index),
            actions,
            (SubtaskModel.claim_token == token) & (SubtaskModel.status == SubtaskStatus.PROCESSING.value),
            lambda s: s.claim_token == token and s.status == status.value and s.finish_time == now,
        )

    def release_subtask(
        self, task_id: str, index: int, token: str, now: str, expect_heartbeat: str | None = None
    ) -> bool:
        """Give a claimed subtask back to the queue (a passing fault, or a lost worker that gets
        one more run). With expect_heartbeat, only if the worker has not beaten since."""
        condition = (SubtaskModel.claim_token == token) & (SubtaskModel.status == SubtaskStatus.PROCESSING.value)
        if expect_heartbeat is not None:
            condition &= SubtaskModel.heartbeat == expect_heartbeat
        return _update(
            SubtaskModel(task_id, index),
            [
                SubtaskModel.status.set(SubtaskStatus.WAITING.value),
                SubtaskModel.claim_token.remove(),
                SubtaskModel.active.set(SubtaskStatus.WAITING.value),
                SubtaskModel.active_at.set(now),
                SubtaskModel.queued_time.set(now),
                SubtaskModel.progress.set(0),
            ],
            condition,
            lambda s: s.status == SubtaskStatus.WAITING.value and s.claim_token is None and s.queued_time == now,
        )

    def fail_lost_subtask(
        self, task_id: str, index: int, token: str, expect_heartbeat: str, now: str, err_code: str, message: str
    ) -> bool:
        return _update(
            SubtaskModel(task_id, index),
            _fail_actions(now, err_code, message),
            (SubtaskModel.claim_token == token)
            & (SubtaskModel.heartbeat == expect_heartbeat)
            & (SubtaskModel.status == SubtaskStatus.PROCESSING.value),
            lambda s: s.claim_token == token and _failed_by(s, now, err_code),
        )

    def cancel_waiting_subtask(
        self, task_id: str, index: int, attempt: int, now: str, err_code: str, message: str
    ) -> bool:
        return _update(
            SubtaskModel(task_id, index),
            _fail_actions(now, err_code, message),
            (SubtaskModel.status == SubtaskStatus.WAITING.value) & (SubtaskModel.attempt == attempt),
            lambda s: s.attempt == attempt and _failed_by(s, now, err_code),
        )

    def touch_waiting_subtask(self, task_id: str, index: int, attempt: int, now: str) -> bool:
        """Note a re-invocation of a queued subtask, so the reconciler does not repeat it at once."""
        return _update(
            SubtaskModel(task_id, index),
            [SubtaskModel.active_at.set(now)],
            (SubtaskModel.status == SubtaskStatus.WAITING.value) & (SubtaskModel.attempt == attempt),
            lambda s: s.status == SubtaskStatus.WAITING.value and s.attempt == attempt and s.active_at == now,
        )

    def requeue_subtask(self, task_id: str, index: int, from_attempt: int, to_attempt: int, now: str) -> bool:
        """Move a subtask of an old attempt into the new one, queued and clean."""
        return _update(
            SubtaskModel(task_id, index),
            [
                SubtaskModel.attempt.set(to_attempt),
                SubtaskModel.status.set(SubtaskStatus.WAITING.value),
                SubtaskModel.tries.set(0),
                SubtaskModel.progress.set(0),
                SubtaskModel.queued_time.set(now),
                SubtaskModel.active.set(SubtaskStatus.WAITING.value),
                SubtaskModel.active_at.set(now),
                SubtaskModel.begin_time.remove(),
                SubtaskModel.finish_time.remove(),
                SubtaskModel.heartbeat.remove(),
                SubtaskModel.claim_token.remove(),
                SubtaskModel.err_code.remove(),
                SubtaskModel.message.remove(),
                SubtaskModel.outputs.remove(),
                SubtaskModel.result.remove(),
                SubtaskModel.log_tail.remove(),
            ],
            SubtaskModel.attempt == from_attempt,
            lambda s: s.attempt == to_attempt and s.status == SubtaskStatus.WAITING.value and s.queued_time == now,
        )

    def carry_subtask(self, task_id: str, index: int, from_attempt: int, to_attempt: int) -> bool:
        """Keep a successful subtask, and its outputs, in the new attempt (retry-failed)."""
        return _update(
            SubtaskModel(task_id, index),
            [SubtaskModel.attempt.set(to_attempt)],
            (SubtaskModel.attempt == from_attempt) & (SubtaskModel.status == SubtaskStatus.SUCCESS.value),
            lambda s: s.attempt == to_attempt and s.status == SubtaskStatus.SUCCESS.value,
        )
