"""The `openmps` command: run the local stack and use the API from a terminal."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.live import Live
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from infra.local.admin import add_parsers as add_admin_parsers
from infra.local.client import ApiError, Client
from infra.local.dead_letters_cli import add_parser as add_dead_letters_parser
from infra.local.discovery import find_stack
from infra.local.notify_cli import add_parsers as add_notify_parsers
from infra.local.task_lines import task_lines, task_table

console = Console()
WIDE = 140  # columns from which the task list is a table; narrower, a block per task


def _data_dir() -> Path:
    return Path(os.environ.get("OPENMPS_DATA_DIR", ".openmps"))


def _client() -> Client:
    found = find_stack()
    return Client(found.url, found.token)


def cmd_up(args: argparse.Namespace) -> int:
    from infra.local.stack import StackConfig, run_forever

    every = os.environ.get("OPENMPS_RECONCILE_EVERY")
    return run_forever(
        StackConfig(
            data_dir=_data_dir(),
            port=int(os.environ.get("OPENMPS_PORT", "8080")),
            api_token=os.environ.get("OPENMPS_API_TOKEN") or None,
            reconcile_every=float(every) if every else None,
            concurrency=parse_concurrency(os.environ.get("OPENMPS_CONCURRENCY", "")),
            table_restarts_per_minute=int(os.environ.get("OPENMPS_TABLE_RESTARTS_PER_MINUTE", "3")),
        )
    )


def parse_concurrency(text: str) -> dict[str, int]:
    """`transcode=1,snapshot=2` -> overrides of serverless.yml's reservedConcurrency."""
    overrides: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if not value.isdigit() or int(value) < 1:
            raise SystemExit(f"openmps: OPENMPS_CONCURRENCY: expected function=N, got {part!r}")
        overrides[name.strip()] = int(value)
    return overrides


def _transfer_bar() -> Progress:
    """One progress bar for uploads and downloads: bytes, speed, gone when done."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
    )


def cmd_upload(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise SystemExit(f"openmps: no such file: {path}")
    client = _client()
    with _transfer_bar() as bar:
        job = bar.add_task(f"uploading {path.name}", total=path.stat().st_size)
        ticket = client.upload(path, args.key, lambda sent, total: bar.update(job, completed=sent))
    deadline = time.monotonic() + args.wait
    while True:  # the trigger runs asynchronously after the upload, as with COS
        task = client.find_task_for_key(ticket["key"])
        if task:
            print(task["task_id"])
            return 0
        if time.monotonic() > deadline:
            console.print(
                f"uploaded to {ticket['bucket']}/{ticket['key']}, but no task appeared within "
                f"{args.wait:.0f} s (does a workflow match this key?)",
                style="red",
            )
            return 1
        time.sleep(0.3)


def cmd_tasks(args: argparse.Namespace) -> int:
    client = _client()
    finished: dict[tuple[str, int], dict[str, Any]] = {}  # a finished task's subtasks no longer change

    def detail(task: dict[str, Any]) -> dict[str, Any]:
        key = (task["task_id"], task["attempt"])
        if task["status"] == "FINISH" and key in finished:
            return finished[key]
        found = client.task(task["task_id"])
        if found["status"] == "FINISH":
            finished[key] = found
        return found

    def render() -> RenderableType:
        tasks = client.tasks(status=args.status, limit=args.limit)["tasks"]
        details = {t["task_id"]: detail(t) for t in tasks}
        return task_table(tasks, details) if console.width >= WIDE else task_lines(tasks, details)

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
    _print_json(_client().task(args.task_id))
    return 0


def _subtask_arg(text: str) -> dict[str, Any]:
    """`Transcode:100030`, `Snapshot:10:sampled`."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[1].isdigit():
        raise argparse.ArgumentTypeError("expected TYPE:DEFINITION[:KIND], e.g. Transcode:100030")
    spec: dict[str, Any] = {"type": parts[0], "definition": int(parts[1])}
    if len(parts) == 3:
        spec["kind"] = parts[2]
    return spec


def cmd_create(args: argparse.Namespace) -> int:
    client = _client()
    cfg = client.config()
    body = {
        "input": {"bucket": args.bucket or cfg["input_bucket"], "key": args.key},
        "output": {"bucket": args.output_bucket or cfg["output_bucket"], "dir": args.output_dir},
        "subtasks": args.subtask
        or [{"type": "Transcode", "definition": 100030}, {"type": "Snapshot", "definition": 10, "kind": "sampled"}],
    }
    if args.session_id:
        body["session_id"] = args.session_id
    print(client.create_task(body)["task_id"])
    return 0


def cmd_operation(args: argparse.Namespace) -> int:
    task = _client().operate(args.task_id, args.command)
    console.print(f"{task['task_id']}: {task['status']} (attempt {task['attempt']})")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    client = _client()
    link = client.download_link(args.task_id, args.index)
    dest = _download_target(args.output, link["filename"])
    with _transfer_bar() as bar:
        job = bar.add_task(f"downloading {dest.name}", total=None)
        size = client.fetch(link["url"], dest, lambda done, total: bar.update(job, completed=done, total=total))
    console.print(f"{dest} ({size} bytes, {link['files']} file{'s' if link['files'] != 1 else ''})")
    return 0


def _download_target(output: str | None, filename: str) -> Path:
    """``-o newdir/`` (a trailing slash) or an existing folder means "into that folder", created if
    needed; anything else is the file name to write."""
    if not output:
        return Path(filename)
    dest = Path(output)
    if output.endswith(("/", os.sep)) or dest.is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        return dest / filename
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest


def _json_body(args: argparse.Namespace) -> Any:
    """The JSON object of a create command, from --file or stdin, or a plain error."""
    source = args.file or "standard input"
    try:
        return json.loads(Path(args.file).read_text() if args.file else sys.stdin.read())
    except OSError as exc:
        raise SystemExit(f"openmps: cannot read {source}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise SystemExit(f"openmps: {source} is not JSON: {exc}") from None


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def cmd_templates(args: argparse.Namespace) -> int:
    client = _client()
    if args.action == "create":
        _print_json(client.create_template(_json_body(args)))
        return 0
    if args.action == "delete":
        client.delete_template(args.definition)
        return 0
    table = Table(title="templates")
    for col in ("Definition", "Type", "Name", "Preset", "Key parameters"):
        table.add_column(col)
    for t in client.templates(args.type):
        keys = ("container", "height", "video_bitrate_kbps", "kind", "interval", "sample_type")
        table.add_row(
            str(t["definition"]),
            t["type"],
            t["name"],
            "yes" if t["preset"] else "",
            ", ".join(f"{k}={t[k]}" for k in keys if t.get(k) not in (None, "", 0)),
        )
    console.print(table)
    return 0


def cmd_workflows(args: argparse.Namespace) -> int:
    client = _client()
    if args.action == "create":
        _print_json(client.create_workflow(_json_body(args)))
    elif args.action in ("enable", "disable", "delete"):
        client.workflow_action(args.workflow_id, args.action)
    elif args.action == "match":
        _print_json(client.match(args.bucket or client.config()["input_bucket"], args.key))
    else:
        table = Table(title="workflows")
        for col in ("ID", "Name", "Enabled", "Bucket / prefix", "Suffixes", "Subtasks", "Output"):
            table.add_column(col)
        for w in client.workflows():
            table.add_row(
                w["workflow_id"],
                w["name"],
                "yes" if w["enabled"] else "no",
                f"{w['bucket']}/{w['prefix']}",
                " ".join(w["suffixes"]),
                ", ".join(f"{s['type']}:{s['definition']}" for s in w["subtasks"]),
                f"{w['output']['bucket']}/{w['output']['dir']}",
            )
        console.print(table)
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
    new = sub.add_parser("create", help="create a task for an object already in a bucket; prints the task id")
    new.add_argument("key", help="object key, e.g. input/ab12cd34/clip.mp4")
    new.add_argument("--bucket", help="input bucket (default: the input bucket)")
    new.add_argument(
        "--subtask",
        action="append",
        type=_subtask_arg,
        help="TYPE:DEFINITION[:KIND], repeatable (default: Transcode:100030 and Snapshot:10:sampled)",
    )
    new.add_argument("--output-bucket")
    new.add_argument("--output-dir", default="output/{task_id}/")
    new.add_argument("--session-id", help="the same id within 3 days returns the first task")
    new.set_defaults(func=cmd_create)
    for name, text in (
        ("restart", "re-run every subtask of a finished task"),
        ("retry-failed", "re-run only the failed subtasks of a finished task"),
        ("terminate", "stop a queued task"),
    ):
        op = sub.add_parser(name, help=text)
        op.add_argument("task_id")
        op.set_defaults(func=cmd_operation)
    dl = sub.add_parser("download", help="download a subtask's outputs (several files arrive as one zip)")
    dl.add_argument("task_id")
    dl.add_argument("index", type=int)
    dl.add_argument("-o", "--output", help="file to write, or folder (ends with /, created if missing)")
    dl.set_defaults(func=cmd_download)
    tp = sub.add_parser("templates", help="list, create (JSON from --file or stdin) or delete templates")
    tp.add_argument("action", nargs="?", choices=["list", "create", "delete"], default="list")
    tp.add_argument("definition", nargs="?", type=int)
    tp.add_argument("--type", choices=["Transcode", "Snapshot", "ContentReview", "ContentAnalysis", "Enhancement"])
    tp.add_argument("--file")
    tp.set_defaults(func=cmd_templates)
    wf = sub.add_parser("workflows", help="list, create, enable, disable, delete or dry-run (match) workflows")
    wf.add_argument(
        "action", nargs="?", choices=["list", "create", "enable", "disable", "delete", "match"], default="list"
    )
    wf.add_argument("workflow_id", nargs="?", help="the workflow (enable/disable/delete) or the key (match)")
    wf.add_argument("--file")
    wf.add_argument("--bucket")
    wf.set_defaults(func=cmd_workflows)
    add_admin_parsers(sub, _data_dir())
    add_dead_letters_parser(sub, _data_dir())
    add_notify_parsers(sub, _client)
    args = parser.parse_args(argv)
    if getattr(args, "action", None) == "match":
        args.key = args.workflow_id
    if getattr(args, "action", None) == "delete" and args.func is cmd_templates and args.definition is None:
        parser.error("templates delete needs a DEFINITION")
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
