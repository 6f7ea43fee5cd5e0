"""Poison input and the SCF retry contract (issue 14, the battery), in event mode on the real local
runtime: a subtask whose run fails every time with a passing-looking fault runs exactly 1 + 2
times (the worker's MAX_TRIES and the runtime's retries agree, they do not multiply), then FAILs
with its code; nothing revives it; and the runtime keeps the event as a dead letter, which
`openmps dead-letters` lists."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from infra.local.dead_letters import DeadLetterStore, dead_letter_dir
from infra.local.dynalite import free_port
from infra.local.gateway import Gateway
from infra.local.instance import FunctionError
from infra.local.runtime import LocalRuntime
from infra.serverless_yml import load_serverless
from shared.composition import build_deps
from shared.domain import media_errors
from shared.domain.ids import random_task_id
from shared.domain.kinds.snapshot import SNAPSHOT_PRESETS
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.domain.workflow import SubtaskSpec
from shared.runtime.scf import ASYNC_RETRIES
from shared.runtime.settings import Settings
from shared.services.create import create_and_dispatch, new_task
from shared.services.reconcile import reconcile
from tests.conftest import own_settings
from tests.integration.test_local_runtime import ENV as RUNTIME_ENV
from tests.integration.test_local_runtime import SERVERLESS as RUNTIME_SERVERLESS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
SERVERLESS = """
app: openmps-poison
component: multi-scf
name: openmps-poison
inputs:
  src:
    src: ./
  runtime: Python3.10
  timeout: 60
  functions:
    snapshot:
      name: openmps-snapshot
      handler: tests.fixtures_functions.poison.main_handler
      reservedConcurrency: 1
    aggregator:
      name: openmps-aggregator
      handler: functions.aggregator.index.main_handler
      reservedConcurrency: 1
"""


def test_only_an_async_invocation_that_failed_every_run_becomes_a_dead_letter(tmp_path):
    # GIVEN the runtime with a dead-letter store, and a handler that fails a given number of times
    (tmp_path / "serverless.yml").write_text(RUNTIME_SERVERLESS)
    specs, _ = load_serverless(tmp_path / "serverless.yml", RUNTIME_ENV)
    letters = DeadLetterStore(dead_letter_dir(tmp_path))
    with LocalRuntime(
        specs,
        base_env=dict(os.environ),
        retry_delays=(0.1, 0.1),
        cwd=str(ROOT),
        log=lambda _: None,
        dead_letters=letters,
    ) as runtime:
        # WHEN one async invocation fails twice then succeeds, one fails every run, one sync call fails
        runtime.invoke_async("recorder", {"path": str(tmp_path / "twice"), "fail_times": 2})
        doomed = runtime.invoke_async("recorder", {"path": str(tmp_path / "always"), "fail_times": 99})
        with pytest.raises(FunctionError):
            runtime.invoke_sync("recorder", {"path": str(tmp_path / "sync"), "fail_times": 99})
        assert runtime.wait_idle(30)
    # THEN only the one that failed all 1 + 2 runs is a dead letter, with its event and its runs
    [letter] = letters.list()
    assert letter["RequestId"] == doomed and letter["Function"] == "recorder"
    assert json.loads(letter["Body"]["ClientContext"])["fail_times"] == 99
    assert len(letter["Runs"]) == 1 + ASYNC_RETRIES and "failing on purpose, attempt 3" in letter["ErrorMessage"]


@pytest.fixture(scope="module")
def settings(dynalite_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A table of this module's own: its reconciler passes, with everything due at once, would
    otherwise re-invoke every other test's stale subtask into the poisoned worker."""
    return own_settings(dynalite_endpoint, tmp_path_factory, "poison")


@pytest.fixture
def event_mode(settings, storage, tmp_path):
    """The runtime with the poisoned worker and the real aggregator, invoking each other through the
    gateway's runtime endpoint (as `openmps up` does); the table and buckets are the tests' own."""
    port, secret = free_port(), "poison-runtime-secret"
    runs = tmp_path / "runs"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OPENMPS_")},
        "OPENMPS_TABLE_ENDPOINT": settings.table_endpoint,
        "OPENMPS_TABLE_PREFIX": settings.table_prefix,
        "OPENMPS_STORAGE_ROOT": settings.storage_root,
        "OPENMPS_SIGNING_KEY": settings.signing_key,
        "OPENMPS_INVOKER": "local",
        "OPENMPS_INVOKE_URL": f"http://127.0.0.1:{port}/__runtime/invoke",
        "OPENMPS_INVOKE_SECRET": secret,
        "OPENMPS_WORK_DIR": str(tmp_path),
        "POISON_RUNS": str(runs),
        "PYTHONPATH": str(ROOT),
    }
    (tmp_path / "serverless.yml").write_text(SERVERLESS)
    specs, _ = load_serverless(tmp_path / "serverless.yml", env)
    letters = DeadLetterStore(dead_letter_dir(tmp_path))
    log: list[str] = []
    runtime = LocalRuntime(
        specs, base_env=env, retry_delays=(0.2, 0.2), log=log.append, cwd=str(ROOT), dead_letters=letters
    )
    runtime.start()
    gateway = Gateway(
        host="127.0.0.1",
        port=port,
        storage=storage,
        signing_key=settings.signing_key,
        invoke_secret=secret,
        invoke_sync=runtime.invoke_sync,
        invoke_async=runtime.invoke_async,
        on_upload=lambda *_: None,
        max_upload_bytes=1 << 20,
    )
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    local = settings.model_copy(
        update={"invoker": "local", "invoke_url": env["OPENMPS_INVOKE_URL"], "invoke_secret": secret}
    )
    try:
        yield build_deps(local, storage=storage), runtime, letters, runs, log
    finally:
        gateway.shutdown()
        runtime.stop()


def test_a_poison_subtask_runs_three_times_then_fails_once_with_a_dead_letter(event_mode, account, tmp_path):
    deps, runtime, letters, runs, log = event_mode
    # GIVEN a task with one snapshot subtask whose run fails every time with an OSError
    info = deps.storage.put_stream(deps.settings.input_bucket, f"poison/{account}.mp4", io.BytesIO(b"not media"))
    task, subtasks = new_task(
        task_id=random_task_id(deps.settings.appid),
        account=account,
        input_bucket=info.bucket,
        input_key=info.key,
        input_etag=info.etag,
        input_size=info.size,
        output_bucket=deps.settings.output_bucket,
        output_dir=f"poison/{account}/",
        origin="api",
        specs=[(SubtaskSpec("Snapshot", 10, "sampled"), SNAPSHOT_PRESETS[("sampled", 10)])],
    )
    # WHEN it is created and its worker invoked asynchronously (InvocationType=Event)
    assert create_and_dispatch(deps.tasks, deps.invoker, task, subtasks)
    assert runtime.wait_idle(150), runtime.stats()

    # THEN the worker ran exactly 1 + 2 times: the runtime's retries, not 3 runs per delivery
    assert len(runs.read_text().splitlines()) == 3
    stats = runtime.stats()["snapshot"]
    assert (stats["failed"], stats["retried"], stats["succeeded"]) == (3, 2, 0), stats
    # AND the subtask FAILed with its code, and the task finished
    sub = deps.tasks.get_subtask(task.task_id, 1)
    assert sub.status == SubtaskStatus.FAIL and sub.err_code == media_errors.INTERNAL and sub.tries == 3
    assert "I/O error" in (sub.message or "")
    done = deps.tasks.get_task(task.task_id)
    assert done.status == TaskStatus.FINISH and done.counts.fail == 1
    # AND the event is a dead letter, shaped like SCF's DLQ message
    [letter] = letters.list("snapshot")
    assert letter["Body"]["FunctionName"] == "openmps-snapshot" and letter["Body"]["InvocationType"] == "Event"
    assert json.loads(letter["Body"]["ClientContext"]) == {"task_id": task.task_id, "index": 1, "attempt": 0}
    assert letter["Body"]["RetryNum"] == 2 and [r["kind"] for r in letter["Runs"]] == ["handled"] * 3
    assert "RetriesExhaustedError" in letter["ErrorMessage"] and "I/O error" in letter["ErrorMessage"]
    assert any("given up: dead letter in" in line for line in log)

    # WHEN the reconciler runs (everything due at once) and the event is delivered once more by hand
    for _ in range(2):
        reconcile(deps, stale_after=0.0, reinvoke_after=0.0, reaggregate_after=0.0)
    runtime.invoke_async("snapshot", {"task_id": task.task_id, "index": 1, "attempt": 0})
    assert runtime.wait_idle(60)
    # THEN nothing revives it: no fourth run, no second dead letter, the subtask as it was
    assert len(runs.read_text().splitlines()) == 3
    assert len(letters.list("snapshot")) == 1
    again = deps.tasks.get_subtask(task.task_id, 1)
    assert (again.status, again.tries, again.finish_time) == (sub.status, sub.tries, sub.finish_time)

    # AND `openmps dead-letters` lists it, in a table and as JSON
    env = {**os.environ, "OPENMPS_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    table = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "dead-letters"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert table.returncode == 0 and "snapshot" in table.stdout and letter["RequestId"][:8] in table.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "dead-letters", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0 and json.loads(listed.stdout) == [letter]
