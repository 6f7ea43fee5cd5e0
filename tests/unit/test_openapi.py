import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.api.app import openapi_json

pytestmark = pytest.mark.unit

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.json"


def test_committed_openapi_matches_the_code():
    # The API cannot drift silently: `make openapi` rewrites the file after a deliberate change.
    assert json.loads(COMMITTED.read_text()) == json.loads(openapi_json()), "run `make openapi`"


def _operations():
    for path, item in json.loads(openapi_json())["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_no_operation_documents_a_422_the_api_never_sends():
    # GIVEN the generated document WHEN any operation is read THEN validation errors are 400s
    for path, method, operation in _operations():
        assert "422" not in operation["responses"], (method, path)
        assert "400" in operation["responses"] or not operation.get("parameters") and "requestBody" not in operation


def test_every_error_status_has_the_error_envelope():
    for path, method, operation in _operations():
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)


def test_public_operations_need_no_token_and_the_rest_document_401():
    public = {("/healthz", "get"), ("/api/v1/play/{task_id}/{index}/{name}", "get")}
    for path, method, operation in _operations():
        if (path, method) in public:
            assert operation["security"] == [], path
        else:
            assert "security" not in operation and "401" in operation["responses"], (method, path)
    health = json.loads(openapi_json())["paths"]["/healthz"]["get"]["responses"]
    # the client address's rate limit (shared/api/rate_gate.py) covers it too
    assert set(health) == {"200", "503", "429"}


def test_every_operation_documents_the_rate_limit():
    for path, method, operation in _operations():
        assert "429" in operation["responses"], (method, path)


def test_template_types_in_the_document_are_the_registered_kinds():
    from shared.domain import kinds

    document = json.loads(openapi_json())
    schema = document["components"]["schemas"]["NewTemplateRequest"]["properties"]["type"]
    assert schema["enum"] == list(kinds.names())


def test_the_stripped_characters_are_exactly_what_str_strip_removes():
    # GIVEN every code point WHEN the pattern's class reads them THEN it matches those isspace() calls space
    import re
    import sys

    from shared.services.requests import STRIPPED_CHARS

    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    assert re.findall(f"[{STRIPPED_CHARS}]", everything) == [c for c in everything if c.isspace()]


@given(st.text(alphabet="./a\n", max_size=12))
@settings(max_examples=2000, deadline=None)
def test_the_documented_key_patterns_are_the_rules_the_server_checks(path):
    # GIVEN any short string of the characters that matter WHEN the document's patterns read it
    # THEN they match exactly what the rules allow: a prefix relative and without a ".." segment,
    # an output dir what the domain's render_output_dir (which every entrance goes through) renders
    import re

    from shared.domain.errors import BadInputError
    from shared.domain.workflow import render_output_dir
    from shared.services.requests import NO_PARENT_SEGMENT, RELATIVE_PREFIX

    try:
        render_output_dir(path, "T")
        renders = True
    except BadInputError:
        renders = False
    assert bool(re.search(NO_PARENT_SEGMENT, path)) == renders
    no_parent = ".." not in path.split("/")
    assert bool(re.search(RELATIVE_PREFIX, path)) == (no_parent and not path.startswith("/"))


def test_the_document_states_the_key_rules():
    from shared.services.requests import NO_PARENT_SEGMENT, RELATIVE_PREFIX

    schemas = json.loads(openapi_json())["components"]["schemas"]
    assert schemas["WorkflowRequest"]["properties"]["prefix"]["pattern"] == RELATIVE_PREFIX
    assert schemas["WorkflowOutput"]["properties"]["dir"]["pattern"] == NO_PARENT_SEGMENT
    assert schemas["TaskOutput"]["properties"]["dir"]["pattern"] == NO_PARENT_SEGMENT


def test_each_creation_links_to_the_operations_on_what_it_created():
    # GIVEN the document's operations by id
    by_id = {operation["operationId"]: (path, method) for path, method, operation in _operations()}
    paths = json.loads(openapi_json())["paths"]
    linked = {}
    creations = {"/api/v1/tasks": "task_id", "/api/v1/templates": "definition", "/api/v1/workflows": "workflow_id"}
    for path, id_name in creations.items():
        responses = paths[path]["post"]["responses"]
        created = [r for status, r in responses.items() if status.startswith("2")]
        # WHEN its 2xx answers' links are read THEN each names a real operation and fills its id from the body
        for response in created:
            assert response["links"] == created[0]["links"]
            for link in response["links"].values():
                target_path, method = by_id[link["operationId"]]
                assert link["parameters"] == {id_name: f"$response.body#/{id_name}"}
                assert "{" + id_name + "}" in target_path
                linked.setdefault(path, set()).add((method, target_path.removeprefix(path)))
    task_ops = {("post", "/{task_id}/restart"), ("post", "/{task_id}/terminate"), ("get", "/{task_id}")}
    assert task_ops <= linked["/api/v1/tasks"]
    assert linked["/api/v1/templates"] == {("put", "/{definition}"), ("delete", "/{definition}")}
    assert {("delete", "/{workflow_id}"), ("post", "/{workflow_id}/enable")} <= linked["/api/v1/workflows"]
