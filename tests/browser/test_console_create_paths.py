"""Create task: each subtask that writes files takes an MPS output object path (issue 13)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_per_subtask_output_object_path_is_sent(page, stack):
    sign_in(page, stack)
    posted: list[dict[str, Any]] = []

    def capture(route: Any) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        posted.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(status=400, json={"error": {"code": "InvalidParameter", "message": "captured"}})

    page.route("**/api/v1/tasks", capture)
    page.goto(f"{stack.url}/#/create?bucket=openmps-input-1250000000&key=input/x/clip.mp4")
    rows = page.get_by_test_id("spec-row")
    expect(rows).to_have_count(2)
    # both rows' templates load on their own; a row still loading is left out of the request
    expect(rows.nth(0).get_by_test_id("spec-template")).not_to_have_value("")
    expect(rows.nth(1).get_by_test_id("spec-template")).not_to_have_value("")
    # WHEN the user names the transcode output and leaves the snapshot default
    rows.nth(0).get_by_label("Output object path (optional)").fill("{inputName}_hd.{format}")
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("create-error")).to_contain_text("captured")
    # THEN only the transcode carries an output_object_path
    subtasks = posted[-1]["subtasks"]
    assert subtasks[0]["output_object_path"] == "{inputName}_hd.{format}"
    assert "output_object_path" not in subtasks[1]
    # AND a kind without files has no such field
    rows.nth(1).get_by_test_id("spec-type").select_option("ContentReview")
    expect(rows.nth(1).get_by_test_id("spec-output-path")).to_be_hidden()
    page.unroute("**/api/v1/tasks", capture)
