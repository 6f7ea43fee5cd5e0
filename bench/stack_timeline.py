"""What a local stack spent on one task: the task's timeline read back from the stack's log, and
CPU seconds of the stack's whole process tree (functions, their ffmpeg, the table server).

The timeline comes from the log lines the functions write anyway: "task created" (trigger),
each worker's "subtask done" with its phases (claim, prepare, fetch, probe, engine, publish,
record: the run's start is its end minus their sum), and "task finished" (aggregator).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """user+sys of ``root`` and every live descendant, plus what their waited-for children used
    (a worker's finished ffmpeg runs are in its cutime/cstime)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        stats[pid] = fields
        children.setdefault(int(fields[1]), []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        fields = stats.get(pid)
        if fields is None:
            continue
        # fields[0] is the state; utime, stime, cutime, cstime are stat fields 14-17
        total += sum(int(v) for v in fields[11:15])
        todo += children.get(pid, [])
    return total / _CLOCK_TICKS


def _when(record: dict) -> float:
    return datetime.strptime(record["timestamp"], "%Y-%m-%d %H:%M:%S,%f%z").timestamp()


@dataclass
class SubtaskRun:
    index: int
    type: str
    start: float
    end: float
    phases: dict[str, float]


@dataclass
class Timeline:
    created: float | None = None
    finished: float | None = None
    runs: list[SubtaskRun] = field(default_factory=list)

    def describe(self, upload_start: float, upload_ack: float, seen_finish: float) -> list[str]:
        def at(t: float | None) -> str:
            return "   ?   " if t is None else f"{t - upload_start:7.3f}"

        lines = [f"  {at(upload_ack)} s  upload acknowledged", f"  {at(self.created)} s  trigger: task created"]
        for run in sorted(self.runs, key=lambda r: r.start):
            lines.append(f"  {at(run.start)} s  subtask {run.index} {run.type} claimed")
            t = run.start
            for name, seconds in run.phases.items():
                t += seconds
                lines.append(f"  {at(t)} s    {name:<8} {seconds:7.3f} s")
        lines.append(f"  {at(self.finished)} s  aggregator: task FINISH")
        lines.append(f"  {at(seen_finish)} s  client sees FINISH")
        return lines


def read_timeline(log: Path, task_id: str) -> Timeline:
    timeline = Timeline()
    for line in log.read_text(errors="replace").splitlines():
        start = line.find("{")
        if start < 0 or task_id not in line:
            continue
        try:
            record = json.loads(line[start:])
        except ValueError:
            continue
        if record.get("task_id") != task_id:
            continue
        message = record.get("message")
        if message == "task created":
            timeline.created = _when(record)
        elif message == "task finished":
            timeline.finished = _when(record)
        elif message == "subtask done":
            end, phases = _when(record), dict(record.get("phases") or {})
            start = end - sum(phases.values())
            timeline.runs.append(SubtaskRun(int(record.get("index", 0)), str(record.get("type")), start, end, phases))
    return timeline
