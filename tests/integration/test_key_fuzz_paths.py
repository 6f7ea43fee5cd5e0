"""Hostile keys through every door (issue 14 battery, key and argv fuzzing): REST upload tickets,
tasks (input keys, output dirs, output object path patterns), object listings and workflows; MPS
ProcessMedia (InputInfo, OutputDir) signed by the official SDK; the COS XML API over HTTP with
cos-python-sdk-v5; then real ffmpeg runs on inputs stored under hostile-but-storable keys.

Figures: every refusal is a 4xx with a code (the MPS API: its envelope, never InternalError), no
file with the key's mark appears outside the two buckets (data dir tree and /tmp diffed before and
after), and every ffmpeg argv passes tests/hostile_keys.argv_problems. Examples per property:
OPENMPS_FUZZ_EXAMPLES (default 40 keys through every door, 2 ffmpeg runs; `make fuzz-keys`: 500 and 16)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosClientError, CosServiceError

import shared.media.ffmpeg.runner as runner
from infra.local.cos_api.endpoint import CosEndpoint
from infra.local.gateway import Gateway
from shared.api.mps.handler import handle as handle_api3
from shared.domain import clock
from shared.domain.accounts import AccessKey, new_secret_id, new_secret_key
from tests.hostile_keys import (
    MARK,
    argv_problems,
    files_named,
    holding_mark,
    hostile_keys,
    inside,
    is_code,
    storable_hostile_keys,
    tree,
)
from tests.integration.pipeline_helpers import drain
from tests.media_fixtures import make_clip
from tests.sdk_signing import sdk_client, signed_request

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("OPENMPS_FUZZ_EXAMPLES", "40"))
RUNS = max(2, EXAMPLES // 30)
REGION = "ap-guangzhou"
TALLY: Counter = Counter()


@pytest.fixture
def doors(api, deps, account, tmp_path):  # type: ignore[no-untyped-def]
    """The REST API in-process, an MPS key pair, and the COS XML API on a real socket."""
    key = AccessKey(account, deps.settings.appid, new_secret_id(), new_secret_key(), enabled=True)
    deps.accounts.put_key(key, clock.now_iso())
    gateway = Gateway(
        host="127.0.0.1",
        port=0,
        storage=deps.storage,
        signing_key=deps.settings.signing_key,
        invoke_secret="runtime-secret",
        invoke_sync=lambda fn, ev: {"statusCode": 404, "body": "{}"},
        invoke_async=lambda fn, ev: "id",
        on_upload=lambda info: None,
        max_upload_bytes=1 << 20,
        cos=CosEndpoint(
            storage=deps.storage, find_key=deps.accounts.find_key, on_created=lambda *a: None, max_object_bytes=1 << 20
        ),
    )
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    config = CosConfig(
        IP="127.0.0.1",
        Port=gateway.port,
        Scheme="http",
        Region=REGION,
        SecretId=key.secret_id,
        SecretKey=key.secret_key,
    )
    source = "fuzz/source.mp4"
    if not deps.storage.path(deps.settings.input_bucket, source).is_file():
        make_clip(tmp_path / "source.mp4", seconds=1)
        with (tmp_path / "source.mp4").open("rb") as f:
            deps.storage.put_stream(deps.settings.input_bucket, source, f)
    yield (
        api,
        sdk_client("127.0.0.1:1", key.secret_id, key.secret_key),
        CosS3Client(config, retry=1),
        source,
        gateway.port,
    )
    gateway.shutdown()


def _roots(deps) -> tuple[Path, list[Path]]:  # type: ignore[no-untyped-def]
    storage = Path(deps.settings.storage_root)
    names = (deps.settings.input_bucket, deps.settings.output_bucket)
    # an object's sidecar ({root}/.meta/{bucket}/{key}.json: etag, type) belongs to its bucket
    buckets = [storage / b for b in names] + [storage / ".meta" / b for b in names]
    return storage, buckets


def _snapshot(deps) -> tuple[set[Path], set[Path]]:  # type: ignore[no-untyped-def]
    """The whole tree of the data dir (buckets, work folders) and of /tmp, and the paths named with MARK."""
    storage, _ = _roots(deps)
    roots = [storage, Path(deps.settings.work_dir), Path("/tmp")]
    return tree(roots), files_named(roots)


def _outside_buckets(deps, before: tuple[set[Path], set[Path]]) -> list[Path]:  # type: ignore[no-untyped-def]
    """What the fuzzing left outside the buckets: any new path in the data dir that is not in a bucket
    (or the storage's own .tmp), and anywhere (data dir or /tmp) a new path named with MARK or a new
    file holding just MARK (the bytes every fuzzed write sends)."""
    storage, buckets = _roots(deps)
    paths, marked = _snapshot(deps)
    new = paths - before[0]
    allowed = [*buckets, storage / ".tmp"]
    data = [storage, Path(deps.settings.work_dir)]
    stray = {
        p
        for p in new
        if any(inside(p, d) for d in data) and p != storage / ".meta" and not any(inside(p, b) for b in allowed)
    }
    stray |= {p for p in (marked - before[1]) | holding_mark(new) if not any(inside(p, b) for b in buckets)}
    return sorted(stray)


def _rest(reply, door: str) -> None:  # type: ignore[no-untyped-def]
    TALLY[f"{door} {reply.status // 100}xx"] += 1
    assert reply.status < 500, (door, reply.status, reply.body)
    if reply.status >= 400:
        assert is_code(reply.code), (door, reply.body)


def _mps(client, deps, action: str, params: dict) -> None:  # type: ignore[no-untyped-def]
    req = signed_request(client, action, params)
    event = {"httpMethod": "POST", "path": "/", "headers": dict(req.header), "body": req.data}
    answer = json.loads(handle_api3(event, deps)["body"])["Response"]
    code = answer.get("Error", {}).get("Code")
    TALLY[f"mps {'refused' if code else 'accepted'}"] += 1
    assert code is None or (is_code(code) and not code.startswith("InternalError")), answer


def _cos(cos: CosS3Client, bucket: str, key: str) -> None:
    try:
        cos.put_object(Bucket=bucket, Key=key, Body=MARK.encode())
        TALLY["cos put 2xx"] += 1
    except CosServiceError as exc:
        TALLY[f"cos put {exc.get_status_code() // 100}xx"] += 1
        assert exc.get_status_code() < 500 and is_code(exc.get_error_code()), (key, exc.get_digest_msg())
    except CosClientError:
        TALLY["cos put refused by the SDK"] += 1  # the client would not even send it


def _signed_put(port: int, url: str) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("PUT", f"{parts.path}?{parts.query}", body=MARK.encode())
    reply = conn.getresponse()
    reply.read()
    conn.close()
    TALLY[f"signed put {reply.status // 100}xx"] += 1
    assert reply.status == 200, (url, reply.status)


@pytest.fixture
def marked_before(deps) -> tuple[set[Path], set[Path]]:  # type: ignore[no-untyped-def]
    return _snapshot(deps)


def test_hostile_keys_through_every_door_are_refused_with_a_code_or_stay_in_their_bucket(
    doors, deps, invoker, marked_before
):
    api, mps, cos, source, gateway_port = doors
    bucket, out_bucket = deps.settings.input_bucket, deps.settings.output_bucket

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    # half of them storable, so they also get as far as the buckets
    @given(st.one_of(hostile_keys(), storable_hostile_keys(prefix="fuzz/")))
    def every_door(key: str) -> None:
        TALLY["keys"] += 1
        mp4 = {"type": "Transcode", "definition": 100010}
        ticket = api.post("/api/v1/uploads", {"filename": "clip.mp4", "key": key})
        _rest(ticket, "upload ticket")
        if ticket.status == 200:  # the signed URL takes the bytes, into the bucket
            _signed_put(gateway_port, ticket.body["upload_url"])
        _rest(api.post("/api/v1/uploads", {"filename": key}), "upload filename")
        task = {"input": {"bucket": bucket, "key": key}, "subtasks": [mp4]}
        _rest(api.post("/api/v1/tasks", task), "task input")
        task = {"input": {"bucket": bucket, "key": source}, "output": {"dir": key}, "subtasks": [mp4]}
        _rest(api.post("/api/v1/tasks", task), "task output dir")
        task = {"input": {"bucket": bucket, "key": source}, "subtasks": [{**mp4, "output_object_path": key}]}
        _rest(api.post("/api/v1/tasks", task), "task output object path")
        _rest(api.get(f"/api/v1/objects?bucket={bucket}&prefix={key}"), "objects")
        workflow = {"name": "fuzz", "prefix": key, "subtasks": [mp4], "output": {"dir": key}}
        created = api.post("/api/v1/workflows", workflow)
        _rest(created, "workflow")
        if created.status == 201:
            api.delete(f"/api/v1/workflows/{created.body['workflow_id']}")
        cos_input = {"Type": "COS", "CosInputInfo": {"Bucket": bucket, "Region": REGION, "Object": "/" + key}}
        output = {"Type": "COS", "CosOutputStorage": {"Bucket": out_bucket, "Region": REGION}}
        job = {"MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010}]}, "OutputStorage": output}
        _mps(mps, deps, "ProcessMedia", {"InputInfo": cos_input, **job})
        source_input = {"Type": "COS", "CosInputInfo": {"Bucket": bucket, "Region": REGION, "Object": "/" + source}}
        _mps(mps, deps, "ProcessMedia", {"InputInfo": source_input, **job, "OutputDir": "/" + key})
        url_input = {"Type": "URL", "UrlInputInfo": {"Url": key}}
        _mps(mps, deps, "ProcessMedia", {"InputInfo": url_input, **job})
        _cos(cos, bucket, key)
        invoker.calls.clear()  # the tasks accepted here are not run: the ffmpeg test below runs some

    # the MPS door is open for a benign request (so its refusals above are the keys')
    benign = {"Type": "COS", "CosInputInfo": {"Bucket": bucket, "Region": REGION, "Object": "/" + source}}
    output = {"Type": "COS", "CosOutputStorage": {"Bucket": out_bucket, "Region": REGION}}
    job = {"MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010}]}, "OutputStorage": output}
    _mps(mps, deps, "ProcessMedia", {"InputInfo": benign, **job, "OutputDir": "/fuzz/benign/"})
    assert TALLY.pop("mps accepted") == 1
    invoker.calls.clear()
    every_door()
    print(f"\nkey fuzzing (doors): {dict(sorted(TALLY.items()))}")
    assert _outside_buckets(deps, marked_before) == []


def test_ffmpeg_runs_on_hostile_keys_see_only_paths_inside_their_work_folder(api, deps, invoker, tmp_path, monkeypatch):
    # GIVEN ffmpeg's command lines recorded as the runner starts them (the runner's alone)
    clip = make_clip(tmp_path / "clip.mp4", seconds=1)
    argvs: list[list[str]] = []

    class Recording:
        def __getattr__(self, name: str) -> object:
            return getattr(subprocess, name)

        @staticmethod
        def Popen(args, *a, **kw):  # type: ignore[no-untyped-def]  # noqa: N802 - subprocess's name
            argvs.append(list(args))
            return subprocess.Popen(args, *a, **kw)

    monkeypatch.setattr(runner, "subprocess", Recording())
    before = _snapshot(deps)
    bucket = deps.settings.input_bucket
    finished: list[dict] = []

    @settings(max_examples=RUNS, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(storable_hostile_keys(prefix=f"fuzz-{uuid.uuid4().hex[:6]}/"))
    def one_run(key: str) -> None:
        # WHEN an input stored under a hostile key is transcoded and snapshotted into a hostile output dir
        with clip.open("rb") as f:
            deps.storage.put_stream(bucket, key, f)
        subtasks = [
            {"type": "Transcode", "definition": 100010, "output_object_path": "{inputName}-{definition}.{format}"},
            {"type": "Snapshot", "definition": 10, "kind": "time_offset"},
        ]
        output = {"dir": key + "-out/{task_id}/"}
        body = {"input": {"bucket": bucket, "key": key}, "output": output, "subtasks": subtasks}
        reply = api.post("/api/v1/tasks", body)
        assert reply.status == 201, (key, reply.body)
        drain(deps, invoker)
        finished.append(api.get(f"/api/v1/tasks/{reply.body['task_id']}").body)

    one_run()
    # THEN every run succeeded with its outputs in the output bucket
    for task in finished:
        assert task["status"] == "FINISH" and [s["status"] for s in task["subtasks"]] == ["SUCCESS"] * 2, task
        for sub in task["subtasks"]:
            for out in sub["outputs"]:
                assert out["bucket"] == deps.settings.output_bucket
                assert deps.storage.head(out["bucket"], out["key"]).size > 0
    # AND ffmpeg was only ever given absolute paths inside its work folder, never the key
    problems = [p for a in argvs for p in argv_problems(a, deps.settings.work_dir)]
    assert argvs and problems == [], problems
    print(f"\nkey fuzzing (ffmpeg): {len(finished)} tasks, {len(argvs)} ffmpeg runs, 0 argv problems")
    assert _outside_buckets(deps, before) == []


def test_a_key_with_a_lone_surrogate_is_refused_with_a_code_not_an_internal_error(doors, deps):
    # JSON's "\ud800" decodes to a lone surrogate, which has no UTF-8 form (found by the fuzzing above:
    # check_key raised UnicodeEncodeError, and ProcessMedia answered InternalError)
    api, mps, _cos, _source, _port = doors
    bucket = deps.settings.input_bucket
    key = "input/\ud800omcanary.mp4"
    cos_input = {"Type": "COS", "CosInputInfo": {"Bucket": bucket, "Region": REGION, "Object": "/" + key}}
    output = {"Type": "COS", "CosOutputStorage": {"Bucket": deps.settings.output_bucket, "Region": REGION}}
    job = {"MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010}]}, "OutputStorage": output}
    for params in ({"InputInfo": cos_input, **job}, {"InputInfo": {**cos_input}, **job, "OutputDir": "/" + key + "/"}):
        req = signed_request(mps, "ProcessMedia", params)
        event = {"httpMethod": "POST", "path": "/", "headers": dict(req.header), "body": req.data}
        error = json.loads(handle_api3(event, deps)["body"])["Response"]["Error"]
        assert error["Code"].startswith("InvalidParameterValue"), error
    # the REST API's request models refuse it too
    reply = api.call("POST", "/api/v1/uploads", raw='{"filename": "clip.mp4", "key": "input/\\ud800.mp4"}')
    assert reply.status == 400 and reply.code.startswith("InvalidParameter"), reply.body
