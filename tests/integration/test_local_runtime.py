"""The local function runtime (infra/local/runtime.py) against real worker processes running
the tiny handlers in tests/fixtures_functions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from infra.local.instance import FunctionError
from infra.local.runtime import LocalRuntime
from infra.serverless_yml import FunctionSpec, TimerSpec, cron_every_seconds, load_serverless

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = "tests.fixtures_functions"

SERVERLESS = f"""
app: openmps-test
stage: ${{env:TEST_STAGE}}
component: multi-scf
name: openmps-test
inputs:
  src:
    src: ./
  region: ${{env:TEST_REGION}}
  runtime: Python3.10
  memorySize: 256
  timeout: 10
  functions:
    echo:
      name: test-echo-${{env:TEST_STAGE}}
      handler: {FIXTURES}.echo.main_handler
      reservedConcurrency: 1
      environment:
        variables:
          FN_VAR: from-${{env:TEST_STAGE}}
          MISSING_VAR: ${{env:TEST_NOT_SET}}
    sleeper:
      name: test-sleeper
      handler: {FIXTURES}.sleeper.main_handler
      memorySize: 512
      reservedConcurrency: 1
    crasher:
      name: test-crasher
      handler: {FIXTURES}.crasher.main_handler
      reservedConcurrency: 1
    raiser:
      name: test-raiser
      handler: {FIXTURES}.raiser.main_handler
      reservedConcurrency: 1
    pid:
      name: test-pid
      handler: {FIXTURES}.pid.main_handler
      reservedConcurrency: 1
    recorder:
      name: test-recorder
      handler: {FIXTURES}.recorder.main_handler
      reservedConcurrency: 1
    spawner:
      name: test-spawner
      handler: {FIXTURES}.spawner.main_handler
      reservedConcurrency: 1
    scratch:
      name: test-scratch
      handler: {FIXTURES}.scratch.main_handler
      reservedConcurrency: 2
  triggers:
    - type: timer
      function: pid
      parameters:
        name: test-tick
        cronExpression: '0 */5 * * * * *'
        enable: true
"""

ENV = {"TEST_STAGE": "t1", "TEST_REGION": "ap-test"}


def alive(pid: int) -> bool:
    """Running (a zombie counts as gone: in a container PID 1 may not reap orphans)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def still_alive(pids, within: float = 5.0) -> list[int]:
    end = time.monotonic() + within
    while True:
        left = [pid for pid in pids if alive(pid)]
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.05)


def until(predicate, within: float = 5.0) -> bool:
    end = time.monotonic() + within
    while not predicate():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def records(path: Path) -> list[tuple[str, int, float]]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [(kind, int(pid), float(at)) for kind, pid, at in (line.split() for line in lines)]


@pytest.fixture
def serverless_yml(tmp_path: Path) -> Path:
    path = tmp_path / "serverless.yml"
    path.write_text(SERVERLESS)
    return path


@pytest.fixture
def specs(serverless_yml: Path) -> dict[str, FunctionSpec]:
    return load_serverless(serverless_yml, ENV)[0]


@pytest.fixture
def log_lines() -> list[str]:
    return []


@pytest.fixture
def make_runtime(specs, log_lines):
    made: list[LocalRuntime] = []

    def make(*, timeouts=None, concurrency=None, retry_delays=(0.1, 0.1), base_env=None) -> LocalRuntime:
        timeouts = timeouts or {}
        chosen = {key: replace(spec, timeout=timeouts.get(key, spec.timeout)) for key, spec in specs.items()}
        runtime = LocalRuntime(
            chosen,
            base_env=dict(os.environ) if base_env is None else base_env,
            retry_delays=retry_delays,
            concurrency_overrides=concurrency,
            log=log_lines.append,
            cwd=str(ROOT),
        )
        runtime.start()
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.stop()


# --- serverless.yml ----------------------------------------------------------------------


def test_load_the_real_serverless_yml():
    env = {"OPENMPS_STAGE": "dev", "OPENMPS_REGION": "ap-x"}
    specs, timers = load_serverless(ROOT / "serverless.yml", env)
    assert list(specs) == [
        "api",
        "trigger",
        "transcode",
        "snapshot",
        "review",
        "analysis",
        "enhance",
        "aggregator",
        "notifier",
        "reconciler",
    ]
    notifier = specs["notifier"]
    assert (notifier.handler, notifier.concurrency) == ("functions.notifier.index.main_handler", 2)
    transcode = specs["transcode"]
    assert (transcode.key, transcode.name, transcode.handler) == (
        "transcode",
        "openmps-transcode",
        "functions.transcode.index.main_handler",
    )
    assert (transcode.timeout, transcode.memory_mb, transcode.concurrency) == (86400, 3072, 2)
    # every function carries the shared settings (YAML merge) plus its own name
    assert transcode.environment["OPENMPS_FUNCTION"] == "transcode"
    assert transcode.environment["OPENMPS_REGION"] == "ap-x"
    assert (specs["api"].timeout, specs["api"].concurrency, specs["reconciler"].concurrency) == (30, 4, 1)
    assert timers == [TimerSpec(function="reconciler", name="openmps-reconcile", every_seconds=30.0)]


def test_env_substitution_and_inputs_level_defaults(specs, serverless_yml):
    echo, sleeper = specs["echo"], specs["sleeper"]
    assert echo.name == "test-echo-t1"
    assert echo.environment == {"FN_VAR": "from-t1", "MISSING_VAR": ""}
    assert (echo.timeout, echo.memory_mb, sleeper.memory_mb) == (10, 256, 512)
    assert load_serverless(serverless_yml, ENV)[1] == [TimerSpec("pid", "test-tick", 300.0)]
    assert load_serverless(serverless_yml, {})[0]["echo"].name == "test-echo-"


@pytest.mark.parametrize(
    ("cron", "seconds"),
    [
        ("*/30 * * * * * *", 30),
        ("0 */5 * * * * *", 300),
        ("0 0 2 * * * *", 60),
        ("*/7 */5 * * * * *", 7),
    ],
)
def test_timer_period(cron, seconds):
    assert cron_every_seconds(cron) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "inputs: [1, 2",  # not YAML
        "- a list",
        "inputs: {}",
        "inputs: {functions: {}}",
        "inputs: {functions: {f: {name: x}}}",
        "inputs: {functions: {f: {handler: nodots}}}",
        "inputs: {functions: {f: {handler: a.b, timeout: soon}}}",
        "inputs: {functions: {f: {handler: a.b, reservedConcurrency: 0}}}",
        "inputs: {functions: {f: {handler: a.b}}, triggers: [{type: timer, function: g}]}",
        "inputs: {functions: {f: {handler: a.b}}, triggers: [{type: timer, function: f,"
        " parameters: {cronExpression: '*/5 * * * *'}}]}",
    ],
)
def test_malformed_serverless_yml_is_a_clear_value_error(tmp_path, text):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(ValueError, match=str(path)):
        load_serverless(path, {})


# --- invocations -------------------------------------------------------------------------


def test_sync_echo_with_context_and_log(make_runtime, log_lines):
    runtime = make_runtime()
    event = {"hello": ["world", 1, 2.5, None, True], "say": "hi from the handler"}
    out = runtime.invoke_sync("echo", event)
    assert out["event"] == event
    assert out["function_name"] == "test-echo-t1"
    assert (out["function_version"], out["namespace"]) == ("$LATEST", "default")
    assert (out["memory_limit_in_mb"], out["time_limit_in_ms"]) == (256, 10000)
    assert 0 < out["remaining_ms"] <= 10000
    assert until(lambda: "[echo] hi from the handler" in log_lines)
    assert any(line.startswith(f"echo {out['request_id']} ") and line.endswith(" ok") for line in log_lines)


def test_warm_instance_is_reused_and_keeps_module_state(make_runtime):
    runtime = make_runtime()
    first, second = runtime.invoke_sync("echo", {}), runtime.invoke_sync("echo", {})
    assert first["pid"] == second["pid"]
    assert (first["invocations"], second["invocations"]) == (1, 2)  # imported once
    assert runtime.stats()["echo"]["workers"] == 1


def test_concurrency_one_queues_the_second_invocation(make_runtime, tmp_path):
    runtime = make_runtime(concurrency={"sleeper": 1})
    record = tmp_path / "record"
    for _ in range(2):
        runtime.invoke_async("sleeper", {"seconds": 0.5, "record": str(record)})
    assert until(lambda: runtime.stats()["sleeper"]["running"] == 1)
    stats = runtime.stats()["sleeper"]
    assert (stats["running"], stats["queued"]) == (1, 1)
    assert runtime.wait_idle(10)
    (_, pid1, start1), (_, _, end1), (_, pid2, start2), (_, _, end2) = records(record)
    assert start2 >= end1  # one after the other, on the same warm instance
    assert pid1 == pid2
    assert runtime.stats()["sleeper"] == {
        "queued": 0,
        "running": 0,
        "succeeded": 2,
        "failed": 0,
        "retried": 0,
        "workers": 1,
    }


def test_concurrency_two_runs_in_parallel(make_runtime, tmp_path):
    runtime = make_runtime(concurrency={"sleeper": 2})
    record = tmp_path / "record"
    for _ in range(2):
        runtime.invoke_async("sleeper", {"seconds": 1.0, "record": str(record)})
    assert runtime.wait_idle(10)
    starts = {pid: at for kind, pid, at in records(record) if kind == "start"}
    ends = {pid: at for kind, pid, at in records(record) if kind == "end"}
    assert len(starts) == 2  # two instances
    assert max(starts.values()) < min(ends.values())  # overlapping runs
    assert runtime.stats()["sleeper"]["workers"] == 2


def test_timeout_kills_only_that_instance(make_runtime):
    runtime = make_runtime(timeouts={"sleeper": 0.5})
    other = runtime.invoke_sync("pid", {})["pid"]
    first = runtime.invoke_sync("sleeper", {"seconds": 0})["pid"]
    started = time.monotonic()
    with pytest.raises(FunctionError) as caught:
        runtime.invoke_sync("sleeper", {"seconds": 30})
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 2.5
    assert still_alive([first]) == []
    second = runtime.invoke_sync("sleeper", {"seconds": 0})["pid"]
    assert second != first
    assert runtime.invoke_sync("pid", {})["pid"] == other and alive(other)
    stats = runtime.stats()["sleeper"]
    assert (stats["succeeded"], stats["failed"], stats["workers"]) == (2, 1, 1)


def test_sync_caller_timeout_while_queued_and_while_running(make_runtime, tmp_path):
    runtime = make_runtime()
    record = tmp_path / "record"
    runtime.invoke_async("sleeper", {"seconds": 1.0, "record": str(record)})
    assert until(lambda: len(records(record)) == 1)
    started = time.monotonic()
    with pytest.raises(FunctionError, match="no free instance") as caught:
        runtime.invoke_sync("sleeper", {"seconds": 0, "record": str(record)}, timeout=0.2)
    assert caught.value.kind == "timeout" and time.monotonic() - started < 0.9
    assert runtime.wait_idle(5)
    assert len(records(record)) == 2  # the abandoned invocation never ran
    with pytest.raises(FunctionError) as caught:
        runtime.invoke_sync("sleeper", {"seconds": 10}, timeout=0.5)
    assert caught.value.kind == "timeout" and time.monotonic() - started < 4


def test_crash_and_outside_kills_are_survived(make_runtime, tmp_path):
    runtime = make_runtime()
    first = runtime.invoke_sync("crasher", {})["pid"]
    with pytest.raises(FunctionError, match="exit code 3") as caught:
        runtime.invoke_sync("crasher", {"crash": True})
    assert caught.value.kind == "crash"
    second = runtime.invoke_sync("crasher", {})["pid"]
    assert second != first
    os.kill(second, signal.SIGKILL)  # while idle: replaced silently
    # (once it can be waited for: /proc shows "Z" while its other threads still exit)
    assert until(lambda: os.waitid(os.P_PID, second, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None)
    assert runtime.invoke_sync("crasher", {})["pid"] not in (first, second)
    assert runtime.stats()["crasher"]["failed"] == 1

    record = tmp_path / "record"  # while running: a crash
    errors: list[FunctionError] = []

    def call() -> None:
        try:
            runtime.invoke_sync("sleeper", {"seconds": 20, "record": str(record)})
        except FunctionError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    assert until(lambda: len(records(record)) == 1)
    os.kill(records(record)[0][1], signal.SIGKILL)
    caller.join(5)
    assert errors[0].kind == "crash" and "SIGKILL" in errors[0].message
    assert runtime.invoke_sync("sleeper", {})["pid"] != records(record)[0][1]


def test_each_instance_has_its_own_work_folder_and_it_goes_with_the_instance(make_runtime, tmp_path):
    # GIVEN a runtime whose functions get a work dir, as the stack's do
    work = tmp_path / "work"
    work.mkdir()
    runtime = make_runtime(base_env={**os.environ, "OPENMPS_WORK_DIR": str(work)})
    record = tmp_path / "record"
    errors: list[FunctionError] = []

    def call() -> None:
        try:
            runtime.invoke_sync("scratch", {"seconds": 20, "record": str(record)})
        except FunctionError as exc:
            errors.append(exc)

    # WHEN two instances run, one of them killed -9 mid-run with a file in its folder
    caller = threading.Thread(target=call)
    caller.start()
    assert until(lambda: record.exists() and record.read_text())
    killed_pid, killed_folder = record.read_text().split(" ", 1)
    other = runtime.invoke_sync("scratch", {})
    assert Path(killed_folder).parent == work and Path(other["folder"]).parent == work
    assert other["folder"] != killed_folder
    os.kill(int(killed_pid), signal.SIGKILL)
    caller.join(5)
    # THEN the killed instance's folder is gone with it, the live one's is kept
    assert errors and errors[0].kind == "crash"
    assert not Path(killed_folder).exists()
    assert Path(other["folder"]).is_dir()
    # ... and a stop removes the rest
    runtime.stop()
    assert list(work.iterdir()) == []


def test_handled_error_keeps_the_instance_warm(make_runtime):
    runtime = make_runtime()
    pid = runtime.invoke_sync("raiser", {})["pid"]
    with pytest.raises(FunctionError) as caught:
        runtime.invoke_sync("raiser", {"raise": True, "message": "nope"})
    error = caught.value
    assert (error.kind, error.message, error.error_type) == ("handled", "ValueError: nope", "ValueError")
    assert "raiser.py" in error.traceback and "ValueError: nope" in error.traceback
    assert runtime.invoke_sync("raiser", {})["pid"] == pid


def test_cold_start_failure_is_a_crash(specs):
    broken = {"broken": replace(specs["echo"], key="broken", handler=f"{FIXTURES}.missing.main_handler")}
    with LocalRuntime(broken, base_env={}, cwd=str(ROOT), log=lambda line: None) as runtime:
        with pytest.raises(FunctionError, match="cold start failed: ModuleNotFoundError") as caught:
            runtime.invoke_sync("broken", {})
        assert caught.value.kind == "crash"
        assert runtime.stats()["broken"]["workers"] == 0


def test_async_failures_are_retried(make_runtime, log_lines, tmp_path):
    runtime = make_runtime(retry_delays=(0.1, 0.1))
    path = tmp_path / "attempts"
    request_id = runtime.invoke_async("recorder", {"path": str(path), "fail_times": 2})
    assert runtime.wait_idle(10)
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and {line.split()[1] for line in lines} == {request_id}
    stats = runtime.stats()["recorder"]
    assert (stats["succeeded"], stats["failed"], stats["retried"], stats["queued"]) == (1, 2, 2, 0)
    assert any("(retry 2/2 in 0.1s)" in line for line in log_lines)

    exhausted = tmp_path / "exhausted"  # fails every time: 1 run + 2 retries, then gives up
    runtime.invoke_async("recorder", {"path": str(exhausted), "fail_times": 99})
    assert runtime.wait_idle(10)
    assert len(exhausted.read_text().splitlines()) == 3

    once = tmp_path / "sync"  # sync invocations are not retried
    with pytest.raises(FunctionError):
        runtime.invoke_sync("recorder", {"path": str(once), "fail_times": 99})
    assert runtime.wait_idle(5) and len(once.read_text().splitlines()) == 1
    stats = runtime.stats()["recorder"]
    assert (stats["succeeded"], stats["failed"], stats["retried"]) == (1, 6, 4)


def test_environment_of_the_instance(make_runtime):
    base = {"PATH": os.environ.get("PATH", ""), "BASE_ONLY": "b", "FN_VAR": "loses", "TENCENTCLOUD_REGION": "ap-x"}
    runtime = make_runtime(base_env=base)
    names = [
        "BASE_ONLY",
        "FN_VAR",
        "MISSING_VAR",
        "SCF_FUNCTIONNAME",
        "SCF_FUNCTIONVERSION",
        "SCF_NAMESPACE",
        "TENCENTCLOUD_REGION",
    ]
    env = runtime.invoke_sync("echo", {"env": names})["env"]
    assert env == {
        "BASE_ONLY": "b",
        "FN_VAR": "from-t1",
        "MISSING_VAR": "",
        "SCF_FUNCTIONNAME": "test-echo-t1",
        "SCF_FUNCTIONVERSION": "$LATEST",
        "SCF_NAMESPACE": "default",
        "TENCENTCLOUD_REGION": "ap-x",
    }


def test_many_threads_share_the_slots(make_runtime):
    runtime = make_runtime(concurrency={"echo": 2})
    results: list = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(runtime.invoke_sync("echo", {"i": i}))) for i in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(r["event"]["i"] for r in results) == list(range(16))
    assert len({r["pid"] for r in results}) <= 2
    stats = runtime.stats()["echo"]
    assert (stats["succeeded"], stats["running"], stats["queued"]) == (16, 0, 0) and stats["workers"] <= 2


def test_bad_calls(make_runtime):
    runtime = make_runtime()
    with pytest.raises(KeyError):
        runtime.invoke_async("nope", {})
    with pytest.raises(KeyError):
        runtime.invoke_sync("nope", {})
    with pytest.raises(TypeError):  # only JSON gets through, as in the cloud
        runtime.invoke_async("echo", {"when": object()})
    runtime.stop()
    with pytest.raises(RuntimeError):
        runtime.invoke_async("echo", {})


# --- no orphans --------------------------------------------------------------------------


def test_stop_kills_every_process(make_runtime, tmp_path):
    runtime = make_runtime()
    record = tmp_path / "record"
    pids = [runtime.invoke_sync("pid", {})["pid"], runtime.invoke_sync("echo", {})["pid"]]
    spawned = runtime.invoke_sync("spawner", {"seconds": 60})
    runtime.invoke_async("sleeper", {"seconds": 60, "record": str(record)})
    assert until(lambda: len(records(record)) == 1)
    pids += [spawned["pid"], spawned["child"], records(record)[0][1]]
    assert all(alive(pid) for pid in pids)
    started = time.monotonic()
    runtime.stop()
    assert time.monotonic() - started < 3
    assert still_alive(pids, within=2) == []
    assert all(s["workers"] == 0 for s in runtime.stats().values())
    runtime.stop()  # idempotent


RUNTIME_SCRIPT = """
import json, os, sys, time
sys.path.insert(0, {root!r})
from infra.local.runtime import LocalRuntime
from infra.serverless_yml import load_serverless

specs, _ = load_serverless(sys.argv[1], {{}})
runtime = LocalRuntime(specs, base_env=dict(os.environ), cwd={root!r}, log=lambda line: None)
runtime.start()
pids = [runtime.invoke_sync("pid", {{}})["pid"], runtime.invoke_sync("echo", {{}})["pid"]]
spawned = runtime.invoke_sync("spawner", {{"seconds": 60}})
runtime.invoke_async("sleeper", {{"seconds": 60, "record": sys.argv[2]}})
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
time.sleep(0.1)
sleeper = int(open(sys.argv[2]).read().split()[1])
print(json.dumps(pids + [spawned["pid"], spawned["child"], sleeper]), flush=True)
time.sleep(60)
"""


def test_sigkilled_runtime_leaves_no_orphans(serverless_yml, tmp_path):
    script = tmp_path / "run_runtime.py"
    script.write_text(textwrap.dedent(RUNTIME_SCRIPT.format(root=str(ROOT))))
    record = tmp_path / "record"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(serverless_yml), str(record)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(ROOT),
    )
    try:
        pids = json.loads(proc.stdout.readline())
        assert len(pids) == 5 and all(alive(pid) for pid in pids)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)
        assert still_alive(pids, within=5) == []
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
