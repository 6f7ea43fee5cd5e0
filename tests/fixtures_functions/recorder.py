"""Appends a line to the file event["path"], then fails (ValueError) while the file has
at most event["fail_times"] lines: fails that many times, then succeeds."""

import os


def main_handler(event, context):
    with open(event["path"], "a") as fh:
        fh.write(f"{os.getpid()} {context.request_id}\n")
    with open(event["path"]) as fh:
        attempts = len(fh.readlines())
    if attempts <= event.get("fail_times", 0):
        raise ValueError(f"failing on purpose, attempt {attempts}")
    return {"attempts": attempts}
