"""The local stack with a notification receiver: crash it, take the receiver away, count events."""

from __future__ import annotations

import os
import signal
import statistics
from pathlib import Path
from typing import Any

from infra.local.harness import RunningStack, children_of
from shared.domain import clock
from tests.media_fixtures import make_clip

# Short retries, so an outage of seconds stands for one of minutes; the reconciler every second.
FAST_NOTIFY = {
    "OPENMPS_RECONCILE_EVERY": "1",
    "OPENMPS_NOTIFY_RETRY_DELAYS": "0.5,1,2",
    "OPENMPS_NOTIFY_TIMEOUT_SECONDS": "2",
    "OPENMPS_HEARTBEAT_SECONDS": "0.5",
    "OPENMPS_STALE_AFTER_SECONDS": "6",
}
SNAPSHOT = [{"type": "Snapshot", "definition": 10, "kind": "sampled"}]


def kill_9(stack: RunningStack) -> None:
    """A crash of the machine, as far as the stack knows: SIGKILL to it and every process under it."""
    doomed, todo = [], [stack.proc.pid]
    while todo:
        pid = todo.pop()
        doomed.append(pid)
        todo.extend(children_of(pid))
    for pid in doomed:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    stack.proc.wait()


def source_key(stack: RunningStack, tmp: Path) -> str:
    """One small clip, uploaded outside any workflow's prefix, that every task reads."""
    clip = make_clip(tmp / "n.mp4", seconds=1, width=64, height=48, audio=False)
    ticket = stack.client.upload(clip, key="media/n.mp4")
    return str(ticket["key"])


def create_tasks(stack: RunningStack, key: str, n: int, notify: dict[str, Any]) -> list[str]:
    bucket = stack.client.config()["input_bucket"]
    body = {"input": {"bucket": bucket, "key": key}, "subtasks": SNAPSHOT, "notify": notify}
    return [stack.client.create_task(body)["task_id"] for _ in range(n)]


def latencies(stack: RunningStack, received: list[dict[str, Any]]) -> list[float]:
    """Seconds from each task's FINISH (in the table) to the receiver's clock at arrival."""
    out = []
    for r in received:
        task = stack.client.task(r["event"]["WorkflowTaskEvent"]["TaskId"])
        out.append(r["received_at"] - clock.parse_iso(task["finish_time"]).timestamp())
    return out


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median_s": round(statistics.median(ordered), 3),
        "p95_s": round(ordered[max(0, int(round(0.95 * len(ordered))) - 1)], 3),
        "max_s": round(ordered[-1], 3),
    }
