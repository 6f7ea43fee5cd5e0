"""Task lifecycles driven in-process, the way SCF drives the functions: a lifecycle creates its
task, delivers its invocations (those queued together side by side; one that raises is delivered
again, twice at most, as SCF retries an async invocation), restarts some finished tasks, and a
closing reconciler pass heals what a delivery given up on left behind. The engine is a tiny double that writes one file
and notes every run, so duplicates and overlaps show."""

from __future__ import annotations

import io
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.domain.errors import ConflictError
from shared.domain.ids import random_task_id
from shared.domain.kinds.snapshot import SNAPSHOT_PRESETS
from shared.domain.workflow import SubtaskSpec
from shared.invoke.port import Invoker
from shared.media.contract import EngineResult, OutputFile
from shared.services.aggregate import aggregate_task
from shared.services.create import create_and_dispatch, new_task
from shared.services.deps import Deps
from shared.services.operations import reopen
from shared.services.worker import run_subtask

SCF_DELIVERIES = 3  # SCF runs an async invocation once, then retries it twice
SPECS = [
    (SubtaskSpec("Snapshot", 10, "sampled"), SNAPSHOT_PRESETS[("sampled", 10)]),
    (SubtaskSpec("Snapshot", 10, "time_offset"), SNAPSHOT_PRESETS[("time_offset", 10)]),
]


class Mailbox(Invoker):
    """Holds each task's invocations for the lifecycle that owns the task."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)

    def invoke_async(self, function: str, event: dict[str, Any]) -> None:
        with self._lock:
            self._queued[event["task_id"]].append((function, dict(event)))

    def take(self, task_id: str) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return self._queued.pop(task_id, [])


class RecordingEngine:
    """An engine double: one small output named after the input's content (the task id) and the
    stem (the subtask), and a record of every run and of any two runs of one subtask at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.runs: Counter[tuple[str, str]] = Counter()
        self._running: set[tuple[str, str]] = set()
        self.overlaps: list[tuple[str, str]] = []

    def __call__(
        self,
        src: Path,
        params: Any,
        out_dir: Path,
        stem: str,
        *,
        timeout: float,
        on_progress: Any = None,
        probe: Any = None,
    ) -> EngineResult:
        key = (src.read_text(), stem)
        with self._lock:
            if key in self._running:
                self.overlaps.append(key)
            self._running.add(key)
            self.runs[key] += 1
        try:
            if on_progress is not None:
                on_progress(50)
            out = out_dir / f"{stem}.txt"
            out.write_text(f"{key[0]} {stem}\n")
            return EngineResult(outputs=[OutputFile(out.name, out, {"size": out.stat().st_size})], log_tail="ok")
        finally:
            with self._lock:
                self._running.discard(key)


@dataclass
class Tally:
    """What the lifecycles saw, for the assertions and the figures."""

    deliveries: int = 0
    redeliveries: int = 0  # a handler raised and SCF would deliver the event again
    given_up: int = 0  # raised on every delivery: only the reconciler can heal it
    restarts: dict[str, tuple[int, int]] = field(default_factory=dict)  # task id -> (answered 200, unknown)
    restart_refusals: int = 0
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)


def deliver(deps: Deps, engine: RecordingEngine, function: str, event: dict[str, Any], tally: Tally) -> None:
    handler: Callable[[], Any]
    if function == "aggregator":

        def handler() -> Any:
            return aggregate_task(deps.tasks, event["task_id"])
    else:

        def handler() -> Any:
            return run_subtask(deps, event, engine, time_budget=60)

    for n in range(SCF_DELIVERIES):
        tally.add(deliveries=1, redeliveries=1 if n else 0)
        try:
            handler()
            return
        except Exception as exc:  # noqa: BLE001 - any raise asks SCF for another delivery
            last = f"{function} {event}: {type(exc).__name__}: {exc}"
    tally.add(given_up=1)
    with tally._lock:
        tally.errors.append(last)


def drain(deps: Deps, mailbox: Mailbox, engine: RecordingEngine, task_id: str, tally: Tally) -> None:
    for _ in range(50):
        queued = mailbox.take(task_id)
        if not queued:
            return
        # The invocations queued together run at once, as SCF runs a task's workers side by side.
        runs = [threading.Thread(target=deliver, args=(deps, engine, f, e, tally)) for f, e in queued[1:]]
        for run in runs:
            run.start()
        deliver(deps, engine, *queued[0], tally)
        for run in runs:
            run.join()


def create(deps: Deps, account: str, number: int) -> tuple[Any, list[Any]]:
    task_id = random_task_id(deps.settings.appid)
    key = f"faults/{number}-{task_id[-8:]}.mp4"
    deps.storage.put_stream(deps.settings.input_bucket, key, io.BytesIO(task_id.encode()))
    return new_task(
        task_id=task_id,
        account=account,
        input_bucket=deps.settings.input_bucket,
        input_key=key,
        input_etag=None,
        input_size=len(task_id),
        output_bucket=deps.settings.output_bucket,
        output_dir=f"faults/{task_id}/",
        origin="api",
        specs=SPECS,
    )


def lifecycle(
    deps: Deps, mailbox: Mailbox, engine: RecordingEngine, account: str, number: int, restarts: int, tally: Tally
) -> str:
    """Create, run to the end, and restart ``restarts`` times (each run to the end again)."""
    task, subtasks = create(deps, account, number)
    for _ in range(SCF_DELIVERIES):  # the trigger, too, is delivered again when it raises
        try:
            create_and_dispatch(deps.tasks, deps.invoker, task, subtasks)
            break
        except Exception:  # noqa: BLE001
            tally.add(redeliveries=1)
    drain(deps, mailbox, engine, task.task_id, tally)
    done = unknown = 0
    for _ in range(restarts):
        try:
            reopen(deps, account, task.task_id, only_failed=False)
            done += 1
        except ConflictError:
            tally.add(restart_refusals=1)  # not finished yet (a delivery given up on): allowed
        except Exception:  # noqa: BLE001 - a table fault that outlived the retries: the user's 5xx,
            unknown += 1  # and the restart may or may not have begun
        drain(deps, mailbox, engine, task.task_id, tally)
    with tally._lock:
        tally.restarts[task.task_id] = (done, unknown)
    return task.task_id
