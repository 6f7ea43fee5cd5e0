"""Readiness: does the table answer, do the buckets answer? (What `/healthz` reports.)"""

from __future__ import annotations

from dataclasses import dataclass

from shared.runtime.observability import logger
from shared.services.deps import Deps

PROBE_TASK_ID = "healthz-probe"  # never a real task id: the read finds nothing, cheaply


@dataclass(frozen=True)
class Health:
    table: str
    storage: str

    @property
    def ok(self) -> bool:
        return self.table == "ok" and self.storage == "ok"


def check_health(deps: Deps) -> Health:
    """Any failure of a probe means that part is down; the reason goes to the log, not to the
    unauthenticated caller."""
    try:
        deps.tasks.get_task(PROBE_TASK_ID)
        table = "ok"
    except Exception:  # noqa: BLE001 - whatever the table client raises, the table does not answer
        logger.exception("health: the table does not answer")
        table = "unavailable"
    try:
        deps.storage.list(deps.settings.input_bucket, limit=1)
        storage = "ok"
    except Exception:  # noqa: BLE001 - same for the object storage
        logger.exception("health: the buckets do not answer")
        storage = "unavailable"
    return Health(table=table, storage=storage)
