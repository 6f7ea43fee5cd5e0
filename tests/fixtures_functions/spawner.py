"""Starts a long `sleep` child process (as a handler starting ffmpeg would) and returns
both pids; with event["wait"], also waits for it."""

import os
import subprocess


def main_handler(event, context):
    child = subprocess.Popen(["sleep", str(event.get("seconds", 60))])
    if event.get("wait"):
        child.wait()
    return {"pid": os.getpid(), "child": child.pid}
