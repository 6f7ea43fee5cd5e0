"""Event notifications against real dynalite and a real receiver process: recording, order,
signatures, retries, dead letters, resend, and the official SDK parsing what we send."""

from __future__ import annotations

import io
import json
import time
import warnings
from collections.abc import Iterator

import pytest
from tencentcloud.mps.v20190612.models import ParseNotificationResponse

from shared.domain import clock
from shared.domain.notify import EVENT_ID_HEADER, NotifyConfig, event_id
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.services import operations
from shared.services.notifier import deliver_task_events
from shared.services.notify_outbox import Outbox, aggregate_and_notify
from tests.integration.notify_helpers import make_task, pump, run_subtask, with_settings
from tests.notify_receiver import ReceiverProcess

pytestmark = pytest.mark.integration
KEY = "s3cret-key"


@pytest.fixture
def receiver(tmp_path) -> Iterator[ReceiverProcess]:  # type: ignore[no-untyped-def]
    rx = ReceiverProcess(tmp_path, key=KEY).start()
    yield rx
    rx.stop()


def _sdk_parse(event: dict) -> ParseNotificationResponse:  # type: ignore[type-arg]
    resp = ParseNotificationResponse()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the SDK warns about every field it does not know
        resp._deserialize(event)
    return resp


def _drop_empty(value):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def test_finish_mode_sends_one_signed_event_the_sdk_parses_without_losing_a_field(deps, invoker, account, receiver):
    # GIVEN a task that notifies at finish, with a key
    task = make_task(deps, account, NotifyConfig(receiver.url, "finish", KEY))
    # WHEN both subtasks succeed and the notifier runs (aggregations repeated on purpose)
    run_subtask(deps, task, 1)
    run_subtask(deps, task, 2)
    aggregate_and_notify(deps, task.task_id)
    pump(deps, invoker)
    # THEN exactly one event arrived, signed, fresh, in the MPS shape
    got = receiver.received()
    assert len(got) == 1, got
    report = got[0]
    assert report["event_id"] == event_id(task.task_id, 0, "FINISH")
    assert report["signature_ok"] and report["sign_ok"] and report["fresh"]
    event = report["event"]
    assert event["EventType"] == "WorkflowTask" and event["SessionContext"] == "ctx-42"
    wt = event["WorkflowTaskEvent"]
    assert wt["TaskId"] == task.task_id and wt["Status"] == "FINISH" and wt["ErrCode"] == 0
    assert [r["TranscodeTask"]["Status"] for r in wt["MediaProcessResultSet"]] == ["SUCCESS", "SUCCESS"]
    assert wt["MediaProcessResultSet"][0]["TranscodeTask"]["Output"]["Path"] == "/output/x/1.mp4"
    assert abs(event["Timestamp"] - (time.time() + 600)) < 30
    # and the official SDK model reads it back whole
    parsed = _sdk_parse(event)
    assert parsed.WorkflowTaskEvent.TaskId == task.task_id and parsed.Sign == event["Sign"]
    assert _drop_empty(json.loads(parsed.to_json_string())) == _drop_empty(event)
    # and the outbox shows it delivered, with its try
    [n] = deps.notifications.for_task(task.task_id)
    assert n.state == "delivered" and len(n.tries) == 1 and n.tries[0]["status"] == 200


def test_change_mode_sends_every_subtask_change_then_the_finish_in_order(deps, invoker, account, receiver):
    task = make_task(deps, account, NotifyConfig(receiver.url, "change", KEY))
    run_subtask(deps, task, 1)
    pump(deps, invoker)
    run_subtask(deps, task, 2, SubtaskStatus.FAIL)
    aggregate_and_notify(deps, task.task_id)
    pump(deps, invoker)
    got = receiver.received()
    expected = ["subtask-1-PROCESSING", "subtask-1-SUCCESS", "subtask-2-PROCESSING", "subtask-2-FAIL", "FINISH"]
    assert [r["event_id"] for r in got] == [event_id(task.task_id, 0, t) for t in expected]
    assert len({r["event_id"] for r in got}) == 5  # each once
    assert got[-1]["event"]["WorkflowTaskEvent"]["Status"] == "FINISH"
    for r in got:
        _sdk_parse(r["event"])


def test_500s_then_success_retries_with_backoff_and_the_same_event_id(deps, invoker, account, receiver):
    fast = with_settings(deps, notify_retry_delays="0.2")
    receiver.control(fail_next=2)
    task = make_task(fast, account, NotifyConfig(receiver.url, "finish", KEY), n_subtasks=1)
    run_subtask(fast, task, 1)
    for _ in range(30):
        pump(fast, invoker)
        if fast.notifications.for_task(task.task_id)[0].state == "delivered":
            break
        time.sleep(0.1)
    [n] = fast.notifications.for_task(task.task_id)
    assert n.state == "delivered" and [t["status"] for t in n.tries] == [500, 500, 200]
    got = receiver.received()
    assert [r["answered"] for r in got] == [500, 500, 200] and len({r["event_id"] for r in got}) == 1


def test_a_hanging_receiver_times_out_and_the_event_goes_out_later(deps, invoker, account, receiver):
    fast = with_settings(deps, notify_retry_delays="0.2", notify_timeout_seconds=1.0)
    receiver.control(hang_seconds=3)
    task = make_task(fast, account, NotifyConfig(receiver.url, "finish", KEY), n_subtasks=1)
    started = time.monotonic()
    run_subtask(fast, task, 1)  # the pipeline does not wait for the receiver
    assert fast.tasks.get_task(task.task_id).status == TaskStatus.FINISH
    pump(fast, invoker)
    assert time.monotonic() - started < 2.5
    [n] = fast.notifications.for_task(task.task_id)
    assert n.state == "pending" and "timeout" in n.tries[0]["error"] and n.tries[0]["duration_ms"] >= 900
    receiver.control(hang_seconds=0)
    time.sleep(0.3)
    pump(fast, invoker)
    [n] = fast.notifications.for_task(task.task_id)
    assert n.state == "delivered" and len(n.tries) == 2
    time.sleep(3)  # the hung request completes at the receiver too: a duplicate, with the same id
    assert {r["event_id"] for r in receiver.received()} == {n.event_id}


def test_a_4xx_stops_early_and_a_resend_delivers_it(deps, invoker, account, receiver, api):
    receiver.control(status=404)
    task = make_task(deps, account, NotifyConfig(receiver.url, "finish", KEY), n_subtasks=1)
    run_subtask(deps, task, 1)
    pump(deps, invoker)
    listed = api.get(f"/api/v1/tasks/{task.task_id}/notifications")
    assert listed.status == 200, listed.body
    [n] = listed.body["notifications"]
    assert n["state"] == "failed" and n["next_try_at"] is None and [t["status"] for t in n["tries"]] == [404]
    assert listed.body["notify"] == {"url": receiver.url, "mode": "finish", "key_set": True}
    receiver.control(status=200)
    again = api.post(f"/api/v1/tasks/{task.task_id}/notifications/{n['event_id']}/resend")
    assert again.status == 200 and again.body["state"] == "pending"
    pump(deps, invoker)
    [n] = deps.notifications.for_task(task.task_id)
    assert n.state == "delivered" and [t["status"] for t in n.tries] == [404, 200]
    assert api.post(f"/api/v1/tasks/{task.task_id}/notifications/ev-nope/resend").status == 404


def test_408_and_429_are_retried_and_an_event_past_its_time_is_a_dead_letter(deps, invoker, account, receiver):
    brief = with_settings(deps, notify_retry_delays="0.2", notify_give_up_after_seconds=1.0)
    receiver.control(status=429)
    task = make_task(brief, account, NotifyConfig(receiver.url, "finish", None), n_subtasks=1)
    run_subtask(brief, task, 1)
    deadline = time.monotonic() + 10
    while brief.notifications.for_task(task.task_id)[0].state == "pending" and time.monotonic() < deadline:
        pump(brief, invoker)
        time.sleep(0.1)
    [n] = brief.notifications.for_task(task.task_id)
    assert n.state == "failed" and len(n.tries) >= 2 and {t["status"] for t in n.tries} == {429}
    assert "Sign" in receiver.received()[0]["event"] and receiver.received()[0]["event"]["Sign"] == ""


def test_restart_makes_a_new_attempt_and_a_new_event_terminate_sends_one(deps, invoker, account, receiver):
    task = make_task(deps, account, NotifyConfig(receiver.url, "finish", KEY), n_subtasks=1)
    run_subtask(deps, task, 1)
    pump(deps, invoker)
    operations.reopen(deps, account, task.task_id, only_failed=False)
    run_subtask(deps, task, 1)
    pump(deps, invoker)
    ids = [r["event_id"] for r in receiver.received()]
    assert ids == [event_id(task.task_id, 0, "FINISH"), event_id(task.task_id, 1, "FINISH")]
    queued = make_task(deps, account, NotifyConfig(receiver.url, "finish", KEY), n_subtasks=2)
    operations.terminate(deps, account, queued.task_id)
    pump(deps, invoker)
    last = receiver.received()[-1]
    assert last["event_id"] == event_id(queued.task_id, 0, "FINISH")
    assert last["event"]["WorkflowTaskEvent"]["Status"] == "FINISH"
    assert last["event"]["WorkflowTaskEvent"]["ErrCode"] != 0


def test_an_event_recorded_before_a_crashed_write_waits_until_the_task_shows_it(deps, invoker, account, receiver):
    # GIVEN an aggregator that recorded FINISH and died before writing the task
    task = make_task(deps, account, NotifyConfig(receiver.url, "finish", KEY), n_subtasks=1)
    deps.tasks.claim_task(task.task_id, account, 0, clock.now_iso())
    deps.tasks.claim_subtask(task.task_id, 1, 0, "t", clock.now_iso())
    deps.tasks.finish_subtask(task.task_id, 1, "t", status=SubtaskStatus.SUCCESS, now=clock.now_iso())
    current = deps.tasks.get_task(task.task_id)
    from dataclasses import replace

    finished = replace(current, status=TaskStatus.FINISH, finish_time=clock.now_iso())
    assert (
        Outbox(deps.notifications, invoker, deps.settings.region).record(
            finished, deps.tasks.get_subtasks(task.task_id)
        )
        == 1
    )
    # WHEN the notifier runs first: nothing is sent, no try is counted
    deliver_task_events(deps, task.task_id)
    [n] = deps.notifications.for_task(task.task_id)
    assert n.state == "pending" and n.tries == [] and receiver.received() == []
    # THEN the reconciler's re-aggregation writes the FINISH, and the same event goes out once
    aggregate_and_notify(deps, task.task_id)
    deps.notifications.resend(n.event_id, clock.now_iso())  # skip the 5 s hold-back
    pump(deps, invoker)
    assert [r["event_id"] for r in receiver.received()] == [n.event_id]
    assert len(deps.notifications.for_task(task.task_id)) == 1


def test_notify_is_validated_and_shown_without_its_key(api, deps, account, receiver):
    deps.storage.put_stream(deps.settings.input_bucket, "input/n/clip.mp4", io.BytesIO(b"x" * 10))
    base = {
        "input": {"bucket": deps.settings.input_bucket, "key": "input/n/clip.mp4"},
        "subtasks": [{"type": "Transcode", "definition": 100030}],
    }
    for notify, code in (
        ({"url": "ftp://example.com/x"}, "InvalidParameterValue.NotifyUrl"),
        ({"url": "http://user:pw@example.com/x"}, "InvalidParameterValue.NotifyUrl"),
        ({"url": receiver.url, "mode": "sometimes"}, "InvalidParameterValue.NotifyMode"),
        ({"url": receiver.url, "type": "CMQ"}, "UnknownParameter"),
        ("http://x", "InvalidParameter.Notify"),
    ):
        reply = api.post("/api/v1/tasks", {**base, "notify": notify})
        assert reply.status == 400 and reply.body["error"]["code"] == code, (notify, reply.body)
    reply = api.post("/api/v1/tasks", {**base, "notify": {"url": receiver.url, "mode": "change", "key": KEY}})
    assert reply.status == 201, reply.body
    assert reply.body["notify"] == {"url": receiver.url, "mode": "change", "key_set": True}
    assert deps.tasks.get_task(reply.body["task_id"]).notify == NotifyConfig(receiver.url, "change", KEY)
    assert EVENT_ID_HEADER == "X-Openmps-Event-Id"


def test_a_workflow_passes_its_notify_config_to_the_tasks_it_creates(api, deps, account, receiver, tmp_path):
    # GIVEN a workflow with a notify config, set over REST
    body = {
        "name": "notify",
        "prefix": f"wfn-{account}/",
        "subtasks": [{"type": "Transcode", "definition": 100030}],
        "notify": {"url": receiver.url, "mode": "change", "key": KEY},
    }
    created = api.post("/api/v1/workflows", body)
    assert created.status in (200, 201), created.body
    wf = created.body
    assert wf["notify"] == {"url": receiver.url, "mode": "change", "key_set": True}
    # a workflow read back and put back keeps its key
    again = api.put(f"/api/v1/workflows/{wf['workflow_id']}", {**body, "notify": wf["notify"]})
    assert again.status == 200, again.body
    assert deps.workflows.get(wf["workflow_id"]).notify == NotifyConfig(receiver.url, "change", KEY)
    # WHEN an upload matches it
    from tests.integration.pipeline_helpers import trigger, upload

    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"not really a clip")
    [task_id] = trigger(deps, upload(deps, clip, f"wfn-{account}/c.mp4"))
    # THEN the task carries the workflow's config
    assert deps.tasks.get_task(task_id).notify == NotifyConfig(receiver.url, "change", KEY)
    bad = api.post("/api/v1/workflows", {**body, "name": "bad", "notify": {"url": "gopher://x"}})
    assert bad.status == 400 and bad.body["error"]["code"] == "InvalidParameterValue.NotifyUrl"
