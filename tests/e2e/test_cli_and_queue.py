"""The CLI against a running stack whose transcode function may run one invocation at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from infra.local.harness import start_stack, stop_stack
from tests.e2e.conftest import FAST_RECOVERY, wait_for
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def queued_stack(tmp_path_factory):
    stack = start_stack(
        tmp_path_factory.mktemp("queue") / "data", "cli-token", {**FAST_RECOVERY, "OPENMPS_CONCURRENCY": "transcode=1"}
    )
    yield stack
    stop_stack(stack)


def cli(stack, *args, check=True):
    env = {**os.environ, "OPENMPS_URL": stack.url, "OPENMPS_API_TOKEN": stack.token, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"openmps {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_queueing_is_real_and_queued_tasks_can_be_terminated(queued_stack, tmp_path):
    # GIVEN a rule with only a transcode, and transcode concurrency 1
    rule = tmp_path / "wf.json"
    rule.write_text(
        json.dumps(
            {
                "name": "queue test",
                "prefix": "queue/",
                "suffixes": ["mp4"],
                "subtasks": [{"type": "Transcode", "definition": 100040}],
            }
        )
    )
    created = json.loads(cli(queued_stack, "workflows", "create", "--file", str(rule)).stdout)
    assert created["enabled"] and created["prefix"] == "queue/"
    # WHEN five clips are uploaded at once
    clip = make_clip(tmp_path / "q.mp4", seconds=12, width=1920, height=1080)
    ids = [cli(queued_stack, "upload", str(clip), "--key", f"queue/{n}.mp4").stdout.strip() for n in range(5)]
    # THEN one runs and four are visibly WAITING
    client = queued_stack.client
    waiting = wait_for(
        lambda: (lambda w: w if len(w) == 4 else None)(
            [t["task_id"] for t in client.tasks(status="WAITING")["tasks"] if t["task_id"] in ids]
        ),
        timeout=30,
    )
    listing = cli(queued_stack, "tasks", "--status", "WAITING").stdout
    assert listing.count("WAITING") >= 4
    # AND a queued one can be terminated, and never runs
    victim = waiting[0]  # the newest: the last in the queue
    out = cli(queued_stack, "terminate", victim).stdout
    assert "FINISH" in out
    running = [t for t in ids if t not in waiting][0]
    refused = cli(queued_stack, "terminate", running, check=False)
    assert refused.returncode == 2 and "FailedOperation.TaskNotWaiting" in refused.stdout + refused.stderr
    for task_id in ids:
        done = wait_for(
            lambda tid=task_id: (lambda t: t if t["status"] == "FINISH" else None)(client.task(tid)), timeout=240
        )
        if task_id == victim:
            assert done["err_code"] == "Terminated" and done["begin_process_time"] is None
            assert [s["err_code"] for s in done["subtasks"]] == ["Cancelled"]
        else:
            assert done["subtasks"][0]["status"] == "SUCCESS"
    cli(queued_stack, "workflows", "disable", created["workflow_id"])


def test_cli_create_restart_retry_download_and_templates(queued_stack, tmp_path):
    clip = make_clip(tmp_path / "c.mp4", seconds=2)
    first = cli(queued_stack, "upload", str(clip)).stdout.strip()
    client = queued_stack.client
    task = wait_for(lambda: (lambda t: t if t["status"] == "FINISH" else None)(client.task(first)), timeout=120)
    key = task["input"]["key"]
    # create by hand, from the object already in the bucket
    made = cli(queued_stack, "create", key, "--subtask", "Snapshot:10:sampled").stdout.strip()
    assert made != first
    wait_for(lambda: client.task(made)["status"] == "FINISH", timeout=120)
    # download one file and a zip of snapshots, with their real bytes
    mp4 = tmp_path / "out.mp4"
    cli(queued_stack, "download", first, "1", "-o", str(mp4))
    assert mp4.stat().st_size == task["subtasks"][0]["outputs"][0]["size"]
    folder = tmp_path / "zips"
    folder.mkdir()
    cli(queued_stack, "download", made, "1", "-o", str(folder))
    [archive] = folder.glob("*.zip")
    with zipfile.ZipFile(archive) as z:
        assert z.testzip() is None and len(z.namelist()) == 10
    # restart a finished task; retry-failed refuses a task without failures
    assert "attempt 1" in cli(queued_stack, "restart", made).stdout
    refused = cli(queued_stack, "retry-failed", first, check=False)
    assert refused.returncode == 2 and "NoFailedSubtasks" in refused.stdout + refused.stderr
    wait_for(lambda: client.task(made)["status"] == "FINISH", timeout=120)
    # templates and the workflow dry run
    listing = cli(queued_stack, "templates", "--type", "Transcode").stdout
    assert "100030" in listing and "100280" in listing
    match = json.loads(cli(queued_stack, "workflows", "match", "input/x/clip.MOV").stdout)
    assert [m["workflow_id"] for m in match["matches"]] == ["default"]


def test_review_analysis_and_enhancement_run_as_functions_of_the_stack(queued_stack, tmp_path):
    # GIVEN a clip already in the input bucket (uploaded under a prefix no workflow watches)
    clip = make_clip(tmp_path / "ai.mp4", seconds=2)
    key = queued_stack.client.upload(clip, key="uploads/ai/ai.mp4")["key"]
    # WHEN a task asks for the three AI subtask types
    task_id = cli(
        queued_stack,
        "create",
        key,
        "--subtask",
        "ContentReview:10",
        "--subtask",
        "ContentAnalysis:10",
        "--subtask",
        "Enhancement:30",
    ).stdout.strip()
    # THEN each runs in its own function process and the task finishes with their results
    done = wait_for(
        lambda: (lambda t: t if t["status"] == "FINISH" else None)(queued_stack.client.task(task_id)), timeout=240
    )
    assert [s["status"] for s in done["subtasks"]] == ["SUCCESS"] * 3, done["subtasks"]
    assert queued_stack.worker_pids("review") and queued_stack.worker_pids("enhance")
    review = queued_stack.client._call("GET", f"/api/v1/tasks/{task_id}/subtasks/1")
    assert review["result"]["suggestion"] == "pass" and review["result"]["asr"] == "not_supported"
