"""The heartbeat writes progress changes within about a second, whatever its interval, and writes
nothing more while progress stands still (until the heartbeat itself is due)."""

from __future__ import annotations

import threading
import time

import pytest

from shared.domain.status import SubtaskStatus
from shared.services.heartbeat import PROGRESS_SECONDS, ClaimLostError, Heartbeat
from shared.services.part_heartbeat import PartBeat
from shared.store.parts import Part


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


class RecordingParts:
    """Stands in for the PartStore methods a PartBeat calls: one video part's row."""

    def __init__(self, holds: bool = True) -> None:
        self.writes: list[tuple[float, int]] = []
        self.holds = holds

    def beat(self, run: str, number: int, token: str, progress: int, now: str) -> bool:
        self.writes.append((time.monotonic(), progress))
        return self.holds

    def read_run(self, run: str) -> tuple[None, list[Part]]:
        last = self.writes[-1][1] if self.writes else 0
        return None, [Part(1, "video", SubtaskStatus.PROCESSING, start=0.0, end=10.0, progress=last)]


def test_a_part_beats_at_once_then_at_the_same_pace():
    # GIVEN a part's heartbeat due only every 30 s, whose subtask's run holds token "sub"
    store, parts = RecordingStore(), RecordingParts()
    beat = PartBeat(store, parts, "run", 1, "part-tok", ("t", 1, 0), interval=30.0)  # type: ignore[arg-type]
    beat._sub_token = "sub"
    with beat:
        # THEN its first beat is written on entering, before any tick
        assert [p for _, p in parts.writes] == [0] and [p for _, p in store.writes] == [0]
        # WHEN the engine reports progress for 3.5 s
        started = time.monotonic()
        while time.monotonic() - started < 3.5:
            beat.report((time.monotonic() - started) * 20)
            time.sleep(0.1)
    # THEN the part row and the subtask both got rising progress about a second apart
    progress = [p for _, p in parts.writes]
    assert len(progress) >= 4 and progress == sorted(progress) and progress[-1] >= 50
    assert len(store.writes) == len(parts.writes)
    gaps = [b - a for (a, _), (b, _) in zip(parts.writes, parts.writes[1:], strict=False)]
    assert max(gaps) < PROGRESS_SECONDS * 2.5


def test_a_part_whose_row_is_taken_over_stops_its_engine():
    # GIVEN a part whose row another run holds
    beat = PartBeat(RecordingStore(), RecordingParts(holds=False), "run", 1, "tok", ("t", 1, 0), interval=30.0)  # type: ignore[arg-type]
    with beat:
        # WHEN the engine reports progress THEN it is told its part is gone
        with pytest.raises(ClaimLostError, match="its part"):
            beat.report(10)
