"""Run `openmps up` in a subprocess and wait until it answers: for end-to-end tests and benchmarks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from infra.local.client import Client
from infra.local.dynalite import free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningStack:
    url: str
    token: str
    data_dir: Path
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def client(self) -> Client:
        return Client(self.url, self.token)

    def key_pair(self) -> tuple[str, str]:
        """The local account's SecretId/SecretKey, as the stack keeps them in its data dir."""
        pair = json.loads((self.data_dir / "api-key-pair.json").read_text())
        return pair["secret_id"], pair["secret_key"]

    def bucket_path(self, bucket: str, key: str) -> Path:
        return self.data_dir / "buckets" / bucket / key

    def worker_pids(self, function: str) -> list[int]:
        """Worker processes of one function, found among the stack's children."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid and f"functions.{function}.index" in cmdline:
                pids.append(int(entry.name))
        return pids


def start_stack(
    data_dir: Path, token: str, extra_env: dict[str, str] | None = None, *, own_group: bool = False
) -> RunningStack:
    """``own_group``: run it in a process group of its own, as `make run` does in a terminal, so
    that a test can kill the whole group (see kill_group)."""
    port = free_port()
    log = data_dir.parent / f"{data_dir.name}-stack-{port}.log"
    env = {
        **os.environ,
        "OPENMPS_DATA_DIR": str(data_dir),
        "OPENMPS_PORT": str(port),
        "OPENMPS_API_TOKEN": token,
        # test stacks must not become the user's "last started stack" (infra/local/discovery.py)
        "XDG_STATE_HOME": str(data_dir.parent / f"{data_dir.name}-state"),
        **(extra_env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local.cli", "up"],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=own_group,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"stack exited: {log.read_text()[-2000:]}")
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    return RunningStack(url, token, data_dir, proc, log)
            except requests.RequestException:
                pass
            time.sleep(0.2)
    except BaseException:  # e.g. a test's timeout firing while it waits: the stack must not outlive it
        proc.kill()
        proc.wait()
        raise
    proc.kill()
    proc.wait()
    raise RuntimeError(f"stack did not come up: {log.read_text()[-2000:]}")


def stop_stack(stack: RunningStack) -> int:
    stack.proc.send_signal(signal.SIGINT)
    try:
        return stack.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        stack.proc.kill()
        stack.proc.wait()
        raise


def kill_group(stack: RunningStack) -> None:
    """kill -9 of the stack's whole process group (it must have been started with own_group)."""
    os.killpg(stack.proc.pid, signal.SIGKILL)
    stack.proc.wait()


def children_of(pid: int, named: bytes | None = None) -> list[int]:
    """Processes whose parent is ``pid`` (with ``named``: only those whose command line holds it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) != pid:
                continue
            if named is None or named in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def processes_of(data_dir: Path) -> list[int]:
    """Live processes (table server, workers, ffmpeg) whose command line or environment names
    ``data_dir``: after a stack is gone there must be none."""
    needle = str(data_dir.resolve()).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            if needle in (entry / "cmdline").read_bytes() or needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_for(predicate: Callable[[], Any], timeout: float = 90, every: float = 0.3) -> Any:
    """Poll until ``predicate`` returns something truthy, and return it; AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(every)
