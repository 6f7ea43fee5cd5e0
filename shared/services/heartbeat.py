"""Progress and heartbeat of a running subtask, written from a background thread (throttled).

Two paces: the heartbeat (proof of life for the reconciler) is written every ``interval``; a
progress change is written within ``PROGRESS_SECONDS``, so a console's bar moves about once a
second whatever the heartbeat interval is, and an idle engine costs no extra writes.

If a write finds the claim gone (the reconciler gave the run up, or the task was restarted),
``lost`` is set and the next progress report raises ClaimLostError, which stops the engine.
"""

from __future__ import annotations

import threading
import time

from shared.domain import clock
from shared.domain.errors import OpenMpsError
from shared.store.repo import TaskStore

PROGRESS_SECONDS = 1.0


class ClaimLostError(OpenMpsError):
    code = "WorkerLost"


class Heartbeat:
    """Beats for one claimed subtask. The pacing is here; what one beat writes is ``_write``, which
    a beat for something else (part_heartbeat.PartBeat) overrides."""

    holds = "subtask"  # what a lost claim no longer holds, for the engine's error
    thread_name = "heartbeat"

    def __init__(self, tasks: TaskStore, task_id: str, index: int, token: str, interval: float) -> None:
        self._tasks, self._task_id, self._index, self._token = tasks, task_id, index, token
        self._interval = interval
        self._progress = 0
        self._written, self._last_write = -1, 0.0  # the last beat in the table: its progress, when
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
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
            raise ClaimLostError(f"this run no longer holds its {self.holds}")
        self._progress = max(self._progress, min(99, int(percent)))

    def _run(self) -> None:
        tick = min(self._interval, PROGRESS_SECONDS)
        while not self._stop.wait(tick) and not self.lost:
            now = time.monotonic()
            progress = self._progress
            if progress == self._written and now - self._last_write < self._interval - tick / 2:
                continue
            try:
                self._beat(progress, now)
            except Exception:  # a passing table fault: the next beat tries again
                continue

    def _beat(self, progress: int, at: float) -> None:
        if self._write(progress):
            self._written, self._last_write = progress, at
        else:
            self.lost = True

    def _write(self, progress: int) -> bool:
        """Write one beat; False once the claim is gone (the reconciler gave the run up, or the
        task was restarted)."""
        return self._tasks.heartbeat(self._task_id, self._index, self._token, progress, clock.now_iso())
