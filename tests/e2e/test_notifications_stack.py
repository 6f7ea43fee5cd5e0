"""Notifications through the running stack: crashes, outages, 100 tasks, the SDK's ParseNotification."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from tencentcloud.mps.v20190612 import models

from infra.local.harness import start_stack, stop_stack
from tests.e2e.conftest import wait_for
from tests.e2e.notify_stack import FAST_NOTIFY, create_tasks, kill_9, latencies, source_key, summary
from tests.e2e.test_mps_api import mps
from tests.notify_receiver import ReceiverProcess

pytestmark = pytest.mark.e2e
KEY = "e2e-notify-key"


def _finished(stack, task_ids):
    return lambda: all(stack.client.task(t)["status"] == "FINISH" for t in task_ids)


def _states(stack, task_ids) -> Counter:
    return Counter(n["state"] for t in task_ids for n in stack.client.notifications(t)["notifications"])


def _min_tries(stack, task_ids) -> int:
    return min(len(n["tries"]) for t in task_ids for n in stack.client.notifications(t)["notifications"])


def test_kill_9_between_recording_and_sending_and_mid_send_loses_nothing(tmp_path):
    data = tmp_path / "data"
    rx = ReceiverProcess(tmp_path, key=KEY)  # not started: the receiver is down
    notify = {"url": rx.url, "mode": "finish", "key": KEY}
    first = start_stack(data, "crash-token", FAST_NOTIFY)
    try:
        key = source_key(first, tmp_path)
        recorded = create_tasks(first, key, 3, notify)
        wait_for(_finished(first, recorded), timeout=240)
        # the events are in the outbox, tried and refused (connection refused), not delivered
        wait_for(lambda: all(n["tries"] for t in recorded for n in first.client.notifications(t)["notifications"]))
        assert _states(first, recorded) == Counter(pending=3)
    finally:
        kill_9(first)
    rx.start()
    rx.control(hang_seconds=1.5)  # each request stays open a while: long enough to crash mid-send
    second = start_stack(data, "crash-token", FAST_NOTIFY)
    try:
        wait_for(lambda: len({r["event_id"] for r in rx.received()}) == 3, timeout=120)
        [mid] = create_tasks(second, key, 1, notify)
        wait_for(lambda: any(a and a.startswith("ev-") for a in rx.arrived()[3:]), timeout=240)
    finally:
        kill_9(second)  # while the receiver holds the fourth event's request open
    third = start_stack(data, "crash-token", FAST_NOTIFY)
    try:
        all_ids = recorded + [mid]
        wait_for(lambda: _states(third, all_ids) == Counter(delivered=4), timeout=120)
        got = rx.received()
        per_id = Counter(r["event_id"] for r in got)
        assert len(per_id) == 4, per_id  # recorded 4, delivered 4, lost 0
        assert all(r["signature_ok"] and r["sign_ok"] for r in got)
        # duplicates only from the crash mid-send, and with the same event id
        assert sorted(per_id.values())[:3] == [1, 1, 1] and max(per_id.values()) <= 2
        duplicates = sum(per_id.values()) - 4
        print("crash figures:", {"recorded": 4, "delivered": len(per_id), "lost": 0, "duplicates": duplicates})
    finally:
        stop_stack(third)
        rx.stop()


def test_a_receiver_down_for_a_while_then_100_tasks_get_exactly_their_events(tmp_path):
    rx = ReceiverProcess(tmp_path, key=KEY)
    notify = {"url": rx.url, "mode": "finish", "key": KEY}
    stack = start_stack(tmp_path / "data", "outage-token", FAST_NOTIFY)
    try:
        key = source_key(stack, tmp_path)
        # GIVEN a receiver that is down while 10 tasks finish, and for a while after
        during_outage = create_tasks(stack, key, 10, notify)
        wait_for(_finished(stack, during_outage), timeout=300)  # the pipeline does not wait for it
        wait_for(lambda: _min_tries(stack, during_outage) >= 2, timeout=60)
        # WHEN it comes back
        rx.start()
        # THEN every event arrives exactly once
        wait_for(lambda: _states(stack, during_outage) == Counter(delivered=10), timeout=120)
        per_id = Counter(r["event_id"] for r in rx.received())
        assert len(per_id) == 10 and set(per_id.values()) == {1}
        # AND 100 more tasks make exactly 100 finish events
        before = len(rx.received())
        hundred = create_tasks(stack, key, 100, notify)
        wait_for(lambda: len(rx.received()) >= before + 100, timeout=600, every=1)
        wait_for(lambda: _states(stack, hundred) == Counter(delivered=100), timeout=60)
        new = rx.received()[before:]
        assert len(new) == 100 and {r["event"]["WorkflowTaskEvent"]["TaskId"] for r in new} == set(hundred)
        assert all(r["signature_ok"] and r["sign_ok"] and r["fresh"] for r in new)
        print("latency FINISH -> receiver:", summary(latencies(stack, new)))
        # AND MPS's ParseNotification (through the official SDK) returns the event we sent
        request = models.ParseNotificationRequest()
        request.Content = json.dumps(new[0]["event"])
        parsed = mps(stack).ParseNotification(request)
        assert parsed.WorkflowTaskEvent.TaskId == new[0]["event"]["WorkflowTaskEvent"]["TaskId"]
        assert parsed.EventType == "WorkflowTask" and parsed.Sign == new[0]["event"]["Sign"]
    finally:
        stop_stack(stack)
        rx.stop()
