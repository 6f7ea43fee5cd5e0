"""The SCF retry contract in numbers: the worker's runs of a subtask, SCF's async retries and the
local runtime's retry delays are one number, so retries never multiply (issue 14, the battery)."""

from __future__ import annotations

import pytest

from infra.local.runtime import ASYNC_RETRY_DELAYS
from shared.runtime.scf import ASYNC_RETRIES
from shared.services.worker import MAX_TRIES

pytestmark = pytest.mark.unit


def test_the_worker_gives_up_when_the_platform_does():
    assert ASYNC_RETRIES == 2  # SCF: a failed async invocation is retried twice
    assert MAX_TRIES == 1 + ASYNC_RETRIES == 1 + len(ASYNC_RETRY_DELAYS)
