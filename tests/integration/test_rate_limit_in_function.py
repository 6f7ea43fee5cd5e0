"""On SCF (the cloud invoker) no openmps gateway sits in front of the api function, so the function
runs the rate gate itself, with buckets per warm instance; locally it leaves that to the gateway.
Driven through the api function's main_handler with SCF API gateway events, on real dynalite."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

import shared.api.rate_gate as rate_gate
from functions.api.index import main_handler

pytestmark = pytest.mark.integration

CONTEXT = {"request_id": "t", "function_name": "openmps-api"}


def _event(token: str) -> dict:
    return {
        "httpMethod": "GET",
        "path": "/api/v1/tasks",
        "headers": {"Authorization": f"Bearer {token}"},
        "queryString": {},
        "body": "",
        "isBase64Encoded": False,
        "requestContext": {"sourceIp": "203.0.113.7", "httpMethod": "GET", "path": "/", "stage": "release"},
    }


@pytest.fixture
def use(deps, monkeypatch):  # type: ignore[no-untyped-def]
    """The api function over ``deps`` with the given settings changed, and a cold instance's gate."""
    from shared.api import deps as api_deps

    monkeypatch.setattr(rate_gate, "_instance_gate", None)

    def with_settings(**changes: object):  # type: ignore[no-untyped-def]
        changed = dataclasses.replace(deps, settings=deps.settings.model_copy(update=changes))
        api_deps.use(changed)
        return changed

    yield with_settings
    api_deps.use(None)


def _statuses(token: str, times: int) -> list[int]:
    return [main_handler(_event(token), CONTEXT)["statusCode"] for _ in range(times)]


def test_on_scf_the_function_refuses_an_account_past_its_limit_with_429(use):
    # GIVEN the api function on SCF with a read burst of 3, and two accounts' tokens
    deps = use(invoker="scf", rate_limit_reads_per_second=0.01, rate_limit_reads_burst=3)
    tokens = [f"tok-{uuid.uuid4().hex}" for _ in range(2)]
    for token in tokens:
        deps.accounts.put_token(token, f"acct-{uuid.uuid4().hex[:10]}", "test", "2026-01-01T00:00:00Z")
    # WHEN one account makes 5 requests
    assert _statuses(tokens[0], 5) == [200, 200, 200, 429, 429]
    # THEN the refusal is the REST error envelope with Retry-After
    answer = main_handler(_event(tokens[0]), CONTEXT)
    assert answer["headers"]["Retry-After"].isdigit()
    assert json.loads(answer["body"])["error"]["code"] == "RequestLimitExceeded"
    # AND the other account still has its own burst
    assert _statuses(tokens[1], 3) == [200, 200, 200]


def test_locally_the_function_leaves_the_limit_to_the_gateway(use):
    deps = use(invoker="local", rate_limit_reads_per_second=0.01, rate_limit_reads_burst=1)
    token = f"tok-{uuid.uuid4().hex}"
    deps.accounts.put_token(token, f"acct-{uuid.uuid4().hex[:10]}", "test", "2026-01-01T00:00:00Z")
    assert _statuses(token, 5) == [200] * 5
