"""What a crash may not leave behind, counted on a stack's data dir (issue 14, the crash matrix).

After every kill the stack must reach a state where every task ended (FINISH), no subtask is
stuck PROCESSING, every object under a task's output dir is one its subtask recorded (same md5,
or same size where no md5 was recorded) or is not there — except the whole files of a run that
published and then could not record its result (the table was down) and so ended FAIL: those are
counted apart as "unrecorded" (storage publishes by rename, so they are never partial bytes),
no process naming the data dir lives outside the running stack's own tree (an ffmpeg that
outlived its worker, a table server left by a killed stack), and no work folder or part file
is left by a run that is gone.

Used by tests/e2e/test_crash_matrix.py and `make soak` (infra/local/soak.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.client import Client
from infra.local.harness import processes_of
from infra.local.table_supervisor import KEEP_IN_WORK_DIR

WORKER_TEMP_PREFIX = "openmps-"  # shared/services/worker.py: one TemporaryDirectory per run


@dataclass
class Audit:
    tasks: int = 0
    ended: int = 0
    stuck_processing: list[str] = field(default_factory=list)  # "task_id/index"
    partial_objects: list[str] = field(default_factory=list)  # "bucket/key: why"
    unrecorded_objects: list[str] = field(default_factory=list)  # whole files of a run that ended FAIL
    orphan_processes: list[str] = field(default_factory=list)  # "pid cmdline"
    orphan_folders: list[str] = field(default_factory=list)  # paths under the data dir

    @property
    def clean(self) -> bool:
        return (
            self.ended == self.tasks
            and not self.stuck_processing
            and not self.partial_objects
            and not self.orphan_processes
            and not self.orphan_folders
        )

    def problems(self) -> str:
        return (
            f"tasks {self.tasks}, ended {self.ended}, stuck {self.stuck_processing[:5]}, "
            f"partial {self.partial_objects[:5]}, orphan processes {self.orphan_processes[:5]}, "
            f"orphan folders {self.orphan_folders[:5]}"
        )


def all_tasks(client: Client) -> list[dict[str, Any]]:
    """Every task of the account, newest first (the list, without subtasks)."""
    tasks, cursor = [], None
    while True:
        page = client.tasks(limit=100, cursor=cursor)
        tasks.extend(page["tasks"])
        cursor = page.get("next_cursor")
        if not cursor:
            return tasks


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _recorded(client: Client, task: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """key -> the metadata a subtask recorded for it (outputs and result files)."""
    found: dict[str, dict[str, Any]] = {}
    for sub in task["subtasks"] or []:
        for out in sub["outputs"]:
            found[out["key"]] = out
        if sub["type"] in ("ContentAnalysis", "ContentReview"):  # their files are in the result
            detail = client._call("GET", f"/api/v1/tasks/{task['task_id']}/subtasks/{sub['index']}")
            for out in (detail.get("result") or {}).get("result_files", []):
                found[out["key"]] = out
    return found


def partial_objects(data_dir: Path, client: Client, task: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(bad, unrecorded): objects under the task's output dir that no subtask of its current attempt
    recorded as they are; a file no subtask names is only "unrecorded" when a subtask of the task
    ended FAIL (its run may have published before it lost the table), else it is bad too."""
    bucket, out_dir = task["output"]["bucket"], task["output"]["dir"]
    root = data_dir / "buckets" / bucket
    folder = root / out_dir
    if not folder.is_dir():
        return [], []
    recorded = _recorded(client, task)
    some_failed = any(s["status"] == "FAIL" for s in task["subtasks"] or [])
    bad: list[str] = []
    unrecorded: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        meta = recorded.get(key)
        if meta is None:
            (unrecorded if some_failed else bad).append(f"{bucket}/{key}: recorded by no subtask")
        elif meta.get("md5") and _md5(path) != meta["md5"]:
            bad.append(f"{bucket}/{key}: md5 differs from the record")
        elif not meta.get("md5") and meta.get("size") is not None and path.stat().st_size != meta["size"]:
            bad.append(f"{bucket}/{key}: size differs from the record")
    return bad, unrecorded


def _parent(pid: int) -> int:
    try:
        return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        pid = _parent(pid)
    return False


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = (Path("/proc") / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {k: v for k, _, v in pairs}


def orphan_processes(data_dir: Path, stack_pid: int | None) -> list[str]:
    """Processes naming the data dir that are not in the running stack's tree (none when it is down)."""
    return [
        f"{pid} {_cmdline(pid)[:160]}"
        for pid in processes_of(data_dir)
        if stack_pid is None or not _descends_from(pid, stack_pid)
    ]


def orphan_folders(data_dir: Path, *, quiet: bool) -> list[str]:
    """Work folders no live function instance owns, and part files under the buckets.

    An instance's own folder (its OPENMPS_WORK_DIR) is not a leftover while it lives; once the
    stack is quiet (no invocation running) a run's folder inside it is one. ``quiet`` must be
    true only then; the buckets' part files are counted then too (an upload may be under way)."""
    work = (data_dir / "work").resolve()
    live = {Path(_environ(pid).get("OPENMPS_WORK_DIR", "")).resolve() for pid in processes_of(data_dir)}
    left = []
    for entry in sorted(work.iterdir()) if work.is_dir() else []:
        if entry.name in KEEP_IN_WORK_DIR:
            continue
        if entry.resolve() not in live:
            left.append(str(entry))
        elif quiet:
            left.extend(str(run) for run in entry.iterdir() if run.name.startswith(WORKER_TEMP_PREFIX))
    parts = data_dir / "buckets" / ".tmp"
    if quiet and parts.is_dir():
        left.extend(str(p) for p in sorted(parts.iterdir()))
    return left


def audit(data_dir: Path, client: Client | None, stack_pid: int | None, *, quiet: bool = True) -> Audit:
    """Count what the crash rules forbid. ``client`` None: the stack is down (tasks are not read)."""
    data_dir = data_dir.resolve()
    result = Audit(
        orphan_processes=orphan_processes(data_dir, stack_pid), orphan_folders=orphan_folders(data_dir, quiet=quiet)
    )
    if client is None:
        return result
    for listed in all_tasks(client):
        task = client.task(listed["task_id"])
        result.tasks += 1
        result.ended += task["status"] == "FINISH"
        result.stuck_processing.extend(
            f"{task['task_id']}/{s['index']}" for s in task["subtasks"] or [] if s["status"] == "PROCESSING"
        )
        if task["status"] == "FINISH":
            bad, unrecorded = partial_objects(data_dir, client, task)
            result.partial_objects.extend(bad)
            result.unrecorded_objects.extend(unrecorded)
    return result


# ---- the matrix's table: one row per kind, printed at the end of a pytest run (tests/e2e/conftest.py)
MATRIX_ROWS: list[dict[str, Any]] = []
COLUMNS = (
    "kind",
    "runs",
    "tasks",
    "ended",
    "stuck",
    "partial",
    "unrecorded",
    "orphan procs",
    "orphan folders",
    "subtasks",
)


def record_row(kind: str, runs: int, found: Audit, subtasks: dict[str, int]) -> None:
    MATRIX_ROWS.append(
        {
            "kind": kind,
            "runs": runs,
            "tasks": found.tasks,
            "ended": found.ended,
            "stuck": len(found.stuck_processing),
            "partial": len(found.partial_objects),
            "unrecorded": len(found.unrecorded_objects),
            "orphan procs": len(found.orphan_processes),
            "orphan folders": len(found.orphan_folders),
            "subtasks": " ".join(f"{k}={v}" for k, v in sorted(subtasks.items())),
        }
    )


def matrix_table(rows: list[dict[str, Any]] | None = None) -> str:
    rows = MATRIX_ROWS if rows is None else rows
    lines = [[str(row[c]) for c in COLUMNS] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in lines)) for i, c in enumerate(COLUMNS)]
    fmt = " | ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*COLUMNS), "-+-".join("-" * w for w in widths), *(fmt.format(*x) for x in lines)])


def subtask_outcomes(client: Client) -> dict[str, int]:
    """SUCCESS, or FAIL:<err_code>, counted over every subtask of every task."""
    outcomes: dict[str, int] = {}
    for listed in all_tasks(client):
        for sub in client.task(listed["task_id"])["subtasks"] or []:
            label = sub["status"] if sub["status"] != "FAIL" else f"FAIL:{sub['err_code']}"
            outcomes[label] = outcomes.get(label, 0) + 1
    return outcomes
