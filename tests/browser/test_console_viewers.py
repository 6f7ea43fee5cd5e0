"""The console's output viewers: HLS playback (Chromium's own and the vendored hls.js), and the review,
analysis and enhancement views. HLS runs on the real stack; the AI results are served to the page by
Playwright (their engines are slow and their shapes are fixed by the API contract), the rest is real."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from infra.local.harness import wait_for
from tests.browser.conftest import sign_in
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.browser

INPUT, OUTPUT = "openmps-input-1250000000", "openmps-output-1250000000"
FAKE = "1250000000-WorkflowTask-0123456789abcdef0123456789abcdeft0"
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9"
    "awAAAABJRU5ErkJggg=="
)
state: dict[str, Any] = {}


def play_and_measure(page: Any, task_id: str) -> dict[str, Any]:
    page.goto(f"{page.url.split('#')[0]}#/tasks?expand={task_id}")
    page.locator('tr[data-type="Transcode"]').get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=output-player] video');"
        " return v && v.readyState >= 1 && v.duration > 0; }"
    )
    info = page.evaluate("""async () => {
        const v = document.querySelector('[data-testid=output-player] video');
        const seeked = await new Promise((resolve) => {
            v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
            v.currentTime = 2;
        });
        return { duration: v.duration, hlsjs: v.dataset.hls === 'true', seeked };
    }""")
    page.keyboard.press("Escape")
    return info


def test_hls_output_plays_natively_and_through_the_vendored_hls_js(page, stack, artifacts, tmp_path_factory):
    clip = make_clip(tmp_path_factory.mktemp("hls") / "hls-source.mp4", seconds=4)
    stack.client.upload(clip, key="manual/hls-source.mp4")
    resp = stack.client.session.post(
        stack.url + "/api/v1/tasks",
        timeout=10,
        json={
            "input": {"bucket": INPUT, "key": "manual/hls-source.mp4"},
            "output": {"bucket": OUTPUT, "dir": "hls/"},
            "subtasks": [{"type": "Transcode", "definition": 100210}],
        },
    )
    assert resp.status_code == 201, resp.text
    task_id = state["hls_task"] = resp.json()["task_id"]
    wait_for(lambda: stack.client.task(task_id)["status"] == "FINISH", timeout=90)
    sign_in(page, stack)
    native = play_and_measure(page, task_id)
    assert native["duration"] == pytest.approx(4, abs=0.3) and native["seeked"] == pytest.approx(2, abs=0.5)
    # a browser without native HLS (Chromium before 141, Firefox): the console falls back to hls.js
    page.context.add_init_script("""(() => {
        const own = HTMLMediaElement.prototype.canPlayType;
        HTMLMediaElement.prototype.canPlayType = function (type) {
            return /mpegurl/i.test(type) ? '' : own.call(this, type);
        };
    })()""")
    page.reload()
    page.get_by_test_id("task-table").wait_for()
    viahls = play_and_measure(page, task_id)
    assert viahls["hlsjs"] is True
    assert viahls["duration"] == pytest.approx(4, abs=0.3) and viahls["seeked"] == pytest.approx(2, abs=0.5)


def fake_task(stack: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    source = stack.client.session.get(f"{stack.url}/api/v1/tasks/{state['hls_task']}/source", timeout=10).json()
    base = {
        "attempt": 0,
        "begin_time": "2026-01-01T00:00:01Z",
        "finish_time": "2026-01-01T00:00:09Z",
        "progress": 100,
        "err_code": None,
        "message": None,
    }
    subtasks = [
        {
            **base,
            "index": 1,
            "type": "ContentReview",
            "status": "SUCCESS",
            "outputs": [],
            "template": {"definition": 10, "name": "Review-Image-And-Text", "type": "ContentReview"},
        },
        {
            **base,
            "index": 2,
            "type": "ContentAnalysis",
            "status": "SUCCESS",
            "outputs": [],
            "template": {"definition": 10, "name": "Analysis-All", "type": "ContentAnalysis"},
        },
        {
            **base,
            "index": 3,
            "type": "Enhancement",
            "status": "SUCCESS",
            "outputs": [{"bucket": OUTPUT, "key": "ai/clip_enhance_30.mp4", "size": 1000, "duration": 4.0}],
            "template": {"definition": 30, "name": "Loudness-To-Minus-16-LUFS", "type": "Enhancement"},
        },
    ]
    task = {
        "task_id": FAKE,
        "status": "FINISH",
        "create_time": "2026-01-01T00:00:00Z",
        "begin_process_time": "2026-01-01T00:00:01Z",
        "finish_time": "2026-01-01T00:00:09Z",
        "input": {"bucket": INPUT, "key": "input/ai/clip.mp4"},
        "output": {"bucket": OUTPUT, "dir": "ai/"},
        "origin": "api",
        "workflow_id": None,
        "attempt": 0,
        "has_failed": False,
        "err_code": None,
        "message": None,
        "subtask_counts": {"waiting": 0, "processing": 0, "success": 3, "fail": 0},
    }
    review = {
        "type": "ContentReview",
        "suggestion": "review",
        "confidence": 88.0,
        "label": "Ad",
        "duration": 10.0,
        "sample_interval": 1.0,
        "frames_sampled": 10,
        "asr": "not_supported",
        "tasks": [
            {"type": "Porn", "suggestion": "pass", "confidence": 0.0, "segment_count": 0},
            {"type": "Ad.Ocr", "suggestion": "review", "confidence": 88.0, "segment_count": 2},
        ],
        "segment_count": 2,
        "segments": [
            {
                "type": "Ad.Ocr",
                "start_time_offset": 1.0,
                "end_time_offset": 3.0,
                "confidence": 88.0,
                "suggestion": "review",
                "label": "Ad",
                "keyword_set": ["promo code"],
                "pic_file": "clip_evidence_0.jpg",
            },
            {
                "type": "Ad.Ocr",
                "start_time_offset": 6.0,
                "end_time_offset": 7.0,
                "confidence": 75.0,
                "suggestion": "review",
                "label": "Ad",
                "keyword_set": ["加微信"],
                "pic_file": None,
            },
        ],
        "files": ["clip_evidence_0.jpg"],
        "result_file": "clip_result.json",
        "engine": {"name": "local"},
    }
    analysis = {
        "type": "ContentAnalysis",
        "duration": 10.0,
        "summary": "A 10 s landscape video in 3 scenes.",
        "cuts": [3.2, 6.8],
        "scene_count": 3,
        "cover": {"cover_file": "clip_cover_0.jpg", "time_offset": 4.0, "confidence": 81.5},
        "tags": [
            {"tag": "OpenMPS", "confidence": 92.0, "source": "ocr"},
            {"tag": "landscape", "confidence": 100.0, "source": "technical"},
        ],
        "highlights": [
            {"start_time_offset": 1.0, "end_time_offset": 6.0, "activity": 0.5, "confidence": 100.0, "scene_index": 1}
        ],
        "black_segments": [],
        "silence_segments": [{"start_time_offset": 8.0, "end_time_offset": 10.0, "duration": 2.0}],
        "loudness": {"integrated": -20.5, "range": 5.1, "true_peak": -2.0, "threshold": -30.6},
        "engine": {"name": "local", "ocr": "rapidocr"},
        "files": ["clip_cover_0.jpg"],
        "result_file": "clip_result.json",
    }
    views = {
        1: {
            "kind": "result",
            "result": review,
            "items": [{"url": PIXEL, "name": "clip_evidence_0.jpg", "content_type": "image/jpeg", "time_offset": 1.5}],
        },
        2: {
            "kind": "result",
            "result": analysis,
            "items": [{"url": PIXEL, "name": "clip_cover_0.jpg", "content_type": "image/jpeg", "time_offset": 4.0}],
        },
        3: {
            "kind": "video",
            "result": {
                "type": "Enhancement",
                "changes": {
                    "integrated_loudness": {"before": -30.1, "after": -16.0, "delta": 14.1},
                    "noise": {
                        "before": 0.372,
                        "after": 0.31,
                        "delta": -0.062,
                        "measured": "after_denoise_before_sharpen",
                    },
                    "output_noise": {"before": 0.372, "after": 0.4585, "delta": 0.0865},
                    "sharpness": {"before": 150.0, "after": 190.0, "delta": 40.0},
                },
            },
            "items": [{"url": source["url"], "name": "clip_enhance_30.mp4", "content_type": "video/mp4"}],
        },
    }
    return {**task, "subtasks": subtasks, "history": []}, views


@pytest.fixture(scope="module")
def ai_task(page, stack):
    task, views = fake_task(stack)
    summary = {k: v for k, v in task.items() if k not in ("subtasks", "history")}

    def handle(route: Any) -> None:
        url = route.request.url
        path = url.split("?")[0]
        if FAKE not in url:
            route.continue_()
        elif path.endswith("/api/v1/tasks"):
            route.fulfill(json={"tasks": [summary], "next_cursor": None})
        elif path.endswith("/view"):
            route.fulfill(json=views[int(path.split("/")[-2])])
        elif path.endswith("/download"):
            route.fulfill(
                status=409, json={"error": {"code": "FailedOperation.NoDownloadableOutput", "message": "no files"}}
            )
        else:
            route.fulfill(json=task)

    page.route("**/api/v1/tasks**", handle)
    page.goto(f"{stack.url}/#/tasks?task_id={FAKE}&expand={FAKE}")
    yield task
    page.unroute("**/api/v1/tasks**")


def sub(page: Any, type_: str) -> Any:
    return page.locator(f'tr[data-type="{type_}"]')


def test_review_and_analysis_have_no_download_and_no_output_location(page, ai_task):
    for type_ in ("ContentReview", "ContentAnalysis"):
        download = sub(page, type_).get_by_role("button", name="Download")
        expect(download).to_be_disabled()
        expect(download).to_have_attribute(
            "title", "Content analysis and review produce results, not files to download."
        )
        expect(sub(page, type_).locator(".cell-output")).to_have_text("None")
    expect(sub(page, "Enhancement").get_by_role("button", name="Download")).to_be_enabled()


def test_review_segments_on_a_timeline_with_evidence(page, ai_task, artifacts):
    sub(page, "ContentReview").get_by_role("button", name="View").click()
    dialog = page.get_by_test_id("review-dialog")
    expect(dialog).to_contain_text("Needs review")
    segments = dialog.get_by_test_id("review-segment")
    expect(segments).to_have_count(2)
    segments.first.click()
    detail = dialog.get_by_test_id("segment-detail")
    expect(detail).to_contain_text("promo code")
    expect(detail).to_contain_text("88%")
    expect(detail.get_by_test_id("evidence")).to_be_visible()
    expect(dialog.get_by_test_id("segment-table").locator("tbody tr")).to_have_count(2)
    page.screenshot(path=str(artifacts / "review-result.png"))
    page.keyboard.press("Escape")


def test_analysis_shows_scenes_tags_cover_and_more(page, ai_task, artifacts):
    sub(page, "ContentAnalysis").get_by_role("button", name="View").click()
    dialog = page.get_by_test_id("analysis-dialog")
    expect(dialog.get_by_test_id("analysis-summary")).to_contain_text("3 scenes")
    expect(dialog.get_by_test_id("analysis-cover")).to_be_visible()
    expect(dialog.get_by_test_id("analysis-tags")).to_contain_text("OpenMPS")
    expect(dialog.get_by_test_id("analysis-scenes").locator("tbody tr")).to_have_count(3)
    expect(dialog.get_by_test_id("analysis-highlights").locator("tbody tr")).to_have_count(1)
    expect(dialog.get_by_test_id("analysis-silence_segments")).to_contain_text("8.00s")
    expect(dialog).to_contain_text("Loudness")
    page.screenshot(path=str(artifacts / "analysis-result.png"))
    page.keyboard.press("Escape")


def test_enhancement_plays_with_its_before_after_summary(page, ai_task):
    sub(page, "Enhancement").get_by_role("button", name="Play").click()
    dialog = page.get_by_test_id("output-player")
    page.wait_for_function("() => document.querySelector('[data-testid=output-player] video')?.duration > 0")
    expect(dialog.get_by_test_id("enhance-changes")).to_contain_text("-16")
    # a grainier output after sharpening is explained, and the denoise step's own figure is the "Noise"
    expect(dialog.get_by_test_id("enhance-changes")).to_contain_text("Noise of the output file")
    expect(dialog.get_by_test_id("enhance-changes")).to_contain_text("Sharpness")
    expect(dialog.get_by_test_id("enhance-noise-note")).to_contain_text("after denoising and before sharpening")
    page.keyboard.press("Escape")


def test_no_uncaught_errors_in_the_page(page):
    assert page.errors == [], json.dumps(page.errors)
