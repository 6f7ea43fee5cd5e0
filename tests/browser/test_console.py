"""The web console, as a user drives it in Chromium: sign in, upload, watch, inspect, play, download,
terminate, restart, create, switch language. Tests run in order and share one page and stack."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest
from playwright.sync_api import expect

from infra.local.harness import wait_for
from tests.browser.conftest import TOKEN, sign_in
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.browser

INPUT_BUCKET = "openmps-input-1250000000"
FINISH_TIMEOUT = 90_000
state: dict[str, Any] = {}


def row(page: Any, task_id: str) -> Any:
    return page.locator(f'tr.task-row[data-task-id="{task_id}"]')


def subtask_row(page: Any, task_id: str, type_: str) -> Any:
    return page.locator(f'#detail-{re.sub(r"[^A-Za-z0-9_-]", "_", task_id)} tr[data-type="{type_}"]')


def test_sign_in_rejects_a_wrong_token_then_signs_in(page, stack, artifacts):
    page.goto(stack.url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.screenshot(path=str(artifacts / "signin.png"))
    page.get_by_label("Account token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signin-error")).to_have_text("This token is not valid.")
    sign_in(page, stack)
    assert TOKEN not in page.url  # the token never appears in a URL
    expect(page.get_by_role("heading", name="Tasks")).to_be_visible()


def test_upload_a_clip_and_watch_the_task_finish(page, stack, artifacts, tmp_path_factory):
    clip = make_clip(tmp_path_factory.mktemp("clips") / "console-clip.mp4", seconds=3, width=320, height=240)
    page.get_by_role("button", name="Upload file").first.click()
    dialog = page.get_by_test_id("upload-dialog")
    dialog.get_by_label("File").set_input_files(str(clip))
    dialog.get_by_role("button", name="Upload", exact=True).click()
    # the upload fires the default workflow; the console lands on the new task, expanded
    page.wait_for_url(re.compile(r"expand="), timeout=30_000)
    task_id = re.search(r"expand=([^&]+)", page.url).group(1)
    state["task_id"] = task_id
    expect(row(page, task_id)).to_be_visible()
    expect(row(page, task_id).get_by_test_id("task-status")).to_have_attribute(
        "data-status", "FINISH", timeout=FINISH_TIMEOUT
    )
    expect(row(page, task_id).get_by_test_id("task-status")).to_have_text("Finished")
    expect(row(page, task_id).get_by_test_id("failure-badge")).to_have_count(0)
    page.screenshot(path=str(artifacts / "tasks-list.png"), full_page=True)


def test_expanded_row_shows_both_subtasks_succeeded(page, artifacts):
    task_id = state["task_id"]
    toggle = row(page, task_id).get_by_role("button", name=re.compile("details$"))
    expect(toggle).to_have_attribute("aria-expanded", "true")
    transcode, snapshot = subtask_row(page, task_id, "Transcode"), subtask_row(page, task_id, "Snapshot")
    expect(transcode).to_have_attribute("data-status", "SUCCESS", timeout=10_000)
    expect(snapshot).to_have_attribute("data-status", "SUCCESS")
    expect(transcode).to_contain_text("Audio/video transcoding")
    expect(transcode).to_contain_text("Succeeded")
    expect(snapshot).to_contain_text("10 files")
    page.screenshot(path=str(artifacts / "task-expanded.png"), full_page=True)
    # details: parameters, output metadata, log
    transcode.get_by_role("button", name="Details").click()
    details = page.get_by_test_id("subtask-details")
    expect(details.get_by_test_id("subtask-params")).to_contain_text("Container")
    expect(details.get_by_test_id("outputs-table")).to_contain_text("h264")
    page.screenshot(path=str(artifacts / "subtask-details.png"))
    page.keyboard.press("Escape")
    expect(details).to_have_count(0)
    # collapse and expand again
    toggle.click()
    expect(page.get_by_test_id("task-detail-row")).to_have_count(0)
    row(page, task_id).get_by_role("button", name="Expand details").click()
    expect(subtask_row(page, task_id, "Snapshot")).to_have_attribute("data-status", "SUCCESS")


def test_play_the_source_video_it_has_a_duration_and_seeks(page, artifacts):
    task_id = state["task_id"]
    row(page, task_id).get_by_role("button", name="Play source video").click()
    dialog = page.get_by_test_id("source-player")
    video = dialog.get_by_test_id("player-video")
    expect(video).to_be_visible()
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=source-player] video');"
        " return v && v.readyState >= 1 && v.duration > 0; }"
    )
    duration = video.evaluate("v => v.duration")
    assert duration == pytest.approx(3, abs=0.3)
    seeked = video.evaluate("""v => new Promise((resolve) => {
        v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
        v.currentTime = 1.5;
    })""")
    assert seeked == pytest.approx(1.5, abs=0.3)
    expect(dialog).to_contain_text("Duration")
    page.screenshot(path=str(artifacts / "source-player.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    # the transcode output plays too
    subtask_row(page, task_id, "Transcode").get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=output-player] video'); return v && v.duration > 0; }"
    )
    page.keyboard.press("Escape")


def test_snapshot_gallery_and_lightbox(page, artifacts):
    task_id = state["task_id"]
    subtask_row(page, task_id, "Snapshot").get_by_role("button", name="View").click()
    gallery = page.get_by_test_id("gallery-dialog")
    items = gallery.get_by_test_id("gallery-item")
    expect(items).to_have_count(10)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=gallery] img')]"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    page.screenshot(path=str(artifacts / "snapshot-gallery.png"))
    items.nth(0).click()
    lightbox = page.get_by_test_id("lightbox")
    expect(lightbox.get_by_test_id("lightbox-counter")).to_contain_text("1 / 10")
    page.keyboard.press("ArrowRight")
    expect(lightbox.get_by_test_id("lightbox-counter")).to_contain_text("2 / 10")
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=lightbox-image]');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    page.screenshot(path=str(artifacts / "snapshot-lightbox.png"))
    page.keyboard.press("Escape")  # closes the lightbox only
    expect(lightbox).to_have_count(0)
    expect(gallery).to_be_visible()
    page.keyboard.press("Escape")
    expect(gallery).to_have_count(0)


def test_download_the_snapshots_as_one_zip(page, artifacts):
    task_id = state["task_id"]
    with page.expect_download() as info:
        subtask_row(page, task_id, "Snapshot").get_by_role("button", name="Download").click()
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    path = artifacts / download.suggested_filename
    download.save_as(str(path))
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        names = zf.namelist()
        assert len(names) == 10
        assert all(zf.read(n)[:3] == b"\xff\xd8\xff" for n in names)  # JPEGs
    path.unlink()


def test_operations_not_allowed_are_visibly_disabled_with_a_reason(page):
    terminate = row(page, state["task_id"]).get_by_role("button", name="Terminate")
    expect(terminate).to_be_disabled()
    expect(terminate).to_have_attribute("title", "Only queued tasks can be terminated.")
    terminate.click(force=True)  # nothing happens
    expect(page.get_by_test_id("confirm-dialog")).to_have_count(0)


def test_restart_a_finished_task_after_confirming(page, stack):
    task_id = state["task_id"]
    restart = row(page, task_id).get_by_role("button", name="Restart")
    # keyboard: open the confirm dialog, Esc cancels, focus comes back
    restart.focus()
    page.keyboard.press("Enter")
    confirm = page.get_by_test_id("confirm-dialog")
    expect(confirm).to_contain_text(task_id)
    page.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(restart).to_be_focused()
    before = stack.client.task(task_id)["attempt"]
    # confirm for real
    restart.click()
    confirm.get_by_role("button", name="Restart").click()
    expect(row(page, task_id)).to_have_attribute("data-attempt", str(before + 1))
    expect(row(page, task_id).get_by_test_id("task-status")).to_have_attribute(
        "data-status", "FINISH", timeout=FINISH_TIMEOUT
    )
    done = stack.client.task(task_id)
    assert done["attempt"] == before + 1 and [s["status"] for s in done["subtasks"]] == ["SUCCESS", "SUCCESS"]


def test_terminate_a_queued_task(page, stack, artifacts, tmp_path_factory):
    # GIVEN three transcode-only tasks behind one transcode slot: the newest one waits longest
    clip = make_clip(tmp_path_factory.mktemp("queue") / "long.mp4", seconds=20, width=1280, height=720)
    stack.client.upload(clip, key="queue/long.mp4")  # outside input/: no workflow fires
    ids = []
    for n in range(3):
        resp = stack.client.session.post(
            stack.url + "/api/v1/tasks",
            timeout=10,
            json={
                "input": {"bucket": INPUT_BUCKET, "key": "queue/long.mp4"},
                "output": {"bucket": "openmps-output-1250000000", "dir": f"queue-out/{n}/"},
                "subtasks": [{"type": "Transcode", "definition": 100030}],
                "origin": "api",
            },
        )
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["task_id"])
    queued = ids[-1]
    page.get_by_label("Status", exact=True).select_option("WAITING")
    target = row(page, queued)
    expect(target.get_by_test_id("task-status")).to_have_attribute("data-status", "WAITING")
    page.screenshot(path=str(artifacts / "tasks-queued.png"), full_page=True)
    # WHEN the user terminates it and confirms
    target.get_by_role("button", name="Terminate").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Terminate").click()

    # THEN it finishes as terminated, with nothing run
    def terminated():
        task = stack.client.task(queued)
        return task["status"] == "FINISH" and all(s["status"] == "FAIL" for s in task["subtasks"]) and task

    done = wait_for(terminated, timeout=10)
    assert done["err_code"] and not any(s["begin_time"] for s in done["subtasks"])
    page.get_by_label("Status", exact=True).select_option("")
    expect(row(page, queued).get_by_test_id("task-status")).to_have_attribute("data-status", "FINISH")
    expect(row(page, queued)).to_contain_text("Terminated")
    # clean up: stop the other queued one so the stack is idle for the next tests
    for other in ids[:-1]:
        stack.client.session.post(f"{stack.url}/api/v1/tasks/{other}/terminate", timeout=10)


def test_switch_language_to_chinese_and_back(page, artifacts):
    page.get_by_label("Language").select_option("zh-CN")
    headers = page.get_by_test_id("task-table").locator("thead th")
    expect(headers).to_have_text(["任务 ID", "输入文件", "任务状态", "创建时间", "结束时间", "操作"])
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(row(page, state["task_id"]).get_by_role("button", name="展开详情")).to_be_visible()
    expect(page.get_by_test_id("status-filter").locator("option")).to_have_text(
        ["全部", "排队中", "进行中", "已完成", "已完成（有失败）"]
    )
    page.screenshot(path=str(artifacts / "tasks-list-zh.png"), full_page=True)
    page.get_by_label("语言").select_option("en")
    expect(headers).to_have_text(["Task ID", "Input", "Status", "Created", "Finished", "Operations"])
    # both dictionaries hold the same keys, and no label was missing on the way
    diff = page.evaluate("""async () => {
        const { DICTS } = await import('/console/i18n.js');
        const en = Object.keys(DICTS.en), zh = Object.keys(DICTS['zh-CN']);
        return [en.filter((k) => !zh.includes(k)), zh.filter((k) => !en.includes(k)), [...window.__i18nMissing]];
    }""")
    assert diff == [[], [], []]


def test_create_a_task_from_the_console(page, stack, artifacts, tmp_path_factory):
    page.get_by_role("link", name="Create task").click()
    expect(page.get_by_role("heading", name="Create task", level=1)).to_be_visible()
    # browse the input bucket: the clip uploaded earlier is there
    page.get_by_role("button", name="Browse").click()
    source = stack.client.task(state["task_id"])["input"]["key"]
    expect(page.get_by_role("radio", name=source)).to_be_visible()
    # or upload a new file (under uploads/, so no workflow fires), with a progress bar
    clip = make_clip(tmp_path_factory.mktemp("create") / "made-by-hand.mp4", seconds=2)
    page.get_by_label("Upload a file").check()
    page.get_by_label("File", exact=True).set_input_files(str(clip))
    expect(page.get_by_test_id("create-upload-status")).to_contain_text("It is selected as the input")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_test_id("selected-input")).to_contain_text("uploads/")
    specs = page.get_by_test_id("spec-row")
    expect(specs).to_have_count(2)
    expect(specs.nth(0).get_by_test_id("spec-summary")).to_contain_text("720p")
    page.screenshot(path=str(artifacts / "create-task.png"), full_page=True)
    specs.nth(1).get_by_role("button", name="Remove").click()  # transcode only
    page.get_by_role("button", name="Create task", exact=True).last.click()
    page.wait_for_url(re.compile(r"#/tasks\?expand="))
    new_id = re.search(r"expand=([^&]+)", page.url).group(1)
    expect(row(page, new_id).get_by_test_id("task-status")).to_have_attribute(
        "data-status", "FINISH", timeout=FINISH_TIMEOUT
    )
    task = stack.client.task(new_id)
    assert task["origin"] == "console" and [s["type"] for s in task["subtasks"]] == ["Transcode"]
    assert task["input"]["key"].startswith("uploads/") and task["input"]["key"].endswith("/made-by-hand.mp4")
    # the upload under uploads/ started no workflow: this is the only task for that file
    key = task["input"]["key"]
    same_file = [t["task_id"] for t in stack.client.tasks(limit=100)["tasks"] if t["input"]["key"] == key]
    assert same_file == [new_id]


def test_api_errors_are_shown_as_readable_messages(page, stack):
    page.goto(f"{stack.url}/#/create?bucket={INPUT_BUCKET}&key=input/no-such-file.mp4")
    page.get_by_role("button", name="Create task", exact=True).last.click()
    error = page.get_by_test_id("create-error")
    expect(error).to_contain_text(re.compile(r"\(\w+(\.\w+)*\)"))  # "message (Code)"
    page.goto(f"{stack.url}/#/tasks?task_id=1250000000-WorkflowTask-00000000000000000000000000000000t0")
    expect(page.get_by_test_id("task-rows")).to_contain_text("No task with ID")


def test_templates_page_lists_presets_and_manages_a_custom_template(page, artifacts):
    page.get_by_role("link", name="Templates").click()
    table = page.get_by_test_id("tpl-table")
    expect(table.locator('tr[data-definition="100030"]')).to_contain_text("MP4 · H.264 · 720p")
    expect(table.locator('tr[data-definition="100030"]').get_by_role("button", name="Edit")).to_be_disabled()
    page.screenshot(path=str(artifacts / "templates.png"), full_page=True)
    page.get_by_role("button", name="New template").click()
    editor = page.get_by_test_id("tpl-editor")
    editor.get_by_label("Name").fill("console-test-540p")
    editor.get_by_label("Height (px)").fill("540")
    editor.get_by_role("button", name="Save").click()
    custom = table.locator("tr", has_text="console-test-540p")
    expect(custom).to_contain_text("Custom")
    expect(custom).to_contain_text("540p")
    # edit it: the new value is saved and shown
    custom.get_by_role("button", name="Edit").click()
    expect(editor.get_by_label("Height (px)")).to_have_value("540")
    editor.get_by_label("Height (px)").fill("480")
    editor.get_by_role("button", name="Save").click()
    expect(custom).to_contain_text("480p")
    # and it is offered when creating a task
    page.get_by_role("link", name="Create task").click()
    offered = page.get_by_test_id("spec-template").first.locator("optgroup[label='Custom templates'] option")
    expect(offered).to_contain_text(["console-test-540p"])
    page.get_by_role("link", name="Templates").click()
    custom.get_by_role("button", name="Delete").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Delete").click()
    expect(custom).to_have_count(0)


def test_workflows_page_create_disable_enable_delete_and_dry_run(page, artifacts):
    page.get_by_role("link", name="Workflows").click()
    expect(page.get_by_test_id("wf-row").first).to_be_visible()
    page.get_by_role("button", name="Test").click()
    expect(page.get_by_test_id("dry-match").first).to_contain_text("output/")
    # a new rule for console-wf/*.mov: transcode only
    page.get_by_role("button", name="New workflow").click()
    editor = page.get_by_test_id("wf-editor")
    editor.get_by_label("Name").fill("console-test-rule")
    editor.get_by_label("Key prefix").fill("console-wf/")
    editor.get_by_label("File types").fill("mov")
    editor.get_by_role("button", name="Save").click()
    rule = page.get_by_test_id("wf-row").filter(has_text="console-test-rule")
    expect(rule.get_by_test_id("wf-state")).to_have_text("Enabled")
    page.get_by_label("Object key").fill("console-wf/a/clip.mov")
    page.get_by_role("button", name="Test").click()
    expect(page.get_by_test_id("dry-match")).to_have_count(1)
    expect(page.get_by_test_id("dry-match")).to_contain_text("console-test-rule")
    rule.get_by_role("button", name="Disable").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Disable").click()
    expect(rule.get_by_test_id("wf-state")).to_have_text("Disabled")
    page.get_by_role("button", name="Test").click()
    expect(page.get_by_test_id("dry-none")).to_be_visible()
    rule.get_by_role("button", name="Enable").click()
    expect(rule.get_by_test_id("wf-state")).to_have_text("Enabled")
    page.screenshot(path=str(artifacts / "workflows.png"), full_page=True)
    rule.get_by_role("button", name="Delete").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Delete").click()
    expect(rule).to_have_count(0)
    page.screenshot(path=str(artifacts / "workflows.png"), full_page=True)


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
    .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
    .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                     || el.getAttribute('aria-labelledby') || el.textContent.trim() || el.title))
    .map((el) => el.outerHTML.slice(0, 120))"""


def test_every_control_has_a_label_and_is_keyboard_reachable(page, stack):
    for view in ("tasks", "create", "templates", "workflows"):
        page.goto(f"{stack.url}/#/{view}")
        page.locator("main h1").wait_for()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(UNLABELLED) == [], view
    # the navigation works from the keyboard alone
    page.goto(f"{stack.url}/#/tasks")
    page.get_by_role("link", name="Templates").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Templates", level=1)).to_be_visible()
    page.get_by_role("tab", name="Snapshot").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Content understanding")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Content understanding")).to_be_focused()


def test_phone_width_has_no_horizontal_scroll(page, artifacts):
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Tasks").click()
    expect(page.get_by_test_id("task-row").first).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(artifacts / "tasks-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})


def test_the_language_defaults_to_the_browser_language(browser, stack):
    context = browser.new_context(locale="zh-CN")
    try:
        zh = context.new_page()
        zh.goto(stack.url + "/")
        expect(zh.get_by_role("heading", name="登录")).to_be_visible()
        expect(zh.get_by_label("账号令牌")).to_be_visible()
    finally:
        context.close()


def test_sign_out_forgets_the_token(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    stored = page.evaluate("() => [sessionStorage.getItem('openmps.token'), localStorage.getItem('openmps.token')]")
    assert stored == [None, None]


def test_no_uncaught_errors_in_the_page(page):
    assert page.errors == []
