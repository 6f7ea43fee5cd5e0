"""`make run`'s terminal shows one readable line per event; every raw line lands in the JSON file."""

from __future__ import annotations

import io
import json

from infra.local.log_view import LogView, readable

TASK = "1250000000-WorkflowTask-0123456789abcdef0123456789abcdeft0"


def record(message: str, level: str = "INFO", **extra: object) -> str:
    return json.dumps({"level": level, "timestamp": "2026-12-01 23:41:07,123+0000", "message": message, **extra})


def test_events_become_one_readable_line_and_everything_reaches_the_file(tmp_path):
    # GIVEN the stack's log sink
    terminal = io.StringIO()
    view = LogView(tmp_path, terminal)
    lines = [
        record("task created", task_id=TASK, key="input/clip.mp4", workflow_id="default"),
        record("request", path="/api/v1/tasks"),  # routine: file only
        record("subtask failed", "WARNING", task_id=TASK, index=2, err_code="InvalidMedia.Unreadable", reason="no"),
        record("boom", "ERROR", exception='Traceback (most recent call last):\n  File "x"\nValueError: bad'),
        "Traceback (most recent call last):",
        '  File "worker.py", line 3',
    ]
    # WHEN the functions print
    for line in lines:
        view(line)
    view.close()
    # THEN the terminal has a line per event, no JSON and no traceback
    shown = terminal.getvalue().splitlines()
    assert shown == [
        f"23:41:07  task created     {TASK}  input/clip.mp4",
        f"23:41:07  subtask failed   {TASK} #2  err_code=InvalidMedia.Unreadable  reason=no",
        "23:41:07  ERROR  boom             ValueError: bad",
    ]
    assert not any(s.lstrip().startswith("{") for s in shown)
    # AND the file keeps every line as it came
    assert view.path.read_text().splitlines() == [ln for text in lines for ln in text.splitlines()]


def test_routine_info_records_are_not_shown():
    assert readable({"level": "INFO", "message": "reconciled"}) is None
