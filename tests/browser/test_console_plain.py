"""Plain words instead of developer output (issue 13): "Automatic" for a width of 0, a file format
instead of ffmpeg's demuxer list, runs counted from 1, and an upload no workflow matches is told
so at once instead of after a 20 s wait."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from infra.local.harness import wait_for
from tests.browser.conftest import sign_in
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.browser

INPUT_BUCKET = "openmps-input-1250000000"


def test_subtask_details_read_as_plain_words(page, stack, tmp_path_factory, artifacts):
    clip = make_clip(tmp_path_factory.mktemp("plain") / "plain.mp4", seconds=1, width=320, height=240)
    stack.client.upload(clip, key="plain/plain.mp4")
    task_id = stack.client.create_task(
        {
            "input": {"bucket": INPUT_BUCKET, "key": "plain/plain.mp4"},
            "output": {"bucket": "openmps-output-1250000000", "dir": "plain-out/"},
            "subtasks": [{"type": "Transcode", "definition": 100010}],
        }
    )["task_id"]
    wait_for(lambda: stack.client.task(task_id)["status"] == "FINISH", timeout=90)
    sign_in(page, stack)
    page.goto(f"{stack.url}/#/tasks?expand={task_id}")
    sub = page.locator(f'tr.task-row[data-task-id="{task_id}"] + tr.detail-row tr[data-type="Transcode"]')
    sub.get_by_role("button", name="Details").click()
    details = page.get_by_test_id("subtask-details")
    params = details.get_by_test_id("subtask-params")
    expect(params).to_contain_text("Automatic")
    outputs = details.get_by_test_id("outputs-table")
    expect(outputs).to_contain_text("MP4")
    expect(outputs).not_to_contain_text("mov,mp4")
    expect(details.locator(".kv").first).to_contain_text(re.compile(r"Attempt\s*1"))
    page.screenshot(path=str(artifacts / "subtask-details-plain-en.png"))
    page.keyboard.press("Escape")


def test_an_upload_no_workflow_matches_is_told_at_once(page, stack, tmp_path_factory):
    text = tmp_path_factory.mktemp("txt") / "notes.txt"
    text.write_text("not media\n")
    page.goto(f"{stack.url}/#/tasks")  # signed in by the test above
    page.get_by_role("button", name="Upload file").first.click()
    dialog = page.get_by_test_id("upload-dialog")
    dialog.get_by_label("File").set_input_files(str(text))
    started = time.monotonic()
    dialog.get_by_role("button", name="Upload", exact=True).click()
    expect(dialog.get_by_test_id("upload-status")).to_contain_text("No workflow matches notes.txt", timeout=5_000)
    expect(dialog.get_by_role("button", name="Create a task for this file")).to_be_visible(timeout=5_000)
    assert time.monotonic() - started < 6
    page.keyboard.press("Escape")


def test_no_uncaught_errors_in_the_page(page):
    assert page.errors == [], page.errors
