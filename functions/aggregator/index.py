"""Aggregator: re-derives a task's state from its subtasks (idempotent), recording the
notification events the new state calls for."""

from shared.composition import default_deps
from shared.functions_support import function_handler
from shared.services.aggregate import parse_aggregator_event
from shared.services.notify_outbox import aggregate_and_notify


@function_handler
def main_handler(event, context):
    task_id = parse_aggregator_event(event).task_id
    task = aggregate_and_notify(default_deps(), task_id)
    return {"task_id": task_id, "status": task.status.value if task else None}
