"""Statuses the OpenAPI document promises: 405 with Allow for a known path's other methods, 404
(not the task list) for a path with a control character, a filter bound at the calendar's edge."""

from __future__ import annotations

import json

import pytest

from functions.api.index import main_handler

pytestmark = pytest.mark.integration


def test_a_known_path_with_another_method_is_405_with_allow(api) -> None:  # type: ignore[no-untyped-def]
    # WHEN a path that exists is asked with a method it does not answer
    reply = api.call("PATCH", "/api/v1/tasks")
    # THEN 405 says which methods it does answer; a static route's path is that route's alone
    assert (reply.status, reply.code) == (405, "UnsupportedOperation.Method")
    assert reply.headers["Allow"] == "GET, POST"
    match = api.call("GET", "/api/v1/workflows/match")
    assert (match.status, match.headers.get("Allow")) == (404, None)  # GET /workflows/<id> answers it
    assert api.call("DELETE", "/api/v1/workflows/match").status == 404
    assert api.call("PATCH", "/api/v1/nowhere").code == "ResourceNotFound.Route"


def test_a_path_with_a_control_character_is_not_the_task_list(api) -> None:  # type: ignore[no-untyped-def]
    # powertools' `$` matched "/api/v1/tasks\n" as the list route (urlsplit would drop the "\n",
    # so the event is built here)
    for path in ("/api/v1/tasks\n", "/api/v1/tasks/x\x00"):
        out = main_handler(
            {
                "path": path,
                "httpMethod": "GET",
                "headers": {"Authorization": f"Bearer {api.token}"},
                "requestContext": {"path": "/", "httpMethod": "GET", "requestId": "t", "stage": "release"},
                "queryStringParameters": {},
                "body": "",
            },
            {"request_id": "t", "function_name": "openmps-api"},
        )
        assert out["statusCode"] == 404, path
        assert json.loads(out["body"])["error"]["code"] == "ResourceNotFound.Route"
