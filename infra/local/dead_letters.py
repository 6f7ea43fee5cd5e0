"""The local dead-letter queue: where an async invocation goes that failed its run and every retry.

On SCF, a function with a dead letter queue (a CMQ queue or topic, the function's DeadLetterConfig)
receives such an event as one JSON message: RequestId, ErrorCode, ErrorMessage and a Body with the
function, the invocation and the event (ClientContext). The local runtime writes the same message,
one JSON line per event, to ``<data dir>/dead-letter/<function>.jsonl``, adding what the local
runtime knows about the runs (their times and how each ended); ``openmps dead-letters`` lists them.
Nothing reads them back automatically: a dead letter is for a person to look at (and to replay
by hand if the cause is gone).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from shared.domain import clock

SCF_ERROR_CODE = -1  # what SCF puts in ErrorCode for an error raised by the function's code


def dead_letter_dir(data_dir: Path) -> Path:
    return data_dir / "dead-letter"


class DeadLetterStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()

    def add(
        self,
        *,
        function: str,
        function_name: str,
        request_id: str,
        event: Any,
        retries: int,
        runs: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """Record an event that failed every run; ``runs`` (oldest first) say when and how each ended."""
        last = runs[-1] if runs else {}
        message = {
            "RequestId": request_id,
            "ErrorCode": SCF_ERROR_CODE,
            "ErrorMessage": last.get("error", ""),
            "Body": {
                "FunctionName": function_name,
                "Namespace": "default",
                "Qualifier": "$LATEST",
                "InvocationType": "Event",
                "ClientContext": json.dumps(event, separators=(",", ":")),
                "RequestId": request_id,
                "TimeStampForInvoker": str(int(runs[0]["started"] * 1000)) if runs else "",
                "PushTime": clock.now_iso(),
                "RetryNum": retries,
            },
            "Function": function,
            "Runs": [
                {
                    "at": clock.from_epoch(r["started"]),
                    "ms": r["ms"],
                    "kind": r["kind"],
                    "error": r["error"],
                }
                for r in runs
            ],
        }
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self.root.mkdir(parents=True, exist_ok=True)
            # One write with O_APPEND: a line is whole even if the runtime is killed right after.
            fd = os.open(self.root / f"{function}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        return message

    def list(self, function: str | None = None) -> list[dict[str, Any]]:
        """Every dead letter (of one function, if given), oldest first; a torn last line is skipped."""
        if not self.root.is_dir():
            return []
        files = [self.root / f"{function}.jsonl"] if function else sorted(self.root.glob("*.jsonl"))
        letters = []
        for path in files:
            if not path.is_file():
                continue
            for line in path.read_text(errors="replace").splitlines():
                try:
                    letters.append(json.loads(line))
                except ValueError:
                    continue
        return sorted(letters, key=lambda m: m["Body"].get("PushTime", ""))
