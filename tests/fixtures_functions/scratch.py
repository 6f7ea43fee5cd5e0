"""Writes a file into its instance's work folder (OPENMPS_WORK_DIR), as a worker's run does, and
returns the folder and its pid; with event["seconds"], then sleeps that long (to be killed)."""

import os
import time


def main_handler(event, context):
    folder = os.environ["OPENMPS_WORK_DIR"]
    os.makedirs(os.path.join(folder, "openmps-run"), exist_ok=True)
    with open(os.path.join(folder, "openmps-run", "part"), "w") as fh:
        fh.write("half an output")
    if event.get("record"):
        with open(event["record"], "w") as fh:
            fh.write(f"{os.getpid()} {folder}")
    time.sleep(event.get("seconds", 0))
    return {"pid": os.getpid(), "folder": folder}
