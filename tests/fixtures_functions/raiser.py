"""Raises ValueError when event["raise"], else returns its pid."""

import os


def main_handler(event, context):
    if event.get("raise"):
        raise ValueError(event.get("message", "boom"))
    return {"pid": os.getpid()}
