"""The patterns openapi.json states are the server's rules, read by a JSON Schema validator.

Schemathesis judges "schema-valid" with jsonschema_rs (Rust regex, ECMA-262 style), the server with
pydantic's Rust regex and then str.strip(): a name whose characters all strip away but which one of
those engines calls non-blank was valid to the document and refused by the server.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import jsonschema_rs
import pytest

pytestmark = pytest.mark.integration

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"
SNAP = {"type": "Snapshot", "definition": 10, "kind": "sampled"}

# White space as some engine but not another sees it (U+001C..U+001F: Python only; U+0085: Python
# and Unicode, not ECMA; U+FEFF: ECMA only; U+180E, U+200B: none today), then plain cases.
PROBES = ["\x1f", "\x1c\x1d\x1e", "\x85", " \x85 ", "\ufeff", "\u180e", "\u200b", "\u3000", "\t\n", " ", "名", " a "]


def _field_schema(model: str, field: str) -> dict:  # type: ignore[type-arg]
    return json.loads(OPENAPI.read_text())["components"]["schemas"][model]["properties"][field]  # type: ignore[no-any-return]


@pytest.mark.parametrize("probe", PROBES, ids=[p.encode("unicode_escape").decode() for p in PROBES])
def test_a_template_or_workflow_name_is_refused_exactly_when_the_document_refuses_it(api, probe: str) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the document's rule for a name, as a JSON Schema validator reads it
    valid = jsonschema_rs.validator_for(_field_schema("NewTemplateRequest", "name")).is_valid(probe)
    assert _field_schema("WorkflowRequest", "name")["pattern"] == _field_schema("NewTemplateRequest", "name")["pattern"]
    # WHEN a template and a workflow are created with that name
    template = api.post("/api/v1/templates", {"type": "Snapshot", "name": probe, "kind": "sampled"})
    workflow = api.post(
        "/api/v1/workflows", {"name": probe, "prefix": f"p-{uuid.uuid4().hex[:8]}/", "subtasks": [SNAP]}
    )
    # THEN the server accepts it exactly when the document does, and stores no blank name
    assert (template.status, workflow.status) == ((201, 201) if valid else (400, 400)), (template.body, workflow.body)
    if valid:
        assert template.body["name"].strip() and workflow.body["name"].strip()
    else:
        assert template.code == workflow.code == "InvalidParameterValue.Name"


@pytest.mark.parametrize("probe", PROBES, ids=[p.encode("unicode_escape").decode() for p in PROBES])
def test_an_upload_filename_is_refused_exactly_when_the_document_refuses_it(api, probe: str) -> None:  # type: ignore[no-untyped-def]
    valid = jsonschema_rs.validator_for(_field_schema("UploadRequest", "filename")).is_valid(f"dir/{probe}")
    reply = api.post("/api/v1/uploads", {"filename": f"dir/{probe}"})
    assert reply.status == (200 if valid else 400), reply.body
    if not valid:
        assert reply.code == "InvalidParameterValue.Filename"


@pytest.mark.parametrize(
    "url",
    ["0", "ftp://127.0.0.1/x", "http://user@127.0.0.1/x", "http://127.0.0.1:0/x", "http://127.0.0.1:65536/"]
    + ["http://127.0.0.1:9/hook", "HTTPS://127.0.0.1/x?a=1#b", "http://localhost/"],
)
def test_a_notify_url_is_refused_exactly_when_the_document_refuses_it(api, url: str) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the document's rule for a notify url ('0' was schema-valid, then refused); the local
    # stack allows private addresses, so where the host leads refuses none of these
    valid = jsonschema_rs.validator_for(_field_schema("NotifyRequest", "url")).is_valid(url)
    # WHEN a rule notifies it
    rule = {"name": "n", "prefix": f"p-{uuid.uuid4().hex[:8]}/", "subtasks": [SNAP], "notify": {"url": url}}
    reply = api.post("/api/v1/workflows", rule)
    # THEN the server agrees with the document
    assert reply.status == (201 if valid else 400), reply.body
    if not valid:
        assert reply.code == "InvalidParameterValue.NotifyUrl"


def test_the_documents_request_examples_are_accepted(api, deps) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the example input object WHEN each creation's documented example is sent THEN it creates
    deps.storage.put_stream(deps.settings.input_bucket, "input/example/clip.mp4", open(__file__, "rb"))
    schemas = json.loads(OPENAPI.read_text())["components"]["schemas"]
    for path, model in (
        ("/api/v1/tasks", "CreateTaskRequest"),
        ("/api/v1/templates", "NewTemplateRequest"),
        ("/api/v1/workflows", "WorkflowRequest"),
    ):
        (example,) = schemas[model]["examples"]
        reply = api.post(path, example)
        assert reply.status == 201, (path, reply.body)


@pytest.mark.parametrize("key_set", ["yes", 1, "true"])
def test_a_notify_key_set_that_is_not_a_boolean_is_refused(api, key_set) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the document's boolean (pydantic's lax mode took "yes" and 1 as true)
    notify = {"url": "http://127.0.0.1:9/", "key_set": key_set}
    rule = {"name": "n", "prefix": "k/", "subtasks": [SNAP], "notify": notify}
    # WHEN a rule is created with another type THEN it is refused; a boolean is taken
    assert api.post("/api/v1/workflows", rule).status == 400
    assert api.post("/api/v1/workflows", {**rule, "notify": {**rule["notify"], "key_set": True}}).status == 201
