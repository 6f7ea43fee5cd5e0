"""Heartbeat of one part of a split transcode, written from a background thread.

Each beat proves two things: this part is alive (its own row, conditional on its claim) and the
subtask is alive (the subtask's heartbeat, with the progress of all its parts together), so the
reconciler sees a split subtask exactly like a whole one while any of its parts runs.

The first beat is written at once: between the subtask's first run handing out the parts and a
part starting, nobody beats the subtask.
"""

from __future__ import annotations

import time

from shared.domain import clock
from shared.domain.segments import combined_progress
from shared.domain.status import SubtaskStatus
from shared.services.heartbeat import Heartbeat
from shared.store.parts import PartStore
from shared.store.repo import TaskStore


class PartBeat(Heartbeat):
    """A Heartbeat whose beats are for one part (its own row) and for its subtask (combined progress)."""

    holds = "part"
    thread_name = "part-heartbeat"

    def __init__(
        self,
        tasks: TaskStore,
        parts: PartStore,
        run: str,
        number: int,
        token: str,
        sub: tuple[str, int, int],  # task_id, index, attempt
        interval: float,
    ) -> None:
        task_id, index, self._attempt = sub
        super().__init__(tasks, task_id, index, token, interval)
        self._parts, self._run_key, self._number = parts, run, number
        self._sub_token: str | None = None

    def __enter__(self) -> PartBeat:
        self._beat(self._progress, time.monotonic())  # at once: nobody beats the subtask till then
        super().__enter__()
        return self

    def _write(self, progress: int) -> bool:
        now = clock.now_iso()
        if not self._parts.beat(self._run_key, self._number, self._token, progress, now):
            return False  # taken over (its worker was thought dead) or the run was replaced
        _plan, parts = self._parts.read_run(self._run_key)
        combined = combined_progress([(p.kind, p.start, p.end, p.progress) for p in parts])
        if self._sub_token and self._tasks.heartbeat(self._task_id, self._index, self._sub_token, combined, now):
            return True
        sub = self._tasks.get_subtask(self._task_id, self._index)
        if sub is None or sub.attempt != self._attempt or sub.status != SubtaskStatus.PROCESSING:
            return False  # the subtask ended (failed by another part, or restarted): stop
        # The subtask's run that handed out the parts may have been replaced (a retry after a
        # lost part): beat for whichever run holds it now.
        self._sub_token = sub.claim_token
        if self._sub_token:
            self._tasks.heartbeat(self._task_id, self._index, self._sub_token, combined, now)
        return True
