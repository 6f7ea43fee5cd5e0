"""The local function runtime: runs the functions of serverless.yml on one machine the way
Tencent SCF runs them in the cloud, so that the same handlers behave the same in both.

What is emulated, and why it matters to openmps:
- warm instances: each function gets up to ``concurrency`` worker processes, spawned on
  demand and reused; each imports its handler module once (cold start), so module-level
  state and clients behave as on SCF;
- reserved concurrency: at most ``concurrency`` invocations of a function run at once,
  sync and async alike; further ones wait in a per-function FIFO queue (this is how queued
  MPS tasks stay WAITING);
- the failure kinds SCF distinguishes: a handler exception ("handled", the instance stays
  warm), an instance that dies ("crash") and one that overruns its timeout ("timeout",
  the instance is killed); async invocations are retried after a failure, like SCF's
  retry policy (2 retries, 1 minute apart; shorter locally);
- isolation: a worker is its own process (and process group), so killing one never
  touches another function or the runtime; workers die with the runtime, even on SIGKILL
  (see worker_process.py for the parent-death watch).

Worker processes run infra/local/worker_process.py; see there for the pipe protocol.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from infra.serverless_yml import substitute_env

WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker_process.py")
KILL_GRACE_SECONDS = 0.5  # SIGTERM, then SIGKILL after this long
SCF_DEFAULT_TIMEOUT = 3  # seconds, SCF's default when serverless.yml gives none
SCF_DEFAULT_MEMORY_MB = 128
DEFAULT_CONCURRENCY = 1  # no reservedConcurrency: run one at a time locally
TIMER_DEFAULT_SECONDS = 60.0


@dataclass(frozen=True)
class FunctionSpec:
    key: str  # the key under inputs.functions: what invoke_* take
    name: str  # the SCF function name
    handler: str  # "package.module.function"
    timeout: float  # seconds
    memory_mb: int
    concurrency: int  # reservedConcurrency
    environment: dict[str, str]


@dataclass(frozen=True)
class TimerSpec:
    function: str
    name: str
    every_seconds: float


# --- serverless.yml --------------------------------------------------------------------

_HANDLER = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def _positive(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    if isinstance(value, bool) or number <= 0:
        raise ValueError(f"{where} must be a positive number, got {value!r}")
    return number


def _env_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else "" if value is None else str(value)


def cron_every_seconds(expression: str) -> float:
    """The period of an SCF 7-field cron ("sec min hour day month week year"): */N in the
    seconds or minutes field; anything else is treated as once a minute."""
    fields = str(expression).split()
    if len(fields) != 7:
        raise ValueError(f"cronExpression {expression!r} needs 7 fields: sec min hour day month week year")
    for field, unit in ((fields[0], 1), (fields[1], 60)):
        match = re.fullmatch(r"\*/(\d+)", field)
        if match and int(match.group(1)) > 0:
            return float(int(match.group(1)) * unit)
    return TIMER_DEFAULT_SECONDS


def load_serverless(
    path: str | os.PathLike[str], env: Mapping[str, str]
) -> tuple[dict[str, FunctionSpec], list[TimerSpec]]:
    """Read the multi-scf serverless.yml: the function specs by key, and the enabled timers."""

    def fail(message: str) -> ValueError:
        return ValueError(f"{path}: {message}")

    def mapping(value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise fail(f"{where} must be a mapping")
        return value

    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise fail(f"not valid YAML: {exc}") from exc
    inputs = mapping(mapping(substitute_env(doc, env), "the document").get("inputs"), "inputs")
    functions = mapping(inputs.get("functions"), "inputs.functions")
    if not functions:
        raise fail("inputs.functions is empty")
    specs: dict[str, FunctionSpec] = {}
    try:
        for key, raw in functions.items():
            where = f"inputs.functions.{key}"
            raw = mapping(raw, where)
            handler = raw.get("handler")
            if not isinstance(handler, str) or not _HANDLER.fullmatch(handler):
                raise fail(f"{where}.handler must look like package.module.function, got {handler!r}")
            environment = mapping(raw.get("environment") or {}, f"{where}.environment")
            variables = mapping(environment.get("variables") or {}, f"{where}.environment.variables")
            timeout = raw.get("timeout", inputs.get("timeout", SCF_DEFAULT_TIMEOUT))
            memory = raw.get("memorySize", inputs.get("memorySize", SCF_DEFAULT_MEMORY_MB))
            concurrency = raw.get("reservedConcurrency", DEFAULT_CONCURRENCY)
            specs[str(key)] = FunctionSpec(
                key=str(key),
                name=str(raw.get("name") or key),
                handler=handler,
                timeout=_positive(timeout, f"{where}.timeout"),
                memory_mb=int(_positive(memory, f"{where}.memorySize")),
                concurrency=int(_positive(concurrency, f"{where}.reservedConcurrency")),
                environment={str(k): _env_value(v) for k, v in variables.items()},
            )
        timers: list[TimerSpec] = []
        triggers = inputs.get("triggers") or []
        if not isinstance(triggers, list):
            raise fail("inputs.triggers must be a list")
        for i, raw in enumerate(triggers):
            where = f"inputs.triggers[{i}]"
            raw = mapping(raw, where)
            params = mapping(raw.get("parameters") or {}, f"{where}.parameters")
            endpoints = params.get("endpoints") or []
            targets = [raw["function"]] if "function" in raw else []
            targets += [ep["function"] for ep in endpoints if isinstance(ep, dict) and "function" in ep]
            if not targets:
                raise fail(f"{where} names no function")
            for target in targets:
                if target not in specs:
                    raise fail(f"{where} refers to unknown function {target!r}")
            if raw.get("type") == "timer" and str(params.get("enable", True)).lower() != "false":
                if "function" not in raw:
                    raise fail(f"{where}: a timer needs a function")
                every = cron_every_seconds(params.get("cronExpression", ""))
                name = str(params.get("name") or raw["function"])
                timers.append(TimerSpec(function=raw["function"], name=name, every_seconds=every))
    except ValueError as exc:
        if str(exc).startswith(f"{path}:"):
            raise
        raise fail(str(exc)) from exc
    return specs, timers


# --- invocations and workers -----------------------------------------------------------


class FunctionError(Exception):
    """A failed invocation. kind: "handled" (the handler raised), "crash" (the instance
    died or could not start) or "timeout" (it overran and was killed, or a sync caller's
    deadline passed while it was still queued)."""

    def __init__(self, kind: str, message: str, traceback: str = "", error_type: str = "") -> None:
        super().__init__(kind, message, traceback, error_type)
        self.kind, self.message, self.traceback, self.error_type = kind, message, traceback, error_type

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class _Dead(Exception):
    """The worker process is gone (or could not be started)."""


class _Timeout(Exception):
    pass


class _Worker:
    """One worker process and the runtime's ends of its three pipes (see worker_process.py).
    Only the slot thread using a worker reads/writes it; kill() may come from stop() too."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], cwd: str, output: Callable[[str], None]) -> None:
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        life_r, life_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-u",
                    WORKER_SCRIPT,
                    "--handler",
                    spec.handler,
                    "--req",
                    str(req_r),
                    "--resp",
                    str(resp_w),
                    "--life",
                    str(life_r),
                    "--memory-mb",
                    str(spec.memory_mb),
                    "--timeout-ms",
                    str(int(spec.timeout * 1000)),
                ],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(req_r, resp_w, life_r),
                start_new_session=True,  # its own process group: killpg also takes what it started
            )
        except BaseException:
            for fd in (req_w, resp_r, life_w):
                os.close(fd)
            raise
        finally:
            for fd in (req_r, resp_w, life_r):
                os.close(fd)
        self.pid = self.proc.pid
        self.ready = False
        self._fds = [req_w, resp_r, life_w]  # life_w is never written: it closes when we die
        self._req, self._resp = req_w, resp_r
        self._buf = b""
        self._poll = select.poll()
        self._poll.register(resp_r, select.POLLIN)
        self._lock = threading.Lock()
        pump = threading.Thread(target=self._pump, args=(output,), name=f"output-{spec.key}-{self.pid}")
        pump.daemon = True
        pump.start()

    def _pump(self, output: Callable[[str], None]) -> None:
        with self.proc.stdout as stream:  # type: ignore[union-attr]
            for raw in stream:
                output(raw.decode(errors="replace").rstrip("\r\n"))

    def send(self, message: dict[str, Any]) -> None:
        data = memoryview(json.dumps(message).encode() + b"\n")
        try:
            while data:
                data = data[os.write(self._req, data) :]
        except OSError as exc:  # BrokenPipeError: it died between invocations
            raise _Dead() from exc

    def read(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._poll.poll(max(1, int(remaining * 1000))):
                raise _Timeout()
            chunk = os.read(self._resp, 1 << 16)
            if not chunk:
                raise _Dead()
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def exited(self) -> bool:
        """Has the process ended? Does not reap it, so its process group id stays ours."""
        if self.proc.returncode is not None:
            return True
        try:
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def signal_group(self, sig: signal.Signals) -> None:
        if self.proc.returncode is None:  # not reaped yet, so the group id cannot have been reused
            try:
                os.killpg(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def kill(self, grace: float = KILL_GRACE_SECONDS) -> int:
        """SIGTERM the process group, SIGKILL it after `grace`, reap. Idempotent."""
        with self._lock:
            if self.proc.returncode is None:
                self.signal_group(signal.SIGTERM)
                end = time.monotonic() + grace
                while not self.exited() and time.monotonic() < end:
                    time.sleep(0.01)
                self.signal_group(signal.SIGKILL)  # also whatever the handler started
            return self.proc.wait()

    def close(self) -> None:
        with self._lock:
            fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)


class _Job:
    def __init__(self, request_id: str, event: Any, sync: bool, deadline: float | None = None) -> None:
        self.request_id, self.event, self.sync, self.deadline = request_id, event, sync, deadline
        self.attempt = 0
        self.done = threading.Event()
        self.result: Any = None
        self.error: FunctionError | None = None
        self.timer: threading.Timer | None = None


class _Function:
    """Per-function state; guarded by the runtime's lock."""

    def __init__(self, spec: FunctionSpec, concurrency: int, lock: threading.Lock) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency of {spec.key} must be >= 1")
        self.spec, self.concurrency = spec, concurrency
        self.queue: deque[_Job] = deque()
        self.has_work = threading.Condition(lock)
        self.idle: list[_Worker] = []  # warm and free; the most recently used last
        self.workers: set[_Worker] = set()  # all live ones, idle or busy
        self.running = 0
        self.delayed = 0  # async retries waiting for their delay
        self.counts = {"succeeded": 0, "failed": 0, "retried": 0}
        self.threads: list[threading.Thread] = []


def _print_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class LocalRuntime:
    """Runs invocations of the given functions in warm worker processes.

    Each function has ``concurrency`` slot threads taking jobs from its FIFO queue; a slot
    runs a job on the most recently used idle worker, or spawns one. So the slot count caps
    both running invocations and live workers, and sync and async invocations share them.
    """

    def __init__(
        self,
        specs: dict[str, FunctionSpec],
        *,
        base_env: Mapping[str, str],
        retry_delays: Sequence[float] = (1.0, 2.0),
        concurrency_overrides: Mapping[str, int] | None = None,
        log: Callable[[str], None] | None = None,
        cwd: str | None = None,
    ) -> None:
        overrides = dict(concurrency_overrides or {})
        unknown = set(overrides) - set(specs)
        if unknown:
            raise KeyError(f"concurrency_overrides for unknown functions: {sorted(unknown)}")
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # for wait_idle
        self._functions = {
            key: _Function(spec, overrides.get(key, spec.concurrency), self._lock) for key, spec in specs.items()
        }
        self._base_env = dict(base_env)
        self._retry_delays = tuple(retry_delays)
        self._log = log or _print_stderr
        self._cwd = os.path.abspath(cwd or os.getcwd())
        self._started = False
        self._stopping = False
        self._timers: set[threading.Timer] = set()

    def __enter__(self) -> LocalRuntime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        with self._lock:
            if self._started or self._stopping:
                return
            self._started = True
            for fn in self._functions.values():
                for i in range(fn.concurrency):
                    thread = threading.Thread(target=self._slot, args=(fn,), name=f"scf-{fn.spec.key}-{i}")
                    thread.daemon = True
                    fn.threads.append(thread)
                    thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Kill every worker (and what its handler started) and stop the slots. Queued sync
        callers get a "crash" error; queued async invocations and pending retries are dropped
        (nothing is kept across restarts)."""
        end = time.monotonic() + timeout
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
            abandoned = [job for fn in self._functions.values() for job in fn.queue if job.sync]
            idle = [w for fn in self._functions.values() for w in fn.idle]
            workers = [w for fn in self._functions.values() for w in fn.workers]
            for fn in self._functions.values():
                fn.queue.clear()
                fn.idle.clear()
                fn.delayed = 0
                fn.has_work.notify_all()
            self._changed.notify_all()
        for job in abandoned:
            job.error = FunctionError("crash", "the runtime stopped before the invocation ran")
            job.done.set()
        for worker in workers:  # all at once, then each gets what is left of the grace
            worker.signal_group(signal.SIGTERM)
        grace_end = time.monotonic() + min(KILL_GRACE_SECONDS, timeout)
        for worker in workers:
            worker.kill(max(0.0, grace_end - time.monotonic()))
        for worker in idle:  # busy ones are closed by their slot thread
            worker.close()
        with self._lock:
            for fn in self._functions.values():
                fn.workers.difference_update(workers)
        for fn in self._functions.values():
            for thread in fn.threads:
                thread.join(max(0.0, end - time.monotonic()))

    def invoke_async(self, function: str, event: dict) -> str:
        """Like SCF Invoke with InvocationType=Event: queue it, return its request id."""
        fn = self._functions[function]
        job = _Job(str(uuid.uuid4()), json.loads(json.dumps(event)), sync=False)
        self._enqueue(fn, job)
        return job.request_id

    def invoke_sync(self, function: str, event: dict, timeout: float | None = None) -> Any:
        """Like InvocationType=RequestResponse: the handler's return value, or FunctionError.
        `timeout` bounds the whole call (queueing + running); a run is cut at that deadline
        if it is sooner than the function's own timeout."""
        fn = self._functions[function]
        deadline = None if timeout is None else time.monotonic() + timeout
        job = _Job(str(uuid.uuid4()), json.loads(json.dumps(event)), sync=True, deadline=deadline)
        self._enqueue(fn, job)
        if not job.done.wait(timeout):
            with self._lock:
                if job in fn.queue:  # never got a slot: give up on it, as a client would
                    fn.queue.remove(job)
                    self._changed.notify_all()
                    raise FunctionError("timeout", f"no free instance of {function} within {timeout}s")
            # It is running, and its run ends at the same deadline: the result is imminent.
            if not job.done.wait(KILL_GRACE_SECONDS + 10):
                raise FunctionError("timeout", f"{function} did not finish within {timeout}s")
        if job.error is not None:
            raise job.error
        return job.result

    def stats(self) -> dict[str, dict[str, int]]:
        """Per function: queued (incl. retries waiting for their delay), running, succeeded and
        failed (runs, so a retried invocation counts each attempt), retried, workers."""
        with self._lock:
            return {
                key: {
                    "queued": len(fn.queue) + fn.delayed,
                    "running": fn.running,
                    **fn.counts,
                    "workers": sum(1 for w in fn.workers if not w.exited()),
                }
                for key, fn in self._functions.items()
            }

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(self._idle, timeout)

    def _idle(self) -> bool:
        return all(not fn.queue and not fn.running and not fn.delayed for fn in self._functions.values())

    # --- internals ---------------------------------------------------------------------

    def _enqueue(self, fn: _Function, job: _Job) -> None:
        with self._lock:
            if not self._started or self._stopping:
                raise RuntimeError("the local runtime is not running")
            fn.queue.append(job)
            fn.has_work.notify()

    def _slot(self, fn: _Function) -> None:
        while True:
            with self._lock:
                while not fn.queue and not self._stopping:
                    fn.has_work.wait()
                if self._stopping:
                    return
                job = fn.queue.popleft()
                fn.running += 1
                worker = fn.idle.pop() if fn.idle else None
            started = time.monotonic()
            result, error, worker = self._run(fn, job, worker)
            duration_ms = int((time.monotonic() - started) * 1000)
            outcome = "ok" if error is None else f"{error.kind} error: " + error.message.split("\n", 1)[0]
            with self._lock:
                fn.running -= 1
                fn.counts["failed" if error else "succeeded"] += 1
                stopping = self._stopping
                if worker is not None and not stopping:
                    fn.idle.append(worker)
                retry = error is not None and not job.sync and job.attempt < len(self._retry_delays)
                if retry and not stopping:
                    delay = self._retry_delays[job.attempt]
                    job.attempt += 1
                    fn.counts["retried"] += 1
                    fn.delayed += 1
                    job.timer = threading.Timer(delay, self._requeue, args=(fn, job))
                    job.timer.daemon = True
                    self._timers.add(job.timer)
                    job.timer.start()
                    outcome += f" (retry {job.attempt}/{len(self._retry_delays)} in {delay:g}s)"
                self._changed.notify_all()
            if worker is not None and stopping:
                self._discard(fn, worker)
            self._log(f"{fn.spec.key} {job.request_id} {duration_ms} ms {outcome}")
            if job.sync:
                job.result, job.error = result, error
                job.done.set()

    def _requeue(self, fn: _Function, job: _Job) -> None:
        with self._lock:
            if job.timer not in self._timers:  # stop() came first
                return
            self._timers.discard(job.timer)
            fn.delayed -= 1
            fn.queue.append(job)
            fn.has_work.notify()

    def _run(
        self, fn: _Function, job: _Job, worker: _Worker | None
    ) -> tuple[Any, FunctionError | None, _Worker | None]:
        """One attempt. Returns (result, error, the worker if it is still warm)."""
        spec = fn.spec
        started = time.monotonic()
        deadline = started + spec.timeout
        if job.deadline is not None:  # a sync caller's own timeout
            deadline = min(deadline, job.deadline)
        try:
            if worker is not None and worker.exited():  # died while idle (killed from outside)
                self._discard(fn, worker)
                worker = None
            if worker is None:
                worker = self._spawn(fn)
            if not worker.ready:  # cold start: the import counts against this invocation
                message = worker.read(deadline)
                if message["type"] != "ready":
                    err = message["error"]
                    self._discard(fn, worker)
                    return (
                        None,
                        FunctionError(
                            "crash",
                            f"cold start failed: {err['type']}: {err['message']}",
                            err["traceback"],
                            err["type"],
                        ),
                        None,
                    )
                worker.ready = True
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            worker.send({"id": job.request_id, "event": job.event, "remaining_ms": remaining_ms})
            message = worker.read(deadline)
        except _Timeout:
            if worker is not None:  # _Timeout comes only from a read of a spawned worker
                self._discard(fn, worker)
            return None, FunctionError("timeout", f"timed out after {deadline - started:.3f} s"), None
        except _Dead:
            code = self._discard(fn, worker) if worker is not None else None
            reason = "could not be started" if code is None else _exit_reason(code)
            return None, FunctionError("crash", f"the instance process died ({reason})"), None
        if message.get("ok"):
            return message["result"], None, worker
        err = message["error"]
        error = FunctionError("handled", f"{err['type']}: {err['message']}", err["traceback"], err["type"])
        return None, error, worker

    def _spawn(self, fn: _Function) -> _Worker:
        spec = fn.spec
        env = {
            **self._base_env,
            **spec.environment,
            "SCF_FUNCTIONNAME": spec.name,
            "SCF_FUNCTIONVERSION": "$LATEST",
            "SCF_NAMESPACE": "default",
        }
        if "TENCENTCLOUD_REGION" in self._base_env:
            env["TENCENTCLOUD_REGION"] = self._base_env["TENCENTCLOUD_REGION"]
        try:
            worker = _Worker(spec, env, self._cwd, lambda line: self._log(f"[{spec.key}] {line}"))
        except OSError as exc:
            self._log(f"{spec.key}: cannot start a worker process: {exc}")
            raise _Dead() from exc
        with self._lock:
            fn.workers.add(worker)
            stopping = self._stopping
        if stopping:  # stop() has already collected the workers it kills
            self._discard(fn, worker)
            raise _Dead()
        return worker

    def _discard(self, fn: _Function, worker: _Worker) -> int:
        code = worker.kill()
        worker.close()
        with self._lock:
            fn.workers.discard(worker)
        return code
