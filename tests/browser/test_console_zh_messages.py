"""Chinese means Chinese (issue 13): a failed task's page in zh-CN shows server messages from the
console's tables (the API's message_code and message_params), never the API's English sentence."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from infra.local.harness import wait_for
from tests.media_fixtures import make_garbage

pytestmark = pytest.mark.browser

INPUT_BUCKET = "openmps-input-1250000000"
# Four English words in a row make a sentence; codes ("InvalidMedia.Unreadable") and names do not.
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'-]+[A-Za-z]{2,}){3,}")


def test_a_failed_task_reads_in_chinese(browser, stack, artifacts, tmp_path_factory):
    # GIVEN a task whose subtasks fail: its input is not media
    d = tmp_path_factory.mktemp("zh")
    stack.client.upload(make_garbage(d / "not-media.mp4"), key="zh/not-media.mp4")
    failed = stack.client.create_task(
        {
            "input": {"bucket": INPUT_BUCKET, "key": "zh/not-media.mp4"},
            "output": {"bucket": "openmps-output-1250000000", "dir": "zh-out/"},
            "subtasks": [{"type": "Transcode", "definition": 100010}, {"type": "Snapshot", "definition": 10}],
        }
    )["task_id"]
    wait_for(lambda: stack.client.task(failed)["status"] == "FINISH", timeout=90)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(stack.url + "/")
        page.get_by_label("账号令牌").fill(stack.token)
        page.get_by_role("button", name="登录").click()
        # WHEN the user opens the failed task
        page.goto(f"{stack.url}/#/tasks?expand={failed}")
        detail = page.locator(f'tr.task-row[data-task-id="{failed}"] + tr.detail-row')
        expect(detail.get_by_test_id("subtask-error-line").first).to_have_text("该文件不是可读取的媒体文件。")
        # THEN the page holds no English sentence
        page.screenshot(path=str(artifacts / "task-failed-zh-CN-1440x900.png"))
        text = page.locator("body").inner_text()
        assert not ENGLISH_SENTENCE.findall(text), ENGLISH_SENTENCE.findall(text)
        # AND an API error in a toast is Chinese too (the operation the console allows was refused)
        status = page.evaluate(
            """async (id) => {
                const { post, describeError } = await import('/console/api.js');
                try { await post(`api/v1/tasks/${id}/terminate`); return 'accepted'; }
                catch (err) { return describeError(err); }
            }""",
            failed,
        )
        assert status == "只有排队中的任务才能终止。 (FailedOperation.TaskNotWaiting)"
        # AND a failed subtask says it wrote nothing (not "will be written")
        expect(detail.get_by_test_id("no-files-written")).to_have_count(2)
        expect(detail.get_by_test_id("no-files-written").first).to_have_text("未写入文件")
        # WHEN the task is restarted and fails again
        stack.client.operate(failed, "restart")
        wait_for(lambda: stack.client.task(failed)["status"] == "FINISH", timeout=90)
        page.reload()
        detail.get_by_text("历史记录（1 条）").click()
        # THEN its first run reads as a table, the run count starts at 1, and still no English sentence
        history = detail.get_by_test_id("history-table")
        expect(history).to_contain_text("第 1 次")
        expect(history).to_contain_text("0 个成功，2 个失败")
        expect(history).to_contain_text("该文件不是可读取的媒体文件。")
        expect(detail.locator(".kv").first).to_contain_text("执行次数2")
        page.screenshot(path=str(artifacts / "task-history-zh-CN-1440x900.png"))
        # AND the labels and tags the engines generate have Chinese names; free text stays as written
        labels = page.evaluate(
            """async () => {
                const { generatedLabel } = await import('/console/views/common.js');
                return ['Ad', 'porn', 'landscape', 'short', '招聘'].map(generatedLabel);
            }"""
        )
        assert labels == ["广告", "色情", "横屏", "短视频", "招聘"]
        text = page.locator("body").inner_text()
        assert not ENGLISH_SENTENCE.findall(text), ENGLISH_SENTENCE.findall(text)
    finally:
        context.close()
