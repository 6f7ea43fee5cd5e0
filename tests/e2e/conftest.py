"""The local stack as a user runs it: `openmps up` in a subprocess, driven over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from infra.local.harness import RunningStack, start_stack, stop_stack, wait_for  # noqa: F401 - tests import it here

FAST_RECOVERY = {
    "OPENMPS_HEARTBEAT_SECONDS": "0.5",
    "OPENMPS_STALE_AFTER_SECONDS": "6",
    "OPENMPS_REINVOKE_WAITING_AFTER_SECONDS": "20",
    "OPENMPS_RECONCILE_EVERY": "1",
}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack") / "data", "e2e-token-" + os.urandom(4).hex(), FAST_RECOVERY)
    yield running
    stop_stack(running)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The crash matrix's table (tests/e2e/test_crash_*.py), when those tests ran."""
    from infra.local.crash_audit import MATRIX_ROWS, matrix_table

    if MATRIX_ROWS:
        terminalreporter.write_line("\ncrash matrix\n" + matrix_table())
