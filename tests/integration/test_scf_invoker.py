"""The SCF invoker (tencentcloud-sdk-python) against a local HTTP endpoint that speaks API 3.0:
it recomputes the TC3-HMAC-SHA256 signature from the raw request (MPS-REFERENCE.md 1.3), rejects
a bad one with AuthFailure.SignatureFailure and answers Invoke like SCF (1.4, 4.5)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared.composition import build_invoker
from shared.domain.errors import RetryableProcessingError
from shared.invoke.port import PermanentInvokeError
from shared.invoke.scf import ASYNC_EVENT_LIMIT, ScfInvoker, classify
from shared.runtime.settings import StaticCredentials, settings_from_env

pytestmark = pytest.mark.integration

SECRET_ID, SECRET_KEY, TOKEN = "AKIDscfTEST", "scf-test-secret", "scf-session-token"
REGION = "ap-guangzhou"


def tc3_signature(
    secret_key: str, method: str, host: str, content_type: str, query: str, body: bytes, timestamp: int, service: str
) -> str:
    """TC3-HMAC-SHA256 exactly as MPS-REFERENCE.md 1.3 describes it (server side)."""
    payload_hash = hashlib.sha256(body).hexdigest()
    canonical = f"{method}\n/\n{query}\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{payload_hash}"
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    k_signing = mac(mac(mac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(k_signing, to_sign.encode(), hashlib.sha256).hexdigest()


class FakeScf:
    """Records verified Invoke calls; ``script`` holds error codes (or "HTTP500") to answer next."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.script: list[str] = []
        self.secrets = {SECRET_ID: (SECRET_KEY, TOKEN)}


def _handler(fake: FakeScf) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, response: dict[str, Any], status: int = 200) -> None:
            response.setdefault("RequestId", str(uuid.uuid4()))
            body = json.dumps({"Response": response}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")  # no charset: the SDK needs it exact
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, code: str, message: str) -> None:
            self._reply({"Error": {"Code": code, "Message": message}})

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            problem = self._verify(body)
            if problem:
                return self._error(*problem)
            if self.headers["X-TC-Action"] != "Invoke" or self.headers["X-TC-Version"] != "2018-04-16":
                return self._error("InvalidAction", "unknown action")
            fake.headers.append(dict(self.headers))
            fake.calls.append(json.loads(body))
            if fake.script:
                code = fake.script.pop(0)
                if code == "HTTP500":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self._error(code, f"scripted {code}")
            return self._reply({"Result": {"FunctionRequestId": str(uuid.uuid4()), "RetMsg": "", "InvokeResult": 0}})

        def _verify(self, body: bytes) -> tuple[str, str] | None:
            auth = self.headers.get("Authorization", "")
            try:
                algorithm, rest = auth.split(" ", 1)
                fields = dict(part.strip().split("=", 1) for part in rest.split(","))
                secret_id, date, service, terminator = fields["Credential"].split("/")
            except ValueError:
                return "AuthFailure.InvalidAuthorization", "malformed Authorization"
            if algorithm != "TC3-HMAC-SHA256" or terminator != "tc3_request" or service != "scf":
                return "AuthFailure.InvalidAuthorization", "bad credential scope"
            if fields.get("SignedHeaders") != "content-type;host":
                return "AuthFailure.InvalidAuthorization", "unexpected signed headers"
            if secret_id not in fake.secrets:
                return "AuthFailure.SecretIdNotFound", "unknown secret id"
            secret_key, token = fake.secrets[secret_id]
            timestamp = int(self.headers.get("X-TC-Timestamp", "0"))
            if abs(time.time() - timestamp) > 300:
                return "AuthFailure.SignatureExpire", "signature expired"
            if datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d") != date:
                return "AuthFailure.SignatureFailure", "credential date does not match the timestamp"
            if token and self.headers.get("X-TC-Token") != token:
                return "AuthFailure.TokenFailure", "bad token"
            expected = tc3_signature(
                secret_key, "POST", self.headers["Host"], self.headers["Content-Type"], "", body, timestamp, service
            )
            if not hmac.compare_digest(expected, fields.get("Signature", "")):
                return (
                    "AuthFailure.SignatureFailure",
                    "The provided credentials could not be validated. Please check your signature is correct.",
                )
            return None

    return Handler


@pytest.fixture
def fake_scf(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeScf, str]]:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    fake = FakeScf()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake, f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def invoker(endpoint: str, secret_key: str = SECRET_KEY, token: str | None = TOKEN, **kw: Any) -> ScfInvoker:
    return ScfInvoker(
        region=REGION,
        credentials=StaticCredentials(SECRET_ID, secret_key, token),
        namespace=kw.pop("namespace", "openmps-prod"),
        endpoint=endpoint,
        scheme="http",
        timeout=5,
        **kw,
    )


def test_async_invoke_is_signed_and_carries_the_event(fake_scf: tuple[FakeScf, str]) -> None:
    fake, endpoint = fake_scf
    event = {"task_id": "1250000000-WorkflowTask-" + "a" * 32 + "t0", "index": 2, "attempt": 0, "名": "视频"}
    request_id = invoker(endpoint).invoke("transcode", event)
    assert request_id
    (call,), (headers,) = fake.calls, fake.headers
    assert call["FunctionName"] == "openmps-transcode"
    assert call["InvocationType"] == "Event"
    assert call["Namespace"] == "openmps-prod" and call["Qualifier"] == "$LATEST"
    assert json.loads(call["ClientContext"]) == event
    assert headers["X-TC-Region"] == REGION and headers["X-TC-Token"] == TOKEN


def test_a_wrong_secret_fails_the_signature_check_permanently(fake_scf: tuple[FakeScf, str]) -> None:
    fake, endpoint = fake_scf
    with pytest.raises(PermanentInvokeError) as err:
        invoker(endpoint, secret_key="not-the-secret").invoke_async("aggregator", {"task_id": "t"})
    assert "AuthFailure.SignatureFailure" in err.value.code
    assert fake.calls == []


@pytest.mark.parametrize(
    "code,kind",
    [
        ("InternalError", RetryableProcessingError),
        ("InternalError.SystemError", RetryableProcessingError),
        ("RequestLimitExceeded", RetryableProcessingError),
        ("ResourceUnavailable.Function", RetryableProcessingError),
        ("FailedOperation.InvokeFunction", RetryableProcessingError),
        ("LimitExceeded.Concurrent", RetryableProcessingError),
        ("HTTP500", RetryableProcessingError),
        ("ResourceNotFound.Function", PermanentInvokeError),
        ("ResourceNotFound.Namespace", PermanentInvokeError),
        ("InvalidParameterValue.ClientContext", PermanentInvokeError),
        ("UnauthorizedOperation.CAM", PermanentInvokeError),
        ("FailedOperation.FunctionStatusError", PermanentInvokeError),
    ],
)
def test_errors_are_mapped_to_retryable_or_permanent(fake_scf: tuple[FakeScf, str], code: str, kind: type) -> None:
    fake, endpoint = fake_scf
    fake.script.append(code)
    with pytest.raises(kind):
        invoker(endpoint).invoke_async("snapshot", {"task_id": "t"})
    assert len(fake.calls) == 1  # the SDK does not retry by itself; SCF and the reconciler do


def test_network_errors_are_retryable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RetryableProcessingError):
        invoker(f"127.0.0.1:{port}").invoke_async("aggregator", {"task_id": "t"})


def test_oversized_events_are_refused_before_sending(fake_scf: tuple[FakeScf, str]) -> None:
    fake, endpoint = fake_scf
    with pytest.raises(PermanentInvokeError):
        invoker(endpoint).invoke_async("aggregator", {"blob": "x" * ASYNC_EVENT_LIMIT})
    assert fake.calls == []


def test_settings_choose_scf_with_role_credentials(
    fake_scf: tuple[FakeScf, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, endpoint = fake_scf
    monkeypatch.setenv("TENCENTCLOUD_SECRETID", SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRETKEY", SECRET_KEY)
    monkeypatch.setenv("TENCENTCLOUD_SESSIONTOKEN", TOKEN)
    env = {
        "OPENMPS_INVOKER": "scf",
        "OPENMPS_SCF_REGION": REGION,
        "OPENMPS_SCF_NAMESPACE": "stage-a",
        "OPENMPS_SCF_FUNCTION_PREFIX": "mps-",
        "OPENMPS_SCF_ENDPOINT": endpoint,
        "OPENMPS_SCF_ENDPOINT_SCHEME": "http",
        "TENCENTCLOUD_SECRETID": SECRET_ID,
        "TENCENTCLOUD_SECRETKEY": SECRET_KEY,
    }
    built = build_invoker(settings_from_env(env))
    assert isinstance(built, ScfInvoker)
    built.invoke_async("aggregator", {"task_id": "t1"})
    assert fake.calls[0]["FunctionName"] == "mps-aggregator" and fake.calls[0]["Namespace"] == "stage-a"
    monkeypatch.setenv("TENCENTCLOUD_SECRETKEY", "rotated-away")  # read live: the next call uses it
    with pytest.raises(PermanentInvokeError):
        built.invoke_async("aggregator", {"task_id": "t2"})


def test_unknown_codes_default_to_retryable() -> None:
    assert classify("SomethingNew.Unheard") == "retryable"
    assert classify("AuthFailure.SecretIdNotFound") == "permanent"
