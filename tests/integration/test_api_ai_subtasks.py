"""The three AI subtask types through the API, the worker and the aggregator."""

from __future__ import annotations

import pytest

from tests.ai_media_fixtures import make_text_clip
from tests.integration.pipeline_helpers import drain
from tests.integration.test_api_tasks import create, put_input
from tests.media_fixtures import make_garbage

pytestmark = pytest.mark.integration

REVIEW = {"type": "ContentReview", "definition": 10}
ANALYSIS = {"type": "ContentAnalysis", "definition": 10}
ENHANCE = {"type": "Enhancement", "definition": 10}


def test_review_analysis_and_enhancement_run_and_show_results(api, deps, invoker, tmp_path):
    key = put_input(deps, tmp_path, seconds=2)
    reply = create(api, deps, key, [REVIEW, ANALYSIS, ENHANCE])
    assert reply.status == 201, reply.body
    task_id = reply.body["task_id"]
    drain(deps, invoker)
    done = api.get(f"/api/v1/tasks/{task_id}").body
    assert done["status"] == "FINISH"
    assert [s["status"] for s in done["subtasks"]] == ["SUCCESS"] * 3, done["subtasks"]
    review, analysis, enhance = (api.get(f"/api/v1/tasks/{task_id}/subtasks/{n}").body for n in (1, 2, 3))
    assert review["result"]["suggestion"] == "pass"
    assert review["result"]["asr"] == "not_supported"
    assert analysis["result"] and enhance["result"]
    # review and analysis have results to view, nothing to download
    for n in (1, 2):
        view = api.get(f"/api/v1/tasks/{task_id}/subtasks/{n}/view").body
        assert view["kind"] == "result" and view["result"] and view["result_url"]
        assert api.get(f"/api/v1/tasks/{task_id}/subtasks/{n}/download").code == "FailedOperation.NoDownloadableOutput"
    # outputs are files to play or download; the result's own files (evidence, covers, JSON) sit in the result
    assert review["outputs"] == [] and analysis["outputs"] == []
    assert [o["key"].rsplit(".", 1)[-1] for o in enhance["outputs"]] == ["mp4"]
    for sub in (review, analysis, enhance):
        files = sub["result"]["result_files"]
        assert files[-1]["key"].endswith("_result.json") and all(f["bucket"] and f["size"] > 0 for f in files)
    covers = [f for f in analysis["result"]["result_files"] if f["key"].endswith(".jpg")]
    analysis_view = api.get(f"/api/v1/tasks/{task_id}/subtasks/2/view").body
    assert covers and {i["key"] for i in analysis_view["items"]} == {f["key"] for f in covers}
    video = api.get(f"/api/v1/tasks/{task_id}/subtasks/3/view").body
    assert video["kind"] == "video" and video["items"][0]["name"].endswith(".mp4")
    assert api.get(f"/api/v1/tasks/{task_id}/subtasks/3/download").status == 302


def test_review_evidence_frames_are_results_the_view_serves(api, deps, invoker, tmp_path):
    # GIVEN a clip with a blocked keyword on screen, reviewed through the API
    key = put_input(deps, tmp_path, name="ad.mp4", maker=make_text_clip, text="Buy cheap casino chips now")
    task_id = create(api, deps, key, [REVIEW]).body["task_id"]
    drain(deps, invoker)
    # WHEN the subtask and its view are read
    review = api.get(f"/api/v1/tasks/{task_id}/subtasks/1").body
    view = api.get(f"/api/v1/tasks/{task_id}/subtasks/1/view").body
    # THEN the evidence frames are in the result, not the outputs, and the view serves each one a segment names
    assert review["status"] == "SUCCESS" and review["result"]["suggestion"] == "block"
    assert review["outputs"] == []
    named = {s["pic_file"] for s in review["result"]["segments"] if s.get("pic_file")}
    served = {i["name"]: i for i in view["items"]}
    assert named and named <= set(served)
    assert all(served[n]["url"] and served[n]["content_type"] == "image/jpeg" for n in named)


def test_ai_engines_on_a_corrupt_input_fail_with_a_code_and_the_task_finishes(api, deps, invoker, tmp_path):
    key = put_input(deps, tmp_path, name="junk.mp4", maker=make_garbage)
    task_id = create(api, deps, key, [REVIEW, ANALYSIS, ENHANCE]).body["task_id"]
    drain(deps, invoker)
    done = api.get(f"/api/v1/tasks/{task_id}").body
    assert done["status"] == "FINISH" and done["has_failed"]
    assert all(s["status"] == "FAIL" and s["err_code"] == "InvalidMedia.Unreadable" for s in done["subtasks"])


def test_ai_templates_are_listed_and_custom_ones_validated(api):
    types = {t["type"] for t in api.get("/api/v1/templates").body["templates"]}
    assert {"ContentReview", "ContentAnalysis", "Enhancement"} <= types
    bad = api.post("/api/v1/templates", {"type": "ContentReview", "name": "r", "sample_interval": 0})
    assert bad.status == 400 and bad.code.startswith("InvalidParameterValue")
    good = api.post("/api/v1/templates", {"type": "Enhancement", "name": "just sharpen", "sharpen": "normal"})
    assert good.status == 201, good.body


def test_a_preset_read_back_can_be_posted_as_a_custom_template(api):
    [preset] = [t for t in api.get("/api/v1/templates?type=ContentReview").body["templates"] if t["definition"] == 10]
    body = {k: v for k, v in preset.items() if k not in ("definition", "preset", "comment")}
    body["name"] = "my review"
    created = api.post("/api/v1/templates", body)
    assert created.status == 201, created.body
    assert {k: v for k, v in created.body.items() if k in preset and k not in ("definition", "preset", "name")} == {
        k: v for k, v in preset.items() if k not in ("definition", "preset", "name")
    }
