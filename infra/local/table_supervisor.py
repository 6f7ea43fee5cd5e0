"""Keeps the local table server up while the stack runs, and sweeps what killed runs left.

A table server that dies under a running stack is restarted on the same port (the functions
know that endpoint); a restart that fails counts as one more death; if it keeps dying, the stack
is told to stop loudly rather than carry on with every function failing.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from infra.local.dynalite import Dynalite

# The ffmpeg build unpacked once per data dir (shared/runtime/ffmpeg_provision.py): a cache, not a leftover.
KEEP_IN_WORK_DIR = frozenset({"openmps-ffmpeg"})


def sweep_work_dir(work_dir: Path) -> list[str]:
    """Remove the work folders of runs that were killed. Only call it while no worker can run on
    this data dir (at start, once the table server is ours). Returns the names removed."""
    removed = []
    for entry in sorted(work_dir.iterdir()) if work_dir.is_dir() else []:
        if entry.name in KEEP_IN_WORK_DIR:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry.name)
    return removed


class TableSupervisor:
    def __init__(
        self,
        dynalite: Dynalite,
        on_fatal: Callable[[str], None],
        *,
        after_restart: Callable[[], object] | None = None,
        max_restarts: int = 3,
        window_seconds: float = 60.0,
        every: float = 0.5,
    ) -> None:
        self.dynalite = dynalite
        self.on_fatal = on_fatal
        self.after_restart = after_restart  # e.g. repair what the killed server left half written
        self.max_restarts = max_restarts
        self.window = window_seconds
        self.every = every
        self.restarts: deque[float] = deque()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="table-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    def _watch(self) -> None:
        while not self._stopping.wait(self.every):
            if self.dynalite.running():
                continue
            now = time.monotonic()
            while self.restarts and now - self.restarts[0] > self.window:
                self.restarts.popleft()
            if len(self.restarts) >= self.max_restarts:
                self.on_fatal(
                    f"the table server died {len(self.restarts) + 1} times within {self.window:.0f} s; giving up"
                )
                return
            self.restarts.append(now)
            print(f"openmps: the table server exited (pid {self._pid()}); restarting it", flush=True)
            try:
                self.dynalite.start()
            except Exception as exc:  # noqa: BLE001 - counted as one more death: the restart budget decides
                # A start that fails (killed again before it listened, its port briefly taken) is
                # tried again, within the same budget; only one that keeps failing stops the stack.
                print(f"openmps: the table server could not be restarted: {exc}", flush=True)
                continue
            if self.after_restart is not None:
                try:
                    self.after_restart()
                except Exception as exc:  # noqa: BLE001 - the server runs; a failed repair is told, not fatal
                    print(f"openmps: after restarting the table server: {exc}", flush=True)

    def _pid(self) -> int | None:
        return self.dynalite.proc.pid if self.dynalite.proc else None
