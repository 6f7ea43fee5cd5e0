"""Aggregator: re-derives a task's state from its subtasks (idempotent)."""

from shared.composition import default_deps
from shared.domain.errors import BadInputError
from shared.runtime.observability import logger
from shared.runtime.scf import ScfContext
from shared.services.aggregate import aggregate_task


@logger.inject_lambda_context(clear_state=True)
def _handle(event, context):
    task_id = event.get("task_id") if isinstance(event, dict) else None
    if not isinstance(task_id, str) or not task_id:
        exc = BadInputError("aggregator events carry a task_id", code="InvalidParameter.AggregatorEvent")
        logger.error("rejected event", extra={"code": exc.code})
        return {"error": {"code": exc.code, "message": exc.message}}
    task = aggregate_task(default_deps().tasks, task_id)
    return {"task_id": task_id, "status": task.status.value if task else None}


def main_handler(event, context):
    return _handle(event, ScfContext(context))
