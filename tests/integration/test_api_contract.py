"""The REST request contract: typed models refuse what they do not know, with our codes, never a 422."""

from __future__ import annotations

import json

import pytest

from shared.api.app import openapi_json

pytestmark = pytest.mark.integration

SNAP = {"type": "Snapshot", "definition": 10, "kind": "sampled"}
TR = "Transcode"
IN = {"bucket": "openmps-input-1250000000", "key": "input/x/clip.mp4"}


# Every request body, each with one field the API does not know (at the top, or nested).
UNKNOWN_FIELDS = [
    ("POST", "/api/v1/tasks", {"input": IN, "subtasks": [SNAP], "sesion_id": "typo"}, "sesion_id"),
    ("POST", "/api/v1/tasks", {"input": {**IN, "etag": "x"}, "subtasks": [SNAP]}, "input.etag"),
    ("POST", "/api/v1/tasks", {"input": IN, "output": {"dirr": "a/"}, "subtasks": [SNAP]}, "output.dirr"),
    ("POST", "/api/v1/uploads", {"filename": "a.mp4", "bucket": "x"}, "bucket"),
    ("POST", "/api/v1/workflows", {"name": "w", "prefix": "p/", "subtasks": [SNAP], "sufixes": ["mp4"]}, "sufixes"),
    ("POST", "/api/v1/workflows", {"name": "w", "subtasks": [SNAP], "output": {"key": "a"}}, "output.key"),
    ("POST", "/api/v1/workflows/match", {"bucket": "b", "key": "k", "etag": "e"}, "etag"),
    ("POST", "/api/v1/templates", {"type": "Transcode", "name": "t", "heigth": 240}, "heigth"),
]


@pytest.mark.parametrize("method, path, body, field", UNKNOWN_FIELDS)
def test_every_request_model_refuses_an_unknown_field_naming_it(api, method, path, body, field):
    # WHEN a body carries a field the API does not know (a typo, say)
    reply = api.call(method, path, body)
    # THEN it is refused, not silently dropped, and the message names the field
    assert (reply.status, reply.code) == (400, "UnknownParameter"), reply.body
    assert field.rsplit(".", 1)[-1] in reply.body["error"]["message"]
    if "." in field:
        assert field in reply.body["error"]["message"]


def test_an_unknown_field_on_update_is_refused_too(api):
    wf = api.post("/api/v1/workflows", {"name": "w", "prefix": "upd/", "subtasks": [SNAP]})
    assert wf.status == 201, wf.body
    reply = api.put(f"/api/v1/workflows/{wf.body['workflow_id']}", {**wf.body, "enabeld": False})
    assert (reply.status, reply.code) == (400, "UnknownParameter") and "enabeld" in reply.body["error"]["message"]
    # what GET shows can be put back as it is
    assert api.put(f"/api/v1/workflows/{wf.body['workflow_id']}", wf.body).status == 200


@pytest.mark.parametrize(
    "path, body, code",
    [
        ("/api/v1/tasks", {"input": {"bucket": 5, "key": "k"}, "subtasks": [SNAP]}, "InvalidParameter.Input"),
        ("/api/v1/tasks", {"input": {"bucket": "b"}, "subtasks": [SNAP]}, "InvalidParameter.Input"),
        ("/api/v1/tasks", {"input": "clip.mp4", "subtasks": [SNAP]}, "InvalidParameter"),
        ("/api/v1/tasks", {"input": IN, "output": [], "subtasks": [SNAP]}, "InvalidParameter"),
        ("/api/v1/tasks", {"input": IN, "output": {"dir": 7}, "subtasks": [SNAP]}, "InvalidParameterValue.OutputDir"),
        (
            "/api/v1/tasks",
            {"input": IN, "output": {"dir": "d/" * 300}, "subtasks": [SNAP]},
            "InvalidParameterValue.OutputDir",
        ),
        (
            "/api/v1/tasks",
            {"input": IN, "output": {"bucket": 1}, "subtasks": [SNAP]},
            "InvalidParameterValue.OutputBucket",
        ),
        ("/api/v1/tasks", {"input": IN, "subtasks": [SNAP], "origin": "cli"}, "InvalidParameterValue.Origin"),
        ("/api/v1/tasks", {"input": IN, "subtasks": [SNAP], "session_id": 5}, "InvalidParameter"),
        (
            "/api/v1/tasks",
            {"input": IN, "subtasks": [SNAP], "session_id": "s" * 300},
            "InvalidParameterValue.Session_Id",
        ),
        # The subtask-kind registry's entry model answers with the service's own, more precise code.
        ("/api/v1/tasks", {"input": IN, "subtasks": "Snapshot"}, "InvalidParameterValue.Subtasks"),
        ("/api/v1/uploads", {"filename": 5}, "InvalidParameter"),
        ("/api/v1/workflows", {"name": 5, "subtasks": [SNAP]}, "InvalidParameterValue.Name"),
        ("/api/v1/workflows", {"name": "  ", "subtasks": [SNAP]}, "InvalidParameterValue.Name"),
        ("/api/v1/workflows", {"name": "w", "prefix": 3, "subtasks": [SNAP]}, "InvalidParameterValue.Prefix"),
        ("/api/v1/workflows", {"name": "w", "prefix": "a/../b", "subtasks": [SNAP]}, "InvalidParameterValue.Prefix"),
        ("/api/v1/workflows", {"name": "w", "suffixes": "mp4", "subtasks": [SNAP]}, "InvalidParameterValue.Suffixes"),
        ("/api/v1/workflows", {"name": "w", "output": "out/", "subtasks": [SNAP]}, "InvalidParameter.Output"),
        (
            "/api/v1/workflows",
            {"name": "w", "output": {"dir": 1}, "subtasks": [SNAP]},
            "InvalidParameterValue.OutputDir",
        ),
        ("/api/v1/workflows", {"name": "w", "enabled": "yes", "subtasks": [SNAP]}, "InvalidParameterValue.Enabled"),
        ("/api/v1/workflows", {"name": "w", "enabled": 1, "subtasks": [SNAP]}, "InvalidParameterValue.Enabled"),
        ("/api/v1/workflows/match", {"bucket": "b", "key": ""}, "InvalidParameter.Match"),
        ("/api/v1/workflows/match", {"bucket": 3, "key": "k"}, "InvalidParameter"),
        ("/api/v1/templates", {"name": "t"}, "InvalidParameterValue.Type"),
        ("/api/v1/templates", {"type": 3, "name": "t"}, "InvalidParameterValue.Type"),
        ("/api/v1/templates", {"type": "Transcode", "name": ["t"]}, "InvalidParameterValue.Name"),
        ("/api/v1/templates", {"type": "Transcode", "name": "t", "comment": 5}, "InvalidParameterValue.Comment"),
        ("/api/v1/templates", {"type": TR, "name": "t", "comment": "c" * 300}, "InvalidParameterValue.Comment"),
    ],
)
def test_wrong_types_answer_the_codes_they_always_had(api, path, body, code):
    reply = api.post(path, body)
    assert (reply.status, reply.code) == (400, code), reply.body
    assert reply.body["error"]["message"]


@pytest.mark.parametrize("raw", ["[]", "7", '"x"', "null"])
def test_a_body_that_is_not_an_object_is_a_400(api, raw):
    for path in ("/api/v1/tasks", "/api/v1/uploads", "/api/v1/workflows", "/api/v1/templates"):
        reply = api.post(path, raw=raw)
        assert reply.status == 400 and reply.code and reply.code.startswith("InvalidParameter"), (path, reply.body)


@pytest.mark.parametrize(
    "query, code",
    [
        ("status=DONE", "InvalidParameterValue.Status"),
        ("created_from=yesterday", "InvalidParameterValue.CreatedFrom"),
        ("created_to=2026-13-45", "InvalidParameterValue.CreatedTo"),
        ("limit=0", "InvalidParameter"),
        ("limit=many", "InvalidParameter"),
    ],
)
def test_list_query_parameters_are_checked_by_their_types(api, query, code):
    reply = api.get(f"/api/v1/tasks?{query}")
    assert (reply.status, reply.code) == (400, code), reply.body


def test_list_status_is_case_insensitive(api):
    assert api.get("/api/v1/tasks?status=finish").status == 200


def _schema(doc, ref):
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_the_openapi_documents_every_field_of_a_task_request():
    doc = json.loads(openapi_json())
    body = doc["paths"]["/api/v1/tasks"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    request = _schema(doc, body["$ref"])
    assert request["additionalProperties"] is False
    props = request["properties"]
    assert set(props) == {"input", "output", "subtasks", "session_id", "session_context", "notify", "origin"}
    task_input = _schema(doc, props["input"]["$ref"])
    assert set(task_input["properties"]) == {"bucket", "key"} and set(task_input["required"]) == {"bucket", "key"}
    assert task_input["properties"]["key"]["type"] == "string" and task_input["additionalProperties"] is False
    task_output = _schema(doc, props["output"]["$ref"])
    assert set(task_output["properties"]) == {"bucket", "dir"}
    assert task_output["properties"]["dir"]["maxLength"] == 512
    assert props["origin"]["enum"] == ["api", "console"]


@pytest.mark.parametrize("path, method", [("/api/v1/workflows", "post"), ("/api/v1/templates", "post")])
def test_the_openapi_types_workflow_and_template_bodies(path, method):
    doc = json.loads(openapi_json())
    body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    request = _schema(doc, body["$ref"])
    assert "name" in request["required"] and request["properties"]["name"]["maxLength"] == 64
