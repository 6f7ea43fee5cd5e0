"""Sleeps event["seconds"]; appends "pid start end" to event["record"] if given."""

import os
import time


def main_handler(event, context):
    start = time.time()
    if event.get("record"):
        with open(event["record"], "a") as fh:
            fh.write(f"start {os.getpid()} {start}\n")
    time.sleep(event.get("seconds", 0))
    end = time.time()
    if event.get("record"):
        with open(event["record"], "a") as fh:
            fh.write(f"end {os.getpid()} {end}\n")
    return {"pid": os.getpid(), "start": start, "end": end}
