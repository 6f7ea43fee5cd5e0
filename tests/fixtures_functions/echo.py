"""Returns the event and what it sees of its context and environment."""

import os

INVOCATIONS = 0  # module state: survives between invocations of a warm instance


def main_handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    if event.get("say"):
        print(event["say"])
    return {
        "event": event,
        "pid": os.getpid(),
        "invocations": INVOCATIONS,
        "request_id": context.request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "namespace": context.namespace,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "time_limit_in_ms": context.time_limit_in_ms,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {name: os.environ.get(name) for name in event.get("env", [])},
    }
