"""`openmps notifications ...` and `openmps listen`: see and resend a task's events, try a receiver."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from infra.local.client import Client

console = Console()
STATE_STYLE = {"pending": "yellow", "delivered": "green", "failed": "red"}


def _last_try(tries: list[dict[str, Any]]) -> str:
    if not tries:
        return "-"
    last = tries[-1]
    outcome = f"HTTP {last['status']}" if last.get("status") is not None else (last.get("error") or "?")
    return f"{outcome} in {last.get('duration_ms', 0)} ms at {last['at']}"


def add_parsers(sub: Any, client: Callable[[], Client]) -> None:
    def cmd_notifications(args: argparse.Namespace) -> int:
        if args.target == "resend":
            if not args.event_id:
                raise SystemExit("openmps: notifications resend needs an EVENT_ID")
            n = client().resend_notification(args.event_id)
            console.print(f"{n['event_id']}: queued again ({n['state']}, next try {n['next_try_at']})")
            return 0
        data = client().notifications(args.target)
        notify = data.get("notify")
        console.print(f"notify: {notify['url']} ({notify['mode']})" if notify else "notify: not configured")
        table = Table("event id", "transition", "attempt", "state", "tries", "last try", "next try")
        for n in data["notifications"]:
            state = n["state"]
            table.add_row(
                n["event_id"],
                n["transition"],
                str(n["attempt"]),
                f"[{STATE_STYLE.get(state, 'white')}]{state}[/]",
                str(len(n["tries"])),
                _last_try(n["tries"]),
                n["next_try_at"] or "-",
            )
        console.print(table)
        return 0

    def cmd_listen(args: argparse.Namespace) -> int:
        from infra.local.listen import serve

        serve(args.port, args.key, Path(args.record) if args.record else None)
        return 0

    nt = sub.add_parser("notifications", help="a task's notification events (or: notifications resend EVENT_ID)")
    nt.add_argument("target", metavar="TASK_ID|resend")
    nt.add_argument("event_id", nargs="?", metavar="EVENT_ID")
    nt.set_defaults(func=cmd_notifications)
    ls = sub.add_parser("listen", help="run a small receiver that prints events and checks their signatures")
    ls.add_argument("--port", type=int, default=8099)
    ls.add_argument("--key", help="the notify key: check X-Openmps-Signature and Sign")
    ls.add_argument("--record", help="append each event as a JSON line to this file")
    ls.set_defaults(func=cmd_listen)
