"""Aggregator: re-derives a task's state from its subtasks (idempotent)."""

from shared.composition import default_deps
from shared.functions_support import function_handler
from shared.services.aggregate import aggregate_task, parse_aggregator_event


@function_handler
def main_handler(event, context):
    task_id = parse_aggregator_event(event).task_id
    task = aggregate_task(default_deps().tasks, task_id)
    return {"task_id": task_id, "status": task.status.value if task else None}
