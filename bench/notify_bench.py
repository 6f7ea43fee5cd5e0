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
from shared.domain import clock  # noqa: E402
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
            notify = {"url": rx.url, "mode": args.mode, "key": "bench-key"}
            # Warm up: one task first, so the figures are the steady state and not the function
            # processes' cold start (3-4 s of imports on a loaded machine; reported apart).
            warm_ids = create_tasks(stack, key, 1, notify)
            wait_for(lambda: len(rx.received()) >= (1 if args.mode == "finish" else 3), timeout=300)
            cold = latencies(stack, rx.received()[-1:])
            rx.record.write_text("")
            started = time.monotonic()
            task_ids = create_tasks(stack, key, args.tasks, notify)

            def finish_events() -> list[dict]:
                return [r for r in rx.received() if r["event"]["WorkflowTaskEvent"]["Status"] == "FINISH"]

            wait_for(lambda: len({r["event_id"] for r in finish_events()}) >= len(task_ids), timeout=1800, every=1)
            elapsed = time.monotonic() - started
            received = finish_events()
            firsts = {r["event_id"]: r for r in reversed(received)}
            events = [n for t in task_ids for n in stack.client.notifications(t)["notifications"]]
            states = [n["state"] for n in events]
            # Where the time goes: recording -> the first try's start (queueing of the notifier).
            waits = [
                clock.parse_iso(n["tries"][0]["at"]).timestamp() - clock.parse_iso(n["recorded_at"]).timestamp()
                for n in events
                if n["tries"]
            ]
            result = {
                "tasks": len(task_ids),
                "cold_start_latency_s": round(cold[0], 3),
                "warm_up_task": warm_ids[0],
                "mode": args.mode,
                "wall_s": round(elapsed, 1),
                "events_recorded": len(states),
                "events_delivered": states.count("delivered"),
                "finish_events_received": len(received),
                "lost": len(task_ids) - len(firsts),
                "latency_finish_to_receiver": summary(latencies(stack, list(firsts.values()))),
                "recorded_to_first_try": summary(waits),
                "tries_per_event": summary([float(len(n["tries"])) for n in events]),
            }
            print(json.dumps(result, indent=2))
        finally:
            stop_stack(stack)
            rx.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
