"""The change token: one cheap read that moves whenever a task of the account changes, so an open
console reloads its list only when something happened (issue 13, live list)."""

from __future__ import annotations

import pytest

from tests.integration.pipeline_helpers import drain
from tests.integration.test_api_tasks import MP4, create, put_input

pytestmark = pytest.mark.integration


def token(api) -> str:
    reply = api.get("/api/v1/tasks/changes")
    assert reply.status == 200, reply.body
    return reply.body["token"]


def test_token_moves_on_create_progress_finish_and_restart(api, deps, invoker, tmp_path):
    # GIVEN an account whose token stands still while nothing happens
    key = put_input(deps, tmp_path, seconds=1)
    before = token(api)
    assert token(api) == before
    # WHEN a task is created
    task = create(api, deps, key, [MP4]).body
    created = token(api)
    # THEN the token moved, and moves again as the task runs and finishes
    assert created != before
    drain(deps, invoker)
    assert api.get(f"/api/v1/tasks/{task['task_id']}").body["status"] == "FINISH"
    finished = token(api)
    assert finished != created
    assert token(api) == finished
    # AND a restart moves it too
    assert api.post(f"/api/v1/tasks/{task['task_id']}/restart").status == 200
    assert token(api) != finished


def test_token_needs_a_token(api):
    assert api.get("/api/v1/tasks/changes", token="wrong").status == 401


def test_list_finds_tasks_by_part_of_the_input_key(api, deps, tmp_path):
    # GIVEN two tasks whose input files have different names
    ok = put_input(deps, tmp_path, name="holiday-beach.mp4", seconds=1)
    other = put_input(deps, tmp_path, name="meeting.mp4", seconds=1)
    wanted = create(api, deps, ok, [MP4]).body["task_id"]
    create(api, deps, other, [MP4])
    # WHEN the list is asked for a part of a file name
    found = api.get("/api/v1/tasks?input_contains=beach").body["tasks"]
    # THEN only the matching task comes back, and the filter combines with a prefix
    assert [t["task_id"] for t in found] == [wanted]
    prefix = ok.rsplit("/", 1)[0]
    both = api.get(f"/api/v1/tasks?input_prefix={prefix}&input_contains=beach").body["tasks"]
    assert [t["task_id"] for t in both] == [wanted]
    assert api.get(f"/api/v1/tasks?input_prefix={prefix}&input_contains=meeting").body["tasks"] == []
