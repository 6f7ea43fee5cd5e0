"""How `openmps tasks` prints tasks: a table on a wide terminal, a block per task on a narrow one.
Either way a task id is printed whole on one line, so it can be copied."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

STATUS_STYLE = {"WAITING": "yellow", "PROCESSING": "cyan", "FINISH": "green", "SUCCESS": "green", "FAIL": "red"}


def _subtask_parts(subs: list[dict[str, Any]]) -> list[str]:
    return [f"{s['type']} [{STATUS_STYLE.get(s['status'], '')}]{s['status']}[/] {s['progress']}%" for s in subs]


def _when(iso: str | None) -> str:
    return (iso or "")[:19].replace("T", " ")


def task_table(tasks: list[dict[str, Any]], details: dict[str, dict[str, Any]]) -> Table:
    """A wide terminal: one row per task; the id never wraps or shortens, so it stays copyable."""
    table = Table(title="openmps tasks")
    table.add_column("Task ID", no_wrap=True, min_width=len(tasks[0]["task_id"]) if tasks else 10)
    for col in ("Status", "Input", "Created", "Finished", "Subtasks"):
        table.add_column(col)
    for task in tasks:
        subs = details.get(task["task_id"], {}).get("subtasks") or []
        status = task["status"] + (" (failures)" if task["has_failed"] else "")
        table.add_row(
            task["task_id"],
            f"[{STATUS_STYLE.get(task['status'], '')}]{status}[/]",
            task["input"]["key"],
            _when(task["create_time"]),
            _when(task["finish_time"]),
            "\n".join(_subtask_parts(subs)),
        )
    return table


def task_lines(tasks: list[dict[str, Any]], details: dict[str, dict[str, Any]]) -> Group:
    """A narrow terminal (80 columns): the whole id on its own line, then the facts beneath it."""
    lines: list[Text] = []
    for task in tasks:
        subs = details.get(task["task_id"], {}).get("subtasks") or []
        status = task["status"] + (" (failures)" if task["has_failed"] else "")
        head = Text(task["task_id"], no_wrap=True)
        head.append("  ")
        head.append(status, style=STATUS_STYLE.get(task["status"], ""))
        lines.append(head)
        facts = f"  {task['input']['key']} · created {_when(task['create_time'])}"
        if task["finish_time"]:
            facts += f" · finished {_when(task['finish_time'])[11:]}"
        lines.append(Text(facts, style="dim", overflow="ellipsis", no_wrap=True))
        if subs:
            lines.append(Text.from_markup("  " + " · ".join(_subtask_parts(subs))))
    return Group(*lines)
