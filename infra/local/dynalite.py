"""The local table server: dynalite (DynamoDB API on LevelDB) bound to 127.0.0.1.

Its lifecycle is tied to ours: it runs under ``dynalite_guard.js``, which exits when our end of its
stdin closes (so it dies with the stack, kill -9 included); it leaves a pid file beside its data;
and at start a table server still holding the same data (left by an older stack) is stopped if
orphaned, or refused with its pid if a live stack still owns it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DYNALITE_CLI = REPO / "node_modules" / "dynalite" / "cli.js"
GUARD = Path(__file__).with_name("dynalite_guard.js")


class TableServerBusy(RuntimeError):
    """Another live process still serves this data dir's table."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cmdline(pid: int) -> list[str]:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _parent(pid: int) -> int:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def _serves(pid: int, data_dir: Path) -> bool:
    """Is ``pid`` a dynalite (ours or an older stack's) serving ``data_dir``?"""
    argv = _cmdline(pid)
    is_dynalite = any(a.endswith("dynalite/cli.js") or a.endswith("dynalite_guard.js") for a in argv)
    return is_dynalite and "--path" in argv and str(data_dir) in argv


def holders(data_dir: Path) -> list[int]:
    """Table servers serving ``data_dir``: the one in the pid file, and any found among all
    processes (stacks older than the pid file left them without one)."""
    pids: set[int] = set()
    pid_file = data_dir.with_name(data_dir.name + ".pid")
    try:
        pids.add(int(pid_file.read_text().strip()))
    except (OSError, ValueError):
        pass
    pids.update(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())
    return sorted(pid for pid in pids if pid != os.getpid() and _serves(pid, data_dir))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie holds no lock


def _guarded(pid: int) -> bool:
    return any(a.endswith("dynalite_guard.js") for a in _cmdline(pid))


def _wait_gone(pid: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    return not _alive(pid)


def stop_orphans(data_dir: Path, grace: float = 5.0) -> list[int]:
    """Stop table servers left on ``data_dir`` by a stack that is gone; refuse, naming the pid,
    when one still belongs to a live stack. Returns the pids stopped.

    A guarded server whose stack died exits by itself within moments, so one still there after
    that belongs to a live stack. An unguarded one (started before the guard existed) is an orphan
    once its parent is init."""
    stopped = []
    for pid in holders(data_dir):
        if _guarded(pid):
            if _wait_gone(pid, 2.0):
                continue
            raise TableServerBusy(
                f"the table in {data_dir} is in use by table server pid {pid} of running process "
                f"{_parent(pid)}; stop that openmps first"
            )
        if _parent(pid) not in (0, 1):
            raise TableServerBusy(
                f"the table in {data_dir} is in use by dynalite pid {pid} (parent {_parent(pid)}); stop it first"
            )
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        if not _wait_gone(pid, grace):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 10.0)
        stopped.append(pid)
    return stopped


class Dynalite:
    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".pid")

    def start(self, timeout: float = 20.0) -> None:
        node = shutil.which("node")
        if node is None or not DYNALITE_CLI.exists():
            raise RuntimeError("dynalite is not installed: run `make install` (needs node and npm)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        stop_orphans(self.data_dir)
        self.proc = subprocess.Popen(
            [
                node,
                str(GUARD),
                str(DYNALITE_CLI),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--path",
                str(self.data_dir),
                # A new table is usable at once (dynalite's default keeps it CREATING for 500 ms,
                # which only slows a first start down).
                "--createTableMs",
                "0",
            ],
            stdin=subprocess.PIPE,  # never written: it closes when we die, and the guard exits
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C to the stack's group must not kill it before a clean stop
        )
        self.pid_file.write_text(str(self.proc.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"dynalite exited: {err.strip()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dynalite did not start on port {self.port}")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdin, proc.stderr):
            if stream:
                stream.close()
        self.pid_file.unlink(missing_ok=True)
