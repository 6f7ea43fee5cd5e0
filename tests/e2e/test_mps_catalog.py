"""MPS templates and workflows through the official SDK (MpsClient 2019-06-12) against a running stack.

Every call goes through ``call``: the request is built from JSON by the SDK's request model and the
raw response is deserialized into the SDK's response model with warnings as errors (an unknown field
warns), then serialized back and compared with what the server sent (no field lost, none retyped).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.mps.v20190612 import models

from infra.local.harness import start_stack, stop_stack
from tests.e2e.conftest import FAST_RECOVERY, wait_for
from tests.e2e.test_mps_api import admin, local_pair, mps
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.e2e

INPUT_BUCKET = "openmps-input-1250000000"
OUTPUT_BUCKET = "openmps-output-1250000000"
REGION = "ap-guangzhou"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = start_stack(tmp_path_factory.mktemp("catalog") / "data", "catalog-token", FAST_RECOVERY)
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def client(stack):
    return mps(stack, pair=local_pair(stack))


@pytest.fixture(scope="module")
def stranger(stack):
    other = json.loads(admin(stack, "accounts", "create", "--json"))
    return mps(stack, pair=(other["secret_id"], other["secret_key"]))


def call(client, action: str, **fields: Any) -> Any:
    """The SDK's response model of ``action``; fails on an unknown or lost response field."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        request = getattr(models, f"{action}Request")()
        request.from_json_string(json.dumps(fields))  # a misspelt request field warns too
        raw = client.call_json(action, json.loads(request.to_json_string()))["Response"]
        response = getattr(models, f"{action}Response")()
        response._deserialize(raw)
    assert response._serialize() == raw, f"{action}: the SDK's model does not hold the response as sent"
    return response


def code_of(client, action: str, **fields: Any) -> tuple[str, str]:
    with pytest.raises(TencentCloudSDKException) as caught:
        call(client, action, **fields)
    assert caught.value.get_request_id()
    return caught.value.get_code(), caught.value.get_message()


def described(client, family: str, **fields: Any) -> list[Any]:
    reply = call(client, f"Describe{family}s", **fields)
    items = getattr(reply, f"{family}Set")
    assert reply.TotalCount >= len(items)
    return items


def rest_template(stack, definition: int) -> dict[str, Any] | None:
    return next((t for t in stack.client.templates() if t["definition"] == definition), None)


MP4_640 = {
    "Container": "mp4",
    "Name": "mps-640",
    "Comment": "made with the SDK",
    "VideoTemplate": {"Codec": "h264", "Fps": 25, "Bitrate": 800, "Width": 640, "Height": 0, "Gop": 50},
    "AudioTemplate": {"Codec": "aac", "Bitrate": 96, "SampleRate": 44100, "AudioChannel": 2},
}


# ---- transcode templates ----------------------------------------------------------------------------
def test_a_transcode_template_is_created_described_modified_and_deleted_and_shows_in_rest(stack, client):
    # WHEN a transcode template is created with the SDK
    definition = call(client, "CreateTranscodeTemplate", **MP4_640).Definition
    # THEN it has an int Definition and reads back with the SDK's types (Definition a str there)
    assert isinstance(definition, int) and definition >= 1_000_000
    [item] = described(client, "TranscodeTemplate", Definitions=[definition])
    assert item.Definition == str(definition) and item.Type == "Custom" and item.Name == "mps-640"
    assert (item.Container, item.RemoveVideo, item.RemoveAudio, item.ContainerType) == ("mp4", 0, 0, "Video")
    video, audio = item.VideoTemplate, item.AudioTemplate
    assert (video.Codec, video.Fps, video.Bitrate, video.Width, video.Height) == ("h264", 25, 800, 640, 0)
    # a GOP of 50 frames at 25 fps is kept as 2 s
    assert (video.Gop, video.GopUnit, video.ResolutionAdaptive) == (2, "second", "open")
    assert (audio.Codec, audio.Bitrate, audio.SampleRate, audio.AudioChannel) == ("aac", 96, 44100, 2)
    # AND the REST API and the console see the same template
    rest = rest_template(stack, definition)
    assert rest is not None and rest["type"] == "Transcode" and rest["width"] == 640
    assert (
        rest["video_bitrate_kbps"] == 800
        and rest["audio_bitrate_kbps"] == 96
        and rest["comment"] == "made with the SDK"
    )

    # WHEN only the video bitrate and the name are modified
    call(client, "ModifyTranscodeTemplate", Definition=definition, Name="mps-640b", VideoTemplate={"Bitrate": 1200})
    # THEN the rest of the template is kept
    [item] = described(client, "TranscodeTemplate", Definitions=[definition])
    assert (item.Name, item.VideoTemplate.Bitrate, item.VideoTemplate.Width) == ("mps-640b", 1200, 640)
    assert rest_template(stack, definition)["video_bitrate_kbps"] == 1200

    # WHEN it is deleted
    call(client, "DeleteTranscodeTemplate", Definition=definition)
    # THEN it is gone everywhere, and a second delete says so
    assert described(client, "TranscodeTemplate", Definitions=[definition]) == []
    assert rest_template(stack, definition) is None
    assert code_of(client, "DeleteTranscodeTemplate", Definition=definition)[0] == "ResourceNotFound.TemplateNotExist"


@pytest.mark.parametrize(
    ("fields", "code", "named"),
    [
        ({"Container": "ts"}, "InvalidParameterValue.Container", "Container"),
        ({"Container": "mp4", "VideoTemplate": {"Codec": "vp8"}}, "InvalidParameterValue.VideoCodec", "Codec"),
        ({"Container": "mp4", "VideoTemplate": {"Fps": 200}}, "InvalidParameterValue.Fps", "Fps"),
        ({"Container": "mp4", "VideoTemplate": {"Width": 100}}, "InvalidParameterValue.Width", "Width"),
        ({"Container": "mp4", "VideoTemplate": {"Height": 9000}}, "InvalidParameterValue.Height", "Height"),
        ({"Container": "mp4", "VideoTemplate": {"Bitrate": 5}}, "InvalidParameterValue.VideoBitrate", "Bitrate"),
        ({"Container": "mp4", "AudioTemplate": {"Codec": "ac3"}}, "InvalidParameterValue.AudioCodec", "Codec"),
        (
            {"Container": "mp4", "AudioTemplate": {"AudioChannel": 4}},
            "InvalidParameterValue.AudioChannel",
            "AudioChannel",
        ),
        ({"Container": "webm", "VideoTemplate": {"Codec": "h264"}}, "InvalidParameterValue.VideoCodec", "Codec"),
        ({"Container": "mp4", "VideoTemplate": {"Mode": "VBR"}}, "UnsupportedOperation", "VideoTemplate.Mode"),
        ({"Container": "mp4", "VideoTemplate": {"FillType": "black"}}, "InvalidParameterValue.FillType", "FillType"),
        ({"Container": "mp4", "VideoTemplate": {"Gop": 50}}, "UnsupportedOperation", "VideoTemplate.Gop"),
        ({"Container": "mp4", "TEHDConfig": {"Type": "TEHD-100"}}, "UnsupportedOperation", "TEHDConfig.Type"),
        ({"Container": "mp4", "AudioTemplate": {"AudioName": "en"}}, "UnsupportedOperation", "AudioName"),
        ({"Container": "mp4", "RemoveVideo": 2}, "InvalidParameterValue.RemoveVideo", "RemoveVideo"),
        ({"Name": "no container"}, "MissingParameter", "Container"),
    ],
)
def test_a_transcode_field_openmps_cannot_do_is_refused_by_name(client, fields, code, named):
    got, message = code_of(client, "CreateTranscodeTemplate", **fields)
    assert got == code and named in message, message


def test_a_template_ffmpeg_would_refuse_is_refused_at_creation_by_the_dry_run(stack, client):
    # GIVEN a template the tables pass but libvorbis has no mode for (32 kbps stereo at 44.1 kHz)
    fields = {"Container": "ogg", "Name": "thin-vorbis", "AudioTemplate": {"Codec": "vorbis", "Bitrate": 32}}
    before = len(stack.client.templates())
    # THEN it is refused with ffmpeg's reason, and nothing is stored
    code, message = code_of(client, "CreateTranscodeTemplate", **fields)
    assert code == "InvalidParameterValue.Template" and "ffmpeg refuses this template" in message
    assert len(stack.client.templates()) == before


def test_presets_are_described_and_cannot_be_modified_or_deleted(client):
    presets = described(client, "TranscodeTemplate", Type="Preset", Limit=100)
    hd = next(t for t in presets if t.Definition == "100030")
    assert hd.Type == "Preset" and hd.Container == "mp4" and hd.VideoTemplate.Height == 720
    assert {t.Type for t in presets} == {"Preset"}
    modify = code_of(client, "ModifyTranscodeTemplate", Definition=100030, Name="mine")
    assert modify[0] == "InvalidParameterValue.ModifyDefaultTemplate"
    assert (
        code_of(client, "DeleteTranscodeTemplate", Definition=100030)[0]
        == "InvalidParameterValue.DeleteDefaultTemplate"
    )
    for family in ("SnapshotByTimeOffsetTemplate", "SampleSnapshotTemplate", "ImageSpriteTemplate"):
        assert [t.Definition for t in described(client, family, Type="Preset")] == [10]
        assert code_of(client, f"Modify{family}", Definition=10, Width=320)[0] == (
            "InvalidParameterValue.ModifyDefaultTemplate"
        )
        assert code_of(client, f"Delete{family}", Definition=10)[0] == "InvalidParameterValue.DeleteDefaultTemplate"
    assert (
        code_of(client, "DeleteContentReviewTemplate", Definition=10)[0]
        == "InvalidParameterValue.DeleteDefaultTemplate"
    )
    assert (
        code_of(client, "ModifyAIAnalysisTemplate", Definition=10)[0] == "InvalidParameterValue.ModifyDefaultTemplate"
    )


def test_describe_pages_with_offset_and_limit_and_checks_its_filters(client):
    first = call(client, "DescribeTranscodeTemplates", Offset=0, Limit=5)
    second = call(client, "DescribeTranscodeTemplates", Offset=5, Limit=5)
    assert first.TotalCount == second.TotalCount > 10 and len(first.TranscodeTemplateSet) == 5
    assert not {t.Definition for t in first.TranscodeTemplateSet} & {t.Definition for t in second.TranscodeTemplateSet}
    audio = described(client, "TranscodeTemplate", ContainerType="PureAudio", Limit=100)
    assert all(t.ContainerType == "PureAudio" for t in audio)
    assert code_of(client, "DescribeTranscodeTemplates", Limit=101)[0] == "InvalidParameterValue.Limit"
    assert code_of(client, "DescribeTranscodeTemplates", Type="Mine")[0] == "InvalidParameterValue.Type"
    assert code_of(client, "DescribeSampleSnapshotTemplates", Definitions=list(range(101)))[0] == (
        "InvalidParameterValue.Definitions"
    )


# ---- enhancement, the MPS way ---------------------------------------------------------------------
def test_a_transcode_template_with_enhance_config_is_an_enhancement_template(stack, client):
    # WHEN a transcode template carries an EnhanceConfig
    enhance = {
        "VideoEnhance": {"Denoise": {"Switch": "ON", "Type": "strong"}, "FrameRate": {"Switch": "ON", "Fps": 50}},
        "AudioEnhance": {"VolumeBalance": {"Switch": "ON", "Type": "loudNorm"}},
    }
    definition = call(
        client, "CreateTranscodeTemplate", Container="mp4", Name="mps-enhance", EnhanceConfig=enhance
    ).Definition
    # THEN openmps stores an Enhancement template with those switches
    rest = rest_template(stack, definition)
    assert rest["type"] == "Enhancement" and rest["denoise"] == "strong" and rest["frame_rate"] == 50
    assert rest["loudness_normalize"] is True and rest["volume_balance"] is False
    # AND MPS reads it back as a transcode template with its EnhanceConfig
    [item] = described(client, "TranscodeTemplate", Definitions=[definition], TranscodeType="Enhance")
    video = item.EnhanceConfig.VideoEnhance
    assert (video.Denoise.Switch, video.Denoise.Type, video.FrameRate.Fps) == ("ON", "strong", 50)
    assert item.EnhanceConfig.AudioEnhance.VolumeBalance.Switch == "ON"
    assert described(client, "TranscodeTemplate", Definitions=[definition], TranscodeType="Common") == []
    # AND what openmps cannot do is refused by name
    hdr = {"VideoEnhance": {"Hdr": {"Switch": "ON", "Type": "HDR10"}}}
    code, message = code_of(client, "CreateTranscodeTemplate", Container="mp4", EnhanceConfig=hdr)
    assert code == "UnsupportedOperation" and "EnhanceConfig.VideoEnhance.Hdr" in message
    assert code_of(client, "CreateTranscodeTemplate", Container="flv", EnhanceConfig=enhance)[0] == (
        "InvalidParameterValue.Container"
    )
    off = {"VideoEnhance": {"Denoise": {"Switch": "OFF"}}}
    assert code_of(client, "CreateTranscodeTemplate", Container="mp4", EnhanceConfig=off)[0] == (
        "InvalidParameterValue.Switch"
    )
    # AND a plain transcode template cannot become an enhancement one
    plain = call(client, "CreateTranscodeTemplate", **MP4_640).Definition
    code, _ = code_of(client, "ModifyTranscodeTemplate", Definition=plain, EnhanceConfig=enhance)
    assert code == "UnsupportedOperation"
    call(
        client,
        "ModifyTranscodeTemplate",
        Definition=definition,
        EnhanceConfig={"VideoEnhance": {"FrameRate": {"Switch": "OFF"}}},
    )
    assert (
        rest_template(stack, definition)["frame_rate"] == 0 and rest_template(stack, definition)["denoise"] == "strong"
    )


# ---- snapshots ------------------------------------------------------------------------------------
def test_the_three_snapshot_families_each_see_only_their_own_templates(stack, client):
    offset = call(client, "CreateSnapshotByTimeOffsetTemplate", Name="t", Width=320, Format="png").Definition
    sampled = call(
        client, "CreateSampleSnapshotTemplate", Name="s", SampleType="Time", SampleInterval=5, Format="webp"
    ).Definition
    sprite = call(
        client,
        "CreateImageSpriteTemplate",
        Name="p",
        SampleType="Percent",
        SampleInterval=10,
        RowCount=3,
        ColumnCount=4,
        Width=160,
        Height=90,
    ).Definition
    [t] = described(client, "SnapshotByTimeOffsetTemplate", Definitions=[offset, sampled, sprite])
    assert (t.Definition, t.Width, t.Height, t.Format, t.FillType) == (offset, 320, 0, "png", "stretch")
    [s] = described(client, "SampleSnapshotTemplate", Definitions=[offset, sampled, sprite])
    assert (s.Definition, s.SampleType, s.SampleInterval, s.Format) == (sampled, "Time", 5, "webp")
    [p] = described(client, "ImageSpriteTemplate", Definitions=[offset, sampled, sprite])
    assert (p.Definition, p.RowCount, p.ColumnCount, p.SampleType, p.Width) == (sprite, 3, 4, "Percent", 160)
    kinds = {t["definition"]: t.get("kind") for t in stack.client.templates("Snapshot")}
    assert (kinds[offset], kinds[sampled], kinds[sprite]) == ("time_offset", "sampled", "sprite")
    # a definition of another family is not found through this one
    assert code_of(client, "DeleteImageSpriteTemplate", Definition=sampled)[0] == "ResourceNotFound.TemplateNotExist"
    call(client, "ModifyImageSpriteTemplate", Definition=sprite, RowCount=5)
    assert described(client, "ImageSpriteTemplate", Definitions=[sprite])[0].RowCount == 5


@pytest.mark.parametrize(
    ("family", "fields", "code"),
    [
        ("SampleSnapshotTemplate", {"SampleType": "Frame", "SampleInterval": 5}, "InvalidParameterValue.SampleType"),
        (
            "SampleSnapshotTemplate",
            {"SampleType": "Percent", "SampleInterval": 0},
            "InvalidParameterValue.SampleInterval",
        ),
        ("SampleSnapshotTemplate", {"SampleInterval": 5}, "MissingParameter"),
        (
            "ImageSpriteTemplate",
            {"SampleType": "Time", "SampleInterval": 5, "RowCount": 50, "ColumnCount": 2},
            "InvalidParameterValue.RowCount",
        ),
        (
            "ImageSpriteTemplate",
            {"SampleType": "Time", "SampleInterval": 5, "RowCount": 2, "ColumnCount": 0},
            "InvalidParameterValue.ColumnCount",
        ),
        ("SnapshotByTimeOffsetTemplate", {"Format": "gif"}, "InvalidParameterValue.Format"),
        ("SnapshotByTimeOffsetTemplate", {"Width": 8}, "InvalidParameterValue.Width"),
        ("SnapshotByTimeOffsetTemplate", {"FillType": "black"}, "InvalidParameterValue.FillType"),
        ("SnapshotByTimeOffsetTemplate", {"Width": 320, "ResolutionAdaptive": "open"}, "UnsupportedOperation"),
    ],
)
def test_snapshot_fields_are_checked_with_mps_codes(client, family, fields, code):
    assert code_of(client, f"Create{family}", Name="x", **fields)[0] == code


# ---- review and analysis ---------------------------------------------------------------------------
def test_review_and_analysis_templates_map_onto_our_engines(stack, client):
    review = call(
        client,
        "CreateContentReviewTemplate",
        Name="mps-review",
        PornConfigure={
            "ImgReviewInfo": {"Switch": "ON", "LabelSet": ["porn"], "BlockConfidence": 90, "ReviewConfidence": 70}
        },
        UserDefineConfigure={
            "OcrReviewInfo": {
                "Switch": "ON",
                "LabelSet": ["openmps-secret"],
                "BlockConfidence": 80,
                "ReviewConfidence": 60,
            }
        },
        PoliticalConfigure={"ImgReviewInfo": {"Switch": "OFF"}, "OcrReviewInfo": {"Switch": "OFF"}},
    ).Definition
    rest = rest_template(stack, review)
    assert rest["type"] == "ContentReview" and rest["porn_image"]["labels"] == ["porn"]
    assert rest["porn_image"]["block_confidence"] == 90
    assert rest["ocr"]["UserDefine"]["keywords"] == ["openmps-secret"] and rest["ocr"]["Political"]["switch"] is False
    [item] = described(client, "ContentReviewTemplate", Definitions=[review])
    assert (
        item.PornConfigure.ImgReviewInfo.LabelSet == ["porn"] and item.PoliticalConfigure.OcrReviewInfo.Switch == "OFF"
    )
    assert item.UserDefineConfigure.OcrReviewInfo.LabelSet == ["openmps-secret"]
    assert item.PornConfigure.AsrReviewInfo.Switch == "OFF"
    asr = {"AsrReviewInfo": {"Switch": "ON"}}
    code, message = code_of(client, "CreateContentReviewTemplate", Name="x", ProhibitedConfigure=asr)
    assert code == "UnsupportedOperation" and "ProhibitedConfigure.AsrReviewInfo" in message
    vulgar = {"ImgReviewInfo": {"Switch": "ON", "LabelSet": ["vulgar"]}}
    assert (
        code_of(client, "CreateContentReviewTemplate", Name="x", PornConfigure=vulgar)[0]
        == "InvalidParameterValue.LabelSet"
    )

    analysis = call(
        client,
        "CreateAIAnalysisTemplate",
        Name="mps-analysis",
        TagConfigure={"Switch": "OFF"},
        CoverConfigure={"Switch": "ON"},
    ).Definition
    rest = rest_template(stack, analysis)
    assert rest["type"] == "ContentAnalysis" and rest["tags"] is False and rest["cover"] is True
    [item] = described(client, "AIAnalysisTemplate", Definitions=[analysis])
    assert (item.TagConfigure.Switch, item.CoverConfigure.Switch, item.ClassificationConfigure.Switch) == (
        "OFF",
        "ON",
        "OFF",
    )
    code, message = code_of(client, "CreateAIAnalysisTemplate", Name="x", ClassificationConfigure={"Switch": "ON"})
    assert code == "UnsupportedOperation" and "ClassificationConfigure" in message
    call(client, "ModifyAIAnalysisTemplate", Definition=analysis, TagConfigure={"Switch": "ON"})
    assert rest_template(stack, analysis)["tags"] is True


def test_a_template_made_over_rest_is_seen_and_managed_through_mps(stack, client):
    made = stack.client.create_template(
        {"type": "Snapshot", "kind": "sampled", "name": "from-rest", "sample_type": "time", "interval": 7}
    )
    [item] = described(client, "SampleSnapshotTemplate", Definitions=[made["definition"]])
    assert (item.Name, item.SampleType, item.SampleInterval, item.Type) == ("from-rest", "Time", 7, "Custom")
    call(client, "DeleteSampleSnapshotTemplate", Definition=made["definition"])
    assert rest_template(stack, made["definition"]) is None


# ---- workflows ------------------------------------------------------------------------------------
def _workflow(name: str, definition: int, **more: Any) -> dict[str, Any]:
    return {
        "WorkflowName": name,
        "Trigger": {
            "Type": "CosFileUpload",
            "CosFileUploadTrigger": {"Bucket": INPUT_BUCKET, "Region": REGION, "Dir": "/mpswf/", "Formats": [".mp4"]},
        },
        "OutputStorage": {"Type": "COS", "CosOutputStorage": {"Bucket": OUTPUT_BUCKET, "Region": REGION}},
        "OutputDir": "/mpswf-out/",
        "MediaProcessTask": {
            "TranscodeTaskSet": [{"Definition": definition}],
            "SampleSnapshotTaskSet": [{"Definition": 10}],
        },
        "AiAnalysisTask": {"Definition": 30},
        **more,
    }


def _rules_firing_for(stack, key: str) -> list[str]:
    return [m["name"] for m in stack.client.match(INPUT_BUCKET, key)["matches"]]


def test_a_workflow_made_with_the_sdk_fires_on_upload_once_enabled(stack, client, tmp_path):
    # GIVEN a custom transcode template and a workflow using it, with a URL notify config
    definition = call(client, "CreateTranscodeTemplate", **{**MP4_640, "Name": "wf-640"}).Definition
    notify = {"NotifyType": "URL", "NotifyMode": "Finish", "NotifyUrl": "http://127.0.0.1:9/hook", "NotifyKey": "k"}
    workflow_id = call(
        client, "CreateWorkflow", **_workflow("mps-rule", definition, TaskNotifyConfig=notify, TaskPriority=5)
    ).WorkflowId
    # THEN it has an int id, is disabled as MPS creates them, and reads back as it was made
    assert isinstance(workflow_id, int) and workflow_id > 0
    [info] = call(client, "DescribeWorkflows", WorkflowIds=[workflow_id]).WorkflowInfoSet
    assert (info.WorkflowName, info.Status, info.TaskPriority, info.OutputDir) == (
        "mps-rule",
        "Disabled",
        5,
        "/mpswf-out/",
    )
    trigger = info.Trigger.CosFileUploadTrigger
    assert (trigger.Bucket, trigger.Dir, trigger.Formats) == (INPUT_BUCKET, "/mpswf/", [".mp4"])
    assert [t.Definition for t in info.MediaProcessTask.TranscodeTaskSet] == [definition]
    assert [t.Definition for t in info.MediaProcessTask.SampleSnapshotTaskSet] == [10]
    assert info.AiAnalysisTask.Definition == 30 and info.AiContentReviewTask is None
    assert (info.TaskNotifyConfig.NotifyType, info.TaskNotifyConfig.NotifyUrl) == ("URL", "http://127.0.0.1:9/hook")
    # AND the REST API shows the same rule; the template it uses cannot be deleted
    rest = next(w for w in stack.client.workflows() if w["name"] == "mps-rule")
    assert rest["enabled"] is False and rest["prefix"] == "mpswf/" and rest["output"]["dir"] == "mpswf-out/"
    assert code_of(client, "DeleteTranscodeTemplate", Definition=definition)[0] == "ResourceInUse"
    assert "mps-rule" not in _rules_firing_for(stack, "mpswf/clip.mp4")

    # WHEN it is enabled and a file is uploaded under its Dir
    call(client, "EnableWorkflow", WorkflowId=workflow_id)
    assert call(client, "DescribeWorkflows", Status="Enabled", WorkflowIds=[workflow_id]).TotalCount == 1
    assert "mps-rule" in _rules_firing_for(stack, "mpswf/clip.mp4")
    assert "mps-rule" not in _rules_firing_for(stack, "mpswf/clip.mov")  # Formats: .mp4 only
    key = stack.client.upload(make_clip(tmp_path / "clip.mp4", seconds=1), key="mpswf/clip.mp4")["key"]
    # THEN a task with the rule's subtasks is created
    task = wait_for(lambda: stack.client.find_task_for_key(key), timeout=60)
    detail = stack.client.task(task["task_id"])
    assert [(s["type"], s["template"]["definition"]) for s in detail["subtasks"]] == [
        ("Transcode", definition),
        ("Snapshot", 10),
        ("ContentAnalysis", 30),
    ]
    # AND its outputs land in the rule's OutputDir
    done = wait_for(lambda: (t := stack.client.task(task["task_id"]))["status"] == "FINISH" and t, timeout=120)
    assert [s["status"] for s in done["subtasks"]] == ["SUCCESS"] * 3, done
    assert '"mpswf-out/' in json.dumps(done["subtasks"][0]["outputs"])

    # WHEN an enabled workflow is reset, it is refused; disabled, it is replaced and keeps its id
    assert code_of(client, "ResetWorkflow", **_workflow("mps-rule-2", definition), WorkflowId=workflow_id)[0] == (
        "FailedOperation"
    )
    call(client, "DisableWorkflow", WorkflowId=workflow_id)
    reset = _workflow("mps-rule-2", 100010)
    reset["MediaProcessTask"] = {"TranscodeTaskSet": [{"Definition": 100010}]}
    call(client, "ResetWorkflow", WorkflowId=workflow_id, **reset)
    [info] = call(client, "DescribeWorkflows", WorkflowIds=[workflow_id]).WorkflowInfoSet
    assert (info.WorkflowName, info.Status) == ("mps-rule-2", "Disabled")
    assert [t.Definition for t in info.MediaProcessTask.TranscodeTaskSet] == [100010]
    assert info.TaskNotifyConfig is None and info.TaskPriority == 0
    call(client, "DeleteTranscodeTemplate", Definition=definition)  # no longer in use

    # WHEN it is deleted, it is gone
    call(client, "DeleteWorkflow", WorkflowId=workflow_id)
    assert call(client, "DescribeWorkflows", WorkflowIds=[workflow_id]).TotalCount == 0
    assert code_of(client, "EnableWorkflow", WorkflowId=workflow_id)[0] == "ResourceNotFound"
    assert all(w["name"] != "mps-rule-2" for w in stack.client.workflows())


def test_a_workflow_whose_outputs_would_trigger_it_again_cannot_be_enabled(client):
    into_input = {"Type": "COS", "CosOutputStorage": {"Bucket": INPUT_BUCKET, "Region": REGION}}
    rule = _workflow("loop", 100010, OutputDir="/mpswf/out/", OutputStorage=into_input)
    workflow_id = call(client, "CreateWorkflow", **rule).WorkflowId
    code, message = code_of(client, "EnableWorkflow", WorkflowId=workflow_id)
    assert code == "InvalidParameterValue.OutputDir" and "OutputDir" in message
    assert call(client, "DescribeWorkflows", WorkflowIds=[workflow_id]).WorkflowInfoSet[0].Status == "Disabled"
    call(client, "DeleteWorkflow", WorkflowId=workflow_id)


def test_workflows_made_over_rest_have_a_stable_numeric_id(client):
    first = call(client, "DescribeWorkflows", Limit=100).WorkflowInfoSet
    default = next(w for w in first if w.WorkflowName.startswith("default"))
    assert isinstance(default.WorkflowId, int) and default.Status == "Enabled"
    again = call(client, "DescribeWorkflows", Limit=100).WorkflowInfoSet
    assert [w.WorkflowId for w in again] == [w.WorkflowId for w in first]
    assert call(client, "DescribeWorkflows", WorkflowIds=[default.WorkflowId]).WorkflowInfoSet[0].WorkflowName == (
        default.WorkflowName
    )


@pytest.mark.parametrize(
    ("change", "code", "named"),
    [
        ({"Trigger": {"Type": "AwsS3FileUpload"}}, "InvalidParameterValue.Type", "Trigger.Type"),
        (
            {"Trigger": {"Type": "CosFileUpload", "CosFileUploadTrigger": {"Bucket": "elsewhere-1250000000"}}},
            "InvalidParameterValue.Bucket",
            "Bucket",
        ),
        ({"TaskNotifyConfig": {"NotifyType": "TDMQ-CMQ", "QueueName": "q"}}, "InvalidParameterValue.NotifyType", "URL"),
        (
            {"TaskNotifyConfig": {"NotifyType": "URL", "NotifyUrl": "ftp://x"}},
            "InvalidParameterValue.NotifyUrl",
            "NotifyUrl",
        ),
        ({"TaskPriority": 11}, "InvalidParameterValue.TaskPriority", "TaskPriority"),
        (
            {"MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 4242}]}},
            "InvalidParameterValue.Definition",
            "4242",
        ),
        (
            {"MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010, "WatermarkSet": [{"Definition": 1}]}]}},
            "UnsupportedOperation",
            "WatermarkSet",
        ),
        (
            {"MediaProcessTask": {"AnimatedGraphicTaskSet": [{"Definition": 20000}]}},
            "UnsupportedOperation",
            "AnimatedGraphicTaskSet",
        ),
        ({"AiRecognitionTask": {"Definition": 10}}, "UnsupportedOperation", "AiRecognitionTask"),
        ({"WorkflowName": None}, "MissingParameter", "WorkflowName"),
    ],
)
def test_a_workflow_field_openmps_cannot_do_is_refused_by_name(stack, client, change, code, named):
    fields = {k: v for k, v in {**_workflow("bad", 100010), **change}.items() if v is not None}
    got, message = code_of(client, "CreateWorkflow", **fields)
    assert got == code and named in message, message
    assert all(w["name"] != "bad" for w in stack.client.workflows())


# ---- two accounts ----------------------------------------------------------------------------------
def test_another_accounts_templates_and_workflows_are_not_found(stack, client, stranger):
    # GIVEN a template and a workflow of the first account
    definition = call(
        client, "CreateSampleSnapshotTemplate", Name="mine", SampleType="Percent", SampleInterval=20
    ).Definition
    workflow_id = call(client, "CreateWorkflow", **_workflow("mine", 100010)).WorkflowId
    # THEN the other account sees neither, and cannot change or delete them
    assert described(stranger, "SampleSnapshotTemplate", Type="Custom") == []
    assert described(stranger, "SampleSnapshotTemplate", Definitions=[definition]) == []
    assert code_of(stranger, "ModifySampleSnapshotTemplate", Definition=definition, SampleInterval=5)[0] == (
        "ResourceNotFound.TemplateNotExist"
    )
    assert (
        code_of(stranger, "DeleteSampleSnapshotTemplate", Definition=definition)[0]
        == "ResourceNotFound.TemplateNotExist"
    )
    assert call(stranger, "DescribeWorkflows", WorkflowIds=[workflow_id]).TotalCount == 0
    for action in ("EnableWorkflow", "DisableWorkflow", "DeleteWorkflow"):
        assert code_of(stranger, action, WorkflowId=workflow_id)[0] == "ResourceNotFound"
    assert (
        code_of(stranger, "ResetWorkflow", WorkflowId=workflow_id, **_workflow("theirs", 100010))[0]
        == "ResourceNotFound"
    )
    # nor the first account's buckets
    assert code_of(stranger, "CreateWorkflow", **_workflow("theirs", 100010))[0] == "AuthFailure.UnauthorizedOperation"
    # nor can it use the first account's template in a workflow of its own (on its own buckets)
    [own_default] = call(stranger, "DescribeWorkflows").WorkflowInfoSet
    theirs = _workflow("theirs", 100010)
    theirs["Trigger"]["CosFileUploadTrigger"]["Bucket"] = own_default.Trigger.CosFileUploadTrigger.Bucket
    theirs["OutputStorage"]["CosOutputStorage"]["Bucket"] = own_default.OutputStorage.CosOutputStorage.Bucket
    assert theirs["Trigger"]["CosFileUploadTrigger"]["Bucket"] != INPUT_BUCKET
    theirs["MediaProcessTask"] = {"SampleSnapshotTaskSet": [{"Definition": definition}]}
    assert code_of(stranger, "CreateWorkflow", **theirs)[0] == "InvalidParameterValue.Definition"
    # AND nothing of the first account changed
    [item] = described(client, "SampleSnapshotTemplate", Definitions=[definition])
    assert item.SampleInterval == 20
    [info] = call(client, "DescribeWorkflows", WorkflowIds=[workflow_id]).WorkflowInfoSet
    assert info.WorkflowName == "mine" and info.Status == "Disabled"
    call(client, "DeleteWorkflow", WorkflowId=workflow_id)
    call(client, "DeleteSampleSnapshotTemplate", Definition=definition)


def test_template_errors_come_in_the_callers_language(stack):
    english = code_of(mps(stack, "en-US"), "DeleteTranscodeTemplate", Definition=100030)[1]
    chinese = code_of(mps(stack, "zh-CN"), "DeleteTranscodeTemplate", Definition=100030)[1]
    assert english == "The template 100030 is a system preset and cannot be deleted."
    assert chinese == "模板 100030 是系统预置模板，不能删除。"
