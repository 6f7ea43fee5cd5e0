"""Where a worker run's time goes: seconds per phase (claim, fetch, probe, engine, publish,
record), logged with the run's outcome so that a slow pipeline can be taken apart from the log
alone (bench/pipeline_bench.py reads them back)."""

from __future__ import annotations

import time


class RunPhases:
    """``mark(name)`` closes the phase that ran since the previous mark (or since creation)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def mark(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._last, 4)
        self._last = now
