"""Keys the storage could not hold are refused when the ticket or task is made (400), not after
the upload or three failed runs."""

from __future__ import annotations

import io

import pytest

pytestmark = pytest.mark.integration


def test_upload_tickets_refuse_folders_files_as_folders_and_long_names(api, deps):
    # GIVEN an object at input/held/clip.mp4 (so input/held is a folder and the clip a file)
    bucket = deps.settings.input_bucket
    deps.storage.put_stream(bucket, "input/held/clip.mp4", io.BytesIO(b"x"))
    for key in ("input/", "input/held", "input/held/", "input/held/clip.mp4/inner.mp4", "input/" + "a" * 256 + ".mp4"):
        # WHEN a ticket is asked for the key THEN it is refused with a code, before any byte is sent
        reply = api.post("/api/v1/uploads", {"filename": "clip.mp4", "key": key})
        assert (reply.status, reply.code) == (400, "InvalidParameterValue.Key"), (key, reply.body)
    # AND a name of exactly 255 bytes is fine
    assert api.post("/api/v1/uploads", {"filename": "c.mp4", "key": "input/" + "a" * 251 + ".mp4"}).status == 200


def test_output_dirs_that_cannot_be_folders_are_refused_at_creation(api, deps):
    bucket = deps.settings.input_bucket
    deps.storage.put_stream(bucket, "input/out-src.mp4", io.BytesIO(b"x"))
    deps.storage.put_stream(deps.settings.output_bucket, "taken/file.bin", io.BytesIO(b"x"))
    subtasks = [{"type": "Transcode", "definition": 100010}]
    for out_dir in ("out/" + "d" * 300 + "/{task_id}/", "taken/file.bin/{task_id}/"):
        source = {"bucket": bucket, "key": "input/out-src.mp4"}
        body = {"input": source, "output": {"dir": out_dir}, "subtasks": subtasks}
        reply = api.post("/api/v1/tasks", body)
        assert reply.status == 400 and reply.code.startswith("InvalidParameterValue"), (out_dir, reply.body)
    workflow = {"name": "long", "prefix": "long/", "subtasks": subtasks, "output": {"dir": "o/" + "d" * 300 + "/"}}
    reply = api.post("/api/v1/workflows", workflow)
    assert reply.status == 400 and reply.code.startswith("InvalidParameterValue"), reply.body
