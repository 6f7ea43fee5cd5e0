"""Task operations through the api function: create, restart, retry-failed, terminate, list."""

from __future__ import annotations

import io
import random
import threading
import time
import uuid
import zipfile

import pytest

from shared.domain import clock, media_errors
from shared.domain.errors import AuthError
from shared.domain.status import SubtaskStatus
from shared.services.media_access import zip_members
from shared.services.zipstream import stream_zip
from tests.integration.pipeline_helpers import drain
from tests.media_fixtures import make_clip, make_garbage

pytestmark = pytest.mark.integration

SNAP = {"type": "Snapshot", "definition": 10, "kind": "sampled"}
MP4 = {"type": "Transcode", "definition": 100010}


def put_input(deps, tmp_path, name="clip.mp4", maker=make_clip, **kw):
    local = maker(tmp_path / name, **kw)
    key = f"input/{uuid.uuid4().hex[:8]}/{name}"
    with local.open("rb") as f:
        deps.storage.put_stream(deps.settings.input_bucket, key, f)
    return key


def create(api, deps, key, subtasks, **extra):
    body = {
        "input": {"bucket": deps.settings.input_bucket, "key": key},
        "output": {"bucket": deps.settings.output_bucket, "dir": "api/{task_id}/"},
        "subtasks": subtasks,
        **extra,
    }
    return api.post("/api/v1/tasks", body)


def test_create_runs_and_finishes(api, deps, invoker, tmp_path):
    key = put_input(deps, tmp_path, seconds=1)
    reply = create(api, deps, key, [MP4, SNAP])
    assert reply.status == 201, reply.body
    task = reply.body
    assert task["status"] == "WAITING" and task["origin"] == "api" and len(task["subtasks"]) == 2
    assert task["output"]["dir"] == f"api/{task['task_id']}/"
    drain(deps, invoker)
    done = api.get(f"/api/v1/tasks/{task['task_id']}").body
    assert done["status"] == "FINISH" and done["subtask_counts"]["success"] == 2


@pytest.mark.parametrize(
    "mutate, status, code",
    [
        (lambda b: b.update(subtasks=[]), 400, "InvalidParameterValue.Subtasks"),
        (
            lambda b: b.update(subtasks=[{"type": "Transcode", "definition": 123}]),
            400,
            "InvalidParameterValue.Definition",
        ),
        (lambda b: b.update(subtasks=[{"type": "Nope", "definition": 10}]), 400, "InvalidParameterValue.Type"),
        (lambda b: b["input"].update(key="input/none/missing.mp4"), 404, "ResourceNotFound.Object"),
        (lambda b: b["input"].update(bucket="other-1250000000"), 400, "InvalidParameterValue.InputBucket"),
        (
            lambda b: b.update(output={"bucket": "openmps-input-1250000000", "dir": "input/watched/x/"}),
            400,
            "InvalidParameterValue.OutputDir",
        ),
        (lambda b: b.update(output={"dir": "../../etc/"}), 400, "InvalidParameterValue.OutputDir"),
        (lambda b: b.pop("input"), 400, "InvalidParameter"),
    ],
)
def test_create_rejects_bad_requests_with_precise_codes(api, deps, tmp_path, mutate, status, code):
    # a rule watching input/watched/: outputs must not land there
    assert api.post("/api/v1/workflows", {"name": "w", "prefix": "input/watched/", "subtasks": [SNAP]}).status == 201
    key = put_input(deps, tmp_path, seconds=1)
    body = {"input": {"bucket": deps.settings.input_bucket, "key": key}, "output": {}, "subtasks": [MP4]}
    mutate(body)
    reply = api.post("/api/v1/tasks", body)
    assert (reply.status, reply.code) == (status, code), reply.body


def test_malformed_json_and_missing_token(api, deps):
    assert api.post("/api/v1/tasks", raw="{nope").status == 400
    assert api.get("/api/v1/tasks", token="").status == 401
    assert api.get("/api/v1/tasks", token="nope").status == 401
    # the token is checked first: a bad body without a token is still a 401
    assert api.post("/api/v1/tasks", raw="{nope", token="").status == 401


def test_same_session_id_returns_the_first_task(api, deps, tmp_path):
    key = put_input(deps, tmp_path, seconds=1)
    first = create(api, deps, key, [SNAP], session_id="batch-7", session_context="ctx")
    second = create(api, deps, key, [MP4], session_id="batch-7")
    assert (first.status, second.status) == (201, 200)
    assert second.body["task_id"] == first.body["task_id"]
    assert second.body["session_context"] == "ctx"
    other = create(api, deps, key, [SNAP], session_id="batch-8")
    assert other.status == 201 and other.body["task_id"] != first.body["task_id"]


def test_restart_only_when_finished_keeps_history_and_reruns(api, deps, invoker, tmp_path):
    key = put_input(deps, tmp_path, seconds=1)
    task_id = create(api, deps, key, [SNAP]).body["task_id"]
    assert api.post(f"/api/v1/tasks/{task_id}/restart").code == "FailedOperation.TaskNotFinished"
    drain(deps, invoker)
    first = api.get(f"/api/v1/tasks/{task_id}").body
    reply = api.post(f"/api/v1/tasks/{task_id}/restart")
    assert reply.status == 200 and reply.body["status"] == "WAITING" and reply.body["attempt"] == 1
    assert reply.body["history"][0]["attempt"] == 0
    assert reply.body["history"][0]["subtasks"][0]["status"] == "SUCCESS"
    assert reply.body["subtasks"][0]["status"] == "WAITING" and reply.body["subtasks"][0]["outputs"] == []
    drain(deps, invoker)
    again = api.get(f"/api/v1/tasks/{task_id}").body
    assert again["status"] == "FINISH" and again["attempt"] == 1
    assert again["finish_time"] > first["finish_time"]


def test_retry_failed_reruns_only_failed_subtasks(api, deps, invoker, tmp_path):
    key = put_input(deps, tmp_path, seconds=1)
    task_id = create(api, deps, key, [SNAP, MP4]).body["task_id"]
    drain(deps, invoker)
    assert api.post(f"/api/v1/tasks/{task_id}/retry-failed").code == "FailedOperation.NoFailedSubtasks"
    # make subtask 2 a failure of this attempt, as if its run had failed
    sub = deps.tasks.get_subtask(task_id, 2)
    deps.tasks.requeue_subtask(task_id, 2, 0, 0, clock.now_iso())
    deps.tasks.claim_subtask(task_id, 2, 0, "t", clock.now_iso())
    deps.tasks.finish_subtask(
        task_id, 2, "t", status=SubtaskStatus.FAIL, now=clock.now_iso(), err_code="X", message="boom"
    )
    from shared.services.aggregate import aggregate_task

    deps.tasks.save_aggregate(deps.tasks.get_task(task_id), deps.tasks.get_task(task_id).rev)
    aggregate_task(deps.tasks, task_id)
    assert api.get(f"/api/v1/tasks/{task_id}").body["has_failed"]
    kept = deps.tasks.get_subtask(task_id, 1).outputs
    reply = api.post(f"/api/v1/tasks/{task_id}/retry-failed")
    assert reply.status == 200, reply.body
    assert [s["status"] for s in reply.body["subtasks"]] == ["SUCCESS", "WAITING"]
    assert reply.body["subtasks"][0]["outputs"] == kept
    assert [e["task_id"] for f, e in invoker.calls if f in ("transcode", "snapshot")] == [task_id]
    drain(deps, invoker)
    done = api.get(f"/api/v1/tasks/{task_id}").body
    assert (
        done["status"] == "FINISH"
        and not done["has_failed"]
        and sub.template == deps.tasks.get_subtask(task_id, 2).template
    )


def test_terminate_only_queued_and_nothing_runs_after(api, deps, invoker, tmp_path):
    key = put_input(deps, tmp_path, seconds=1)
    task_id = create(api, deps, key, [SNAP, MP4]).body["task_id"]
    reply = api.post(f"/api/v1/tasks/{task_id}/terminate")
    assert reply.status == 200
    assert reply.body["status"] == "FINISH" and reply.body["err_code"] == media_errors.TERMINATED
    assert all(s["status"] == "FAIL" and s["err_code"] == media_errors.CANCELLED for s in reply.body["subtasks"])
    assert reply.body["has_failed"] is False
    drain(deps, invoker)  # the invocations already queued for it run now ...
    after = api.get(f"/api/v1/tasks/{task_id}").body
    assert after["subtasks"] == reply.body["subtasks"]  # ... and change nothing
    assert api.post(f"/api/v1/tasks/{task_id}/terminate").code == "FailedOperation.TaskNotWaiting"


def race_terminate_and_claim(deps, account, task_id, rng):
    results = {}
    barrier = threading.Barrier(2)

    def terminate():
        barrier.wait()
        time.sleep(rng.random() * 0.002)
        results["terminated"] = deps.tasks.terminate_task(task_id, account, clock.now_iso(), "T", "t")

    def claim():
        barrier.wait()
        time.sleep(rng.random() * 0.002)
        ok = deps.tasks.claim_task(task_id, account, 0, clock.now_iso())
        results["claimed"] = ok and deps.tasks.claim_subtask(task_id, 1, 0, "w", clock.now_iso())

    threads = [threading.Thread(target=terminate), threading.Thread(target=claim)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_terminate_racing_a_claim_never_both(deps, account, tmp_path):
    from shared.domain.ids import random_task_id
    from shared.domain.kinds.snapshot import SNAPSHOT_PRESETS
    from shared.domain.workflow import SubtaskSpec
    from shared.services.create import new_task

    rng = random.Random(7)
    outcomes = set()
    for _ in range(200):
        task, subs = new_task(
            task_id=random_task_id("1250000000"),
            account=account,
            input_bucket="b",
            input_key="k",
            input_etag=None,
            input_size=None,
            output_bucket="o",
            output_dir="d/",
            origin="api",
            specs=[(SubtaskSpec("Snapshot", 10), SNAPSHOT_PRESETS[("sampled", 10)])],
        )
        deps.tasks.create_task(task, subs)
        results = race_terminate_and_claim(deps, account, task.task_id, rng)
        assert not (results["terminated"] and results["claimed"])
        assert results["terminated"] or results["claimed"]
        outcomes.add((results["terminated"], results["claimed"]))
    assert len(outcomes) == 2  # both orders really happened


def test_a_late_result_of_the_old_attempt_never_overwrites_the_restart(api, deps, invoker, tmp_path):
    key = put_input(deps, tmp_path, seconds=1)
    task_id = create(api, deps, key, [SNAP]).body["task_id"]
    # GIVEN a run of attempt 0 that claimed the subtask, then went silent
    deps.tasks.claim_task(task_id, deps.tasks.get_task(task_id).account, 0, clock.now_iso())
    deps.tasks.claim_subtask(task_id, 1, 0, "zombie", clock.now_iso())
    from shared.services.reconcile import reconcile

    for _ in range(2):  # lost twice: the reconciler fails it, the task finishes
        reconcile(deps, stale_after=0, reinvoke_after=3600, reaggregate_after=3600, batch=100_000)
        if deps.tasks.get_subtask(task_id, 1).status == SubtaskStatus.WAITING:
            deps.tasks.claim_subtask(task_id, 1, 0, "zombie", clock.now_iso())
    invoker.calls.clear()
    assert api.get(f"/api/v1/tasks/{task_id}").body["status"] == "FINISH"
    api.post(f"/api/v1/tasks/{task_id}/restart")
    # WHEN the zombie of attempt 0 reports late, in every way it could
    assert not deps.tasks.finish_subtask(task_id, 1, "zombie", status=SubtaskStatus.SUCCESS, now=clock.now_iso())
    assert not deps.tasks.heartbeat(task_id, 1, "zombie", 50, clock.now_iso())
    assert not deps.tasks.claim_task(task_id, "x", 0, clock.now_iso())
    # THEN the new attempt is untouched and runs to its own end
    sub = deps.tasks.get_subtask(task_id, 1)
    assert (sub.attempt, sub.status) == (1, SubtaskStatus.WAITING)
    drain(deps, invoker)
    assert deps.tasks.get_subtask(task_id, 1).status == SubtaskStatus.SUCCESS


def test_source_view_download_and_zip(api, deps, invoker, tmp_path, storage):
    key = put_input(deps, tmp_path, seconds=2)
    task_id = create(api, deps, key, [MP4, SNAP]).body["task_id"]
    drain(deps, invoker)
    src = api.get(f"/api/v1/tasks/{task_id}/source").body
    assert src["content_type"] == "video/mp4" and "/storage/" in src["url"] and "method=GET" in src["url"]
    detail = api.get(f"/api/v1/tasks/{task_id}/subtasks/1").body
    assert detail["params"]["height"] == 360 and detail["log_tail"]
    video = api.get(f"/api/v1/tasks/{task_id}/subtasks/1/view").body
    assert video["kind"] == "video" and len(video["items"]) == 1
    images = api.get(f"/api/v1/tasks/{task_id}/subtasks/2/view").body
    assert images["kind"] == "images" and len(images["items"]) == 10
    one = api.get(f"/api/v1/tasks/{task_id}/subtasks/1/download")
    assert one.status == 302 and "disposition=attachment" in one.headers["Location"]
    many = api.get(f"/api/v1/tasks/{task_id}/subtasks/2/download?mode=url").body
    assert many["files"] == 10 and "/zip/" in many["url"]
    # the zip link streams a valid zip of the 10 JPGs
    query = dict(p.split("=", 1) for p in many["url"].split("?", 1)[1].split("&"))
    members = zip_members(deps, task_id, 2, int(query["expires"]), query["sig"])
    buf = io.BytesIO()
    stream_zip(storage, members, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert len(names) == 10 and all(n.endswith(".jpg") for n in names)
        assert all(z.read(n)[:3] == b"\xff\xd8\xff" for n in names)
    with pytest.raises(AuthError):
        zip_members(deps, task_id, 2, int(query["expires"]), "0" * 64)
    with pytest.raises(AuthError):
        zip_members(deps, task_id, 2, int(time.time()) - 1, query["sig"])
    assert api.get(f"/api/v1/tasks/{task_id}/subtasks/9").status == 404
    assert api.get(f"/api/v1/tasks/{task_id}/source?expires_in=99999999").code == "InvalidParameterValue.ExpiresIn"


def test_sprite_view_carries_its_thumbnail_track(api, deps, invoker, tmp_path):
    # GIVEN a finished 16 s sprite (the 10 s preset: 2 cells in one sheet)
    key = put_input(deps, tmp_path, seconds=16, width=320, height=180)
    task_id = create(api, deps, key, [{"type": "Snapshot", "definition": 10, "kind": "sprite"}]).body["task_id"]
    drain(deps, invoker)
    # WHEN the viewer asks what to show
    view = api.get(f"/api/v1/tasks/{task_id}/subtasks/1/view").body
    # THEN it gets the one sheet, and the track's cues pointing into it with their times
    assert [i["name"] for i in view["items"]] == ["clip_imageSprite_10_0.jpg"]
    assert (view["items"][0]["width"], view["items"][0]["height"]) == (284, 80)
    thumbs = view["thumbnails"]
    assert thumbs["track"]["name"] == "clip_imageSprite_10.vtt" and "method=GET" in thumbs["track"]["url"]
    sheet = "clip_imageSprite_10_0.jpg"
    assert thumbs["cues"] == [
        {"start": 0.0, "end": 10.0, "sheet": sheet, "x": 0, "y": 0, "w": 142, "h": 80},
        {"start": 10.0, "end": 16.0, "sheet": sheet, "x": 142, "y": 0, "w": 142, "h": 80},
    ]
    assert "thumbnails" not in api.get(f"/api/v1/tasks/{task_id}/subtasks/1").body


def test_failed_subtask_has_nothing_to_view_or_download(api, deps, invoker, tmp_path):
    key = put_input(deps, tmp_path, name="bad.mp4", maker=make_garbage)
    task_id = create(api, deps, key, [SNAP]).body["task_id"]
    drain(deps, invoker)
    assert api.get(f"/api/v1/tasks/{task_id}/subtasks/1/download").code == "FailedOperation.SubtaskNotSucceeded"
    assert api.get(f"/api/v1/tasks/{task_id}/subtasks/1/view").status == 409


def test_list_filters_pagination_and_counts(api, deps, invoker, tmp_path):
    ok_key = put_input(deps, tmp_path, seconds=1)
    bad_key = put_input(deps, tmp_path, name="bad.mp4", maker=make_garbage)
    ids = [create(api, deps, ok_key, [SNAP]).body["task_id"] for _ in range(3)]
    bad = create(api, deps, bad_key, [SNAP]).body["task_id"]
    waiting = create(api, deps, ok_key, [SNAP]).body["task_id"]
    invoker.calls = [(f, e) for f, e in invoker.calls if e.get("task_id") != waiting]
    drain(deps, invoker)
    listed = api.get("/api/v1/tasks?limit=2").body
    assert [t["task_id"] for t in listed["tasks"]] == [waiting, bad] and listed["next_cursor"]
    rest = api.get(f"/api/v1/tasks?limit=10&cursor={listed['next_cursor']}").body
    assert [t["task_id"] for t in rest["tasks"]] == ids[::-1] and rest["next_cursor"] is None
    assert [t["task_id"] for t in api.get("/api/v1/tasks?status=WAITING").body["tasks"]] == [waiting]
    assert [t["task_id"] for t in api.get("/api/v1/tasks?failed=true").body["tasks"]] == [bad]
    prefix = bad_key.rsplit("/", 1)[0]
    assert [t["task_id"] for t in api.get(f"/api/v1/tasks?input_prefix={prefix}").body["tasks"]] == [bad]
    created = api.get(f"/api/v1/tasks/{ids[1]}").body["create_time"]
    window = api.get(f"/api/v1/tasks?created_from={created}&created_to={created}").body["tasks"]
    assert [t["task_id"] for t in window] == [ids[1]]
    assert [t["task_id"] for t in api.get(f"/api/v1/tasks?task_id={bad}").body["tasks"]] == [bad]
    assert api.get("/api/v1/tasks/counts").body == {"waiting": 1, "processing": 0, "finish": 4, "failed": 1, "total": 5}
    assert api.get("/api/v1/tasks?created_from=yesterday").code == "InvalidParameterValue.CreatedFrom"


def test_output_object_paths_follow_mps_placeholders(api, deps, invoker, tmp_path):
    key = put_input(deps, tmp_path, name="cam.mp4", seconds=1)
    reply = create(
        api,
        deps,
        key,
        [
            {**MP4, "output_object_path": "video/{inputName}-{definition}.{format}"},
            {**SNAP, "output_object_path": "shots/{inputName}_{number}.{format}"},
        ],
    )
    assert reply.status == 201, reply.body
    drain(deps, invoker)
    done = api.get(f"/api/v1/tasks/{reply.body['task_id']}").body
    out_dir = done["output"]["dir"]
    assert [o["key"] for o in done["subtasks"][0]["outputs"]] == [f"{out_dir}video/cam-100010.mp4"]
    assert [o["key"] for o in done["subtasks"][1]["outputs"]][:2] == [
        f"{out_dir}shots/cam_0.jpg",
        f"{out_dir}shots/cam_1.jpg",
    ]
    for bad in (
        {**SNAP, "output_object_path": "shots/{inputName}.{format}"},  # snapshots need {number}
        {**MP4, "output_object_path": "../{inputName}.{format}"},
        {"type": "Transcode", "definition": 100230, "output_object_path": "{inputName}.{format}"},
    ):
        assert create(api, deps, key, [bad]).code == "InvalidParameterValue.OutputObjectPath"
