"""The sprite viewer (issue 13): a 16 s clip's sprite is one sheet sized to its 2 cells, the row and the
viewer count the same files, and the WebVTT track shows as thumbnails by time (scrub and cue list)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from infra.local.harness import wait_for
from tests.browser.conftest import sign_in
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.browser

INPUT, OUTPUT = "openmps-input-1250000000", "openmps-output-1250000000"


def open_sprite(page, stack, task_id):
    page.goto(f"{stack.url}/#/tasks?expand={task_id}")
    row = page.locator('tr[data-type="Snapshot"]')
    row.get_by_test_id("sub-op-view").click()
    return row, page.get_by_test_id("sprite-viewer")


def test_sprite_viewer_shows_the_track_and_counts_like_the_row(page, browser, stack, artifacts, tmp_path_factory):
    # GIVEN a finished sprite of a 16 s clip (preset 10: a cell every 10 s)
    clip = make_clip(tmp_path_factory.mktemp("sprite") / "sixteen.mp4", seconds=16, width=320, height=180)
    stack.client.upload(clip, key="sprite/sixteen.mp4")
    task_id = stack.client.create_task(
        {
            "input": {"bucket": INPUT, "key": "sprite/sixteen.mp4"},
            "output": {"bucket": OUTPUT, "dir": "sprite/"},
            "subtasks": [{"type": "Snapshot", "definition": 10, "kind": "sprite"}],
        }
    )["task_id"]
    wait_for(lambda: stack.client.task(task_id)["status"] == "FINISH", timeout=90)
    sign_in(page, stack)
    # WHEN the user opens it
    row, viewer = open_sprite(page, stack, task_id)
    # THEN the row and the viewer say the same: 2 files, one sheet and the track
    expect(row.get_by_test_id("output-count")).to_have_text("2 files: 1 sprite sheet + WebVTT track")
    expect(viewer.get_by_test_id("sprite-count")).to_contain_text("2 files: 1 sprite sheet holding 2 thumbnails")
    # AND the sheet is sized to its cells, not a 1420x800 picture of black
    expect(viewer.get_by_test_id("gallery-item")).to_have_count(1)
    expect(viewer.get_by_test_id("gallery-item")).to_contain_text("284×80")
    # AND the cues list their times, and scrubbing shows the cell of the time
    expect(viewer.get_by_test_id("sprite-cue")).to_have_count(2)
    expect(viewer.get_by_test_id("sprite-cue").nth(1)).to_contain_text("10.0s – 16.0s")
    expect(viewer.get_by_test_id("sprite-time")).to_contain_text("0.00s – 10.0s")
    viewer.get_by_test_id("sprite-scrub").fill("12")
    expect(viewer.get_by_test_id("sprite-time")).to_contain_text("10.0s – 16.0s")
    cell = viewer.get_by_test_id("sprite-preview").locator(".sprite-cell")
    assert cell.evaluate("el => el.style.backgroundPosition") == "-284px 0px"  # cell 2 at x 142, shown at 2x
    loaded = cell.evaluate(
        """el => new Promise((resolve) => { const img = new Image();
            img.onload = () => resolve([img.naturalWidth, img.naturalHeight]); img.onerror = () => resolve(null);
            img.src = getComputedStyle(el).backgroundImage.slice(5, -2); })"""
    )
    assert loaded == [284, 80]
    track = viewer.get_by_test_id("sprite-track")
    assert page.request.get(track.get_attribute("href")).text().startswith("WEBVTT")
    page.screenshot(path=str(artifacts / "sprite-viewer-en.png"))
    # AND the same page in zh-CN counts in Chinese
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    context.set_default_timeout(15_000)
    zh = context.new_page()
    try:
        zh.goto(stack.url + "/")
        zh.get_by_label("账号令牌").fill(stack.token)
        zh.get_by_role("button", name="登录").click()
        zh_row, zh_viewer = open_sprite(zh, stack, task_id)
        expect(zh_row.get_by_test_id("output-count")).to_have_text("2 个文件：1 张雪碧图 + WebVTT 轨道")
        expect(zh_viewer.get_by_test_id("sprite-count")).to_contain_text("共 2 个文件：1 张雪碧图，含 2 个缩略图")
        expect(zh_viewer.get_by_test_id("sprite-cue")).to_have_count(2)
        zh.screenshot(path=str(artifacts / "sprite-viewer-zh-CN.png"))
        assert zh.evaluate("() => [...window.__i18nMissing]") == []
    finally:
        context.close()
    assert page.evaluate("() => [...window.__i18nMissing]") == []
    assert not page.errors
