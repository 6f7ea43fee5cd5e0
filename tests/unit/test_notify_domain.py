"""The pure parts of notifications: URL policy, ids, backoff, signatures, the event plan."""

from __future__ import annotations

import hashlib
import random

import pytest

from shared.domain.errors import BadInputError
from shared.domain.model import Subtask, Task
from shared.domain.notify import (
    NotifyConfig,
    body_signature,
    event_body,
    event_id,
    mps_sign,
    next_delay,
    permanent_status,
    verify_body_signature,
)
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.runtime.url_policy import check_url
from shared.services.notify_outbox import planned_events

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "http://user:pw@example.com/",
        "http://user@example.com/",
        "http:///x",
        "javascript:alert(1)",
        "http://example.com:0/",
    ],
)
def test_urls_openmps_never_calls(url):
    with pytest.raises(BadInputError) as caught:
        check_url(url, allow_private=True, code="InvalidParameterValue.NotifyUrl")
    assert caught.value.code == "InvalidParameterValue.NotifyUrl"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8099/x",
        "http://localhost/x",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://169.254.169.254/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
    ],
)
def test_private_addresses_are_refused_unless_allowed(url):
    with pytest.raises(BadInputError, match="loopback, link-local, private or reserved") as caught:
        check_url(url, allow_private=False, code="InvalidParameterValue.NotifyUrl")
    assert caught.value.code == "InvalidParameterValue.NotifyUrl"
    check_url(url, allow_private=True)


def test_a_public_name_resolving_to_a_private_address_is_refused_and_the_checked_address_is_used():
    def rebinding(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.1.2.3"]

    with pytest.raises(BadInputError, match="10.1.2.3"):
        check_url("https://hooks.example.com/x", allow_private=False, resolver=rebinding)
    target = check_url("https://hooks.example.com/x", allow_private=False, resolver=lambda h, p: ["93.184.216.34"])
    assert (target.host, target.port, target.address, target.path) == ("hooks.example.com", 443, "93.184.216.34", "/x")
    assert check_url("https://hooks.example.com/x", allow_private=True, resolver=rebinding).address == "93.184.216.34"


def test_event_ids_are_deterministic_per_task_attempt_and_transition():
    a = event_id("t1", 0, "FINISH")
    assert a == event_id("t1", 0, "FINISH") and a.startswith("ev-") and len(a) == 35
    others = {event_id("t1", 1, "FINISH"), event_id("t2", 0, "FINISH"), event_id("t1", 0, "subtask-1-SUCCESS")}
    assert len({a, *others}) == 4


def test_backoff_follows_the_schedule_with_jitter_and_4xx_but_408_429_are_permanent():
    rng = random.Random(7)
    for tries, base in ((1, 10), (2, 30), (3, 120), (4, 600), (5, 1800), (6, 3600), (40, 3600)):
        delay = next_delay(tries, rng)
        assert 0.8 * base <= delay <= 1.2 * base
    assert [s for s in (400, 401, 404, 408, 410, 429, 500, 503) if permanent_status(s)] == [400, 401, 404, 410]


def test_sign_is_mps_md5_and_the_signature_is_an_hmac_of_the_exact_body():
    assert mps_sign(1700000600, "k") == hashlib.md5(b"1700000600k").hexdigest()
    body = b'{"EventType":"WorkflowTask"}'
    header = body_signature(body, "k")
    assert header.startswith("sha256=") and verify_body_signature(body, "k", header)
    assert not verify_body_signature(body + b" ", "k", header) and not verify_body_signature(body, "k2", header)
    assert not verify_body_signature(body, "k", None)
    sent = event_body({"EventType": "WorkflowTask"}, now_epoch=1700000000, key="k")
    assert sent["Timestamp"] == 1700000600 and sent["Sign"] == mps_sign(1700000600, "k")
    assert event_body({}, now_epoch=1, key=None)["Sign"] == ""


def test_notify_config_round_trips_and_hides_its_key():
    cfg = NotifyConfig("https://x.example/h", "change", "secret")
    assert NotifyConfig.from_dict(cfg.to_dict()) == cfg and NotifyConfig.from_dict(None) is None
    assert cfg.public_view() == {"url": "https://x.example/h", "mode": "change", "key_set": True}


def _task(mode, status=TaskStatus.PROCESSING):
    return Task(
        "t",
        "a",
        "2026-01-01T00:00:00.000000Z",
        "in",
        "k",
        "out",
        "o/",
        "api",
        status=status,
        finish_time="2026-01-01T00:00:09.000000Z" if status == TaskStatus.FINISH else None,
        notify=NotifyConfig("http://x/", mode),
    )


def _sub(i, status, begin=None, end=None):
    return Subtask("t", i, "Transcode", "a", {}, status=status, begin_time=begin, finish_time=end)


def test_the_event_plan_in_order_of_what_happened():
    subs = [
        _sub(1, SubtaskStatus.SUCCESS, "2026-01-01T00:00:01.000000Z", "2026-01-01T00:00:05.000000Z"),
        _sub(2, SubtaskStatus.PROCESSING, "2026-01-01T00:00:02.000000Z"),
        _sub(3, SubtaskStatus.WAITING),
    ]
    change = [p.transition for p in planned_events(_task("change"), subs, "now")]
    assert change == ["subtask-1-PROCESSING", "subtask-2-PROCESSING", "subtask-1-SUCCESS"]
    assert planned_events(_task("finish"), subs, "now") == []
    done = [p.transition for p in planned_events(_task("finish", TaskStatus.FINISH), subs, "now")]
    assert done == ["FINISH"]
    cancelled = [_sub(1, SubtaskStatus.FAIL, None, "2026-01-01T00:00:03.000000Z")]  # terminated: never began
    assert [p.transition for p in planned_events(_task("change", TaskStatus.FINISH), cancelled, "now")] == [
        "subtask-1-FAIL",
        "FINISH",
    ]


def test_the_stored_config_reads_back_as_mps_task_notify_config():
    assert NotifyConfig("https://x.example/h", "change", "k").to_mps() == {
        "NotifyType": "URL",
        "NotifyMode": "Change",
        "NotifyUrl": "https://x.example/h",
        "NotifyKey": "k",
    }
    assert NotifyConfig("https://x.example/h").to_mps()["NotifyMode"] == "Finish"
    assert NotifyConfig("https://x.example/h").to_mps()["NotifyKey"] == ""
