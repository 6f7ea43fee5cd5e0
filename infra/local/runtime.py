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
  retry policy (2 retries, 1 minute apart; shorter locally), and one that failed every run
  goes to the dead-letter store (dead_letters.py), as SCF sends it to the function's DLQ;
- isolation: a worker is its own process (and process group), so killing one never
  touches another function or the runtime; workers die with the runtime, even on SIGKILL
  (see worker_process.py for the parent-death watch).

Worker processes run infra/local/worker_process.py; see there for the pipe protocol.

(Over 300 lines on purpose: LocalRuntime's queues, slot threads, retries and shutdown share one
lock and one set of states; the worker-process handle is apart, in instance.py.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from infra.local.dead_letters import DeadLetterStore
from infra.local.instance import KILL_GRACE_SECONDS, FunctionError, Worker, WorkerDead, WorkerTimeout, exit_reason
from infra.serverless_yml import FunctionSpec

# After the first and the second failed run of an async invocation (SCF waits about a minute):
# as many as SCF's ASYNC_RETRIES (tests/unit/test_retry_contract.py holds the two together).
ASYNC_RETRY_DELAYS = (5.0, 15.0)


class _Job:
    def __init__(self, request_id: str, event: Any, sync: bool, deadline: float | None = None) -> None:
        self.request_id, self.event, self.sync, self.deadline = request_id, event, sync, deadline
        self.attempt = 0
        self.runs: list[dict[str, Any]] = []  # async only: each run's start, length and outcome
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
        self.idle: list[Worker] = []  # warm and free; the most recently used last
        self.workers: set[Worker] = set()  # all live ones, idle or busy
        self.running = 0
        self.delayed = 0  # async retries waiting for their delay
        self.counts = {"succeeded": 0, "failed": 0, "retried": 0}
        self.threads: list[threading.Thread] = []


def _print_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


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
        retry_delays: Sequence[float] = ASYNC_RETRY_DELAYS,
        concurrency_overrides: Mapping[str, int] | None = None,
        log: Callable[[str], None] | None = None,
        cwd: str | None = None,
        dead_letters: DeadLetterStore | None = None,
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
        self._dead_letters = dead_letters
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
            started, wall_start = time.monotonic(), time.time()
            result, error, worker = self._run(fn, job, worker)
            duration_ms = int((time.monotonic() - started) * 1000)
            outcome = "ok" if error is None else f"{error.kind} error: " + error.message.split("\n", 1)[0]
            if not job.sync:
                job.runs.append(
                    {
                        "started": wall_start,
                        "ms": duration_ms,
                        "kind": "ok" if error is None else error.kind,
                        "error": "" if error is None else error.message,
                    }
                )
            dead = ""
            if error is not None and not job.sync and job.attempt >= len(self._retry_delays) and not self._stopping:
                dead = self._dead_letter(fn, job)  # before the slot is free, so wait_idle() sees it
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
            self._log(f"{fn.spec.key} {job.request_id} {duration_ms} ms {outcome}{dead}")
            if job.sync:
                job.result, job.error = result, error
                job.done.set()

    def _dead_letter(self, fn: _Function, job: _Job) -> str:
        """Keep an async invocation that failed every run; the log line says where it went."""
        if self._dead_letters is None:
            return " (given up)"
        try:
            self._dead_letters.add(
                function=fn.spec.key,
                function_name=fn.spec.name,
                request_id=job.request_id,
                event=job.event,
                retries=job.attempt,
                runs=job.runs,
            )
        except OSError as exc:  # a full disk must not stop the slot; the log line keeps the event's id
            return f" (given up; dead letter not written: {exc})"
        return f" (given up: dead letter in {self._dead_letters.root}/{fn.spec.key}.jsonl)"

    def _requeue(self, fn: _Function, job: _Job) -> None:
        with self._lock:
            if job.timer not in self._timers:  # stop() came first
                return
            self._timers.discard(job.timer)
            fn.delayed -= 1
            fn.queue.append(job)
            fn.has_work.notify()

    def _run(self, fn: _Function, job: _Job, worker: Worker | None) -> tuple[Any, FunctionError | None, Worker | None]:
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
        except WorkerTimeout:
            if worker is not None:  # WorkerTimeout comes only from a read of a spawned worker
                self._discard(fn, worker)
            return None, FunctionError("timeout", f"timed out after {deadline - started:.3f} s"), None
        except WorkerDead:
            code = self._discard(fn, worker) if worker is not None else None
            reason = "could not be started" if code is None else exit_reason(code)
            return None, FunctionError("crash", f"the instance process died ({reason})"), None
        if message.get("ok"):
            return message["result"], None, worker
        err = message["error"]
        error = FunctionError("handled", f"{err['type']}: {err['message']}", err["traceback"], err["type"])
        return None, error, worker

    def _spawn(self, fn: _Function) -> Worker:
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
        own_dir = None
        if env.get("OPENMPS_WORK_DIR"):  # each instance its own folder, removed when it goes (instance.py)
            own_dir = os.path.join(env["OPENMPS_WORK_DIR"], f"instance-{spec.key}-{uuid.uuid4().hex[:12]}")
            env["OPENMPS_WORK_DIR"] = own_dir
        try:
            if own_dir:
                os.makedirs(own_dir)
            worker = Worker(spec, env, self._cwd, lambda line: self._log(f"[{spec.key}] {line}"), own_dir)
        except OSError as exc:
            if own_dir:
                shutil.rmtree(own_dir, ignore_errors=True)
            self._log(f"{spec.key}: cannot start a worker process: {exc}")
            raise WorkerDead() from exc
        with self._lock:
            fn.workers.add(worker)
            stopping = self._stopping
        if stopping:  # stop() has already collected the workers it kills
            self._discard(fn, worker)
            raise WorkerDead()
        return worker

    def _discard(self, fn: _Function, worker: Worker) -> int:
        code = worker.kill()
        worker.close()
        with self._lock:
            fn.workers.discard(worker)
        return code
