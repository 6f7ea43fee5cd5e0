"""The crash matrix (issue 14): kill -9 of a worker mid-ffmpeg, of dynalite, of the stack's main
process, and of the stack's whole group, each at random moments.

After each kind: every task ends (FINISH), no subtask stays PROCESSING, no object under a task's
output dir differs from what its subtask recorded, no process of the data dir lives outside the
stack (an ffmpeg that outlived its worker), no work folder or part file is left (infra/local/crash_audit.py).
Worker and table-server kills land several times within one running stack; main-process and group
kills restart the stack each time, then start it once more and wait for the work to end.

The kill -9 of the whole group is tests/e2e/test_crash_restart.py. `make soak-crash` runs
OPENMPS_CRASH_RUNS (20) of each kind; the test suite a few (OPENMPS_CRASH_RUNS unset). Either way
the table (kind, runs, tasks, ended, stuck, partial, orphans) is printed at the end.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from infra.local.crash_audit import Audit, all_tasks, audit, record_row, subtask_outcomes
from infra.local.crash_kills import kill, table_server_pid
from infra.local.harness import RunningStack, processes_of, start_stack, stop_stack
from tests.e2e.conftest import FAST_RECOVERY, wait_for
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.e2e

FULL = int(os.environ.get("OPENMPS_CRASH_RUNS", "0"))
RUNS = dict.fromkeys(("worker", "table", "main"), FULL) if FULL else {"worker": 2, "table": 2, "main": 1}
SEED = int(os.environ.get("OPENMPS_CRASH_SEED", "0")) or random.randrange(1 << 30)
# Table-server kills come faster than the supervisor's default patience (3 a minute) allows.
CRASH_ENV = {**FAST_RECOVERY, "OPENMPS_TABLE_RESTARTS_PER_MINUTE": "1000"}
TRANSCODE = [{"type": "Transcode", "definition": 100010}]  # 360p MP4: ffmpeg runs for a moment
BOTH = [{"type": "Transcode", "definition": 100010}, {"type": "Snapshot", "definition": 10, "kind": "sampled"}]


def source_clip(stack: RunningStack, tmp: Path) -> dict[str, str]:
    """A clip outside every workflow's prefix, that the API-created tasks read."""
    clip = make_clip(tmp / "src.mp4", seconds=3, width=320, height=240)
    ticket = stack.client.upload(clip, key="crash/src.mp4")
    return {"bucket": stack.client.config()["input_bucket"], "key": ticket["key"]}


def create_tasks(stack: RunningStack, source: dict[str, str], n: int, subtasks: list[dict[str, Any]]) -> None:
    for _ in range(n):
        stack.client.create_task({"input": source, "subtasks": subtasks})


def all_ended(stack: RunningStack, timeout: float = 180) -> list[dict[str, Any]]:
    """Every task of the stack once all are FINISH; ``[]`` at once when there are none (a kill before
    any upload was acknowledged leaves nothing to wait for)."""

    def ended() -> dict[str, list[dict[str, Any]]] | None:
        tasks = all_tasks(stack.client)
        return {"tasks": tasks} if all(t["status"] == "FINISH" for t in tasks) else None

    return wait_for(ended, timeout=timeout, every=1)["tasks"]


def check_clean(kind: str, runs: int, stack: RunningStack) -> Audit:
    """Wait for every task to end, count what the kills left (one row of the table), insist on none."""
    all_ended(stack)
    found = audit(stack.data_dir, stack.client, stack.proc.pid)
    outcomes = subtask_outcomes(stack.client)
    record_row(kind, runs, found, outcomes)
    assert found.clean, found.problems()
    assert all(k == "SUCCESS" or (k.startswith("FAIL:") and k != "FAIL:None") for k in outcomes), outcomes
    return found


def test_kill_9_of_a_worker_mid_ffmpeg_takes_its_ffmpeg_along_and_the_subtask_runs_again(tmp_path):
    # GIVEN a running stack with tasks on their way
    rng = random.Random(SEED)
    stack = start_stack(tmp_path / "data", "crash-" + os.urandom(4).hex(), CRASH_ENV)
    try:
        create_tasks(stack, source_clip(stack, tmp_path), RUNS["worker"] + 1, TRANSCODE)
        for _ in range(RUNS["worker"]):
            # WHEN a worker is killed -9 while its ffmpeg runs
            killed = kill(stack, "worker", rng)
            assert killed is not None, "no ffmpeg ran to kill"
            # THEN its ffmpeg dies with it
            wait_for(lambda ffmpeg=killed[1]: not _alive(ffmpeg), timeout=10, every=0.05)
        # ... every task ends (the killed runs once more), and nothing is left behind
        found = check_clean("worker", RUNS["worker"], stack)
        assert found.tasks == RUNS["worker"] + 1
    finally:
        stop_stack(stack)


def test_kill_9_of_the_table_server_under_a_running_stack_is_survived(tmp_path):
    # GIVEN a running stack with tasks on their way
    rng = random.Random(SEED + 1)
    stack = start_stack(tmp_path / "data", "crash-" + os.urandom(4).hex(), CRASH_ENV)
    try:
        source = source_clip(stack, tmp_path)
        for _ in range(RUNS["table"]):
            create_tasks(stack, source, 1, BOTH)
            # WHEN the table server is killed -9 at a random moment
            time.sleep(rng.uniform(0.0, 2.0))
            old = table_server_pid(stack)
            assert kill(stack, "table", rng) is not None
            # THEN the supervisor starts it again, and the API answers again
            wait_for(lambda old=old: table_server_pid(stack) not in (None, old), timeout=20, every=0.1)
            wait_for(lambda: _answers(stack), timeout=20, every=0.2)
        # ... every task ends, and nothing is left behind
        check_clean("table", RUNS["table"], stack)
    finally:
        stop_stack(stack)


def test_kill_9_of_the_stacks_main_process_alone_takes_everything_it_started_along(tmp_path):
    # GIVEN one data dir and a clip
    rng = random.Random(SEED + 2)
    data = tmp_path / "data"
    token = "crash-" + os.urandom(4).hex()
    clip = make_clip(tmp_path / "clip.mp4", seconds=2)
    source = None
    for _ in range(RUNS["main"]):
        # WHEN the stack starts, gets uploads and API tasks, and its main process is killed -9
        stack = start_stack(data, token, CRASH_ENV, own_group=True)
        try:
            source = source or source_clip(stack, tmp_path)
            create_tasks(stack, source, 1, BOTH)
            stack.client.upload(clip)
            time.sleep(rng.uniform(0.0, 4.0))
        finally:  # also when a request above failed: no stack may outlive the test
            kill(stack, "main", rng)
        # THEN what it started dies by itself: the table server, the workers, their ffmpeg
        wait_for(lambda: not processes_of(data), timeout=10, every=0.1)
    # WHEN it is started once more
    stack = start_stack(data, token, CRASH_ENV, own_group=True)
    try:
        # THEN every task ends and nothing is left behind
        check_clean("main", RUNS["main"], stack)
    finally:
        stop_stack(stack)
    wait_for(lambda: not processes_of(data), timeout=10, every=0.1)
    assert audit(data, None, None).orphan_folders == []


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _answers(stack: RunningStack) -> bool:
    try:
        stack.client.tasks(limit=1)
    except Exception:  # noqa: BLE001 - any failure: not yet
        return False
    return True
