"""A restarted task's row (issue 13): it shows when this run started, marked as run 2, so the created
time and the finish time of a later run never read as one long run."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from infra.local.harness import wait_for
from tests.browser.conftest import sign_in
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.browser

INPUT, OUTPUT = "openmps-input-1250000000", "openmps-output-1250000000"


def test_a_restarted_row_shows_this_runs_start(page, stack, tmp_path_factory):
    # GIVEN a task that ran, then was restarted a few seconds later and ran again
    clip = make_clip(tmp_path_factory.mktemp("restart") / "again.mp4", seconds=1)
    stack.client.upload(clip, key="restart/again.mp4")
    task_id = stack.client.create_task(
        {
            "input": {"bucket": INPUT, "key": "restart/again.mp4"},
            "output": {"bucket": OUTPUT, "dir": "restart/"},
            "subtasks": [{"type": "Snapshot", "definition": 10}],
        }
    )["task_id"]
    wait_for(lambda: stack.client.task(task_id)["status"] == "FINISH", timeout=60)
    sign_in(page, stack)
    row = page.locator(f'tr.task-row[data-task-id="{task_id}"]')
    first = stack.client.task(task_id)
    expect(row.get_by_test_id("row-time")).to_have_attribute("datetime", first["create_time"])
    expect(row.get_by_test_id("row-run")).to_have_count(0)
    time.sleep(2.1)  # the run's start must differ from the creation by whole seconds on screen
    stack.client.operate(task_id, "restart")
    wait_for(lambda: stack.client.task(task_id)["status"] == "FINISH", timeout=60)
    again = stack.client.task(task_id)
    assert again["attempt"] == 1 and again["begin_process_time"] > again["create_time"]
    # WHEN the list shows it (the live list picks the restart up by itself)
    expect(row.get_by_test_id("row-run")).to_have_text("Run 2", timeout=10_000)
    # THEN its time is this run's start, not the creation
    cell = row.get_by_test_id("row-time")
    expect(cell).to_have_attribute("datetime", again["begin_process_time"])
    shown = cell.inner_text()
    created = page.evaluate("async (iso) => (await import('/console/ui.js')).fmtTime(iso)", again["create_time"])
    assert shown != created and shown != "—"
    assert not page.errors
