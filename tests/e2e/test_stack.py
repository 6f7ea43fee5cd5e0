"""End to end: the running local stack, through HTTP, as a user drives it."""

from __future__ import annotations

import os
import shutil
import signal
import time

import av
import pytest
import requests

from infra.local.client import ApiError
from infra.local.harness import start_stack, stop_stack
from shared.storage.signing import signed_path
from tests.e2e.conftest import wait_for
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.e2e

INPUT_BUCKET, OUTPUT_BUCKET = "openmps-input-1250000000", "openmps-output-1250000000"


def finished(client, task_id):
    def check():
        task = client.task(task_id)
        return task if task["status"] == "FINISH" else None

    return check


def test_upload_of_a_phone_video_gives_720p_mp4_and_snapshots(stack, tmp_path):
    # GIVEN a portrait phone-style clip: a 1920x1080 stream with a 90 degree display rotation
    clip = make_clip(tmp_path / "phone.mp4", seconds=3, width=1920, height=1080, rotation=90)
    client = stack.client
    # WHEN it is uploaded through the API's signed PUT
    ticket = client.upload(clip)
    task = wait_for(lambda: client.find_task_for_key(ticket["key"]))
    done = wait_for(finished(client, task["task_id"]))
    # THEN the task is FINISH, both subtasks succeeded, and the outputs are real media
    assert [s["status"] for s in done["subtasks"]] == ["SUCCESS", "SUCCESS"]
    assert done["subtask_counts"] == {"waiting": 0, "processing": 0, "success": 2, "fail": 0}
    [mp4] = done["subtasks"][0]["outputs"]
    assert (mp4["width"], mp4["height"]) == (720, 1280)  # 720p, portrait as the phone shows it
    with av.open(str(stack.bucket_path(mp4["bucket"], mp4["key"]))) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert c.streams.audio[0].codec_context.name == "aac"
        assert c.duration / 1e6 == pytest.approx(3, abs=0.2)
    snaps = done["subtasks"][1]["outputs"]
    assert len(snaps) == 10
    for snap in snaps:
        data = stack.bucket_path(snap["bucket"], snap["key"]).read_bytes()
        assert data[:3] == b"\xff\xd8\xff"  # JPEG
        assert snap["key"].startswith(f"output/{task['task_id']}/")


def test_every_route_but_healthz_needs_a_valid_token(stack):
    assert requests.get(stack.url + "/healthz", timeout=5).json() == {"status": "ok", "table": "ok", "storage": "ok"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        resp = requests.get(stack.url + "/api/v1/tasks", headers=headers, timeout=5)
        assert resp.status_code == 401
        assert resp.json()["error"]["code"].startswith("AuthFailure")


def test_bad_requests_get_clear_errors_not_500(stack):
    client = stack.client
    with pytest.raises(ApiError) as err:
        client.task("1250000000-WorkflowTask-00000000000000000000000000000000t0")
    assert err.value.status == 404
    with pytest.raises(ApiError) as err:
        client.tasks(status="DONE")
    assert err.value.status == 400 and err.value.code == "InvalidParameterValue.Status"
    with pytest.raises(ApiError) as err:
        client.tasks(cursor="garbage!")
    assert err.value.status == 400
    resp = client.session.post(stack.url + "/api/v1/uploads", data="{not json", timeout=5)
    assert resp.status_code == 400 and "error" in resp.json()
    resp = client.session.post(stack.url + "/api/v1/uploads", json={"filename": "x.mp4", "key": "../etc"}, timeout=5)
    assert resp.status_code == 400
    resp = client.session.get(stack.url + "/no/such/route", timeout=5)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "ResourceNotFound.Route"


def test_signed_storage_urls_serve_ranges_and_refuse_edits(stack, tmp_path):
    clip = make_clip(tmp_path / "r.mp4", seconds=1)
    ticket = stack.client.upload(clip)
    key_file = stack.data_dir / "signing-key"
    secret = key_file.read_text().strip()
    good = stack.url + signed_path(secret, "GET", INPUT_BUCKET, ticket["key"], int(time.time()) + 60)
    whole = clip.read_bytes()
    resp = requests.get(good, headers={"Range": "bytes=10-19"}, timeout=5)
    assert resp.status_code == 206 and resp.content == whole[10:20]
    assert resp.headers["Content-Range"] == f"bytes 10-19/{len(whole)}"
    assert requests.get(good, timeout=5).content == whole
    assert requests.get(good.replace("sig=", "sig=0"), timeout=5).status_code == 403
    assert requests.put(good, data=b"x", timeout=5).status_code == 403  # signed for GET only
    expired = stack.url + signed_path(secret, "GET", INPUT_BUCKET, ticket["key"], int(time.time()) - 1)
    assert requests.get(expired, timeout=5).status_code == 403


def test_files_dropped_into_the_input_folder_trigger(stack, tmp_path):
    clip = make_clip(tmp_path / "dropped.mov", seconds=1)
    folder = stack.bucket_path(INPUT_BUCKET, "input/dropped-folder")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(clip, folder / "Dropped.MOV")
    task = wait_for(lambda: stack.client.find_task_for_key("input/dropped-folder/Dropped.MOV"))
    assert task["origin"] == "upload"
    wait_for(finished(stack.client, task["task_id"]))


def test_a_worker_killed_mid_transcode_does_not_leave_the_task_stuck(stack, tmp_path):
    # GIVEN a transcode that runs for a while
    clip = make_clip(tmp_path / "long.mp4", seconds=20, width=1920, height=1080)
    client = stack.client
    ticket = client.upload(clip)
    task = wait_for(lambda: client.find_task_for_key(ticket["key"]))

    def transcode_running():
        sub = client.task(task["task_id"])["subtasks"][0]
        return sub["status"] == "PROCESSING" and stack.worker_pids("transcode")

    pids = wait_for(transcode_running, timeout=60, every=0.1)
    # WHEN its worker process (and ffmpeg with it) dies
    for pid in pids:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    # THEN the reconciler notices the silent heartbeat, runs it again, and the task finishes
    done = wait_for(finished(client, task["task_id"]), timeout=180)
    transcode = done["subtasks"][0]
    assert transcode["status"] in ("SUCCESS", "FAIL")
    assert all(s["status"] in ("SUCCESS", "FAIL") for s in done["subtasks"])


def test_a_restart_of_the_stack_keeps_tasks_and_files(tmp_path):
    data = tmp_path / "data"
    first = start_stack(data, "restart-token")
    try:
        ticket = first.client.upload(make_clip(tmp_path / "k.mp4", seconds=1))
        task = wait_for(lambda: first.client.find_task_for_key(ticket["key"]))
        done = wait_for(finished(first.client, task["task_id"]))
    finally:
        assert stop_stack(first) == 0
    second = start_stack(data, "restart-token")
    try:
        again = second.client.task(task["task_id"])
        assert again["status"] == "FINISH" and again["subtasks"] == done["subtasks"]
        out = again["subtasks"][0]["outputs"][0]
        assert second.bucket_path(out["bucket"], out["key"]).stat().st_size == out["size"]
    finally:
        stop_stack(second)
