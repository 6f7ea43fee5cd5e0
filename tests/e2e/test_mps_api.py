"""The MPS API 3.0 of the running stack, driven by the official SDK (MpsClient 2019-06-12) itself."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid

import pytest
import requests
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.mps.v20190612 import models

from infra.local.harness import start_stack, stop_stack
from tests.e2e.conftest import FAST_RECOVERY, wait_for
from tests.media_fixtures import make_clip
from tests.sdk_signing import SkewedClock, sdk_client

pytestmark = pytest.mark.e2e

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def mps_stack(tmp_path_factory):
    # One transcode at a time, so tasks created together stay WAITING long enough to abort.
    stack = start_stack(
        tmp_path_factory.mktemp("mps") / "data", "mps-token", {**FAST_RECOVERY, "OPENMPS_CONCURRENCY": "transcode=1"}
    )
    yield stack
    stop_stack(stack)


def endpoint(stack) -> str:
    return stack.url.removeprefix("http://")


def local_pair(stack) -> tuple[str, str]:
    return stack.key_pair()


def mps(stack, language="en-US", pair=None, token=None):
    secret_id, secret_key = pair or local_pair(stack)
    return sdk_client(endpoint(stack), secret_id, secret_key, language=language, token=token)


def admin(stack, *args) -> str:
    env = {**os.environ, "OPENMPS_DATA_DIR": str(stack.data_dir), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, f"openmps {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def error_of(call) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    assert caught.value.get_request_id(), "every error carries a RequestId"
    return caught.value


def describe(client, **fields):
    request = models.DescribeTasksRequest()
    request.from_json_string(json.dumps(fields))
    return client.DescribeTasks(request)


def abort(client, task_id):
    request = models.ManageTaskRequest()
    request.OperationType, request.TaskId = "Abort", task_id
    return client.ManageTask(request)


def tampered(client, mutate):
    """The client, with each request changed after the SDK signed it."""
    send = client.request.send_request

    def send_tampered(req):
        mutate(req)
        return send(req)

    client.request.send_request = send_tampered
    return client


def start_of_second() -> None:
    """The SDK and the server both count whole seconds: start early in one so both see the same."""
    while time.time() % 1 > 0.2:
        time.sleep(0.02)


# ---- signatures ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("offset", "accepted"), [(299, True), (-299, True), (301, False), (-301, False)])
def test_the_signed_time_may_be_299_seconds_off_but_not_301(mps_stack, offset, accepted):
    client = mps(mps_stack)
    start_of_second()
    with SkewedClock(offset):
        if accepted:
            assert describe(client, Limit=1).TotalCount is not None
        else:
            assert error_of(lambda: describe(client, Limit=1)).get_code() == "AuthFailure.SignatureExpire"


def _flip(text: str) -> str:
    return text[:-1] + ("1" if text[-1] == "0" else "0")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: setattr(r, "data", r.data.replace('"Limit": 1', '"Limit": 2')),
        lambda r: r.header.update(Authorization=_flip(r.header["Authorization"])),
        lambda r: r.header.update(Host=r.header["Host"].replace("127.0.0.1", "localhost")),
        lambda r: r.header.update(Authorization=re.sub(r"/\d{4}-", "/2001-", r.header["Authorization"])),
    ],
    ids=["body", "signature", "host", "date-scope"],
)
def test_a_request_changed_after_signing_is_refused(mps_stack, mutate):
    client = tampered(mps(mps_stack), mutate)
    assert error_of(lambda: describe(client, Limit=1)).get_code() == "AuthFailure.SignatureFailure"


def test_credential_failures_have_their_own_codes(mps_stack):
    secret_id, secret_key = local_pair(mps_stack)
    wrong_key = mps(mps_stack, pair=(secret_id, "x" * 32))
    assert error_of(lambda: describe(wrong_key)).get_code() == "AuthFailure.SignatureFailure"
    unknown = mps(mps_stack, pair=("AKID" + "z" * 32, secret_key))
    assert error_of(lambda: describe(unknown)).get_code() == "AuthFailure.SecretIdNotFound"
    temporary = error_of(lambda: describe(mps(mps_stack, token="sts-session-token")))
    assert temporary.get_code() == "AuthFailure.TokenFailure" and "not supported" in temporary.get_message()
    anonymous = tampered(mps(mps_stack), lambda r: r.header.pop("Authorization"))
    assert error_of(lambda: describe(anonymous)).get_code() == "AuthFailure.InvalidAuthorization"


# ---- the wire protocol ----------------------------------------------------------------------------
def test_errors_are_http_200_with_the_envelope_and_exactly_application_json(mps_stack):
    reply = requests.post(mps_stack.url + "/", data="{}", headers={"Content-Type": "application/json"}, timeout=30)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/json"
    body = reply.json()["Response"]
    assert body["Error"]["Code"] == "AuthFailure.InvalidAuthorization"
    assert uuid.UUID(body["RequestId"])


def test_actions_versions_and_fields_are_checked_with_mps_codes(mps_stack):
    client = mps(mps_stack)
    assert error_of(lambda: client.call_json("NoSuchThing", {})).get_code() == "InvalidAction"
    unsupported = error_of(lambda: client.EditMedia(models.EditMediaRequest()))
    assert unsupported.get_code() == "UnsupportedOperation" and "EditMedia" in unsupported.get_message()
    old = mps(mps_stack)
    old._apiVersion = "2017-03-12"
    assert error_of(lambda: describe(old)).get_code() == "NoSuchVersion"
    missing = error_of(lambda: client.ManageTask(models.ManageTaskRequest()))
    assert missing.get_code() == "MissingParameter" and "OperationType" in missing.get_message()
    cases = [
        ({"Limit": 0}, "InvalidParameterValue.Limit"),
        ({"Limit": 101}, "InvalidParameterValue.Limit"),
        ({"Limit": "10"}, "InvalidParameterValue.Limit"),
        ({"Status": "DONE"}, "InvalidParameterValue"),
        ({"StartTime": "yesterday"}, "InvalidParameter.StartTime"),
        ({"EndTime": "2026-13-45T99:00:00Z"}, "InvalidParameter.EndTime"),
        ({"ScrollToken": "forged.0000"}, "InvalidParameterValue"),
    ]
    for fields, code in cases:
        assert error_of(lambda f=fields: describe(client, **f)).get_code() == code, fields
    restart = models.ManageTaskRequest()
    restart.OperationType, restart.TaskId = "Restart", "1250000000-WorkflowTask-" + "0" * 32 + "t0"
    assert error_of(lambda: client.ManageTask(restart)).get_code() == "InvalidParameterValue.InvalidOperationType"
    for task_id in ("1250000000-WorkflowTask-" + "0" * 32 + "t0", "not-a-task-id"):
        assert error_of(lambda t=task_id: abort(client, t)).get_code() == "InvalidParameterValue.TaskId"


def test_a_body_over_10_mb_is_refused_with_request_size_limit_exceeded(mps_stack):
    client = mps(mps_stack)
    big = error_of(lambda: client.call_json("DescribeTasks", {"Padding": "x" * (10 * 1024 * 1024 + 1)}))
    assert big.get_code() == "RequestSizeLimitExceeded"


def test_messages_are_chinese_for_zh_cn_and_english_for_en_us(mps_stack):
    english = error_of(lambda: mps(mps_stack, "en-US").ManageTask(models.ManageTaskRequest())).get_message()
    chinese = error_of(lambda: mps(mps_stack, "zh-CN").ManageTask(models.ManageTaskRequest())).get_message()
    assert english == "The parameter OperationType is required."
    assert chinese == "缺少必填参数 OperationType。"


# ---- tasks ----------------------------------------------------------------------------------------
def test_describe_tasks_pages_abort_stops_waiting_tasks_and_accounts_are_isolated(mps_stack, tmp_path):
    # GIVEN four tasks created together behind a one-at-a-time transcode queue
    rest = mps_stack.client
    clip = make_clip(tmp_path / "long.mp4", seconds=20, width=1920, height=1080)
    key = rest.upload(clip, key="mps/long.mp4")["key"]  # outside the default workflow's input/ prefix
    body = {
        "input": {"bucket": "openmps-input-1250000000", "key": key},
        "output": {"dir": "mps/{task_id}/"},
        "subtasks": [{"type": "Transcode", "definition": 100040}],
    }
    ids = [rest.create_task(body)["task_id"] for _ in range(4)]
    client = mps(mps_stack)

    # WHEN the tasks are paged two at a time
    seen, token, pages = [], "", 0
    while True:
        page = describe(client, Limit=2, **({"ScrollToken": token} if token else {}))
        assert page.TotalCount == 4 and len(page.TaskSet) <= 2
        seen += [t.TaskId for t in page.TaskSet]
        token, pages = page.ScrollToken, pages + 1
        if not token:
            break
    # THEN every task shows once, newest first, in the SDK's shapes
    assert seen == list(reversed(ids)) and pages == 2
    info = describe(client, Limit=1).TaskSet[0]
    assert info.TaskType == "WorkflowTask" and ISO.match(info.CreateTime) and info.SubTaskTypes == ["Transcode"]
    # AND the filters narrow the list (a token belongs to the query that made it)
    waiting = describe(client, Status="WAITING", Limit=100)
    assert waiting.TotalCount >= 2 and all(t.FinishTime == "0000-00-00T00:00:00Z" for t in waiting.TaskSet)
    assert describe(client, StartTime="2099-01-01T00:00:00Z").TotalCount == 0
    assert describe(client, EndTime="2001-01-01T00:00:00Z").TaskSet == []
    first = describe(client, Limit=1)
    assert error_of(lambda: describe(client, Status="WAITING", ScrollToken=first.ScrollToken)).get_code() == (
        "InvalidParameterValue"
    )

    # GIVEN a second account with its own key pair, created with the CLI
    other = json.loads(admin(mps_stack, "accounts", "create", "--json"))
    stranger = mps(mps_stack, pair=(other["secret_id"], other["secret_key"]))
    victim = ids[-1]  # the newest: last in the queue
    # THEN it sees none of the first account's tasks and cannot touch them
    assert describe(stranger).TotalCount == 0 and describe(stranger).TaskSet == []
    assert error_of(lambda: abort(stranger, victim)).get_code() == "InvalidParameterValue.TaskId"
    assert rest.task(victim)["status"] == "WAITING"
    strangers_rest = type(rest)(mps_stack.url, other["api_token"])
    with pytest.raises(Exception, match="404"):
        strangers_rest.task(victim)
    # AND it has buckets of its own (folders under the data dir, its default workflow on them) and may
    # not use the first account's
    assert other["input_bucket"] == f"openmps-input-{other['appid']}"
    assert (mps_stack.data_dir / "buckets" / other["input_bucket"]).is_dir()
    assert (mps_stack.data_dir / "buckets" / other["output_bucket"]).is_dir()
    assert [w["bucket"] for w in strangers_rest.workflows()] == [other["input_bucket"]]
    with pytest.raises(Exception, match="403"):
        strangers_rest.create_task(body)
    own_key = strangers_rest.upload(clip, key="mps/long.mp4")["key"]
    own_body = {**body, "input": {"bucket": other["input_bucket"], "key": own_key}}
    # AND its own task carries its own appid and is invisible to the first account
    own = strangers_rest.create_task(own_body)["task_id"]
    assert own.startswith(other["appid"] + "-WorkflowTask-")
    assert [t.TaskId for t in describe(stranger).TaskSet] == [own]
    assert own not in [t.TaskId for t in describe(client, Limit=100).TaskSet]

    # WHEN the first account aborts its waiting task
    abort(client, victim)
    # THEN it finishes as terminated and never runs; a second abort is refused
    done = rest.task(victim)
    assert done["status"] == "FINISH" and done["err_code"] == "Terminated" and done["begin_process_time"] is None
    refused = error_of(lambda: abort(client, victim))
    assert refused.get_code() == "FailedOperation" and "WAITING" in refused.get_message()
    running = wait_for(lambda: next((t for t in ids if rest.task(t)["status"] == "PROCESSING"), None), timeout=60)
    assert error_of(lambda: abort(client, running)).get_code() == "FailedOperation"

    # WHEN the second account's key is disabled, enabled, then deleted
    admin(mps_stack, "keys", "disable", other["secret_id"], "--account", other["account"])
    assert error_of(lambda: describe(stranger)).get_code() == "AuthFailure.SecretIdNotFound"
    admin(mps_stack, "keys", "enable", other["secret_id"], "--account", other["account"])
    assert describe(stranger).TotalCount == 1
    listed = json.loads(admin(mps_stack, "keys", "list", "--account", other["account"], "--json"))
    assert [k["secret_id"] for k in listed] == [other["secret_id"]] and "secret_key" not in listed[0]
    admin(mps_stack, "keys", "delete", other["secret_id"], "--account", other["account"])
    assert error_of(lambda: describe(stranger)).get_code() == "AuthFailure.SecretIdNotFound"
