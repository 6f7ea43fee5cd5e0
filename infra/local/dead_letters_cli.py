"""`openmps dead-letters`: the async invocations the local runtime gave up on (see dead_letters.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from infra.local.dead_letters import DeadLetterStore, dead_letter_dir

console = Console()


def add_parser(sub: Any, data_dir: Path) -> None:
    dl = sub.add_parser(
        "dead-letters", help="list async invocations that failed every run (the local dead letter queue)"
    )
    dl.add_argument("--function", help="only this function's (e.g. transcode)")
    dl.add_argument("--json", action="store_true", help="the SCF-shaped DLQ messages, as JSON")
    dl.set_defaults(func=lambda args: cmd_dead_letters(args, data_dir))


def cmd_dead_letters(args: argparse.Namespace, data_dir: Path) -> int:
    letters = DeadLetterStore(dead_letter_dir(data_dir)).list(args.function)
    if args.json:
        print(json.dumps(letters, ensure_ascii=False, indent=2))
        return 0
    if not letters:
        console.print(f"no dead letters in {dead_letter_dir(data_dir)}")
        return 0
    table = Table("failed at", "function", "request id", "runs", "event", "last error")
    for letter in letters:
        body = letter.get("Body", {})
        table.add_row(
            body.get("PushTime", ""),
            letter.get("Function", body.get("FunctionName", "")),
            letter.get("RequestId", ""),
            str(len(letter.get("Runs", []))),
            body.get("ClientContext", ""),
            " ".join(str(letter.get("ErrorMessage", "")).split())[:160],
        )
    console.print(table)
    return 0
