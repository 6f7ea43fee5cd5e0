"""One warm function instance as the local runtime sees it: a worker process (worker_process.py)
and the runtime's ends of its pipes, and the ways an invocation on it can fail.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from infra.serverless_yml import FunctionSpec

WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker_process.py")
KILL_GRACE_SECONDS = 0.5  # SIGTERM, then SIGKILL after this long
RMTREE_PATIENCE_SECONDS = 2.0  # how long a dead instance's folder may take to empty


class FunctionError(Exception):
    """A failed invocation. kind: "handled" (the handler raised), "crash" (the instance
    died or could not start) or "timeout" (it overran and was killed, or a sync caller's
    deadline passed while it was still queued)."""

    def __init__(self, kind: str, message: str, traceback: str = "", error_type: str = "") -> None:
        super().__init__(kind, message, traceback, error_type)
        self.kind, self.message, self.traceback, self.error_type = kind, message, traceback, error_type

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class WorkerDead(Exception):
    """The worker process is gone (or could not be started)."""


class WorkerTimeout(Exception):
    pass


class Worker:
    """One worker process and the runtime's ends of its three pipes (see worker_process.py).
    Only the slot thread using a worker reads/writes it; kill() may come from stop() too.

    ``own_dir``: the instance's private work folder (its /tmp, as on SCF), removed by close()
    once the process is gone: a worker killed mid-run cannot clean up after itself, and its
    half-written files must not outlive it."""

    def __init__(
        self,
        spec: FunctionSpec,
        env: dict[str, str],
        cwd: str,
        output: Callable[[str], None],
        own_dir: str | None = None,
    ) -> None:
        self.own_dir = own_dir
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
            raise WorkerDead() from exc

    def read(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._poll.poll(max(1, int(remaining * 1000))):
                raise WorkerTimeout()
            chunk = os.read(self._resp, 1 << 16)
            if not chunk:
                raise WorkerDead()
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
        """Release the pipes and the work folder; only after kill() (the process must be gone)."""
        with self._lock:
            fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)
        if self.own_dir:
            # A child in a session of its own (ffmpeg, which its parent-death signal kills) may still
            # write into the folder for a moment after the worker is gone, and an rmtree that meets a
            # file created behind its back leaves the folder: try again until it is gone.
            deadline = time.monotonic() + RMTREE_PATIENCE_SECONDS
            shutil.rmtree(self.own_dir, ignore_errors=True)
            while os.path.exists(self.own_dir) and time.monotonic() < deadline:
                time.sleep(0.05)
                shutil.rmtree(self.own_dir, ignore_errors=True)


def exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
