"""A script written for real MPS, run against the local stack with the official SDK: upload, ProcessMedia,
poll DescribeTaskDetail until FINISH, read the output paths and Md5 and check them against the files.

Every response is read through the SDK's own models with warnings as errors (the SDK warns about a
field its model does not have), and compared with the raw JSON, so no field is lost or misnamed.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import uuid
import warnings

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.mps.v20190612 import models

from infra.local.harness import start_stack, stop_stack
from tests.e2e.conftest import FAST_RECOVERY, wait_for
from tests.e2e.test_mps_api import ISO, admin, endpoint, local_pair
from tests.media_fixtures import make_clip
from tests.sdk_signing import sdk_client

pytestmark = pytest.mark.e2e

INPUT_BUCKET, OUTPUT_BUCKET, REGION = "openmps-input-1250000000", "openmps-output-1250000000", "ap-guangzhou"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = start_stack(tmp_path_factory.mktemp("mpsflow") / "data", "flow-token", FAST_RECOVERY)
    yield running
    stop_stack(running)


@pytest.fixture(scope="module")
def clip_server(tmp_path_factory):
    """A plain HTTP server on 127.0.0.1 serving a clip (and a redirect to it)."""
    root = tmp_path_factory.mktemp("served")
    make_clip(root / "served.mp4", seconds=2)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


def client_of(stack, pair=None):
    secret_id, secret_key = pair or local_pair(stack)
    return sdk_client(endpoint(stack), secret_id, secret_key)


def call(client, action: str, params: dict, model):
    """The action through the SDK's model, checked against the raw JSON: every field is the model's."""
    raw = client.call_json(action, params)["Response"]
    parsed = model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "... fileds are useless": a field the SDK's model lacks
        parsed._deserialize(raw)
    assert _without_nones(json.loads(parsed.to_json_string())) == _without_nones(raw)
    return parsed, raw


def _without_nones(value):
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value


def process(client, params: dict) -> str:
    parsed, _raw = call(client, "ProcessMedia", params, models.ProcessMediaResponse)
    return parsed.TaskId


def error_code(client, action: str, params: dict) -> str:
    with pytest.raises(TencentCloudSDKException) as caught:
        client.call_json(action, params)
    return caught.value.get_code()


def detail(client, task_id: str):
    return call(client, "DescribeTaskDetail", {"TaskId": task_id}, models.DescribeTaskDetailResponse)


def finished(client, task_id: str, timeout: float = 300):
    def check():
        parsed, raw = detail(client, task_id)
        return (parsed, raw) if parsed.Status == "FINISH" else None

    return wait_for(check, timeout=timeout)


def cos_input(key: str) -> dict:
    return {"Type": "COS", "CosInputInfo": {"Bucket": INPUT_BUCKET, "Region": REGION, "Object": "/" + key}}


OUTPUT = {"Type": "COS", "CosOutputStorage": {"Bucket": OUTPUT_BUCKET, "Region": REGION}}


def put_clip(stack, key: str) -> None:
    """A clip straight into the input bucket's folder (outside input/, so no workflow fires)."""
    target = stack.bucket_path(INPUT_BUCKET, key)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        make_clip(target, seconds=1)


def md5_of(stack, path: str) -> str:
    return hashlib.md5(stack.bucket_path(OUTPUT_BUCKET, path.lstrip("/")).read_bytes()).hexdigest()


def test_a_script_written_for_mps_runs_unchanged(stack, tmp_path):
    # GIVEN a clip uploaded to the input bucket with the REST upload ticket (outside the default workflow's input/)
    key = stack.client.upload(make_clip(tmp_path / "movie.mp4", seconds=2), key="mps/201907/movie.mp4")["key"]
    client, session = client_of(stack), "script-" + uuid.uuid4().hex[:12]
    params = {
        "InputInfo": cos_input(key),
        "OutputStorage": OUTPUT,
        "OutputDir": "/mps-out/",
        "MediaProcessTask": {
            "TranscodeTaskSet": [{"Definition": 100010}, {"Definition": 100210}],
            "SnapshotByTimeOffsetTaskSet": [{"Definition": 10}],
            "SampleSnapshotTaskSet": [{"Definition": 10, "OutputObjectPath": "{inputName}_sample_{number}"}],
            "ImageSpriteTaskSet": [{"Definition": 10}],
        },
        "AiContentReviewTask": {"Definition": 10},
        "AiAnalysisTask": {"Definition": 10},
        "TasksPriority": 5,
        "SessionId": session,
        "SessionContext": "my-context",
        "TaskNotifyConfig": {"NotifyType": "URL", "NotifyMode": "Finish", "NotifyUrl": "http://127.0.0.1:9/cb"},
    }
    # WHEN the script submits it with a SessionId and polls DescribeTaskDetail until FINISH
    task_id = process(client, params)
    assert task_id.startswith("1250000000-WorkflowTask-") and task_id.endswith("t0")
    # THEN the same SessionId again (a retry, or the same signed request replayed) makes no second task
    assert error_code(client, "ProcessMedia", params) == "InvalidParameterValue.SessionId"
    done, raw = finished(client, task_id)
    wf = done.WorkflowTask
    assert done.TaskType == "WorkflowTask" and wf.Status == "FINISH" and wf.ErrCode == 0
    assert ISO.match(done.CreateTime) and ISO.match(done.BeginProcessTime) and ISO.match(done.FinishTime)
    assert (done.SessionId, done.SessionContext, done.TasksPriority) == (session, "my-context", 5)
    assert done.TaskNotifyConfig.NotifyType == "URL" and done.TaskNotifyConfig.NotifyMode == "Finish"
    assert wf.InputInfo.Type == "COS" and wf.InputInfo.CosInputInfo.Object == "/mps/201907/movie.mp4"
    # AND the input's metadata comes from the probe, typed as the SDK says
    meta = wf.MetaData
    assert (meta.Width, meta.Height, meta.Rotate) == (320, 240, 0) and meta.Duration == pytest.approx(2, abs=0.2)
    assert isinstance(raw["WorkflowTask"]["MetaData"]["Size"], int) and meta.Size > 0
    assert meta.VideoStreamSet[0].Codec == "h264" and meta.AudioStreamSet[0].Codec == "aac"
    # AND each media result carries its outputs, whose Md5 and paths match the files
    types = [r.Type for r in wf.MediaProcessResultSet]
    assert types == ["Transcode", "Transcode", "SnapshotByTimeOffset", "SampleSnapshot", "ImageSprites"]
    mp4, hls = (r.TranscodeTask for r in wf.MediaProcessResultSet[:2])
    for task in (mp4, hls):
        assert (task.Status, task.ErrCode, task.ErrCodeExt, task.Progress) == ("SUCCESS", 0, "", 100)
    assert mp4.Output.Path == "/mps-out/movie_transcode_100010.mp4" and mp4.Output.Definition == 100010
    assert mp4.Output.Md5 == md5_of(stack, mp4.Output.Path) and (mp4.Output.Width, mp4.Output.Height) == (320, 240)
    assert mp4.Output.Size == stack.bucket_path(OUTPUT_BUCKET, mp4.Output.Path[1:]).stat().st_size
    assert mp4.Output.VideoStreamSet[0].Codec == "h264" and mp4.Output.OutputStorage.CosOutputStorage.Bucket == (
        OUTPUT_BUCKET
    )
    assert hls.Output.Path.endswith(".m3u8") and hls.Output.Container.startswith("hls")
    offset = wf.MediaProcessResultSet[2].SnapshotByTimeOffsetTask
    assert ISO.match(offset.BeginProcessTime) and offset.Output.PicInfoSet[0].Path.endswith(".jpg")
    sampled = wf.MediaProcessResultSet[3].SampleSnapshotTask.Output
    assert sampled.SampleType == "Percent" and sampled.Interval == 10 and len(sampled.ImagePathSet) == 10
    assert sampled.ImagePathSet[0].startswith("/mps-out/movie_sample_")
    sprite = wf.MediaProcessResultSet[4].ImageSpriteTask.Output
    assert sprite.WebVttPath.endswith(".vtt") and (sprite.Width, sprite.Height) == (142, 80)
    for path in [p.Path for p in offset.Output.PicInfoSet] + sampled.ImagePathSet + sprite.ImagePathSet:
        assert stack.bucket_path(OUTPUT_BUCKET, path[1:]).read_bytes()[:3] in (b"\xff\xd8\xff", b"\x89PN")
    # AND the review and analysis results are the AI result sets
    assert wf.AiContentReviewResultSet and wf.AiContentReviewResultSet[0].PornTask.Status == "SUCCESS"
    assert wf.AiContentReviewResultSet[0].PornTask.Output.Suggestion in ("pass", "review", "block")
    assert [a.Type for a in wf.AiAnalysisResultSet][0] == "Tag"
    # AND the task is the same one the REST API and DescribeTasks show, made by the API
    rest = stack.client.task(task_id)
    assert rest["origin"] == "api" and len(rest["subtasks"]) == 7
    assert len([t for t in stack.client.tasks(input_prefix=key)["tasks"] if t["session_id"] == session]) == 1
    listed, _ = call(client, "DescribeTasks", {"Limit": 100}, models.DescribeTasksResponse)
    info = next(t for t in listed.TaskSet if t.TaskId == task_id)
    assert info.SubTaskTypes == [
        "Transcode", "SnapshotByTimeOffset", "SampleSnapshot", "ImageSprites", "AiContentReview", "AiAnalysis"
    ]  # fmt: skip


def test_a_task_made_by_upload_is_visible_through_describe_task_detail(stack, tmp_path):
    # GIVEN a file dropped into the input folder the default workflow watches
    clip = make_clip(tmp_path / "dropped.mp4", seconds=1)
    target = stack.bucket_path(INPUT_BUCKET, "input/dropped-mps.mp4")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(clip.read_bytes())
    task = wait_for(lambda: stack.client.find_task_for_key("input/dropped-mps.mp4"))
    # WHEN a script asks for it by id THEN it is a WorkflowTask with its outputs
    done, _raw = finished(client_of(stack), task["task_id"])
    assert [r.Type for r in done.WorkflowTask.MediaProcessResultSet] == ["Transcode", "SampleSnapshot"]
    assert done.WorkflowTask.MediaProcessResultSet[0].TranscodeTask.Output.Md5


def test_url_input_is_fetched_by_the_workers(stack, clip_server):
    base, _root = clip_server
    client = client_of(stack)
    # WHEN the input is a URL (the local stack allows private addresses by default)
    task_id = process(
        client,
        {
            "InputInfo": {"Type": "URL", "UrlInputInfo": {"Url": f"{base}/served.mp4"}},
            "OutputStorage": OUTPUT,
            "OutputDir": "/from-url/",
            "MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010}]},
        },
    )
    done, _raw = finished(client, task_id)
    # THEN it was fetched, probed and transcoded, named after the URL's file
    task = done.WorkflowTask.MediaProcessResultSet[0].TranscodeTask
    assert task.Status == "SUCCESS" and task.Output.Path == "/from-url/served_transcode_100010.mp4"
    assert done.WorkflowTask.InputInfo.UrlInputInfo.Url == f"{base}/served.mp4"
    assert done.WorkflowTask.MetaData.Width == 320
    # AND a URL that answers 404 fails the subtask with the reason, not the request
    missing = process(
        client,
        {
            "InputInfo": {"Type": "URL", "UrlInputInfo": {"Url": f"{base}/nothing.mp4"}},
            "OutputStorage": OUTPUT,
            "MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010}]},
        },
    )
    failed = finished(client, missing)[0].WorkflowTask.MediaProcessResultSet[0].TranscodeTask
    assert failed.Status == "FAIL" and "404" in failed.Message and failed.ErrCode != 0


TRANSCODE = "MediaProcessTask.TranscodeTaskSet.0."
REFUSED = [  # (field, value, code, what the message names)
    ("ScheduleId", 1, "UnsupportedOperation", "ScheduleId"),
    ("AiRecognitionTask", {"Definition": 10}, "UnsupportedOperation", "AiRecognitionTask"),
    ("AiQualityControlTask", {"Definition": 10}, "UnsupportedOperation", "AiQualityControlTask"),
    ("Activities", [{"ActivityType": "input"}], "UnsupportedOperation", "Activities"),
    ("NoSuchField", 1, "UnknownParameter", "NoSuchField"),
    ("MediaProcessTask", {"AnimatedGraphicTaskSet": [{"Definition": 20000}]}, None, "AnimatedGraphicTaskSet"),
    ("MediaProcessTask", {"TranscodeTaskSet": [{"Definition": 100010, "WatermarkSet": [{"Definition": 1}]}]}, None,
     TRANSCODE + "WatermarkSet"),
    ("MediaProcessTask", {"TranscodeTaskSet": [{"Definition": 100010, "MosaicSet": [{"Width": "10%"}]}]}, None,
     TRANSCODE + "MosaicSet"),
    ("MediaProcessTask", {"TranscodeTaskSet": [{"Definition": 0, "RawParameter": {"Container": "mp4"}}]}, None,
     TRANSCODE + "RawParameter"),
    ("MediaProcessTask", {"TranscodeTaskSet": [{"Definition": 100010, "HeadTailParameter": {"HeadSet": [{}]}}]},
     None, TRANSCODE + "HeadTailParameter"),
    ("MediaProcessTask", {"TranscodeTaskSet": [{"Definition": 100010, "StartTimeOffset": 2.5}]}, None,
     TRANSCODE + "StartTimeOffset"),
    ("MediaProcessTask", {"SnapshotByTimeOffsetTaskSet": [{"Definition": 10, "ExtTimeOffsetSet": ["1s"]}]}, None,
     "ExtTimeOffsetSet"),
    ("MediaProcessTask", {"TranscodeTaskSet": [{"Definition": 999}]}, "InvalidParameterValue.Definition", "999"),
    ("AiAnalysisTask", {"Definition": 10, "ExtendedParameter": "x"}, None, "AiAnalysisTask.ExtendedParameter"),
    ("TaskNotifyConfig", {"NotifyType": "TDMQ-CMQ", "QueueName": "q"}, None, "QueueName"),
    ("TaskNotifyConfig", {"NotifyType": "TDMQ-CMQ"}, None, "TDMQ-CMQ"),
    ("TaskNotifyConfig", {"NotifyType": "URL", "NotifyUrl": "ftp://x/"}, "InvalidParameter.InvalidUrl", "http"),
    ("TasksPriority", 11, "InvalidParameterValue.TasksPriority", "TasksPriority"),
    ("OutputDir", "out/", "InvalidParameterValue.OutputDir", "out/"),
    ("SessionId", "s" * 51, "InvalidParameterValue.SessionIdTooLong", "SessionId"),
    ("SessionContext", "c" * 1001, "InvalidParameterValue.SessionContextTooLong", "SessionContext"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "code", "named"), REFUSED)
def test_fields_openmps_does_not_do_are_refused_naming_them(stack, field, value, code, named):
    client = client_of(stack)
    put_clip(stack, "mps/anything.mp4")  # so only the field under test is wrong
    params = {
        "InputInfo": cos_input("mps/anything.mp4"),
        "OutputStorage": OUTPUT,
        "MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010}]},
        field: value,
    }
    with pytest.raises(TencentCloudSDKException) as caught:
        client.call_json("ProcessMedia", params)
    assert caught.value.get_code() == (code or "UnsupportedOperation")
    assert named in caught.value.get_message()


def test_bad_input_storage_and_other_accounts_tasks_are_refused(stack):
    client = client_of(stack)
    job = {"MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010}]}}
    foreign = {"Type": "COS", "CosInputInfo": {"Bucket": "someone-else-125", "Region": REGION, "Object": "/a.mp4"}}
    assert error_code(client, "ProcessMedia", {"InputInfo": foreign, **job}) == "ResourceNotFound.CosBucketNotExist"
    no_slash = {"Type": "COS", "CosInputInfo": {"Bucket": INPUT_BUCKET, "Region": REGION, "Object": "a.mp4"}}
    assert error_code(client, "ProcessMedia", {"InputInfo": no_slash, **job}) == "InvalidParameterValue.InputInfo"
    url_input = {"Type": "URL", "UrlInputInfo": {"Url": "http://127.0.0.1/a.mp4"}}
    assert error_code(client, "ProcessMedia", {"InputInfo": url_input, **job}) == "MissingParameter"
    assert error_code(client, "ProcessMedia", {"InputInfo": cos_input("mps/none.mp4")}) == "MissingParameter"
    assert error_code(client, "DescribeTaskDetail", {"TaskId": "nope"}) == "InvalidParameterValue.TaskId"
    # GIVEN a task of this account and a second account
    key = "mps/own.mp4"
    target = stack.bucket_path(INPUT_BUCKET, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    make_clip(target, seconds=1)
    mine = process(client, {"InputInfo": cos_input(key), "OutputStorage": OUTPUT, **job})
    other = json.loads(admin(stack, "accounts", "create", "--json"))
    stranger = client_of(stack, (other["secret_id"], other["secret_key"]))
    # THEN the other account's key cannot read it: it answers as an unknown task
    assert error_code(stranger, "DescribeTaskDetail", {"TaskId": mine}) == "InvalidParameterValue.TaskId"
    assert detail(client, mine)[0].WorkflowTask.TaskId == mine


def test_private_addresses_are_refused_when_the_setting_says_so(tmp_path, clip_server):
    base, _root = clip_server
    strict = start_stack(tmp_path / "data", "strict-token", {**FAST_RECOVERY, "OPENMPS_ALLOW_PRIVATE_URLS": "false"})
    try:
        client = client_of(strict)
        job = {"OutputStorage": OUTPUT, "MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010}]}}
        for url in (f"{base}/served.mp4", "http://169.254.169.254/latest", "http://10.1.2.3/a.mp4", "http://[::1]/a"):
            params = {"InputInfo": {"Type": "URL", "UrlInputInfo": {"Url": url}}, **job}
            assert error_code(client, "ProcessMedia", params) == "InvalidParameter.InvalidUrl", url
        notify = {"NotifyType": "URL", "NotifyUrl": f"{base}/callback"}
        key = "mps/strict.mp4"
        target = strict.bucket_path(INPUT_BUCKET, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        make_clip(target, seconds=1)
        params = {"InputInfo": cos_input(key), "TaskNotifyConfig": notify, **job}
        assert error_code(client, "ProcessMedia", params) == "InvalidParameter.InvalidUrl"
        # AND a workflow's callback URL goes through the same policy
        rule = {
            "WorkflowName": "strict",
            "Trigger": {"Type": "CosFileUpload", "CosFileUploadTrigger": {"Bucket": INPUT_BUCKET, "Region": REGION}},
            "MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010}]},
            "TaskNotifyConfig": notify,
        }
        assert error_code(client, "CreateWorkflow", rule) == "InvalidParameterValue.NotifyUrl"
    finally:
        stop_stack(strict)


def test_a_task_is_listed_once_even_when_the_request_is_sent_many_times(stack, tmp_path):
    # GIVEN one signed ProcessMedia request with a SessionId, sent five times at once
    key = "mps/burst.mp4"
    target = stack.bucket_path(INPUT_BUCKET, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    make_clip(target, seconds=1)
    params = {
        "InputInfo": cos_input(key),
        "OutputStorage": OUTPUT,
        "MediaProcessTask": {"SampleSnapshotTaskSet": [{"Definition": 10}]},
        "SessionId": "burst-" + uuid.uuid4().hex[:8],
    }
    results: list[str] = []

    def send():
        try:
            results.append(client_of(stack).call_json("ProcessMedia", params)["Response"]["TaskId"])
        except TencentCloudSDKException as exc:
            results.append(exc.get_code())

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # THEN exactly one made a task, the others were told the SessionId is taken
    made = [r for r in results if r.startswith("1250000000-")]
    assert len(made) == 1 and results.count("InvalidParameterValue.SessionId") == 4, results
    assert [t["task_id"] for t in stack.client.tasks(input_prefix=key)["tasks"]] == made
