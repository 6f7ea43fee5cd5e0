"""The `openmps` command: run the local stack and use the API from a terminal."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from infra.local.client import ApiError, Client

console = Console()
STATUS_STYLE = {"WAITING": "yellow", "PROCESSING": "cyan", "FINISH": "green", "SUCCESS": "green",
                "FAIL": "red"}


def _data_dir() -> Path:
    return Path(os.environ.get("OPENMPS_DATA_DIR", ".openmps"))


def _client() -> Client:
    url = os.environ.get("OPENMPS_URL") or f"http://127.0.0.1:{os.environ.get('OPENMPS_PORT', '8080')}"
    token = os.environ.get("OPENMPS_API_TOKEN")
    if not token:
        token_file = _data_dir() / "api-token"
        if not token_file.exists():
            raise SystemExit("openmps: no API token: set OPENMPS_API_TOKEN, or run `openmps up` first "
                             f"(it keeps the token in {token_file})")
        token = token_file.read_text().strip()
    return Client(url, token)


def cmd_up(args: argparse.Namespace) -> int:
    from infra.local.stack import StackConfig, run_forever
    every = os.environ.get("OPENMPS_RECONCILE_EVERY")
    return run_forever(StackConfig(data_dir=_data_dir(), port=int(os.environ.get("OPENMPS_PORT", "8080")),
                                   api_token=os.environ.get("OPENMPS_API_TOKEN") or None,
                                   reconcile_every=float(every) if every else None))


def cmd_upload(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise SystemExit(f"openmps: no such file: {path}")
    client = _client()
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=console, transient=True) as bar:
        job = bar.add_task(f"uploading {path.name}", total=path.stat().st_size)
        ticket = client.upload(path, args.key, lambda sent, total: bar.update(job, completed=sent))
    deadline = time.monotonic() + args.wait
    while True:  # the trigger runs asynchronously after the upload, as with COS
        task = client.find_task_for_key(ticket["key"])
        if task:
            print(task["task_id"])
            return 0
        if time.monotonic() > deadline:
            console.print(f"uploaded to {ticket['bucket']}/{ticket['key']}, but no task appeared within "
                          f"{args.wait:.0f} s (does a workflow match this key?)", style="red")
            return 1
        time.sleep(0.3)


def _task_table(tasks: list[dict[str, Any]], details: dict[str, dict[str, Any]]) -> Table:
    table = Table(title="openmps tasks")
    for col in ("Task ID", "Status", "Input", "Created", "Finished", "Subtasks"):
        table.add_column(col)
    for task in tasks:
        subs = details.get(task["task_id"], {}).get("subtasks") or []
        parts = [f"{s['type']} [{STATUS_STYLE.get(s['status'], '')}]{s['status']}[/] {s['progress']}%"
                 for s in subs]
        status = task["status"] + (" (failures)" if task["has_failed"] else "")
        table.add_row(task["task_id"], f"[{STATUS_STYLE.get(task['status'], '')}]{status}[/]",
                      task["input"]["key"], task["create_time"][:19].replace("T", " "),
                      (task["finish_time"] or "")[:19].replace("T", " "), "\n".join(parts))
    return table


def cmd_tasks(args: argparse.Namespace) -> int:
    client = _client()

    def render() -> Table:
        page = client.tasks(status=args.status, limit=args.limit)
        details = {t["task_id"]: client.task(t["task_id"]) for t in page["tasks"]
                   if args.watch and t["status"] != "FINISH"}
        return _task_table(page["tasks"], details)

    if not args.watch:
        console.print(render())
        return 0
    with Live(render(), console=console, refresh_per_second=2) as live:
        try:
            while True:
                time.sleep(1)
                live.update(render())
        except KeyboardInterrupt:
            return 0


def cmd_task(args: argparse.Namespace) -> int:
    print(json.dumps(_client().task(args.task_id), indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="openmps", description="Self-hosted media processing tasks")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="run the local stack (table, buckets, functions, gateway)").set_defaults(func=cmd_up)
    up = sub.add_parser("upload", help="upload a file into the input bucket; prints the task id")
    up.add_argument("file")
    up.add_argument("--key", help="object key (default input/<random>/<file name>)")
    up.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the task to appear")
    up.set_defaults(func=cmd_upload)
    ls = sub.add_parser("tasks", help="list tasks, newest first")
    ls.add_argument("--status", choices=["WAITING", "PROCESSING", "FINISH"])
    ls.add_argument("--limit", type=int, default=20)
    ls.add_argument("--watch", action="store_true", help="refresh live, with subtask progress")
    ls.set_defaults(func=cmd_tasks)
    one = sub.add_parser("task", help="show one task with its subtasks (JSON)")
    one.add_argument("task_id")
    one.set_defaults(func=cmd_task)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ApiError as exc:
        console.print(f"openmps: {exc}", style="red")
        return 2
    except OSError as exc:
        console.print(f"openmps: cannot reach the API: {exc}", style="red")
        return 2


if __name__ == "__main__":
    sys.exit(main())
