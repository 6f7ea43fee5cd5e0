"""Task list behaviour that needs many or failed tasks: cursor pagination (next and previous), the
"finished with failures" filter, the failure badge and "retry failed subtasks". The task list API is
answered by Playwright with contract-shaped pages; everything else is the real stack."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def task(n: int, status: str = "FINISH", fail: int = 0) -> dict[str, Any]:
    return {
        "task_id": f"1250000000-WorkflowTask-{n:032x}t0",
        "status": status,
        "create_time": f"2026-01-01T00:{59 - n:02d}:00Z",
        "begin_process_time": None,
        "finish_time": "2026-01-01T01:00:00Z" if status == "FINISH" else None,
        "input": {"bucket": "openmps-input-1250000000", "key": f"input/list/{n}.mp4"},
        "output": {"bucket": "openmps-output-1250000000", "dir": f"output/{n}/"},
        "origin": "upload",
        "workflow_id": "default",
        "attempt": 0,
        "has_failed": fail > 0,
        "err_code": None,
        "message": None,
        "subtask_counts": {"waiting": 0, "processing": 0, "success": 2 - fail, "fail": fail},
    }


PAGES = {None: ([task(n) for n in range(1, 11)], "cursor-2"), "cursor-2": ([task(n) for n in range(11, 14)], None)}
FAILED = [task(20, fail=1)]


@pytest.fixture(scope="module")
def listing(page, stack):
    seen: list[dict[str, list[str]]] = []
    posted: list[str] = []

    def tasks(route: Any) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        seen.append(query)
        if query.get("failed") == ["true"]:
            route.fulfill(json={"tasks": FAILED, "next_cursor": None})
            return
        rows, cursor = PAGES[query.get("cursor", [None])[0]]
        route.fulfill(json={"tasks": rows, "next_cursor": cursor})

    def operation(route: Any) -> None:
        posted.append(urlsplit(route.request.url).path)
        route.fulfill(
            json={
                **FAILED[0],
                "status": "WAITING",
                "attempt": 1,
                "has_failed": False,
                "subtask_counts": {"waiting": 1, "processing": 0, "success": 1, "fail": 0},
            }
        )

    def is_list(url: str) -> bool:
        return urlsplit(url).path.endswith("/api/v1/tasks")

    sign_in(page, stack)
    page.route(is_list, tasks)
    page.route("**/api/v1/tasks/*/retry-failed", operation)
    page.goto(f"{stack.url}/#/tasks?limit=10")
    yield seen, posted
    page.unroute(is_list)
    page.unroute("**/api/v1/tasks/*/retry-failed")


def test_next_and_previous_pages_follow_the_cursors(page, listing):
    seen, _ = listing
    rows = page.get_by_test_id("task-row")
    expect(rows).to_have_count(10)
    expect(page.get_by_test_id("page-prev")).to_be_disabled()
    page.get_by_role("button", name="Next").click()
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("page-info")).to_have_text("Page 2")
    assert seen[-1]["cursor"] == ["cursor-2"] and seen[-1]["limit"] == ["10"]
    expect(page.get_by_test_id("page-next")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(10)
    expect(page.get_by_test_id("page-info")).to_have_text("Page 1")
    assert "cursor" not in seen[-1]
    # newest first, as the API orders them
    expect(rows.first).to_have_attribute("data-task-id", task(1)["task_id"])


def test_finished_with_failures_filter_badge_and_retry(page, listing, artifacts):
    seen, posted = listing
    page.get_by_label("Status", exact=True).select_option("failed")
    rows = page.get_by_test_id("task-row")
    expect(rows).to_have_count(1)
    assert seen[-1]["status"] == ["FINISH"] and seen[-1]["failed"] == ["true"]
    expect(rows.first.get_by_test_id("failure-badge")).to_have_text("1 failed")
    page.screenshot(path=str(artifacts / "tasks-failed-filter.png"), full_page=True)
    rows.first.get_by_role("button", name="Retry failed subtasks").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Retry failed subtasks").click()
    expect(page.get_by_text("Failed subtasks queued again.")).to_be_visible()
    assert posted == [f"/api/v1/tasks/{FAILED[0]['task_id']}/retry-failed"]


def test_no_uncaught_errors_in_the_page(page):
    assert page.errors == [], json.dumps(page.errors)
