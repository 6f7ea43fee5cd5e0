"""Generated bad input against the REST API and the upload trigger: every answer is a 4xx with a
code (never a 5xx), and a rejected COS event writes nothing to the table."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions.api.index import main_handler
from shared.domain import clock
from shared.domain.errors import BadInputError
from shared.domain.events import build_cos_event
from shared.services.trigger import handle_cos_event

pytestmark = pytest.mark.integration

ROUTES = [
    ("POST", "/api/v1/tasks"),
    ("POST", "/api/v1/uploads"),
    ("POST", "/api/v1/templates"),
    ("POST", "/api/v1/workflows"),
    ("POST", "/api/v1/workflows/match"),
    ("PUT", "/api/v1/workflows/wf-000000000000"),
    ("PUT", "/api/v1/templates/100001"),
]
FIELDS = [
    "input",
    "output",
    "bucket",
    "key",
    "subtasks",
    "type",
    "definition",
    "name",
    "filename",
    "dir",
    "prefix",
    "suffixes",
    "enabled",
    "session_id",
    "width",
    "video_bitrate",
    "origin",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**60, max_value=10**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.text(min_size=2000, max_size=3000),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=12,
)


def _deep(depth: int, kind: str) -> str:
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


@st.composite
def bad_bodies(draw: Any) -> tuple[str, str, bytes, str]:
    method, path = draw(st.sampled_from(ROUTES))
    shape = draw(st.sampled_from(["json", "deep", "bignum", "bytes", "utf16", "ctype", "text"]))
    content_type = "application/json"
    if shape == "json":
        body = json.dumps(draw(json_values)).encode()
    elif shape == "deep":
        inner = _deep(draw(st.integers(min_value=33, max_value=12000)), draw(st.sampled_from(["list", "dict"])))
        body = ('{"name": "x", "subtasks": ' + inner + "}").encode()
    elif shape == "bignum":
        digits = "9" * draw(st.integers(min_value=65, max_value=6000))
        body = ('{"name": "x", "definition": ' + digits + ', "width": ' + digits + "}").encode()
    elif shape == "bytes":
        body = draw(st.binary(min_size=1, max_size=200))
    elif shape == "utf16":
        body = json.dumps({"filename": "clip.mp4", "name": draw(st.text(max_size=10))}).encode("utf-16")
    elif shape == "ctype":
        body = json.dumps({"filename": "clip.mp4"}).encode()
        content_type = draw(st.sampled_from(["text/plain", "application/xml", "multipart/form-data", "x/y"]))
    else:
        body = draw(st.text(max_size=100)).encode()
    return method, path, body, content_type


def _event(method: str, path: str, body: bytes, content_type: str, token: str, query: dict | None = None) -> dict:
    try:
        text, b64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, b64 = base64.b64encode(body).decode(), True
    return {
        "requestContext": {"path": "/", "httpMethod": method, "requestId": "test", "stage": "release"},
        "headers": {"Content-Type": content_type, "Authorization": f"Bearer {token}"},
        "path": path,
        "httpMethod": method,
        "queryString": query or {},
        "queryStringParameters": {},
        "body": text,
        "isBase64Encoded": b64,
    }


@pytest.fixture
def token(deps, account):  # type: ignore[no-untyped-def]
    from shared.api import deps as api_deps

    value = f"token-{account}"
    deps.accounts.put_token(value, account, "test", clock.now_iso())
    api_deps.use(deps)
    yield value
    api_deps.use(None)


def _answer(event: dict) -> tuple[int, str | None]:
    out = main_handler(event, {"request_id": "test", "function_name": "openmps-api"})
    try:
        code = json.loads(out["body"]).get("error", {}).get("code")
    except (ValueError, AttributeError):
        code = None
    return out["statusCode"], code


def test_500_generated_bad_bodies_get_4xx_with_a_code(token):
    seen: list[int] = []

    @settings(max_examples=520, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(bad_bodies())
    def check(case: tuple[str, str, bytes, str]) -> None:
        status, code = _answer(_event(*case, token))
        seen.append(status)
        assert status < 500, (status, case[:2], case[2][:80])
        if status >= 400:
            assert code, (status, case[:2])

    check()
    assert len(seen) >= 500 and not [s for s in seen if s >= 500]


query_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z", "", "-1", "0", "9" * 5000, "x" * 5000]),
    st.builds(lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).decode(), json_values),
)


def test_bad_query_parameters_and_ids_get_4xx_with_a_code(token):
    seen: list[int] = []

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        st.dictionaries(
            st.sampled_from(
                [
                    "cursor",
                    "created_from",
                    "created_to",
                    "status",
                    "limit",
                    "failed",
                    "task_id",
                    "input_prefix",
                    "input_contains",
                    "bucket",
                    "prefix",
                    "expires_in",
                    "mode",
                ]
            ),
            query_values,
            max_size=4,
        ),
        st.sampled_from(
            [
                "/api/v1/tasks",
                "/api/v1/tasks/counts",
                "/api/v1/objects",
                "/api/v1/workflows/{v}",
                "/api/v1/tasks/{v}",
                "/api/v1/tasks/{v}/subtasks/1/view",
                "/api/v1/tasks/{v}/source",
            ]
        ),
        query_values,
    )
    # The cases the attack run found, always tried besides the generated ones.
    @example({"cursor": "eyJ4IjogMX0="}, "/api/v1/tasks", "x")
    @example({"created_from": "2026-02-01T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"}, "/api/v1/tasks", "x")
    @example({}, "/api/v1/workflows/{v}", "w" * 5000)
    def check(query: dict, path: str, value: str) -> None:
        path = path.replace("{v}", value.replace("/", "_").replace("?", "_") or "x")
        status, code = _answer(_event("GET", path, b"", "application/json", token, query))
        seen.append(status)
        assert status < 500, (status, path[:80], {k: v[:40] for k, v in query.items()})
        if status >= 400:
            assert code

    check()
    assert len(seen) >= 300


# ---- COS events ----------------------------------------------------------------------------------
def _valid_event(deps) -> dict:  # type: ignore[no-untyped-def]
    return build_cos_event(
        appid=deps.settings.appid,
        bucket=deps.settings.input_bucket,
        region=deps.settings.region,
        key="input/fuzz/clip.mp4",
        size=10,
        etag="0" * 32,
        event_time=1,
    )


PATHS = [
    (),
    ("Records",),
    ("Records", 0),
    ("Records", 0, "cos"),
    ("Records", 0, "cos", "cosBucket"),
    ("Records", 0, "cos", "cosBucket", "appid"),
    ("Records", 0, "cos", "cosBucket", "name"),
    ("Records", 0, "cos", "cosObject"),
    ("Records", 0, "cos", "cosObject", "key"),
    ("Records", 0, "cos", "cosObject", "size"),
    ("Records", 0, "cos", "cosObject", "meta"),
    ("Records", 0, "cos", "cosObject", "meta", "ETag"),
    ("Records", 0, "event"),
    ("Records", 0, "event", "eventName"),
]
bad_values = st.one_of(
    json_values,
    st.text(min_size=5000, max_size=6000),
    st.binary(max_size=50),
    st.integers(min_value=-(10**30), max_value=-1),
    st.builds(lambda d: json.loads(_deep(d, "list")), st.integers(min_value=50, max_value=900)),
)


@st.composite
def bad_events(draw: Any, base: dict) -> Any:
    event = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(PATHS))
        if not path:
            return draw(bad_values)
        parent = event
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()):
                parent[path[-1]] = draw(bad_values)
            elif isinstance(parent, dict):
                parent.pop(path[-1], None)
        except (KeyError, IndexError, TypeError):
            continue
    return event


def test_500_malformed_cos_events_are_refused_and_write_nothing(deps, monkeypatch):
    writes: list[str] = []
    real_create = deps.tasks.create_task

    def counting_create(task, subtasks):  # type: ignore[no-untyped-def]
        writes.append(task.task_id)
        return real_create(task, subtasks)

    monkeypatch.setattr(deps.tasks, "create_task", counting_create)
    outcomes = {"refused": 0, "nothing": 0}

    @settings(max_examples=520, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(bad_events(_valid_event(deps)))
    def check(event: Any) -> None:
        before = len(writes)
        try:
            made = handle_cos_event(deps, event)
        except BadInputError as exc:
            assert exc.code and len(writes) == before
            outcomes["refused"] += 1
            return
        assert made == [] and len(writes) == before  # no rule matches, or the object is not there
        outcomes["nothing"] += 1

    check()
    assert sum(outcomes.values()) >= 500 and outcomes["refused"] >= 250 and writes == []
