"""One warm SCF-like function instance: a child process of infra/local/runtime.py.

Started as ``python -u worker_process.py --handler pkg.mod.func --req FD --resp FD --life FD
--memory-mb N --timeout-ms N``
with the function's cwd and environment. It imports the handler module once (the cold
start), reports ``ready`` and then serves invocations one at a time until the request pipe
closes. Stdlib only, and run by file path, so that nothing of the parent's state leaks in.

Protocol: JSON lines on two dedicated pipes (not stdio), so whatever the handler prints
(stdout/stderr, also its own subprocesses') goes to stdout/stderr, which the runtime
forwards to its log, and can never corrupt the protocol.

    runtime -> worker (req):   {"id": ..., "event": {...}, "remaining_ms": N}
    worker -> runtime (resp):  {"type": "ready", "pid": N}
                               {"type": "init_error", "error": {...}}        (then exits)
                               {"type": "result", "id": ..., "ok": true, "result": ...}
                               {"type": "result", "id": ..., "ok": false, "error": {...}}

Parent-death watch: the runtime holds the write end of the "life" pipe and never writes to
it. When the runtime process dies for whatever reason (including SIGKILL) the kernel closes
that end, a watcher thread here reads EOF and kills this worker's whole process group
(the worker is a session leader, so that includes e.g. an ffmpeg the handler started).
We do not use prctl(PR_SET_PDEATHSIG): it fires when the *thread* that forked the worker
exits, and the runtime spawns workers lazily from short-lived contexts.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any


class Context:
    """What the handler gets as ``context``: SCF's Python context attributes, plus the two
    Lambda names powertools' Logger.inject_lambda_context reads (aws_request_id,
    invoked_function_arn)."""

    def __init__(self, request_id: str, remaining_ms: int, memory_mb: int, timeout_ms: int) -> None:
        env = os.environ
        self.request_id = request_id
        self.aws_request_id = request_id
        self.function_name = env.get("SCF_FUNCTIONNAME", "")
        self.function_version = env.get("SCF_FUNCTIONVERSION", "$LATEST")
        self.namespace = env.get("SCF_NAMESPACE", "default")
        self.memory_limit_in_mb = memory_mb
        self.time_limit_in_ms = timeout_ms
        self.tencentcloud_region = env.get("TENCENTCLOUD_REGION", "")
        self.invoked_function_arn = (
            f"qcs::scf:{self.tencentcloud_region}::lam/function/{self.namespace}/{self.function_name}"
        )
        self.environment = dict(env)
        self._deadline = time.monotonic() + remaining_ms / 1000.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(exc: BaseException) -> dict[str, str]:
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
    }


def _end_group() -> None:
    """Exit, taking down whatever the handler started (our process group)."""
    try:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    finally:
        os._exit(1)


def _watch_parent(life_fd: int) -> None:
    """Block until the runtime's end of the life pipe closes, then take the group down."""
    try:
        while os.read(life_fd, 1024):
            pass
    except OSError:
        pass
    _end_group()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--handler", required=True)
    parser.add_argument("--req", type=int, required=True)
    parser.add_argument("--resp", type=int, required=True)
    parser.add_argument("--life", type=int, required=True)
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--timeout-ms", type=int, default=0)
    args = parser.parse_args(argv)

    # Processes the handler starts must not hold our protocol pipes open (the runtime would
    # then miss our death) nor the life pipe (it would then miss the runtime's death).
    for fd in (args.req, args.resp, args.life):
        os.set_inheritable(fd, False)
    threading.Thread(target=_watch_parent, args=(args.life,), name="parent-watch", daemon=True).start()

    try:
        serve(args)
    finally:
        # However we got here (the request pipe closed because the runtime is gone or done
        # with us, a failed import, a handler calling sys.exit): take the handler's own
        # processes down with us. A plain exit would also race the parent watch.
        sys.stdout.flush()
        sys.stderr.flush()
        _end_group()
    return 0


def serve(args: argparse.Namespace) -> None:
    # Run as a script, sys.path[0] is this directory; the project (cwd) is what should be
    # importable, as in the SCF code package root.
    sys.path[0] = os.getcwd()
    requests = os.fdopen(args.req, "rb")
    responses = os.fdopen(args.resp, "wb", buffering=0)

    def send(message: dict[str, Any]) -> None:
        responses.write(json.dumps(message).encode() + b"\n")

    module_name, _, func_name = args.handler.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), func_name)
    except BaseException as exc:  # noqa: BLE001 - any import failure is an init error
        send({"type": "init_error", "error": _error(exc)})
        return
    send({"type": "ready", "pid": os.getpid()})

    for line in requests:
        request = json.loads(line)
        context = Context(request["id"], request["remaining_ms"], args.memory_mb, args.timeout_ms)
        try:
            result = handler(request["event"], context)
            payload = json.dumps({"type": "result", "id": request["id"], "ok": True, "result": result})
        except Exception as exc:  # a handled error (or a result that is not JSON): stays warm
            payload = json.dumps({"type": "result", "id": request["id"], "ok": False, "error": _error(exc)})
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        responses.write(payload.encode() + b"\n")


if __name__ == "__main__":
    sys.exit(main())
