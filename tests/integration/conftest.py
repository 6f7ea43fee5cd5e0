"""Fixtures for the integration tests that need a COS endpoint: the COS emulator as a process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SECRET_ID, SECRET_KEY, TOKEN = "AKIDopenmpsTEST", "test-secret-key", "test-session-token"


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, int]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.cloud.cos_emulator",
            "--port",
            "0",
            "--credential",
            f"{SECRET_ID}:{SECRET_KEY}:{TOKEN}",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "listening on http://127.0.0.1:PORT"
        assert line.startswith("listening on http://"), f"emulator did not start: {line!r}"
        host, port = line.strip().rsplit("/", 1)[1].split(":")
        yield host, int(port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
