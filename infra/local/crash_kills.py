"""kill -9 of one part of a running stack, for the crash matrix and `make soak`.

The parts: a function instance (a worker process, best while its ffmpeg runs), the table server
(dynalite under its guard), the stack's main process alone (the runtime, gateway and timers live
in it), and the stack's whole process group (what closing a terminal does to `make run`).
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

from infra.local.harness import RunningStack, kill_group

KINDS = ("worker", "main", "table", "group")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def ffmpeg_runs(stack: RunningStack) -> list[tuple[int, int]]:
    """(worker pid, ffmpeg pid) for every ffmpeg a function instance of the stack is running."""
    tree = _children()
    return [
        (worker, child)
        for worker in tree.get(stack.proc.pid, [])
        if "worker_process.py" in _cmdline(worker)
        for child in tree.get(worker, [])
        if "ffmpeg" in _cmdline(child).split(" ", 1)[0]
    ]


def table_server_pid(stack: RunningStack) -> int | None:
    for pid in _children().get(stack.proc.pid, []):
        if "dynalite_guard.js" in _cmdline(pid):
            return pid
    return None


def kill_worker_mid_ffmpeg(stack: RunningStack, rng: random.Random, wait: float = 30.0) -> tuple[int, int] | None:
    """Wait for an ffmpeg run, let it go on for a random moment, then kill -9 its worker (not the
    ffmpeg: it must die with its worker). Returns (worker pid, ffmpeg pid), or None if none ran."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        runs = ffmpeg_runs(stack)
        if runs:
            time.sleep(rng.uniform(0.0, 0.4))
            runs = ffmpeg_runs(stack) or runs
            worker, ffmpeg = rng.choice(runs)
            try:
                os.kill(worker, signal.SIGKILL)
            except ProcessLookupError:
                continue  # it finished in the meantime: wait for the next one
            return worker, ffmpeg
        time.sleep(0.02)
    return None


def kill_table_server(stack: RunningStack) -> int | None:
    pid = table_server_pid(stack)
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
    return pid


def kill_main(stack: RunningStack) -> None:
    """kill -9 of the stack's main process alone: what it started must end by itself."""
    stack.proc.kill()
    stack.proc.wait()


def kill(stack: RunningStack, kind: str, rng: random.Random) -> object:
    """kill -9 of one part; what was killed (pids), or None when there was nothing to kill."""
    if kind == "worker":
        return kill_worker_mid_ffmpeg(stack, rng)
    if kind == "table":
        return kill_table_server(stack)
    if kind == "main":
        kill_main(stack)
        return stack.proc.pid
    if kind == "group":
        kill_group(stack)
        return stack.proc.pid
    raise ValueError(f"unknown kill kind {kind!r}; one of {KINDS}")
