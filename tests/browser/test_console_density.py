"""A task list you can scan (issue 13): 15+ rows on a 1440x900 screen, ids on one line (never broken
mid-token, full id on hover and in the copy button), dates on one line, and the filters a user
reaches for (file name or key prefix, created-time range) sent to the list API. The list API is
answered by Playwright with contract-shaped pages; everything else is the real stack."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_console_lists import task

pytestmark = pytest.mark.browser

TASKS = [task(n, fail=1 if n % 4 == 0 else 0) for n in range(1, 21)]


@pytest.fixture(scope="module", params=["en-US", "zh-CN"])
def dense(request, browser, stack):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=request.param)
    context.set_default_timeout(15_000)
    page = context.new_page()
    seen: list[dict[str, list[str]]] = []

    def tasks(route: Any) -> None:
        seen.append(parse_qs(urlsplit(route.request.url).query))
        route.fulfill(json={"tasks": TASKS, "next_cursor": None})

    page.route(lambda url: urlsplit(url).path.endswith("/api/v1/tasks"), tasks)
    page.goto(stack.url + "/")
    if request.param == "zh-CN":
        page.get_by_label("语言").select_option("zh-CN")
        page.get_by_label("账号令牌").fill(stack.token)
        page.get_by_role("button", name="登录").click()
        page.get_by_test_id("task-table").wait_for()
    else:
        sign_in(page, stack)
    page.get_by_test_id("task-row").nth(19).wait_for()
    yield page, seen, request.param
    context.close()


def test_fifteen_rows_fit_on_a_1440x900_screen(dense, artifacts):
    page, _, lang = dense
    bottoms = page.get_by_test_id("task-row").evaluate_all("rows => rows.map((r) => r.getBoundingClientRect().bottom)")
    visible = sum(1 for b in bottoms if b <= 900)
    page.screenshot(path=str(artifacts / f"tasks-dense-{lang}-1440x900.png"))
    assert visible >= 15, f"only {visible} rows fit: {bottoms[:16]}"


def test_ids_and_dates_stay_on_one_line(dense):
    page, _, _ = dense
    lines = page.evaluate("""() => {
        const heights = (sel) => [...document.querySelectorAll(sel)].map((el) => el.getBoundingClientRect().height);
        return { idHeights: heights('[data-testid=task-id]'), dateHeights: heights('td.cell-time') };
    }""")
    assert max(lines["idHeights"]) < 24, lines["idHeights"]
    assert max(lines["dateHeights"]) < 40, lines["dateHeights"]  # one line plus the cell's padding
    first = page.get_by_test_id("task-id").first
    # the whole id is there for the eye (tooltip), the copy button and a text selection
    expect(first).to_have_attribute("title", TASKS[0]["task_id"])
    assert first.text_content() == TASKS[0]["task_id"]
    # the distinctive tail is never hidden behind the ellipsis
    tail = first.locator(".compact-id-tail")
    expect(tail).to_have_text(TASKS[0]["task_id"][-10:])
    assert tail.bounding_box()["width"] > 40


def test_file_name_prefix_and_time_filters_reach_the_api(dense):
    page, seen, _ = dense
    search = page.get_by_test_id("task-search")
    search.fill("beach.mp4")
    search.press("Enter")
    page.wait_for_timeout(300)
    assert seen[-1].get("input_contains") == ["beach.mp4"] and "input_prefix" not in seen[-1]
    search.fill("input/2026/")
    search.press("Enter")
    page.wait_for_timeout(300)
    assert seen[-1].get("input_prefix") == ["input/2026/"] and "input_contains" not in seen[-1]
    page.get_by_test_id("created-from").fill("2026-01-01T08:00")
    page.wait_for_timeout(300)
    assert seen[-1].get("created_from", [""])[0].startswith("2026-01-0"), seen[-1]
    assert seen[-1].get("input_prefix") == ["input/2026/"]
    page.get_by_test_id("created-to").fill("2026-01-02T08:00")
    page.wait_for_timeout(300)
    assert seen[-1].get("created_to", [""])[0].endswith(":59Z"), seen[-1]
