"""The local stack as a user runs it: `openmps up` in a subprocess, driven over HTTP."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from infra.local.harness import RunningStack, start_stack, stop_stack

FAST_RECOVERY = {"OPENMPS_HEARTBEAT_SECONDS": "0.5", "OPENMPS_STALE_AFTER_SECONDS": "6",
                 "OPENMPS_REINVOKE_WAITING_AFTER_SECONDS": "20", "OPENMPS_RECONCILE_EVERY": "1"}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack") / "data", "e2e-token-" + os.urandom(4).hex(),
                          FAST_RECOVERY)
    yield running
    stop_stack(running)


def wait_for(predicate, timeout: float = 90, every: float = 0.3):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(every)
