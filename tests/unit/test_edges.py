import time

import pytest

from infra.cos_protocol.ranges import parse_range
from shared.domain.errors import BadInputError, OpenMpsError
from shared.runtime.scf import ScfContext, apigw_to_rest_event, rest_to_integration_response
from shared.runtime.settings import settings_from_env
from shared.storage.port import check_key
from shared.storage.signing import signature, verify
from shared.store.cursor import decode_cursor, encode_cursor

pytestmark = pytest.mark.unit


def test_signed_urls_bind_method_object_and_expiry():
    exp = int(time.time()) + 60
    sig = signature("k", "GET", "b", "a/c.mp4", exp)
    assert verify("k", "GET", "b", "a/c.mp4", exp, "", sig, time.time()) is None
    assert verify("k", "PUT", "b", "a/c.mp4", exp, "", sig, time.time()) == "signature does not match"
    assert verify("k", "GET", "b", "a/d.mp4", exp, "", sig, time.time()) == "signature does not match"
    assert verify("k", "GET", "b", "a/c.mp4", exp + 1, "", sig, time.time()) == "signature does not match"
    assert verify("k", "GET", "b", "a/c.mp4", exp, "", sig, exp + 1) == "URL expired"


@pytest.mark.parametrize(
    "header, size, expected",
    [
        ("bytes=0-9", 100, (0, 9)),
        ("bytes=90-", 100, (90, 99)),
        ("bytes=-10", 100, (90, 99)),
        ("bytes=50-500", 100, (50, 99)),
        ("bytes=100-", 100, None),
        ("bytes=-0", 100, None),
    ],
)
def test_http_ranges(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize("header", ["bytes=a-b", "items=0-1", "bytes=-", "bytes=0-1,5-6"])
def test_malformed_ranges(header):
    with pytest.raises(ValueError):
        parse_range(header, 100)


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "a/./b", "a\\b", "nul\x00", "ctl\x07"])
def test_unsafe_keys_are_refused(key):
    with pytest.raises(BadInputError):
        check_key(key)


def test_cursor_round_trip_and_garbage():
    key = {"task_id": {"S": "x"}, "create_time": {"S": "t"}}
    assert decode_cursor(encode_cursor(key)) == key
    for junk in ("###", "bm90IGpzb24", "WzFd"):
        with pytest.raises(BadInputError):
            decode_cursor(junk)


def test_settings_come_from_the_environment_and_are_validated():
    s = settings_from_env({"OPENMPS_APPID": "123", "OPENMPS_HEARTBEAT_SECONDS": "2.5"})
    assert (s.appid, s.heartbeat_seconds) == ("123", 2.5)
    with pytest.raises(OpenMpsError):
        settings_from_env({"OPENMPS_APPID": "not-digits"})


def test_scf_gateway_event_to_rest_shape():
    event = {
        "requestContext": {
            "path": "/",
            "httpMethod": "GET",
            "requestId": "r1",
            "stage": "release",
            "sourceIp": "1.2.3.4",
        },
        "headers": {"Authorization": "Bearer t"},
        "path": "/api/v1/tasks",
        "httpMethod": "GET",
        "queryString": {"status": "FINISH", "tag": ["a", "b"], "flag": True},
        "queryStringParameters": {},
        "body": "",
    }
    rest = apigw_to_rest_event(event)
    assert rest["path"] == "/api/v1/tasks" and rest["httpMethod"] == "GET"
    assert rest["queryStringParameters"] == {"status": "FINISH", "tag": "b", "flag": ""}
    assert rest["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
    assert rest["body"] is None


def test_integration_response_has_single_valued_headers():
    out = rest_to_integration_response(
        {
            "statusCode": 201,
            "body": "{}",
            "isBase64Encoded": False,
            "multiValueHeaders": {"Content-Type": ["application/json"]},
        }
    )
    assert out == {
        "isBase64Encoded": False,
        "statusCode": 201,
        "headers": {"Content-Type": "application/json"},
        "body": "{}",
    }


def test_context_adapter_accepts_dicts_and_objects():
    ctx = ScfContext({"request_id": "r", "function_name": "f", "memory_limit_in_mb": 256, "time_limit_in_ms": 5000})
    assert (ctx.aws_request_id, ctx.function_name, ctx.memory_limit_in_mb) == ("r", "f", 256)
    assert 0 < ctx.get_remaining_time_in_millis() <= 5000

    class Obj:
        request_id = "o"
        function_name = "g"

        def get_remaining_time_in_millis(self):
            return 1234

    assert ScfContext(Obj()).get_remaining_time_in_millis() == 1234
