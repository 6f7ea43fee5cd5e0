"""Task-list latency at 100k tasks (dynalite, the local table server).

    .venv/bin/python bench/list_bench.py [--tasks 100000]

Loads N tasks of one account (90 % FINISH of which 5 % with failures, 5 % PROCESSING, 5 %
WAITING; 1000 input folders; 30 days of create times), then times every list path of the API's
query service against the indexes, median and p95 of repeated runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.local.dynalite import Dynalite  # noqa: E402
from shared.domain import clock  # noqa: E402
from shared.domain.ids import random_task_id  # noqa: E402
from shared.domain.model import Task  # noqa: E402
from shared.domain.status import SubtaskCounts, TaskStatus  # noqa: E402
from shared.runtime.settings import Settings  # noqa: E402
from shared.services import queries  # noqa: E402
from shared.store.convert import task_to_item  # noqa: E402
from shared.store.models import CounterModel, TaskModel, create_missing_tables  # noqa: E402
from shared.store.repo import TaskStore, task_total_counter  # noqa: E402

ACCOUNT = "bench"


def make_task(rng: random.Random, now) -> Task:  # type: ignore[no-untyped-def]
    roll = rng.random()
    status = TaskStatus.WAITING if roll < 0.05 else TaskStatus.PROCESSING if roll < 0.10 else TaskStatus.FINISH
    failed = status == TaskStatus.FINISH and rng.random() < 0.05
    created = clock.iso(now - timedelta(seconds=rng.random() * 30 * 86400))
    counts = (
        SubtaskCounts(waiting=2)
        if status == TaskStatus.WAITING
        else SubtaskCounts(processing=1, waiting=1)
        if status == TaskStatus.PROCESSING
        else SubtaskCounts(success=1, fail=1)
        if failed
        else SubtaskCounts(success=2)
    )
    key = f"input/cam-{rng.randrange(1000):04d}/{rng.random():.8f}.mp4"
    return Task(
        task_id=random_task_id("1250000000"),
        account=ACCOUNT,
        create_time=created,
        input_bucket="openmps-input-1250000000",
        input_key=key,
        output_bucket="openmps-output-1250000000",
        output_dir="output/x/",
        origin="upload",
        status=status,
        counts=counts,
        finish_time=created if status == TaskStatus.FINISH else None,
    )


def load(n: int) -> None:
    rng = random.Random(42)
    now = clock.now()
    tasks = [make_task(rng, now) for _ in range(n)]

    def write(chunk: list[Task]) -> None:
        with TaskModel.batch_write() as batch:
            for task in chunk:
                batch.save(task_to_item(task))

    chunks = [tasks[i : i + 500] for i in range(0, n, 500)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, chunks))
    # Bulk loading skips create_task, which keeps the account's total: set it as it would be.
    CounterModel(task_total_counter(ACCOUNT), value=n).save()


def timed(fn, runs: int = 15) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openmps-listbench-") as tmp:
        server = Dynalite(Path(tmp) / "table")
        server.start()
        try:
            settings = Settings(table_endpoint=server.endpoint)
            create_missing_tables(settings)
            started = time.perf_counter()
            load(args.tasks)
            print(f"loaded {args.tasks} tasks in {time.perf_counter() - started:.0f} s")
            store = TaskStore(settings)
            page = queries.list_tasks(store, ACCOUNT, status=None, task_id=None, limit=20, cursor=None)
            some_id = page["tasks"][5]["task_id"]
            deep_cursor = None
            for _ in range(50):
                deep_cursor = queries.list_tasks(
                    store, ACCOUNT, status=None, task_id=None, limit=20, cursor=deep_cursor
                )["next_cursor"]
            week_ago = clock.iso(clock.now() - timedelta(days=7))
            day_ago = clock.iso(clock.now() - timedelta(days=6))

            def q(**kw):  # type: ignore[no-untyped-def]
                base = {"status": None, "task_id": None, "limit": 20, "cursor": None}
                return lambda: queries.list_tasks(store, ACCOUNT, **{**base, **kw})

            cases = [
                ("first page, newest first (limit 20)", q()),
                ("page 51 (cursor after 50 pages)", q(cursor=deep_cursor)),
                ("status=WAITING", q(status="WAITING")),
                ("status=FINISH", q(status="FINISH")),
                ("finished with failures", q(failed=True)),
                ("task_id exact", q(task_id=some_id)),
                ("input prefix input/cam-0042/ (0.1 % of tasks)", q(input_prefix="input/cam-0042/")),
                ("input prefix input/cam-00 (10 % of tasks)", q(input_prefix="input/cam-00")),
                ("created within one day, a week ago", q(created_from=week_ago, created_to=day_ago)),
                ("limit 100", q(limit=100)),
                ("counts by status (COUNT queries)", lambda: queries.count_tasks(store, ACCOUNT)),
            ]
            print(f"{'path':52} {'median ms':>10} {'p95 ms':>8}")
            for name, fn in cases:
                med, p95 = timed(fn, runs=5 if "counts" in name else 15)
                print(f"{name:52} {med:10.1f} {p95:8.1f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
