"""Generated text in both languages (issue 13): a finished content-understanding task, opened in the
zh-CN console, shows its summary in Chinese and no English sentence; the English console, English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from infra.local.harness import wait_for
from tests.browser.conftest import sign_in
from tests.browser.test_console_zh_messages import ENGLISH_SENTENCE
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.browser

INPUT, OUTPUT = "openmps-input-1250000000", "openmps-output-1250000000"


def open_analysis(page, stack, task_id):
    page.goto(f"{stack.url}/#/tasks?expand={task_id}")
    page.locator('tr[data-type="ContentAnalysis"]').get_by_test_id("sub-op-view").click()
    return page.get_by_test_id("analysis-dialog")


def test_a_finished_analysis_reads_in_chinese(page, browser, stack, artifacts, tmp_path_factory):
    # GIVEN a finished content-understanding task (the preset: cover, tags, summary)
    clip = make_clip(tmp_path_factory.mktemp("analysis") / "scenery.mp4", seconds=4, width=640, height=360)
    stack.client.upload(clip, key="analysis/scenery.mp4")
    task_id = stack.client.create_task(
        {
            "input": {"bucket": INPUT, "key": "analysis/scenery.mp4"},
            "output": {"bucket": OUTPUT, "dir": "analysis/"},
            "subtasks": [{"type": "ContentAnalysis", "definition": 10}],
        }
    )["task_id"]
    wait_for(lambda: stack.client.task(task_id)["status"] == "FINISH", timeout=120)
    assert stack.client.task(task_id)["subtask_counts"]["success"] == 1
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    zh = context.new_page()
    try:
        zh.goto(stack.url + "/")
        zh.get_by_label("账号令牌").fill(stack.token)
        zh.get_by_role("button", name="登录").click()
        # WHEN the user opens its result in the zh-CN console
        dialog = open_analysis(zh, stack, task_id)
        # THEN the summary is Chinese, and the page holds no English sentence
        expect(dialog.get_by_test_id("analysis-summary")).to_contain_text("秒 640x360 视频，有声音。")
        zh.screenshot(path=str(artifacts / "analysis-result-zh-CN.png"))
        text = zh.locator("body").inner_text()
        assert not ENGLISH_SENTENCE.findall(text), ENGLISH_SENTENCE.findall(text)
        assert zh.evaluate("() => [...window.__i18nMissing]") == []
    finally:
        context.close()
    # AND the English console shows the English one
    sign_in(page, stack)
    dialog = open_analysis(page, stack, task_id)
    expect(dialog.get_by_test_id("analysis-summary")).to_contain_text("640x360 video with sound.")
    page.screenshot(path=str(artifacts / "analysis-result-en.png"))
    assert not page.errors
