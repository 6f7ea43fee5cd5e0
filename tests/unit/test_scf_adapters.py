"""SCF event and context adapters against documented fixtures (tests/fixtures/scf/README.md):
COS events, API gateway events (queryString vs queryStringParameters, base64 bodies), timer
events, dict and object contexts; powertools Logger and idempotency working with them."""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from shared.domain.events import parse_cos_event
from shared.runtime.scf import ScfContext, apigw_to_rest_event, event_kind, rest_to_integration_response

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scf"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


# ---- COS events --------------------------------------------------------------------------------


def test_cos_put_event_gives_full_bucket_and_real_key() -> None:
    [obj] = parse_cos_event(fixture("cos_put.json"))
    assert (obj.bucket, obj.key, obj.region) == ("bookshelfplus-1302260381", "input/file.mp4", "ap-shanghai")
    assert obj.etag == "0d73cbc2b8a7a5bd5e0c1ef2e2ebd4c6" and obj.size == 557


def test_multipart_upload_event_is_an_object_created_with_a_raw_key() -> None:
    event = fixture("cos_multipart.json")
    [obj] = parse_cos_event(event)
    assert obj.event_name == "cos:ObjectCreated:CompleteMultipartUpload"
    assert obj.bucket == "media-in-1250000000"
    assert obj.key == "input/旅行 2024/clip (1).mov"  # `key` is not URL-encoded (the `url` is)
    assert obj.size == 734003200
    assert obj.etag  # no ETag in older events: something stable still identifies the upload
    assert event_kind(event) == "cos"


def test_removed_objects_are_skipped() -> None:
    assert parse_cos_event(fixture("cos_removed.json")) == []


# ---- API gateway events ---------------------------------------------------------------------------


def test_apigw_query_string_carries_all_parameters() -> None:
    event = fixture("apigw_get.json")
    assert event_kind(event) == "apigw"
    rest = apigw_to_rest_event(event)
    assert rest["httpMethod"] == "GET" and rest["path"] == "/healthz"
    assert rest["multiValueQueryStringParameters"]["status"] == ["FINISH", "PROCESSING"]
    assert rest["queryStringParameters"] == {"status": "PROCESSING", "verbose": "", "limit": "20"}
    assert rest["requestContext"]["requestId"] == event["requestContext"]["requestId"]
    assert rest["body"] is None and rest["isBase64Encoded"] is False


def test_declared_query_parameters_alone_also_work() -> None:
    event = fixture("apigw_get.json")
    event["queryString"] = {}
    event["queryStringParameters"] = {"limit": "5"}
    assert apigw_to_rest_event(event)["queryStringParameters"] == {"limit": "5"}


def _echo_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()

    @app.post("/api/v1/uploads")
    def echo() -> dict[str, Any]:
        return {
            "json": app.current_event.json_body,
            "dry_run": app.current_event.get_query_string_value("dry_run"),
            "content_type": app.current_event.headers.get("content-type"),
        }

    return app


def test_base64_body_is_decoded_by_the_resolver() -> None:
    event = fixture("apigw_post_base64.json")
    rest = apigw_to_rest_event(event)
    assert rest["isBase64Encoded"] is True
    response = rest_to_integration_response(_echo_app().resolve(rest, ScfContext(fixture("context.json"))))
    assert response["statusCode"] == 200 and response["isBase64Encoded"] is False
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert body == {
        "json": {"filename": "新しい clip.mp4", "key": "input/新しい clip.mp4"},
        "dry_run": "1",
        "content_type": "application/json",
    }


@pytest.mark.parametrize("flag,expected", [("true", True), ("false", False), (False, False), (None, False)])
def test_base64_flag_as_string_or_bool(flag: object, expected: bool) -> None:
    event = fixture("apigw_post_base64.json")
    event["isBase64Encoded"] = flag
    assert apigw_to_rest_event(event)["isBase64Encoded"] is expected


def test_the_api_function_answers_a_gateway_event_with_an_integration_response(monkeypatch) -> None:
    from functions.api.index import main_handler
    from shared.api import app
    from shared.services.health import Health

    # /healthz probes the table and the buckets; a unit test has neither, so they answer from here.
    monkeypatch.setattr(app, "check_health", lambda _deps: Health(table="ok", storage="ok"))
    response = main_handler(fixture("apigw_get.json"), fixture("context.json"))
    assert set(response) == {"isBase64Encoded", "statusCode", "headers", "body"}
    assert response["statusCode"] == 200 and isinstance(response["body"], str)
    assert json.loads(response["body"]) == {"status": "ok", "table": "ok", "storage": "ok"}
    json.dumps(response)  # SCF needs a JSON-serialisable return value
    # A base64 POST to a protected route resolves (decoded, validated, then 401 without a token).
    denied = main_handler(fixture("apigw_post_base64.json"), fixture("context.json"))
    assert denied["statusCode"] == 401, denied["body"]


# ---- timer and invoke events ------------------------------------------------------------------------


def test_event_kinds() -> None:
    assert event_kind(fixture("timer.json")) == "timer"
    assert event_kind({"Type": "timer", "TriggerName": "x", "Time": "2019-02-21T11:49:00Z"}) == "timer"
    assert event_kind({"task_id": "t", "index": 1, "attempt": 0}) == "invoke"
    assert event_kind([]) == "invoke"


# ---- contexts --------------------------------------------------------------------------------------


class ObjectContext:
    """An SCF context as an object (attribute access) with the platform's own clock."""

    function_name = "openmps-transcode"
    function_version = "$LATEST"
    memory_limit_in_mb = 3072
    time_limit_in_ms = 86_400_000
    request_id = "obj-request-1"
    namespace = "prod"
    tencentcloud_region = "ap-beijing"
    tencentcloud_appid = 1250000000
    tencentcloud_uin = 100000000001

    def get_remaining_time_in_millis(self) -> int:
        return 12_345


def test_dict_and_object_contexts() -> None:
    d = ScfContext(fixture("context.json"))
    assert (d.function_name, d.memory_limit_in_mb, d.aws_request_id) == (
        "openmps-reconciler",
        256,
        "a1b2c3d4-0000-4e5f-8a9b-0c1d2e3f4a5b",
    )
    assert (d.region, d.appid, d.namespace) == ("ap-guangzhou", "1250000000", "default")
    assert 0 < d.get_remaining_time_in_millis() <= 120_000
    assert d.invoked_function_arn == (
        "qcs::scf:ap-guangzhou:uin/100000000001:namespace/default/function/openmps-reconciler"
    )
    o = ScfContext(ObjectContext())
    assert (o.function_name, o.memory_limit_in_mb, o.time_limit_in_ms) == ("openmps-transcode", 3072, 86_400_000)
    assert o.get_remaining_time_in_millis() == 12_345 and o.appid == "1250000000"
    empty = ScfContext(None)  # a local call without a context still logs
    assert empty.function_name == "openmps" and empty.get_remaining_time_in_millis() > 0


def test_powertools_logger_reads_the_scf_context() -> None:
    stream = io.StringIO()
    logger = Logger(service="openmps-test", stream=stream)

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: ScfContext) -> str:
        logger.info("handled", extra={"kind": event_kind(event)})
        return "ok"

    assert handler(fixture("cos_put.json"), ScfContext(fixture("context.json"))) == "ok"
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["function_name"] == "openmps-reconciler"
    assert line["function_request_id"] == "a1b2c3d4-0000-4e5f-8a9b-0c1d2e3f4a5b"
    assert line["function_memory_size"] == 256 and line["kind"] == "cos"
    assert "cold_start" in line


@pytest.mark.integration
def test_powertools_idempotency_with_scf_events_on_dynalite(dynalite_endpoint: str) -> None:
    """Duplicate deliveries of the same COS event run the handler once (DynamoDB persistence on
    the project's table server)."""
    boto3 = pytest.importorskip("boto3")
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent,
    )

    table = f"openmps-idem-{uuid.uuid4().hex[:8]}"
    client = boto3.client(
        "dynamodb",
        endpoint_url=dynalite_endpoint,
        region_name="ap-guangzhou",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    client.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    for _ in range(100):  # dynalite creates tables asynchronously, like DynamoDB
        if client.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE":
            break
        time.sleep(0.05)
    persistence = DynamoDBPersistenceLayer(table_name=table, boto3_client=client)
    config = IdempotencyConfig(event_key_jmespath='Records[0].cos.cosObject.[key, meta."x-cos-request-id"]')
    runs: list[str] = []

    @idempotent(persistence_store=persistence, config=config)
    def handler(event: dict[str, Any], context: ScfContext) -> dict[str, Any]:
        [obj] = parse_cos_event(event)
        runs.append(obj.key)
        return {"key": obj.key, "run": len(runs)}

    event = fixture("cos_multipart.json")
    first = handler(event, ScfContext(fixture("context.json")))
    again = handler(event, ScfContext(dict(fixture("context.json"), request_id="redelivery")))
    assert first == again == {"key": "input/旅行 2024/clip (1).mov", "run": 1}
    assert runs == ["input/旅行 2024/clip (1).mov"]
    other = fixture("cos_put.json")
    assert handler(other, ScfContext(fixture("context.json")))["run"] == 2


def test_fixture_bodies_are_valid_base64() -> None:
    event = fixture("apigw_post_base64.json")
    assert json.loads(base64.b64decode(event["body"]))["filename"] == "新しい clip.mp4"
