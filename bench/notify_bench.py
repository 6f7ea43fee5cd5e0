"""Delivery latency of event notifications: a task's FINISH (its finish_time in the table) to the
receiver's clock when the event arrives, on the local stack with a real receiver process.

    .venv/bin/python bench/notify_bench.py [--tasks 50] [--mode finish|change]

Tasks are one sampled snapshot of a 1 s clip (the pipeline's own time is not what is measured),
created together so the notifier works under load. Reports median, p95 and max in seconds, and
how many events were recorded, delivered and lost.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.local.harness import start_stack, stop_stack, wait_for  # noqa: E402
from tests.e2e.notify_stack import create_tasks, latencies, source_key, summary  # noqa: E402
from tests.notify_receiver import ReceiverProcess  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--mode", choices=["finish", "change"], default="finish")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="notify-bench-") as tmp_name:
        tmp = Path(tmp_name)
        rx = ReceiverProcess(tmp, key="bench-key").start()
        stack = start_stack(tmp / "data", "bench-token", {"OPENMPS_RECONCILE_EVERY": "5"})
        try:
            key = source_key(stack, tmp)
            started = time.monotonic()
            task_ids = create_tasks(stack, key, args.tasks, {"url": rx.url, "mode": args.mode, "key": "bench-key"})

            def finish_events() -> list[dict]:
                return [r for r in rx.received() if r["event"]["WorkflowTaskEvent"]["Status"] == "FINISH"]

            wait_for(lambda: len({r["event_id"] for r in finish_events()}) >= len(task_ids), timeout=1800, every=1)
            elapsed = time.monotonic() - started
            received = finish_events()
            firsts = {r["event_id"]: r for r in reversed(received)}
            states = [n["state"] for t in task_ids for n in stack.client.notifications(t)["notifications"]]
            result = {
                "tasks": len(task_ids),
                "mode": args.mode,
                "wall_s": round(elapsed, 1),
                "events_recorded": len(states),
                "events_delivered": states.count("delivered"),
                "finish_events_received": len(received),
                "lost": len(task_ids) - len(firsts),
                "latency_finish_to_receiver": summary(latencies(stack, list(firsts.values()))),
            }
            print(json.dumps(result, indent=2))
        finally:
            stop_stack(stack)
            rx.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
