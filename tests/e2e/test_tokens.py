"""REST tokens on the running stack (issue 14 §2): a changed OPENMPS_API_TOKEN replaces the old
one, and `openmps tokens` lists, creates and revokes tokens with effect on the very next request."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from infra.local.harness import REPO, RunningStack, start_stack, stop_stack

pytestmark = pytest.mark.e2e


def status_with(stack: RunningStack, token: str) -> int:
    answer = requests.get(stack.url + "/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return answer.status_code


def tokens_cli(stack: RunningStack, *args: str) -> str:
    env = {**os.environ, "OPENMPS_DATA_DIR": str(stack.data_dir), "COLUMNS": "200"}
    env.pop("OPENMPS_API_TOKEN", None)
    proc = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "tokens", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, f"openmps tokens {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def test_a_new_configured_token_replaces_the_old_and_a_revoked_token_fails_at_once(tmp_path):
    # GIVEN a stack started with one token, then restarted on the same data with another
    data = tmp_path / "data"
    old, new = "old-token-" + os.urandom(6).hex(), "new-token-" + os.urandom(6).hex()
    first = start_stack(data, old)
    try:
        assert status_with(first, old) == 200
    finally:
        stop_stack(first)
    stack = start_stack(data, new)
    try:
        # THEN the old token is refused and the new one works
        assert status_with(stack, old) == 401
        assert status_with(stack, new) == 200
        # WHEN a token is created from the CLI THEN it works, and is listed by its id (never its value)
        created = json.loads(tokens_cli(stack, "create", "--label", "ci", "--json"))
        assert status_with(stack, created["api_token"]) == 200
        listed = json.loads(tokens_cli(stack, "list", "--json"))
        assert {t["label"] for t in listed} == {"local", "ci"}
        assert created["token_id"] in {t["token_id"] for t in listed}
        assert created["api_token"] not in json.dumps(listed)
        # WHEN it is revoked THEN the very next request with it gets 401, and the stack's token still works
        tokens_cli(stack, "revoke", created["token_id"])
        assert status_with(stack, created["api_token"]) == 401
        assert status_with(stack, new) == 200
        assert created["token_id"] not in tokens_cli(stack, "list", "--json")
    finally:
        stop_stack(stack)
