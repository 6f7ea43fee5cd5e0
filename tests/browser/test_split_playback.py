"""A transcode split across the local runtime's transcode slots (real worker processes, one
invocation per part), played in Chromium through the console: across every join and to the end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.harness import RunningStack, start_stack, stop_stack, wait_for
from tests.browser.conftest import TOKEN, sign_in
from tests.integration.split_checks import make_split_clip

pytestmark = pytest.mark.browser

INPUT, OUTPUT = "openmps-input-1250000000", "openmps-output-1250000000"
SPLIT_ENV = {
    "OPENMPS_CONCURRENCY": "transcode=2",
    "OPENMPS_HEARTBEAT_SECONDS": "0.5",
    "OPENMPS_SPLIT_THRESHOLD_SECONDS": "5",
    "OPENMPS_SPLIT_SEGMENT_SECONDS": "4",
}


@pytest.fixture(scope="module")
def split_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("split-stack") / "data", TOKEN, SPLIT_ENV)
    yield running
    stop_stack(running)


@pytest.fixture
def split_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    yield page
    context.close()


def test_a_split_transcode_plays_across_its_joins(split_page, split_stack, tmp_path):
    # GIVEN a 12.5 s clip (parts 0-4, 4-8, 8-12, 12-12.5 s and the audio) on a stack that splits
    clip = make_split_clip(tmp_path / "long-source.mp4", 12.5)
    split_stack.client.upload(clip, key="manual/long-source.mp4")
    # WHEN a transcode of it runs
    task = split_stack.client.create_task(
        {
            "input": {"bucket": INPUT, "key": "manual/long-source.mp4"},
            "output": {"bucket": OUTPUT, "dir": "split/"},
            "subtasks": [{"type": "Transcode", "definition": 100010}],
        }
    )
    task_id = task["task_id"]
    wait_for(lambda: split_stack.client.task(task_id)["status"] == "FINISH", timeout=120)
    detail = split_stack.client.task(task_id)
    [sub] = detail["subtasks"]
    assert sub["status"] == "SUCCESS", sub
    # THEN it ran as parts, each an invocation of the transcode function of its own
    lines = split_stack.log.read_text().splitlines()  # "[transcode] {json}" per worker log line
    logged = [json.loads(line.split("] ", 1)[1]) for line in lines if line.startswith("[transcode] {")]
    parts = {entry.get("part") for entry in logged if entry.get("task_id") == task_id and entry.get("part")}
    assert parts == {1, 2, 3, 4, 5}, parts
    # and the joined MP4 plays in Chromium through every join and to its end
    sign_in(split_page, split_stack)
    page = split_page
    page.goto(f"{page.url.split('#')[0]}#/tasks?expand={task_id}")
    page.locator('tr[data-type="Transcode"]').get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=output-player] video');"
        " return v && v.readyState >= 1 && v.duration > 0; }"
    )
    played = page.evaluate("""async () => {
        const v = document.querySelector('[data-testid=output-player] video');
        v.muted = true;
        const passed = [];
        for (const join of [4, 8, 12]) {
            await new Promise((resolve) => {
                v.addEventListener('seeked', resolve, { once: true });
                v.currentTime = join - 0.5;
            });
            await v.play();
            await new Promise((resolve, reject) => {
                const t = setInterval(() => {
                    if (v.error) { clearInterval(t); reject(new Error('media error ' + v.error.code)); }
                    const past = v.currentTime >= Math.min(join + 0.3, v.duration - 0.05);
                    if (past || v.ended) { clearInterval(t); resolve(); }
                }, 20);
            });
            passed.push(v.currentTime);
            v.pause();
        }
        v.currentTime = v.duration - 0.3;
        await v.play();
        await new Promise((resolve) => {
            if (v.ended) resolve(); else v.addEventListener('ended', resolve, { once: true });
        });
        const quality = v.getVideoPlaybackQuality();
        return { duration: v.duration, passed, ended: v.ended, error: v.error, decoded: quality.totalVideoFrames };
    }""")
    assert played["error"] is None and played["ended"] is True
    assert played["duration"] == pytest.approx(12.5, abs=0.1)
    assert [round(t) for t in played["passed"]] == [4, 8, 12], played
    assert played["decoded"] > 0
    assert page.errors == []
