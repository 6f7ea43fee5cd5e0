"""Returns its pid (and its parent's)."""

import os


def main_handler(event, context):
    return {"pid": os.getpid(), "ppid": os.getppid()}
