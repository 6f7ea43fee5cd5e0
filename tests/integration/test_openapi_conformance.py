"""Schemathesis over the committed openapi.json, against the API behind the real local gateway.

Its whole engine, as `schemathesis run` runs it: the examples, coverage, fuzzing and stateful
phases (the document's links: create a template, task or workflow, then read, change, restart,
terminate and delete it), with the token and every check -- no 5xx, only documented statuses,
content types and bodies as documented, schema-invalid requests refused, schema-valid ones
accepted (tests/integration/openapi_checks.py), no use after delete, created resources readable.
The suite runs OPENMPS_FUZZ_EXAMPLES=5 per operation; ``make fuzz-api`` runs 200.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.api.index import main_handler
from infra.local.gateway import Gateway
from shared.domain import clock
from shared.runtime.settings import Settings
from tests.conftest import own_settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "openapi.json"
EXAMPLES = int(os.environ.get("OPENMPS_FUZZ_EXAMPLES", "5"))
# Bounded: the suite's few examples in minutes, make fuzz-api's 200 within the hour (two workers).
SMALL_RUN = EXAMPLES <= 20
TIME_LIMIT = 540 if SMALL_RUN else 3600
WORKERS = "1" if SMALL_RUN else "2"
# The object the document's example task input names, so the stateful phase's tasks exist.
EXAMPLE_INPUT_KEY = "input/example/clip.mp4"
TOKEN = f"token-fuzz-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def settings(dynalite_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The fuzzer creates workflows on any prefix (an empty one matches every upload), templates and
    tasks, and none of them may reach another test."""
    return own_settings(dynalite_endpoint, tmp_path_factory, "fuzz")


@pytest.fixture
def served(deps, storage, account) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The base URL of the REST API behind a real gateway; TOKEN is a fresh account's."""
    from shared.api import deps as api_deps

    deps.accounts.put_token(TOKEN, account, "test", clock.now_iso())
    storage.put_stream(deps.settings.input_bucket, EXAMPLE_INPUT_KEY, open(__file__, "rb"))
    api_deps.use(deps)
    # One invocation at a time, as a warm SCF instance (and a local-runtime worker process) runs
    # them: the gateway serves each connection on a thread, and powertools keeps the request in
    # the resolver (app.context), so two in-process calls at once would see each other's route.
    one_at_a_time = threading.Lock()

    def invoke_sync(fn: str, event: dict[str, Any]) -> Any:
        with one_at_a_time:
            return main_handler(event, {"request_id": "t", "function_name": "openmps-api"})

    gw = Gateway(
        host="127.0.0.1",
        port=0,
        storage=storage,
        signing_key=deps.settings.signing_key,
        invoke_secret="runtime-secret",
        invoke_sync=invoke_sync,
        invoke_async=lambda fn, ev: "id",
        on_upload=lambda info: None,
        max_upload_bytes=1 << 20,
        zip_members=lambda *args: [],
    )
    threading.Thread(target=gw.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{gw.port}"
    gw.shutdown()
    api_deps.use(None)


# Every check schemathesis has, positive_data_acceptance as documented_acceptance (openapi_checks.py).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "documented_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
)


def run_schemathesis(base_url: str, examples: int, out: Path) -> dict[str, Any]:
    """`schemathesis run` over the document, every phase and check; its JSON report."""
    config = out / "schemathesis.toml"
    # The bearer scheme's token (not a header on every request), so ignored_auth's cases go without it.
    config.write_text(f'[auth.openapi.bearer]\nbearer = "{TOKEN}"\n')
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(OPENAPI)),
        *("--url", base_url, "--phases", "examples,coverage,fuzzing,stateful", "--workers", WORKERS),
        *("--checks", "all", "--exclude-checks", "positive_data_acceptance"),  # documented_acceptance instead
        *("--max-examples", str(examples), "--suppress-health-check", "all", "--continue-on-failure"),
        *("--report", "json", "--report-json-path", str(out / "report.json"), "--output-truncate", "false"),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.integration.openapi_checks", "PYTHONPATH": str(ROOT)}
    # A run that hangs fails here, with schemathesis' output, rather than at pytest's timeout.
    finished = subprocess.run(command, cwd=out, env=env, capture_output=True, text=True, timeout=TIME_LIMIT)
    print(finished.stdout, finished.stderr[-5000:])
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    report["exit_code"] = finished.returncode
    return report


def summary(report: dict[str, Any], examples: int) -> str:
    """Operations, cases, and failures per check: the figures the battery reports."""
    # schemathesis groups failures by kind (its ST codes), one kind per check
    failures = [f"  {g['code']} {g['title']}: {g['count']} ({', '.join(g['operations'])})" for g in report["failures"]]
    return "\n".join(
        [
            f"openapi conformance: {report['operations']['tested']}/{report['operations']['total']} operations, "
            f"{examples} examples per operation, {report['test_cases']['generated']} cases, "
            f"{report['test_cases']['with_failures']} with failures, {len(report['errors'])} errors, "
            f"{report['running_time']:.0f} s",
            "phases: " + ", ".join(f"{name} {phase['status']}" for name, phase in report["phases"].items()),
            f"checks ({len(CHECKS)}): " + ", ".join(CHECKS),
            *(failures or ["failures: 0 in every check"]),
        ]
    )


@pytest.mark.timeout(TIME_LIMIT + 60)
def test_every_operation_answers_as_documented(served, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the API behind the gateway WHEN schemathesis runs every phase and check over the document
    report = run_schemathesis(served, EXAMPLES, tmp_path)
    print(summary(report, EXAMPLES))
    # THEN every operation was tried, each phase ran, and no check failed
    assert report["operations"]["tested"] == report["operations"]["total"] == 32
    assert {name: phase["status"] for name, phase in report["phases"].items()} == dict.fromkeys(
        ("examples", "coverage", "fuzzing", "stateful"), "success"
    )
    assert (report["failures"], report["errors"], report["exit_code"]) == ([], [], 0)
