"""The local stack's buckets through the real cos-python-sdk-v5, configured as README "Use your COS
code" says: ``CosConfig(IP="127.0.0.1", Port=<port>, Scheme="http", Region=...)`` and the
account's SecretId/SecretKey."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from tests.e2e.conftest import wait_for
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.e2e

REGION = "ap-guangzhou"
INPUT_BUCKET, OUTPUT_BUCKET = "openmps-input-1250000000", "openmps-output-1250000000"
OTHER_ACCOUNTS_BUCKET = "openmps-input-1300000000"
MB = 1024 * 1024


def etag_of(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest() + '"'


def vhost(bucket: str) -> str:
    return f"{bucket}.cos.{REGION}.myqcloud.com"


def sdk(stack, secret_id: str | None = None, secret_key: str | None = None) -> CosS3Client:
    port = urlsplit(stack.url).port
    config = CosConfig(
        IP="127.0.0.1",
        Port=port,
        Scheme="http",
        Region=REGION,
        SecretId=secret_id or stack.key_pair()[0],
        SecretKey=secret_key or stack.key_pair()[1],
    )
    return CosS3Client(config, retry=1)


@pytest.fixture
def cos(stack) -> CosS3Client:
    return sdk(stack)


@pytest.fixture
def prefix() -> str:
    return f"cos-e2e/{os.urandom(4).hex()}/"


def refused(call, *args, **kwargs) -> CosServiceError:
    with pytest.raises(CosServiceError) as err:
        call(*args, **kwargs)
    return err.value


def test_put_get_head_delete_and_metadata(cos, prefix):
    # GIVEN an object put with a content type and user metadata
    key = prefix + "dir/hello world.txt"
    put = cos.put_object(
        Bucket=OUTPUT_BUCKET, Key=key, Body=b"hello cos", ContentType="text/plain", Metadata={"x-cos-meta-Owner": "me"}
    )
    assert put["ETag"] == etag_of(b"hello cos")
    # WHEN it is read back whole, in part, and by HEAD
    head = cos.head_object(Bucket=OUTPUT_BUCKET, Key=key)
    body = cos.get_object(Bucket=OUTPUT_BUCKET, Key=key)["Body"].get_raw_stream().read()
    part = cos.get_object(Bucket=OUTPUT_BUCKET, Key=key, Range="bytes=6-8")
    # THEN COS's headers, casing included, and the bytes are as stored
    assert body == b"hello cos"
    assert part["Body"].get_raw_stream().read() == b"cos" and part["Content-Range"] == "bytes 6-8/9"
    assert head["Content-Length"] == "9" and head["Content-Type"] == "text/plain"
    assert head["ETag"] == put["ETag"] and head["x-cos-meta-owner"] == "me"
    assert time.time() - time.mktime(time.strptime(head["Last-Modified"], "%a, %d %b %Y %H:%M:%S GMT")) < 3600 * 24
    assert cos.object_exists(Bucket=OUTPUT_BUCKET, Key=key)
    # AND a delete removes it; reading it then is NoSuchKey
    cos.delete_object(Bucket=OUTPUT_BUCKET, Key=key)
    assert not cos.object_exists(Bucket=OUTPUT_BUCKET, Key=key)
    err = refused(cos.get_object, Bucket=OUTPUT_BUCKET, Key=key)
    assert (err.get_status_code(), err.get_error_code()) == (404, "NoSuchKey")


def test_response_content_disposition_overrides_the_header(cos, prefix):
    cos.put_object(Bucket=OUTPUT_BUCKET, Key=prefix + "a.mp4", Body=b"x" * 10)
    got = cos.get_object(
        Bucket=OUTPUT_BUCKET, Key=prefix + "a.mp4", ResponseContentDisposition='attachment; filename="b.mp4"'
    )
    assert got["Content-Disposition"] == 'attachment; filename="b.mp4"'


def test_list_with_prefix_delimiter_marker_and_max_keys(cos, prefix):
    keys = ["a/1.jpg", "a/2.jpg", "a/b/3.jpg", "c.txt", "d/4.jpg", "e.txt"]
    for key in keys:
        cos.put_object(Bucket=OUTPUT_BUCKET, Key=prefix + key, Body=key.encode())
    # a delimiter rolls keys up into CommonPrefixes
    page = cos.list_objects(Bucket=OUTPUT_BUCKET, Prefix=prefix, Delimiter="/")
    assert [c["Key"] for c in page["Contents"]] == [prefix + "c.txt", prefix + "e.txt"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == [prefix + "a/", prefix + "d/"]
    assert page["IsTruncated"] == "false"
    assert page["Contents"][0]["Size"] == "5" and page["Contents"][0]["ETag"] == etag_of(b"c.txt")
    # pages of two, following NextMarker, list every key once in order
    seen, marker = [], ""
    while True:
        page = cos.list_objects(Bucket=OUTPUT_BUCKET, Prefix=prefix, Marker=marker, MaxKeys=2)
        seen += [c["Key"] for c in page.get("Contents", [])]
        if page["IsTruncated"] == "false":
            break
        marker = page["NextMarker"]
    assert seen == [prefix + k for k in keys]
    # a nested prefix lists only under it
    inner = cos.list_objects(Bucket=OUTPUT_BUCKET, Prefix=prefix + "a/", Delimiter="/")
    assert [c["Key"] for c in inner["Contents"]] == [prefix + "a/1.jpg", prefix + "a/2.jpg"]
    assert [p["Prefix"] for p in inner["CommonPrefixes"]] == [prefix + "a/b/"]
    err = refused(cos.list_objects, Bucket=OUTPUT_BUCKET, MaxKeys=5000)
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument")


def test_delete_multiple_and_copy(cos, prefix):
    for key in ("x", "y", "z"):
        cos.put_object(Bucket=OUTPUT_BUCKET, Key=prefix + key, Body=key.encode(), Metadata={"x-cos-meta-k": key})
    copied = cos.copy_object(
        Bucket=OUTPUT_BUCKET,
        Key=prefix + "copy-of-x",
        CopySource={"Bucket": OUTPUT_BUCKET, "Key": prefix + "x", "Region": REGION},
    )
    assert copied["ETag"] == etag_of(b"x")
    assert cos.head_object(Bucket=OUTPUT_BUCKET, Key=prefix + "copy-of-x")["x-cos-meta-k"] == "x"
    result = cos.delete_objects(
        Bucket=OUTPUT_BUCKET,
        Delete={"Object": [{"Key": prefix + "x"}, {"Key": prefix + "y"}, {"Key": prefix + "gone"}]},
    )
    assert sorted(d["Key"] for d in result["Deleted"]) == sorted(prefix + k for k in ("x", "y", "gone"))
    left = cos.list_objects(Bucket=OUTPUT_BUCKET, Prefix=prefix)
    assert [c["Key"] for c in left["Contents"]] == [prefix + "copy-of-x", prefix + "z"]
    err = refused(
        cos.copy_object,
        Bucket=OUTPUT_BUCKET,
        Key=prefix + "stolen",
        CopySource={"Bucket": OTHER_ACCOUNTS_BUCKET, "Key": "input/a.mp4", "Region": REGION},
    )
    assert err.get_error_code() == "AccessDenied"


def test_upload_file_multipart_and_download_file_ranged(cos, prefix, tmp_path):
    # GIVEN a 5.5 MB file, over the 1 MB multipart threshold given to upload_file
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(5 * MB + MB // 2))
    # WHEN it goes up in 1 MB parts on 3 threads, and comes down in 1 MB ranged parts on 4
    done = cos.upload_file(
        Bucket=OUTPUT_BUCKET, Key=prefix + "big.bin", LocalFilePath=str(src), PartSize=1, MAXThread=3
    )
    dest = tmp_path / "back.bin"
    cos.download_file(Bucket=OUTPUT_BUCKET, Key=prefix + "big.bin", DestFilePath=str(dest), PartSize=1, MAXThread=4)
    # THEN the bytes match and the ETag is COS's multipart form: md5 of the part md5s, "-N"
    assert dest.read_bytes() == src.read_bytes()
    data = src.read_bytes()
    part_md5s = b"".join(hashlib.md5(data[i : i + MB]).digest() for i in range(0, len(data), MB))
    expected = f'"{hashlib.md5(part_md5s).hexdigest()}-6"'
    assert done["ETag"] == expected
    assert cos.head_object(Bucket=OUTPUT_BUCKET, Key=prefix + "big.bin")["ETag"] == expected
    assert "Upload" not in cos.list_multipart_uploads(Bucket=OUTPUT_BUCKET, Prefix=prefix)


def test_multipart_parts_list_abort_and_min_part_size(cos, prefix):
    key = prefix + "parts.bin"
    upload_id = cos.create_multipart_upload(Bucket=OUTPUT_BUCKET, Key=key)["UploadId"]
    etags = [
        cos.upload_part(Bucket=OUTPUT_BUCKET, Key=key, Body=b"a" * 1000, PartNumber=n, UploadId=upload_id)["ETag"]
        for n in (1, 2)
    ]
    listed = cos.list_parts(Bucket=OUTPUT_BUCKET, Key=key, UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Part"]] == [("1", "1000"), ("2", "1000")]
    uploads = cos.list_multipart_uploads(Bucket=OUTPUT_BUCKET, Prefix=prefix)["Upload"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [(key, upload_id)]
    # a part under COS's 1 MB minimum (other than the last) refuses the completion
    err = refused(
        cos.complete_multipart_upload,
        Bucket=OUTPUT_BUCKET,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Part": [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), etags, strict=True)]},
    )
    assert err.get_error_code() == "EntityTooSmall"
    assert not cos.object_exists(Bucket=OUTPUT_BUCKET, Key=key)
    cos.abort_multipart_upload(Bucket=OUTPUT_BUCKET, Key=key, UploadId=upload_id)
    err = refused(cos.list_parts, Bucket=OUTPUT_BUCKET, Key=key, UploadId=upload_id)
    assert err.get_error_code() == "NoSuchUpload"


def test_presigned_get_and_put(cos, prefix):
    key = prefix + "signed.txt"
    host = {"Host": vhost(OUTPUT_BUCKET)}  # with IP=..., the bucket travels in the Host header
    put_url = cos.get_presigned_url(Bucket=OUTPUT_BUCKET, Key=key, Method="PUT", Headers=host)
    assert requests.put(put_url, data=b"via url", headers=host, timeout=10).status_code == 200
    get_url = cos.get_presigned_url(Bucket=OUTPUT_BUCKET, Key=key, Method="GET", Headers=host)
    got = requests.get(get_url, headers=host, timeout=10)
    assert (got.status_code, got.content) == (200, b"via url")
    # the GET URL does not allow a PUT, and an edited URL is refused
    assert requests.put(get_url, data=b"evil", headers=host, timeout=10).status_code == 403
    tampered = get_url.replace("signed.txt", "other.txt")
    answer = requests.get(tampered, headers=host, timeout=10)
    assert answer.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer.content


def test_wrong_key_skewed_clock_and_other_accounts_bucket(stack, cos, monkeypatch):
    secret_id = stack.key_pair()[0]
    wrong = sdk(stack, secret_id, "not-the-secret-key")
    err = refused(wrong.list_objects, Bucket=OUTPUT_BUCKET)
    assert (err.get_status_code(), err.get_error_code()) == (403, "SignatureDoesNotMatch")
    err = refused(sdk(stack, "AKIDnobody", "x").list_objects, Bucket=OUTPUT_BUCKET)
    assert (err.get_status_code(), err.get_error_code()) == (403, "InvalidAccessKeyId")
    err = refused(cos.put_object, Bucket=OTHER_ACCOUNTS_BUCKET, Key="input/x.mp4", Body=b"x")
    assert (err.get_status_code(), err.get_error_code()) == (403, "AccessDenied")
    err = refused(cos.list_objects, Bucket="no-such-bucket-1250000000")
    assert (err.get_status_code(), err.get_error_code()) == (404, "NoSuchBucket")
    # a client clock an hour fast signs requests that start in the server's future
    import qcloud_cos.cos_auth as cos_auth

    real = time.time
    monkeypatch.setattr(cos_auth.time, "time", lambda: real() + 3600)
    err = refused(cos.list_objects, Bucket=OUTPUT_BUCKET)
    monkeypatch.undo()
    assert (err.get_status_code(), err.get_error_code()) == (403, "RequestTimeTooSkewed")


def _raw_put(stack, cos, key: str, declared: int, sent: bytes) -> bytes:
    """A presigned PUT by hand, declaring ``declared`` bytes and sending ``sent``, then closing."""
    host = vhost(INPUT_BUCKET)
    url = urlsplit(cos.get_presigned_url(Bucket=INPUT_BUCKET, Key=key, Method="PUT", Headers={"Host": host}))
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(
            f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {declared}\r\n\r\n".encode() + sent
        )
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def test_a_dropped_upload_leaves_no_object_and_no_task(stack, cos):
    key = f"input/dropped-{os.urandom(3).hex()}.mp4"
    _raw_put(stack, cos, key, MB, b"\0" * 1000)
    time.sleep(1.5)  # a trigger, had one fired, has had time to create the task
    assert not cos.object_exists(Bucket=INPUT_BUCKET, Key=key)
    assert stack.client.find_task_for_key(key) is None
    assert not list((stack.data_dir / "buckets" / ".tmp").iterdir())


def test_an_upload_over_the_single_put_limit_is_entity_too_large(stack, cos):
    answer = _raw_put(stack, cos, "input/huge.mp4", 6 * 1024**3, b"")
    assert answer.startswith(b"HTTP/1.1 400") and b"<Code>EntityTooLarge</Code>" in answer


def test_an_sdk_upload_under_input_ends_in_a_finished_task_read_back_with_the_sdk(stack, cos, tmp_path):
    # GIVEN a video uploaded with upload_file, over its multipart threshold
    clip = make_clip(tmp_path / "clip.mp4", seconds=2, width=640, height=360)
    padded = tmp_path / "upload.mp4"
    filler = 2 * MB  # a top-level "free" box: valid MP4 that takes the file over the 1 MB part size
    padded.write_bytes(clip.read_bytes() + (filler + 8).to_bytes(4, "big") + b"free" + b"\0" * filler)
    key = f"input/sdk-{os.urandom(3).hex()}.mp4"
    cos.upload_file(Bucket=INPUT_BUCKET, Key=key, LocalFilePath=str(padded), PartSize=1, MAXThread=2)
    client = stack.client
    # WHEN the workflow the COS event fires runs to its end
    task = wait_for(lambda: client.find_task_for_key(key))
    done = wait_for(lambda: (t := client.task(task["task_id"]))["status"] == "FINISH" and t, timeout=180)
    # THEN its outputs come back through the SDK, byte for byte what the bucket holds
    assert {s["status"] for s in done["subtasks"]} == {"SUCCESS"}
    [mp4] = done["subtasks"][0]["outputs"]
    dest = tmp_path / "out.mp4"
    cos.download_file(Bucket=mp4["bucket"], Key=mp4["key"], DestFilePath=str(dest))
    assert dest.read_bytes() == Path(stack.bucket_path(mp4["bucket"], mp4["key"])).read_bytes()
    assert dest.read_bytes()[4:8] == b"ftyp"
    listed = cos.list_objects(Bucket=OUTPUT_BUCKET, Prefix=f"output/{task['task_id']}/")
    assert mp4["key"] in [c["Key"] for c in listed["Contents"]]
    # AND the same upload again (same parts, so the same ETag) creates no second task
    cos.upload_file(Bucket=INPUT_BUCKET, Key=key, LocalFilePath=str(padded), PartSize=1, MAXThread=2)
    time.sleep(2)
    page = client.tasks(limit=100, input_prefix=key)
    assert [t["task_id"] for t in page["tasks"] if t["input"]["key"] == key] == [task["task_id"]]


def test_coscmd_uploads_and_downloads_through_the_stack_as_an_http_proxy(stack, cos, tmp_path):
    """coscmd has no IP option: it reaches <bucket>.cos.<region>.myqcloud.com by name. Pointing
    HTTP_PROXY at the stack sends those requests (absolute-form targets) to the gateway."""
    coscmd = shutil.which("coscmd", path=str(Path(sys.executable).parent))
    if coscmd is None:
        pytest.skip("coscmd is not installed")
    secret_id, secret_key = stack.key_pair()
    conf = tmp_path / "cos.conf"
    env = {**os.environ, "HTTP_PROXY": stack.url, "http_proxy": stack.url, "NO_PROXY": "", "no_proxy": ""}
    base = [coscmd, "-c", str(conf)]
    subprocess.run(
        [*base, "config", "-a", secret_id, "-s", secret_key, "-b", OUTPUT_BUCKET, "-r", REGION, "--do-not-use-ssl"],
        check=True,
        env=env,
        capture_output=True,
    )
    src = tmp_path / "c.bin"
    src.write_bytes(os.urandom(3 * MB + 7))
    key = f"coscmd/{os.urandom(3).hex()}/c.bin"
    up = subprocess.run([*base, "upload", str(src), key], env=env, capture_output=True, text=True, timeout=120)
    assert up.returncode == 0, up.stdout + up.stderr
    head = cos.head_object(Bucket=OUTPUT_BUCKET, Key=key)
    assert head["Content-Length"] == str(3 * MB + 7)
    assert head["x-cos-meta-md5"] == hashlib.md5(src.read_bytes()).hexdigest()  # coscmd's own check, kept
    dest = tmp_path / "back.bin"
    down = subprocess.run([*base, "download", key, str(dest)], env=env, capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    assert dest.read_bytes() == src.read_bytes()
