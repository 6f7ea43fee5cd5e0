"""Progress and heartbeat of a running subtask, written from a background thread (throttled).

If a write finds the claim gone (the reconciler gave the run up, or the task was restarted),
``lost`` is set and the next progress report raises ClaimLostError, which stops the engine.
"""

from __future__ import annotations

import threading

from shared.domain import clock
from shared.domain.errors import OpenMpsError
from shared.store.repo import TaskStore


class ClaimLostError(OpenMpsError):
    code = "WorkerLost"


class Heartbeat:
    def __init__(self, tasks: TaskStore, task_id: str, index: int, token: str, interval: float) -> None:
        self._tasks, self._task_id, self._index, self._token = tasks, task_id, index, token
        self._interval = interval
        self._progress = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self.lost = False

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self._interval + 5)

    def report(self, percent: float) -> None:
        """Engine progress callback (0-100)."""
        if self.lost:
            raise ClaimLostError("this run no longer holds its subtask")
        self._progress = max(self._progress, min(99, int(percent)))

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                ok = self._tasks.heartbeat(self._task_id, self._index, self._token, self._progress, clock.now_iso())
            except Exception:  # a passing table fault: the next beat tries again
                continue
            if not ok:
                self.lost = True
                return
