"""A new subtask kind is one module plus one registration: nothing else hard-codes the five."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from shared.domain import kinds
from shared.domain.kinds.checks import as_int, check_object, dataclass_json
from shared.domain.templates import Template

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class WatermarkParams:
    opacity: int = 50


def _validate(data: Mapping[str, Any] | None) -> WatermarkParams:
    data = check_object(data, WatermarkParams)
    return WatermarkParams(opacity=as_int("opacity", data.get("opacity", 50)))


# What a kind module would hold: the one place a "Watermark" subtask is described.
WATERMARK = kinds.SubtaskKind(
    name="Watermark",
    function="watermark",
    params_type=WatermarkParams,
    validate=_validate,
    from_json=_validate,
    to_json=dataclass_json,
    presets=(Template(10, "Watermark", "Corner-Logo", WatermarkParams()),),
    stems={"": "{name}_watermark_{definition}"},
    example_outputs=lambda stem, _params: [f"{stem}.mp4"],
    label_key="type.Watermark",
    view_kind="video",
)


@pytest.fixture
def watermark() -> Iterator[kinds.SubtaskKind]:
    kinds.register(WATERMARK)  # the one registration line
    yield WATERMARK
    kinds.unregister(WATERMARK.name)


def test_a_registered_kind_is_accepted_by_templates_tasks_and_workflows(api, deps, invoker, tmp_path, watermark):
    # GIVEN an input object
    key = f"input/{uuid.uuid4().hex[:8]}/clip.mp4"
    (tmp_path / "clip.mp4").write_bytes(b"not really media")
    with (tmp_path / "clip.mp4").open("rb") as f:
        deps.storage.put_stream(deps.settings.input_bucket, key, f)
    # WHEN the catalog lists and validates templates of the new kind
    listed = api.get("/api/v1/templates?type=Watermark")
    custom = api.post("/api/v1/templates", {"type": "Watermark", "name": "faint", "opacity": 10})
    refused = api.post("/api/v1/templates", {"type": "Watermark", "name": "x", "size": 3})
    # THEN its preset is listed, its own validator runs, and its params are stored as its JSON
    assert listed.status == 200 and [t["name"] for t in listed.body["templates"]] == ["Corner-Logo"]
    assert custom.status == 201, custom.body
    assert custom.body["opacity"] == 10 and custom.body["type"] == "Watermark"
    assert refused.status == 400 and refused.code == "UnknownParameter"

    # WHEN a task asks for it, with the preset and with the custom template
    body = {
        "input": {"bucket": deps.settings.input_bucket, "key": key},
        "output": {"bucket": deps.settings.output_bucket, "dir": "wm/{task_id}/"},
        "subtasks": [
            {"type": "Watermark", "definition": 10},
            {"type": "Watermark", "definition": custom.body["definition"]},
        ],
    }
    reply = api.post("/api/v1/tasks", body)
    # THEN the task is created and each subtask goes to the kind's own worker function
    assert reply.status == 201, reply.body
    assert [s["type"] for s in reply.body["subtasks"]] == ["Watermark", "Watermark"]
    calls = invoker.take("watermark")
    assert [c["index"] for c in calls] == [1, 2]
    detail = api.get(f"/api/v1/tasks/{reply.body['task_id']}/subtasks/2")
    assert detail.status == 200 and detail.body["params"] == {"opacity": 10}
    # (no worker runs here: stop the task, so no reconciler of a later test finds it after unregister)
    assert api.post(f"/api/v1/tasks/{reply.body['task_id']}/terminate").status == 200

    # WHEN a workflow uses it, its dry run names the outputs the kind declares
    wf = api.post(
        "/api/v1/workflows",
        {"name": "wm", "prefix": "wm-in/", "subtasks": [{"type": "Watermark", "definition": 10}]},
    )
    assert wf.status == 201, wf.body
    match = api.post("/api/v1/workflows/match", {"bucket": deps.settings.input_bucket, "key": "wm-in/a/cam.mp4"})
    outputs = [o for m in match.body["matches"] if m["name"] == "wm" for o in m["outputs"]]
    assert outputs and outputs[0]["keys"][0].endswith("cam_watermark_10.mp4")


def test_an_unregistered_kind_is_refused_everywhere(api, deps):
    # GIVEN no Watermark kind registered
    assert kinds.find("Watermark") is None
    # THEN templates and tasks refuse it with the codes the API has always used
    assert api.get("/api/v1/templates?type=Watermark").code == "InvalidParameterValue.Type"
    body = {
        "input": {"bucket": deps.settings.input_bucket, "key": "input/x.mp4"},
        "subtasks": [{"type": "Watermark", "definition": 10}],
    }
    assert api.post("/api/v1/tasks", body).code == "InvalidParameterValue.Type"
