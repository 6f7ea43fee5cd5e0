"""The stack's logs: every line, as it came (JSON from the functions), goes to a file in the data
dir; the terminal gets one readable line per event a person cares about (task created, subtask
done or failed, task finished, warnings and errors), not the JSON stream.

    23:41:07  task created    1250000000-WorkflowTask-…3f2at0  input/clip.mp4
    23:41:12  subtask failed  1250000000-WorkflowTask-…3f2at0 #2  InvalidMedia.Unreadable: …
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import IO, Any

EVENTS = {"task created", "task finished", "subtask done", "subtask failed", "no workflow matches"}
LOUD = {"WARNING", "ERROR", "CRITICAL"}


def readable(record: dict[str, Any]) -> str | None:
    """One terminal line for a JSON log record, or None when it is not worth a line."""
    message = str(record.get("message", ""))
    level = str(record.get("level", "INFO")).upper()
    if message not in EVENTS and level not in LOUD:
        return None
    when = str(record.get("timestamp", ""))[11:19]
    parts = [when, f"{message:<15}"]
    if record.get("task_id"):
        parts.append(str(record["task_id"]) + (f" #{record['index']}" if record.get("index") else ""))
    for key in ("type", "key", "err_code", "reason", "counts", "error"):
        if record.get(key) not in (None, ""):
            parts.append(f"{record[key]}" if key in ("type", "key") else f"{key}={record[key]}")
    if level in LOUD and message not in EVENTS:
        parts.insert(1, level)
        if record.get("exception"):
            parts.append(str(record["exception"]).strip().splitlines()[-1])  # the last line, not the traceback
    return "  ".join(p for p in parts if p)


class LogView:
    """The runtime's ``log`` callable: file first (nothing is lost), then the terminal line."""

    def __init__(self, data_dir: Path, terminal: IO[str] | None = None) -> None:
        (data_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "logs" / "openmps.jsonl"
        self._file = self.path.open("a", encoding="utf-8", buffering=1)
        self._terminal = terminal or sys.stderr
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self._file.write(line + "\n")
            shown = self._line_for(line)
            if shown:
                print(shown, file=self._terminal, flush=True)

    @staticmethod
    def _line_for(line: str) -> str | None:
        text = line.strip()
        if not text:
            return None
        if text.startswith("{"):
            try:
                record = json.loads(text)
            except ValueError:
                return text
            return readable(record) if isinstance(record, dict) else text
        # Not JSON: a traceback or a library's print. Tracebacks stay in the file; say where.
        if text.startswith(("Traceback", "File ", "During handling")) or line.startswith((" ", "\t")):
            return None
        return text

    def close(self) -> None:
        self._file.close()
