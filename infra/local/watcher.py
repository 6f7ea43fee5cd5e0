"""Files copied straight into the input bucket's folder trigger like uploads.

Polls the folder (no inotify dependency; works on any filesystem). A file is announced once its
size and mtime held still for one poll (a copy in progress is not announced half-written), and
at most once per version: what was announced is kept in a state file, so a restart of the
stack does not announce old files again, and a file dropped while the stack was down is
announced when it comes back up. An announcement counts only once the stack confirms that its
trigger ran: until then the key is kept as unconfirmed, and a stack killed in between announces
it again at the next start (the trigger is idempotent, so a repeat creates nothing new).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from shared.runtime.observability import logger

Version = tuple[int, int]  # (size, mtime_ns)


class FolderWatcher:
    def __init__(self, folder: Path, state_file: Path, announce: Callable[[str], None], interval: float = 1.0) -> None:
        self.folder, self.state_file, self.announce, self.interval = folder, state_file, announce, interval
        self._unconfirmed: set[str] = set()
        self._seen: dict[str, Version] = self._load()
        self._pending: dict[str, Version] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="folder-watcher", daemon=True)

    def _load(self) -> dict[str, Version]:
        """The announced versions, less those never confirmed (announced again after start)."""
        try:
            state = json.loads(self.state_file.read_text())
            if "seen" not in state:  # the older format: the seen map alone
                state = {"seen": state, "unconfirmed": []}
            seen = {k: (int(v[0]), int(v[1])) for k, v in state["seen"].items()}
            self._unconfirmed = set(state.get("unconfirmed", []))
        except (FileNotFoundError, ValueError, TypeError, IndexError, KeyError, AttributeError):
            return {}
        return {k: v for k, v in seen.items() if k not in self._unconfirmed}

    def _save(self) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seen": self._seen, "unconfirmed": sorted(self._unconfirmed)}))
        os.replace(tmp, self.state_file)

    def confirm(self, key: str) -> None:
        """The trigger for ``key`` ran: a restart need not announce it again."""
        with self._lock:
            if key in self._unconfirmed:
                self._unconfirmed.discard(key)
                self._save()

    def mark_seen(self, key: str) -> None:
        """An upload through a signed URL already emitted its event: do not announce it again."""
        try:
            stat = (self.folder / key).stat()
        except FileNotFoundError:
            return
        with self._lock:
            self._seen[key] = (stat.st_size, stat.st_mtime_ns)
            self._unconfirmed.add(key)
            self._pending.pop(key, None)
            self._save()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def poll_once(self) -> list[str]:
        current: dict[str, Version] = {}
        for dirpath, _dirs, files in os.walk(self.folder):
            for name in files:
                path = Path(dirpath) / name
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                key = path.relative_to(self.folder).as_posix()
                current[key] = (stat.st_size, stat.st_mtime_ns)
        ready = []
        with self._lock:
            for key, version in current.items():
                if self._seen.get(key) == version:
                    continue
                if self._pending.get(key) == version:
                    ready.append(key)
                    self._seen[key] = version
                    self._unconfirmed.add(key)
                    self._pending.pop(key)
                else:
                    self._pending[key] = version
            for key in [k for k in self._seen if k not in current]:
                del self._seen[key]
                self._unconfirmed.discard(key)
            if ready:
                self._save()
        return ready

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                for key in self.poll_once():
                    self.announce(key)
            except Exception:
                logger.exception("folder watcher poll failed")
