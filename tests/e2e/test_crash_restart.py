"""kill -9 of the whole stack at random moments, then start again (issue 14 §3).

Every start must succeed (no table server left holding the data), every task that an upload
created must end, and nothing may be left: no process naming the data dir, no work folder, no
object under a task's output dir that its subtask did not record (infra/local/crash_audit.py).
The "group" row of the crash matrix (tests/e2e/test_crash_matrix.py has the other kinds).
`make soak-crash` runs 20 rounds; the test suite runs OPENMPS_CRASH_RUNS (default 5).
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest
import requests

from infra.local.crash_audit import audit, record_row, subtask_outcomes
from infra.local.harness import kill_group, processes_of, start_stack, stop_stack
from tests.e2e.conftest import FAST_RECOVERY, wait_for
from tests.e2e.test_crash_matrix import all_ended
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.e2e

ROUNDS = int(os.environ.get("OPENMPS_CRASH_RUNS") or os.environ.get("OPENMPS_CRASH_ROUNDS") or "3")


def _upload_in_background(client, clip, acked: list[str]) -> threading.Thread:
    def run() -> None:
        try:
            acked.append(client.upload(clip)["key"])
        except (requests.RequestException, OSError, Exception):  # noqa: BLE001 - the kill may land mid-upload
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_kill_9_of_the_stack_at_random_moments_never_stops_it_from_starting_again(tmp_path):
    # GIVEN one data dir, and a clip to upload
    data = tmp_path / "data"
    clip = make_clip(tmp_path / "clip.mp4", seconds=2)
    token = "crash-" + os.urandom(4).hex()
    rng = random.Random(int(os.environ.get("OPENMPS_CRASH_SEED", "0")) or None)
    acked: list[str] = []
    failed_starts = 0
    # WHEN the stack is started, given an upload, and killed with its whole group at a random moment
    for _ in range(ROUNDS):
        try:
            stack = start_stack(data, token, FAST_RECOVERY, own_group=True)
        except RuntimeError:
            failed_starts += 1
            continue
        _upload_in_background(stack.client, clip, acked)
        time.sleep(rng.uniform(0.0, 4.0))
        kill_group(stack)
        # THEN the table server and the workers die with it
        wait_for(lambda: not processes_of(data), timeout=10, every=0.1)
    assert failed_starts == 0
    # WHEN it is started once more
    stack = start_stack(data, token, FAST_RECOVERY, own_group=True)
    try:
        client = stack.client
        # THEN the killed runs' work folders and part files are gone (the live instances' own are not theirs) ...
        assert audit(data, None, stack.proc.pid).orphan_folders == []
        # ... the table and buckets answer ...
        assert requests.get(stack.url + "/healthz", timeout=5).json()["status"] == "ok"
        # ... every acknowledged upload has a task, and every task ends
        for key in acked:
            wait_for(lambda key=key: client.find_task_for_key(key), timeout=60)
        tasks = all_ended(stack, timeout=120)
        assert len(tasks) >= len(acked)
        # ... and nothing a run wrote is under a final key unless its subtask recorded it
        found = audit(data, client, stack.proc.pid)
        record_row("group", ROUNDS, found, subtask_outcomes(client))
        assert found.clean, found.problems()
    finally:
        stop_stack(stack)
    # AND after a clean stop nothing is left behind
    wait_for(lambda: not processes_of(data), timeout=10, every=0.1)
    assert audit(data, None, None).orphan_folders == []
    print(f"crash rounds {ROUNDS}: failed starts {failed_starts}, acked uploads {len(acked)}, tasks {len(tasks)}")
