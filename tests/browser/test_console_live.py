"""The task list is live: a task created outside the console appears, and finishes, without a click,
while an idle open console costs only a small, measured number of requests (issue 13)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from infra.local.harness import wait_for
from tests.browser.conftest import sign_in
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.browser

INPUT_BUCKET = "openmps-input-1250000000"
IDLE_SECONDS = 20
MAX_IDLE_PER_MINUTE = 40  # one change-token read every 2 s is 30


def idle(stack: Any) -> bool:
    counts = stack.client._call("GET", "/api/v1/tasks/counts")
    return counts["waiting"] + counts["processing"] == 0


@pytest.fixture(scope="module")
def live_page(browser, stack):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    requests: list[tuple[float, str]] = []
    page.on("request", lambda r: requests.append((time.monotonic(), urlsplit(r.url).path)))
    page.requests = requests
    yield page
    context.close()


def test_an_idle_console_makes_few_requests(live_page, stack, tmp_path_factory):
    page = live_page
    # GIVEN a stack with nothing running and the task list open
    wait_for(lambda: idle(stack), timeout=120)
    sign_in(page, stack)
    page.wait_for_timeout(3_000)
    # WHEN nobody touches it for a while
    start = time.monotonic()
    page.wait_for_timeout(IDLE_SECONDS * 1000)  # pumps the request events as they happen
    seen = [path for at, path in page.requests if at >= start]
    per_minute = len(seen) * 60 / IDLE_SECONDS
    print(f"idle console: {per_minute:.0f} requests/minute ({len(seen)} in {IDLE_SECONDS} s)")
    # THEN it only polls the change token, a few times a minute
    assert all(path.endswith("/api/v1/tasks/changes") for path in seen), sorted(set(seen))
    assert 0 < per_minute <= MAX_IDLE_PER_MINUTE


def test_a_task_created_through_the_api_appears_and_finishes_without_a_click(live_page, stack, tmp_path_factory):
    page = live_page
    clip = make_clip(tmp_path_factory.mktemp("live") / "live.mp4", seconds=1, width=160, height=120)
    stack.client.upload(clip, key="live/live.mp4")  # outside input/: no workflow fires
    total = page.get_by_test_id("count-all").locator(".count-n")
    before = int(total.inner_text())
    # WHEN a script creates a task while the console shows only finished tasks
    created_at = time.monotonic()
    task = stack.client.create_task(
        {
            "input": {"bucket": INPUT_BUCKET, "key": "live/live.mp4"},
            "output": {"bucket": "openmps-output-1250000000", "dir": "live-out/"},
            "subtasks": [{"type": "Snapshot", "definition": 10, "kind": "sampled"}],
        }
    )
    # THEN its row and the new count show up within about two seconds, with no click
    row = page.locator(f'tr.task-row[data-task-id="{task["task_id"]}"]')
    expect(row).to_be_visible(timeout=5_000)
    expect(total).to_have_text(str(before + 1), timeout=5_000)
    appeared = time.monotonic() - created_at
    print(f"new task shown after {appeared:.1f} s")
    assert appeared < 4.0
    # AND it turns FINISH by itself
    expect(row.get_by_test_id("task-status")).to_have_attribute("data-status", "FINISH", timeout=60_000)
