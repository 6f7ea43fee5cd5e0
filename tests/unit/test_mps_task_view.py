"""The WorkflowTask view: a pure function of task + subtasks, in the SDK's names and JSON types."""

from __future__ import annotations

import json
import warnings

import pytest
from tencentcloud.mps.v20190612 import models

from shared.api.mps.task_input import mps_fields
from shared.domain import kinds
from shared.domain.model import Subtask, Task
from shared.domain.mps.task_view import task_detail
from shared.domain.mps.views import subtask_types
from shared.domain.notify import NotifyConfig
from shared.domain.status import SubtaskStatus, TaskStatus

pytestmark = pytest.mark.unit

TASK_ID = "1250000000-WorkflowTask-" + "a" * 32 + "t0"
REGION = "ap-guangzhou"


def params_of(type_, definition, variant):
    """The parameters a subtask of that preset keeps, as the create service snapshots them."""
    template = kinds.get(type_).preset(definition, variant) or kinds.get(type_).presets[0]
    return kinds.get(type_).to_json(template.params)


def sub(index, type_, definition, status=SubtaskStatus.SUCCESS, kind=None, outputs=(), result=None, **kw):
    return Subtask(
        task_id=TASK_ID,
        index=index,
        type=type_,
        account="acct",
        template={"definition": definition, "kind": kind, "params": params_of(type_, definition, kind)},
        status=status,
        begin_time="2026-01-02T03:04:05.123456+00:00",
        finish_time="2026-01-02T03:04:09.5+00:00" if status.done else None,
        outputs=list(outputs),
        result=result,
        **kw,
    )


def out(key, **meta):
    return {"bucket": "openmps-output-1250000000", "key": key, **meta}


MP4 = out(
    "o/m_transcode_100010.mp4",
    size=1234,
    duration=2.0,
    bitrate=450000,
    container="mov,mp4,m4a,3gp,3g2,mj2",
    width=640,
    height=360,
    video_codec="h264",
    fps=25.0,
    audio_codec="aac",
    sample_rate=44100,
    channels=2,
    md5="0" * 32,
)


def the_task(**kw):
    base = dict(
        task_id=TASK_ID,
        account="acct",
        create_time="2026-01-02T03:04:00+00:00",
        input_bucket="openmps-input-1250000000",
        input_key="mps/m.mp4",
        output_bucket="openmps-output-1250000000",
        output_dir="o/",
        origin="api",
        status=TaskStatus.FINISH,
        begin_process_time="2026-01-02T03:04:05+00:00",
        finish_time="2026-01-02T03:05:00+00:00",
        session_id="s1",
        session_context="ctx",
        priority=-3,
        notify=NotifyConfig(url="https://x.example/cb", mode="change", key="k"),
        metadata={
            "size": 99999,
            "container": "mov,mp4",
            "bitrate": 800000,
            "duration": 2.04,
            "width": 240,
            "height": 320,
            "rotate": 90,
            "video": {"codec": "h264", "width": 320, "height": 240, "fps": 29.97, "bitrate": 700000, "duration": 2.0},
            "audio": {"codec": "aac", "sample_rate": 48000, "channels": 2, "bitrate": 96000, "duration": 2.04},
        },
    )
    return Task(**{**base, **kw})


SUBTASKS = [
    sub(1, "Transcode", 100010, outputs=[MP4]),
    sub(2, "Enhancement", 20, outputs=[out("o/m_enhancement_20.mp4", size=5, md5="1" * 32), out("o/r.json")]),
    sub(
        3,
        "Snapshot",
        10,
        kind="time_offset",
        outputs=[out("o/t_0.jpg", time_offset=0.0), out("o/t_1.jpg", time_offset=1.5)],
    ),
    sub(4, "Snapshot", 10, kind="sampled", outputs=[out("o/s_0.jpg")]),
    sub(5, "Snapshot", 10, kind="sprite", outputs=[out("o/p_0.jpg"), out("o/p.vtt")]),
    sub(6, "Transcode", 100030, status=SubtaskStatus.FAIL, err_code="InvalidMedia.Unreadable", message="bad file"),
    sub(7, "Transcode", 100040, status=SubtaskStatus.PROCESSING, progress=42),
    sub(
        8,
        "ContentReview",
        10,
        result={
            "tasks": [
                {"type": "Porn", "suggestion": "review", "confidence": 71.5, "segment_count": 1},
                {"type": "Terrorism.Ocr", "suggestion": "pass", "confidence": 0.0, "segment_count": 0},
                {"type": "Ad.Ocr", "suggestion": "pass", "confidence": 0.0, "segment_count": 0},
            ],
            "segments": [
                {
                    "type": "Porn",
                    "start_time_offset": 0.0,
                    "end_time_offset": 1.0,
                    "confidence": 71.5,
                    "suggestion": "review",
                    "label": "sexy",
                }
            ],
            "label": "sexy",
            "duration": 2.0,
            "sample_interval": 0.5,
        },
    ),
    sub(
        9,
        "ContentAnalysis",
        10,
        outputs=[out("o/m_cover_0.jpg")],
        result={
            "tags": [{"tag": "outdoor", "confidence": 80.0, "source": "scene"}],
            "cover": {"cover_file": "m_cover_0.jpg", "confidence": 90.0},
            "summary": "A short clip.",
        },
    ),
    sub(10, "ContentReview", 20, status=SubtaskStatus.WAITING),
]


def parsed(detail):
    response = models.DescribeTaskDetailResponse()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the SDK warns about fields its model does not have
        response._deserialize(json.loads(json.dumps(detail)))
    return response


def test_the_detail_deserialises_into_the_sdk_model_with_no_field_left_over():
    # GIVEN a finished task with one subtask of every kind and state WHEN it is viewed
    detail = task_detail(the_task(), SUBTASKS, REGION)
    response = parsed(detail)
    # THEN the top level carries the task's own fields
    assert (response.TaskType, response.Status, response.TasksPriority) == ("WorkflowTask", "FINISH", -3)
    assert (response.CreateTime, response.BeginProcessTime) == ("2026-01-02T03:04:00Z", "2026-01-02T03:04:05Z")
    assert (response.SessionId, response.SessionContext, response.TaskNotifyConfig.NotifyMode) == (
        "s1",
        "ctx",
        "Change",
    )
    wf = response.WorkflowTask
    assert wf.InputInfo.CosInputInfo.Object == "/mps/m.mp4" and wf.InputInfo.CosInputInfo.Region == REGION
    # AND the metadata is typed as the SDK says (int vs float)
    meta = detail["WorkflowTask"]["MetaData"]
    assert type(meta["Size"]) is int and type(meta["Duration"]) is float and type(meta["Rotate"]) is int
    assert meta["VideoStreamSet"][0]["Fps"] == 30 and type(meta["VideoStreamSet"][0]["Fps"]) is int
    assert wf.MetaData.AudioStreamSet[0].SamplingRate == 48000 and wf.MetaData.Width == 240


def test_media_results_follow_the_kind_registry_names():
    wf = parsed(task_detail(the_task(), SUBTASKS, REGION)).WorkflowTask
    types = [r.Type for r in wf.MediaProcessResultSet]
    assert types == [
        "Transcode",
        "Transcode",
        "SnapshotByTimeOffset",
        "SampleSnapshot",
        "ImageSprites",
        "Transcode",
        "Transcode",
    ]
    mp4 = wf.MediaProcessResultSet[0].TranscodeTask
    assert (mp4.Status, mp4.ErrCode, mp4.ErrCodeExt, mp4.Message, mp4.Progress) == ("SUCCESS", 0, "", "SUCCESS", 100)
    assert (mp4.Output.Path, mp4.Output.Definition, mp4.Output.Md5, mp4.Output.Size) == (
        "/o/m_transcode_100010.mp4",
        100010,
        "0" * 32,
        1234,
    )
    assert mp4.Output.VideoStreamSet[0].Codec == "h264" and mp4.Output.AudioStreamSet[0].Channel == 2
    enhanced = wf.MediaProcessResultSet[1].TranscodeTask
    assert enhanced.Input.Definition == 20 and enhanced.Output.Path == "/o/m_enhancement_20.mp4"
    offsets = wf.MediaProcessResultSet[2].SnapshotByTimeOffsetTask
    assert [(p.TimeOffset, p.Path) for p in offsets.Output.PicInfoSet] == [(0.0, "/o/t_0.jpg"), (1.5, "/o/t_1.jpg")]
    assert offsets.BeginProcessTime == "2026-01-02T03:04:05Z" and offsets.FinishTime == "2026-01-02T03:04:09Z"
    assert wf.MediaProcessResultSet[4].ImageSpriteTask.Output.WebVttPath == "/o/p.vtt"
    failed = wf.MediaProcessResultSet[5].TranscodeTask
    assert (failed.Status, failed.ErrCodeExt, failed.ErrCode, failed.Message, failed.Output) == (
        "FAIL",
        "InvalidMedia.Unreadable",
        40000,
        "bad file",
        None,
    )
    running = wf.MediaProcessResultSet[6].TranscodeTask
    assert (running.Status, running.Progress, running.Output) == ("PROCESSING", 42, None)


def test_review_and_analysis_summaries_become_the_ai_result_sets():
    wf = parsed(task_detail(the_task(), SUBTASKS, REGION)).WorkflowTask
    porn, ocr, waiting = wf.AiContentReviewResultSet
    assert (porn.Type, porn.PornTask.Output.Suggestion, porn.PornTask.Output.Label) == ("Porn", "review", "sexy")
    assert porn.PornTask.Output.SegmentSet[0].EndTimeOffset == 1.0 and porn.SampleRate == 2.0
    assert ocr.Type == "Terrorism.Ocr" and ocr.TerrorismOcrTask.Output.Suggestion == "pass"
    assert waiting.PornTask.Status == "WAITING" and waiting.PornTask.Output is None
    tag, cover, description = wf.AiAnalysisResultSet
    assert tag.TagTask.Output.TagSet[0].Tag == "outdoor" and cover.CoverTask.Output.CoverSet[0].CoverPath == (
        "/o/m_cover_0.jpg"
    )
    assert description.DescriptionTask.Output.DescriptionSet[0].Description == "A short clip."


def test_a_queued_url_task_shows_processing_with_no_metadata_yet():
    task = the_task(status=TaskStatus.WAITING, input_url="https://cdn.example/a.mp4", metadata=None, notify=None)
    detail = task_detail(task, [sub(1, "Transcode", 100010, status=SubtaskStatus.WAITING)], REGION)
    response = parsed(detail)
    assert response.Status == "WAITING" and response.WorkflowTask.Status == "PROCESSING"
    assert response.WorkflowTask.InputInfo.UrlInputInfo.Url == "https://cdn.example/a.mp4"
    assert response.WorkflowTask.MetaData is None and "TaskNotifyConfig" not in detail


def test_transcode_task_set_holds_transcode_and_enhancement_from_the_registry():
    fields = mps_fields()
    assert fields["TranscodeTaskSet"] == (("Transcode", ""), ("Enhancement", ""))
    assert fields["SnapshotByTimeOffsetTaskSet"] == (("Snapshot", "time_offset"),)
    assert fields["ImageSpriteTaskSet"] == (("Snapshot", "sprite"),)
    assert fields["AiContentReviewTask"] == (("ContentReview", ""),)


def test_subtask_types_are_the_mps_names_of_each_kind_of_work_once():
    # Enhancement is a Transcode in MPS; the AI tasks are named without "Task"
    assert subtask_types(SUBTASKS) == [
        "Transcode", "SnapshotByTimeOffset", "SampleSnapshot", "ImageSprites", "AiContentReview", "AiAnalysis"
    ]  # fmt: skip
