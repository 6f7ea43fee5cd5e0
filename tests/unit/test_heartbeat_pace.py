"""The heartbeat writes progress changes within about a second, whatever its interval, and writes
nothing more while progress stands still (until the heartbeat itself is due)."""

from __future__ import annotations

import threading
import time

from shared.services.heartbeat import PROGRESS_SECONDS, Heartbeat


class RecordingStore:
    """Stands in for TaskStore.heartbeat (the only method a Heartbeat calls)."""

    def __init__(self) -> None:
        self.writes: list[tuple[float, int]] = []
        self.lock = threading.Lock()

    def heartbeat(self, task_id: str, index: int, token: str, progress: int, now: str) -> bool:
        with self.lock:
            self.writes.append((time.monotonic(), progress))
        return True


def test_progress_is_written_every_second_with_a_slow_heartbeat() -> None:
    # GIVEN a heartbeat due only every 30 s
    store = RecordingStore()
    with Heartbeat(store, "t", 1, "tok", interval=30.0) as beat:  # type: ignore[arg-type]
        # WHEN the engine reports progress for 3.5 s
        started = time.monotonic()
        while time.monotonic() - started < 3.5:
            beat.report((time.monotonic() - started) * 20)
            time.sleep(0.1)
    # THEN at least three writes carried rising progress, about a second apart
    progress = [p for _, p in store.writes]
    assert len(progress) >= 3 and progress == sorted(progress) and progress[-1] >= 50
    gaps = [b - a for (a, _), (b, _) in zip(store.writes, store.writes[1:], strict=False)]
    assert max(gaps) < PROGRESS_SECONDS * 2.5


def test_no_write_while_progress_stands_still() -> None:
    # GIVEN a heartbeat due every 30 s and progress that stays at 40
    store = RecordingStore()
    with Heartbeat(store, "t", 1, "tok", interval=30.0) as beat:  # type: ignore[arg-type]
        beat.report(40)
        time.sleep(3.2)
    # THEN one write said 40 and nothing followed
    assert [p for _, p in store.writes] == [40]
