"""Templates and workflows through the api function."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

SNAP = {"type": "Snapshot", "definition": 10, "kind": "sampled"}


def test_presets_are_listed_and_cannot_change(api):
    reply = api.get("/api/v1/templates?type=Transcode")
    assert reply.status == 200
    defs = {t["definition"]: t for t in reply.body["templates"]}
    assert {100010, 100030, 100280} <= set(defs) and all(t["preset"] for t in defs.values())
    assert defs[100030]["container"] == "mp4" and defs[100030]["height"] == 720
    snaps = api.get("/api/v1/templates?type=Snapshot").body["templates"]
    assert {t["kind"] for t in snaps} >= {"time_offset", "sampled", "sprite"}
    assert api.put("/api/v1/templates/100030", {"name": "x"}).code == "FailedOperation.PresetTemplate"
    assert api.delete("/api/v1/templates/100030").code == "FailedOperation.PresetTemplate"
    assert api.get("/api/v1/templates?type=Bogus").code == "InvalidParameterValue.Type"


def test_custom_template_lifecycle_and_use(api, deps, invoker, tmp_path):
    # GIVEN a custom 240p WebM/VP9 template
    body = {
        "type": "Transcode",
        "name": "small webm",
        "container": "webm",
        "video_codec": "vp9",
        "audio_codec": "opus",
        "height": 240,
        "video_bitrate_kbps": 300,
        "audio_bitrate_kbps": 64,
        "sample_rate": 48000,
    }
    created = api.post("/api/v1/templates", body)
    assert created.status == 201, created.body
    definition = created.body["definition"]
    assert definition >= 1_000_000 and created.body["preset"] is False and created.body["container"] == "webm"
    assert definition in [t["definition"] for t in api.get("/api/v1/templates?type=Transcode").body["templates"]]
    # WHEN it is edited
    edited = api.put(f"/api/v1/templates/{definition}", {**body, "name": "tiny webm", "height": 144})
    assert edited.status == 200 and edited.body["height"] == 144 and edited.body["name"] == "tiny webm"
    # AND used by a workflow, it cannot be deleted
    wf = api.post(
        "/api/v1/workflows",
        {"name": "webm", "prefix": "webm/", "subtasks": [{"type": "Transcode", "definition": definition}]},
    )
    assert wf.status == 201
    assert api.delete(f"/api/v1/templates/{definition}").code == "ResourceInUse.Template"
    assert api.delete(f"/api/v1/workflows/{wf.body['workflow_id']}").status == 200
    assert api.delete(f"/api/v1/templates/{definition}").status == 200
    assert api.delete(f"/api/v1/templates/{definition}").status == 404


@pytest.mark.parametrize(
    "body, code",
    [
        ({"type": "Transcode", "name": "x", "container": "flv", "video_codec": "vp9"}, None),
        ({"type": "Transcode", "name": "x", "height": 99999}, None),
        ({"type": "Transcode", "name": "x", "remove_audio": True, "remove_video": True}, None),
        ({"type": "Transcode", "name": "x", "bogus_field": 1}, None),
        ({"type": "Transcode", "name": ""}, "InvalidParameterValue.Name"),
        ({"type": "Snapshot", "name": "x", "kind": "sprite", "rows": 0}, None),
        ({"type": "Nope", "name": "x"}, "InvalidParameterValue.Type"),
    ],
)
def test_bad_templates_are_refused_with_a_clear_error(api, body, code):
    reply = api.post("/api/v1/templates", body)
    assert reply.status == 400, reply.body
    assert reply.code.startswith(("InvalidParameter", "UnknownParameter")) and reply.body["error"]["message"]
    if code:
        assert reply.code == code


def test_workflow_crud_enable_disable_and_match(api, deps):
    created = api.post(
        "/api/v1/workflows",
        {
            "name": "cams",
            "prefix": "cams/",
            "suffixes": ["MP4", ".mov"],
            "subtasks": [{"type": "Transcode", "definition": 100040}, SNAP],
            "output": {"dir": "cams-out/{task_id}/"},
        },
    )
    assert created.status == 201, created.body
    wf = created.body
    assert wf["suffixes"] == ["mp4", "mov"] and wf["output"]["bucket"] == deps.settings.output_bucket
    listed = [w["workflow_id"] for w in api.get("/api/v1/workflows").body["workflows"]]
    assert wf["workflow_id"] in listed
    match = api.post("/api/v1/workflows/match", {"bucket": deps.settings.input_bucket, "key": "cams/a/clip.MP4"})
    [hit] = [m for m in match.body["matches"] if m["workflow_id"] == wf["workflow_id"]]
    assert hit["outputs"][0]["keys"] == ["cams-out/{task_id}/clip_transcode_100040.mp4"]
    assert hit["outputs"][1]["keys"] == ["cams-out/{task_id}/clip_sampleSnapshot_10_{number}.jpg"]
    miss = api.post("/api/v1/workflows/match", {"bucket": deps.settings.input_bucket, "key": "cams/a/doc.pdf"})
    assert wf["workflow_id"] not in [m["workflow_id"] for m in miss.body["matches"]]
    off = api.post(f"/api/v1/workflows/{wf['workflow_id']}/disable")
    assert off.status == 200 and off.body["enabled"] is False
    again = api.post("/api/v1/workflows/match", {"bucket": deps.settings.input_bucket, "key": "cams/a/clip.mp4"})
    assert wf["workflow_id"] not in [m["workflow_id"] for m in again.body["matches"]]
    assert api.post(f"/api/v1/workflows/{wf['workflow_id']}/enable").body["enabled"] is True
    changed = api.put(f"/api/v1/workflows/{wf['workflow_id']}", {**wf, "name": "cams 2", "prefix": "cams2/"})
    assert changed.status == 200 and changed.body["prefix"] == "cams2/"
    assert api.get(f"/api/v1/workflows/{wf['workflow_id']}").body["name"] == "cams 2"
    assert api.delete(f"/api/v1/workflows/{wf['workflow_id']}").status == 200
    assert api.get(f"/api/v1/workflows/{wf['workflow_id']}").status == 404


@pytest.mark.parametrize(
    "body, code",
    [
        (
            {
                "name": "loop",
                "prefix": "loop/",
                "subtasks": [SNAP],
                "output": {"bucket": "openmps-input-1250000000", "dir": "loop/out/"},
            },
            "InvalidParameterValue.OutputDir",
        ),
        ({"name": "x", "prefix": "x/", "subtasks": []}, "InvalidParameterValue.Subtasks"),
        (
            {"name": "x", "prefix": "x/", "subtasks": [{"type": "Transcode", "definition": 5}]},
            "InvalidParameterValue.Definition",
        ),
        (
            {"name": "x", "prefix": "x/", "bucket": "elsewhere-1250000000", "subtasks": [SNAP]},
            "InvalidParameterValue.Bucket",
        ),
        ({"name": "x", "prefix": "x/", "suffixes": ["m p4"], "subtasks": [SNAP]}, "InvalidParameterValue.Suffixes"),
        ({"prefix": "x/", "subtasks": [SNAP]}, "InvalidParameterValue.Name"),
    ],
)
def test_bad_workflows_are_refused(api, body, code):
    reply = api.post("/api/v1/workflows", body)
    assert (reply.status, reply.code) == (400, code), reply.body


def test_an_enabled_rule_cannot_feed_another(api):
    first = api.post(
        "/api/v1/workflows",
        {
            "name": "a",
            "prefix": "chain-a/",
            "subtasks": [SNAP],
            "output": {"bucket": "openmps-input-1250000000", "dir": "chain-b/"},
        },
    )
    assert first.status == 201
    second = api.post("/api/v1/workflows", {"name": "b", "prefix": "chain-b/", "subtasks": [SNAP]})
    assert second.code == "InvalidParameterValue.OutputDir"
    api.post(f"/api/v1/workflows/{first.body['workflow_id']}/disable")
    assert api.post("/api/v1/workflows", {"name": "b", "prefix": "chain-b/", "subtasks": [SNAP]}).status == 201


def test_objects_and_config(api, deps, tmp_path):
    deps.storage.put_stream(deps.settings.input_bucket, "browse/x/a.mp4", open(__file__, "rb"))
    listed = api.get("/api/v1/objects?prefix=browse/x/").body
    assert [o["key"] for o in listed["objects"]] == ["browse/x/a.mp4"] and listed["objects"][0]["size"] > 0
    assert api.get("/api/v1/objects?bucket=nope-1250000000").code == "InvalidParameterValue.Bucket"
    assert api.get("/api/v1/config").body["input_bucket"] == deps.settings.input_bucket
