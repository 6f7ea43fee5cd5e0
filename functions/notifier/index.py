"""Notifier: delivers a task's recorded notification events, in order, with retries."""

from shared.composition import default_deps
from shared.functions_support import function_handler
from shared.services.notifier import deliver_task_events, parse_notifier_event


@function_handler
def main_handler(event, context):
    task_id = parse_notifier_event(event).task_id
    return vars(deliver_task_events(default_deps(), task_id))
