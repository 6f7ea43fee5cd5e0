"""While the table server is away, every API answers "try again" rather than a 500 (issue 14).

A real stack; its table server is killed -9 and its port held by a socket that resets every
connection, so the supervisor's restarts fail until the test lets go (what a table server that
crashes, restarts or is overloaded looks like to the functions). Meanwhile: REST answers 503 with
the error envelope, ``ServiceUnavailable`` and Retry-After; the MPS API answers HTTP 503 with the
``ServiceUnavailable`` envelope, which the official SDK raises as ``ServerNetworkError`` and its
``StandardRetryer`` retries; the COS XML API answers 503 ``ServiceUnavailable``, which
cos-python-sdk-v5 retries. Once the port is free the supervisor's next restart succeeds and the
same calls answer again; the SDK caller that kept retrying gets its answer.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.retry import StandardRetryer
from tencentcloud.mps.v20190612 import models

from infra.local.crash_kills import kill_table_server, table_server_pid
from infra.local.harness import RunningStack, start_stack, stop_stack
from tests.e2e.conftest import wait_for
from tests.e2e.test_mps_api import mps

pytestmark = pytest.mark.e2e

REGION = "ap-guangzhou"


class ResettingPort:
    """Listens on the table server's port and resets every connection at once."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 5
        while True:
            try:
                self.sock.bind(("127.0.0.1", port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        self.sock.listen(64)
        self.resets = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            self.resets += 1

    def release(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[RunningStack]:
    # Each failed restart of the held port counts as a death of the table server: allow plenty.
    env = {"OPENMPS_TABLE_RESTARTS_PER_MINUTE": "1000", "OPENMPS_LOG_LEVEL": "WARNING"}
    running = start_stack(tmp_path_factory.mktemp("unavailable") / "data", "unavailable-token", env)
    yield running
    stop_stack(running)


def _rest(stack: RunningStack) -> requests.Response:
    headers = {"Authorization": f"Bearer {stack.token}"}
    return requests.get(stack.url + "/api/v1/tasks?limit=1", headers=headers, timeout=60)


def _describe_templates(client) -> object:
    request = models.DescribeTranscodeTemplatesRequest()
    request.Definitions = [100010]
    return client.DescribeTranscodeTemplates(request)


def _cos(stack: RunningStack, retry: int) -> CosS3Client:
    secret_id, secret_key = stack.key_pair()
    host = {"IP": "127.0.0.1", "Port": urlsplit(stack.url).port, "Scheme": "http"}
    config = CosConfig(**host, Region=REGION, SecretId=secret_id, SecretKey=secret_key)
    return CosS3Client(config, retry=retry)


def test_while_the_table_is_away_every_api_says_try_again_and_answers_once_it_is_back(stack):
    client = mps(stack)
    bucket = requests.get(stack.url + "/api/v1/config", headers={"Authorization": f"Bearer {stack.token}"}, timeout=10)
    input_bucket = bucket.json()["input_bucket"]
    # GIVEN a stack whose APIs answer (the gateway has remembered the token and the key pair)
    assert _rest(stack).status_code == 200
    _describe_templates(client)
    _cos(stack, retry=0).list_objects(Bucket=input_bucket, MaxKeys=1)
    # WHEN its table server is killed -9 and its port resets every connection
    port = int((stack.data_dir / "table-endpoint").read_text().rsplit(":", 1)[1])
    old = table_server_pid(stack)
    assert kill_table_server(stack) is not None
    holder = ResettingPort(port)
    try:
        # THEN REST answers 503 with the error envelope, a code and Retry-After (never a 500 or 502)
        answer = _rest(stack)
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "ServiceUnavailable"
        assert answer.json()["error"]["message_params"]["retry_after_seconds"] >= 1
        assert int(answer.headers["Retry-After"]) >= 1
        # ... and /healthz says the table does not answer
        health = requests.get(stack.url + "/healthz", timeout=60)
        assert health.status_code == 503 and health.json()["table"] != "ok"
        # ... the MPS SDK raises ServerNetworkError (what its StandardRetryer retries), carrying the envelope
        with pytest.raises(TencentCloudSDKException) as raised:
            _describe_templates(client)
        assert raised.value.get_code() == "ServerNetworkError"
        assert "ServiceUnavailable" in str(raised.value.get_message())
        assert StandardRetryer.should_retry(None, raised.value)
        # ... the COS SDK gets 503 ServiceUnavailable (a 5xx, which it retries)
        with pytest.raises(CosServiceError) as cos_raised:
            _cos(stack, retry=0).list_objects(Bucket=input_bucket, MaxKeys=1)
        assert cos_raised.value.get_status_code() == 503
        assert cos_raised.value.get_error_code() == "ServiceUnavailable"
        assert holder.resets > 0
        # WHEN an SDK caller with the SDK's own retryer asks meanwhile, and the port is let go
        outcome: list[str] = []
        patient = mps(stack)
        patient.profile.retryer = StandardRetryer(max_attempts=30, backoff_fn=lambda n: 0.5)

        def ask() -> None:
            # A call whose answer is an error the retryer does not retry: StandardRetryer 3.1.195
            # never clears the error of a failed attempt, so a success after a retry is re-tried
            # until max_attempts and then raised as the old error. A final answer shows the wait.
            request = models.DeleteTranscodeTemplateRequest()
            request.Definition = 1999999
            try:
                patient.DeleteTranscodeTemplate(request)
                outcome.append("answered")
            except TencentCloudSDKException as exc:
                outcome.append(exc.get_code())

        asking = threading.Thread(target=ask)
        asking.start()
        time.sleep(1.0)
    finally:
        holder.release()
    # THEN the supervisor's next restart succeeds, and every API answers again
    wait_for(lambda: table_server_pid(stack) not in (None, old), timeout=30, every=0.1)
    wait_for(lambda: _rest(stack).status_code == 200, timeout=30, every=0.2)
    _describe_templates(client)
    _cos(stack, retry=0).list_objects(Bucket=input_bucket, MaxKeys=1)
    asking.join(timeout=60)
    assert outcome == ["ResourceNotFound.TemplateNotExist"]
