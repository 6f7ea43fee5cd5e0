"""Multi-file downloads in the cloud path: with COS storage the API builds the zip into the output
bucket once per subtask attempt (a multipart upload fed member by member) and answers with a
presigned COS URL. Against the COS emulator the COS adapter tests start, with 500 snapshots."""

from __future__ import annotations

import io
import os
import uuid
import zipfile

import pytest

from shared.composition import build_deps
from shared.domain import clock
from shared.domain.model import Subtask, Task
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.services import stored_zip
from shared.services.media_access import download
from shared.storage.cos import CosStorage
from tests.integration.test_cos_storage import fetch, make

pytestmark = pytest.mark.integration

SNAPSHOTS = 500
MB = 1024 * 1024


@pytest.fixture
def cos(emulator: tuple[str, int]) -> CosStorage:
    return make(emulator)


@pytest.fixture
def bucket(cos: CosStorage) -> str:
    name = f"z{uuid.uuid4().hex[:12]}-1250000000"
    cos.client().create_bucket(Bucket=name)
    return name


def _finished_snapshot_task(deps, out_bucket: str, count: int) -> tuple[Task, list[bytes]]:
    task_id = f"1250000000-WorkflowTask-{os.urandom(16).hex()}t0"
    now = clock.now_iso()
    task = Task(
        task_id=task_id,
        account="acct-zip",
        create_time=now,
        input_bucket="openmps-input-1250000000",
        input_key="input/a.mp4",
        output_bucket=out_bucket,
        output_dir=f"output/{task_id}/",
        origin="api",
        status=TaskStatus.FINISH,
    )
    bodies, outputs = [], []
    for i in range(count):
        body = b"\xff\xd8\xff" + os.urandom(3000)  # JPEG-like, 3 KB: 1.5 MB in all, over one part
        key = f"output/{task_id}/snapshot/{i:04d}.jpg"
        deps.storage.client().put_object(Bucket=out_bucket, Key=key, Body=body)
        bodies.append(body)
        outputs.append({"bucket": out_bucket, "key": key, "size": len(body)})
    outputs.append({"bucket": out_bucket, "key": f"output/{task_id}/snapshot/x_result.json", "size": 2})
    sub = Subtask(
        task_id=task_id,
        index=1,
        type="Snapshot",
        account="acct-zip",
        template={"definition": 10, "type": "Snapshot", "params": {}},
        status=SubtaskStatus.SUCCESS,
        outputs=outputs,
    )
    assert deps.tasks.create_task(task, [sub])
    return task, bodies


def test_500_snapshots_zip_into_the_bucket_once_and_download_by_presigned_url(
    settings, cos: CosStorage, bucket: str, monkeypatch
) -> None:
    # GIVEN a finished snapshot subtask with 500 images in a COS output bucket
    deps = build_deps(settings.model_copy(update={"storage": "cos"}), storage=cos)
    task, bodies = _finished_snapshot_task(deps, bucket, SNAPSHOTS)
    # WHEN its download is asked for
    first = download(deps, "acct-zip", task.task_id, 1, None)
    # THEN the answer is a presigned COS URL of a zip object in the output bucket, beside the outputs
    key = stored_zip.zip_key(task, deps.tasks.get_subtask(task.task_id, 1))
    assert key.startswith(f"output/{task.task_id}/zip/") and key.endswith("_attempt0.zip")
    assert first["files"] == SNAPSHOTS and first["filename"].endswith("_snapshot.zip")
    assert "q-signature=" in first["url"] and "response-content-disposition" in first["url"]
    info = cos.head(bucket, key)
    assert info.etag.endswith("-2")  # sent as a multipart upload, part by part
    got = fetch(cos, bucket, first["url"])
    assert got.status_code == 200 and "attachment" in got.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert len(names) == SNAPSHOTS and names[0] == "0000.jpg"
        assert all(archive.read(f"{i:04d}.jpg") == bodies[i] for i in (0, 250, 499))
        assert all(m.compress_type == zipfile.ZIP_STORED for m in archive.infolist())
    # AND a second request reuses the zip: nothing is built again
    monkeypatch.setattr(stored_zip, "stream_zip", lambda *a, **k: pytest.fail("the zip was rebuilt"))
    second = download(deps, "acct-zip", task.task_id, 1, None)
    assert second["files"] == SNAPSHOTS and cos.head(bucket, key).etag == info.etag


def test_a_failed_build_leaves_no_zip_behind(cos: CosStorage, bucket: str) -> None:
    cos.client().put_object(Bucket=bucket, Key="a.jpg", Body=os.urandom(MB) + b"x")
    members = [("a.jpg", bucket, "a.jpg"), ("missing.jpg", bucket, "missing.jpg")]
    with pytest.raises(Exception):  # noqa: B017 - whatever the storage raises for the missing member
        stored_zip.ensure_zip(cos, bucket, "z/broken.zip", members)
    assert not [o for o in cos.list(bucket, "z/")]
    assert "Upload" not in cos.client().list_multipart_uploads(Bucket=bucket)
