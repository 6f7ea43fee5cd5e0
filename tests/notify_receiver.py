"""A real HTTP receiver process for the notification tests: `python -m infra.local.listen`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from infra.local.dynalite import free_port

REPO = Path(__file__).resolve().parents[1]


class ReceiverProcess:
    def __init__(self, tmp: Path, key: str | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.key = key
        self.record = tmp / f"received-{self.port}.jsonl"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> ReceiverProcess:
        argv = [sys.executable, "-m", "infra.local.listen", "--port", str(self.port), "--record", str(self.record)]
        if self.key:
            argv += ["--key", self.key]
        self.proc = subprocess.Popen([*argv, "--quiet"], cwd=REPO, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.post(f"http://127.0.0.1:{self.port}/__control", data="{}", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("receiver did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def control(self, **values: Any) -> None:
        requests.post(f"http://127.0.0.1:{self.port}/__control", data=json.dumps(values), timeout=5).raise_for_status()

    def received(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        lines = [json.loads(line) for line in self.record.read_text().splitlines() if line.strip()]
        return [r for r in lines if "arrived" not in r]

    def arrived(self) -> list[str]:
        """Event ids of requests the receiver holds open (hang_seconds), received or not."""
        if not self.record.exists():
            return []
        lines = [json.loads(line) for line in self.record.read_text().splitlines() if line.strip()]
        return [r["arrived"] for r in lines if "arrived" in r]
