"""One SDK call (DescribeTaskDetail, TC3-signed) against the same REST call (GET /api/v1/tasks/{id}).

    .venv/bin/python bench/mps_bench.py [--calls 200]

Starts the local stack, makes one task and runs both calls alternately on keep-alive connections
(the SDK's own session; a requests session for REST), so both see the same machine load. Prints the
median and p95 wall time of each, and the client's and the stack's CPU seconds per call (the stack's
from /proc of its process tree), side by side. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from tencentcloud.mps.v20190612 import models  # noqa: E402

from infra.local.harness import start_stack, stop_stack  # noqa: E402
from tests.media_fixtures import make_clip  # noqa: E402
from tests.sdk_signing import sdk_client  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
        except OSError:
            pass
        todo += children.get(current, [])
    return total


def measure(call, calls: int, stack_pid: int) -> tuple[list[float], float, float]:
    walls = []
    cpu0, server0 = time.process_time(), tree_cpu(stack_pid)
    for _ in range(calls):
        start = time.perf_counter()
        call()
        walls.append(time.perf_counter() - start)
    return walls, (time.process_time() - cpu0) / calls, (tree_cpu(stack_pid) - server0) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mps-bench-") as tmp:
        stack = start_stack(Path(tmp) / "data", "bench-token", {"OPENMPS_LOG_LEVEL": "WARNING"})
        try:
            key = stack.client.upload(make_clip(Path(tmp) / "b.mp4", seconds=1), key="bench/b.mp4")["key"]
            task_id = stack.client.create_task(
                {
                    "input": {"bucket": "openmps-input-1250000000", "key": key},
                    "subtasks": [{"type": "Snapshot", "definition": 10}],
                }
            )["task_id"]
            pair = json.loads((stack.data_dir / "api-key-pair.json").read_text())
            sdk = sdk_client(stack.url.removeprefix("http://"), pair["secret_id"], pair["secret_key"])
            request = models.DescribeTaskDetailRequest()
            request.TaskId = task_id
            rest = requests.Session()
            rest.headers["Authorization"] = f"Bearer {stack.token}"
            url = f"{stack.url}/api/v1/tasks/{task_id}"
            time.sleep(5)  # let the task finish, so both calls read a settled record

            def sdk_call() -> None:
                sdk.DescribeTaskDetail(request)

            def rest_call() -> None:
                rest.get(url, timeout=10).raise_for_status()

            for warm in (sdk_call, rest_call):
                for _ in range(10):
                    warm()
            results: dict[str, tuple[list[float], float, float]] = {"sdk": ([], 0.0, 0.0), "rest": ([], 0.0, 0.0)}
            rounds = 10
            for _ in range(rounds):  # alternate in blocks, so a load spike hits both
                for name, call in (("sdk", sdk_call), ("rest", rest_call)):
                    walls, cpu, server = measure(call, args.calls // rounds, stack.proc.pid)
                    old = results[name]
                    results[name] = (old[0] + walls, old[1] + cpu / rounds, old[2] + server / rounds)
        finally:
            stop_stack(stack)
    print(f"{'call':<36}{'median ms':>10}{'p95 ms':>9}{'client CPU ms':>15}{'stack CPU ms':>14}")
    labels = {"sdk": "SDK DescribeTaskDetail (TC3)", "rest": "REST GET /api/v1/tasks/{id}"}
    for name, (walls, cpu, server) in results.items():
        walls.sort()
        p95 = walls[int(len(walls) * 0.95) - 1]
        print(
            f"{labels[name]:<36}{statistics.median(walls) * 1000:>10.2f}{p95 * 1000:>9.2f}"
            f"{cpu * 1000:>15.2f}{server * 1000:>14.2f}"
        )


if __name__ == "__main__":
    main()
