"""The COS adapter against a real S3/COS-XML server process (moto's S3 emulator behind COS's
q-sign verification, infra/cloud/cos_emulator.py), reached the way the SDK reaches a private
endpoint: ``CosConfig(IP=..., Port=..., Scheme="http")`` with ``Host: <bucket>.cos.<region>.myqcloud.com``.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import time
import uuid
from pathlib import Path

import pytest
import requests

from shared.composition import build_storage
from shared.domain.errors import BadInputError, NotFoundError, OpenMpsError, RetryableProcessingError
from shared.runtime.settings import RoleCredentials, StaticCredentials, settings_from_env
from shared.storage.cos import CosStorage

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
REGION = "ap-guangzhou"
SECRET_ID, SECRET_KEY, TOKEN = "AKIDopenmpsTEST", "test-secret-key", "test-session-token"
MB = 1024 * 1024


def make(endpoint: tuple[str, int], credentials: object = None, **kw: object) -> CosStorage:
    creds = credentials or StaticCredentials(SECRET_ID, SECRET_KEY, TOKEN)
    kw.setdefault("part_size_mb", 1)
    kw.setdefault("max_threads", 2)
    return CosStorage(
        region=REGION,
        credentials=creds,
        endpoint_ip=endpoint[0],  # type: ignore[arg-type]
        endpoint_port=endpoint[1],
        scheme="http",
        **kw,
    )  # type: ignore[arg-type]


@pytest.fixture
def cos(emulator: tuple[str, int]) -> CosStorage:
    return make(emulator)


@pytest.fixture
def bucket(cos: CosStorage) -> str:
    name = f"t{uuid.uuid4().hex[:12]}-1250000000"
    cos.client().create_bucket(Bucket=name)
    return name


def fetch(cos: CosStorage, bucket: str, url: str, method: str = "GET", data: bytes | None = None) -> requests.Response:
    """What a browser does with a presigned URL: the URL's address, the bucket's host name."""
    return requests.request(method, url, data=data, headers={"Host": cos.virtual_host(bucket)}, timeout=10)


def test_put_stream_head_and_read_back(cos: CosStorage, bucket: str) -> None:
    body = b"hello, cos"
    info = cos.put_stream(bucket, "in/clip one.txt", io.BytesIO(body), "text/plain")
    assert (info.size, info.etag, info.content_type) == (len(body), hashlib.md5(body).hexdigest(), "text/plain")
    head = cos.head(bucket, "in/clip one.txt")
    assert head == info and head.last_modified > 0
    with cos.open_read(bucket, "in/clip one.txt") as stream:
        assert stream.read() == body


def test_big_files_go_multipart_and_come_back_by_ranges(cos: CosStorage, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    data = os.urandom(3 * MB + 12345)
    src.write_bytes(data)
    info = cos.upload(bucket, "out/big.mp4", src)
    # A multipart upload's ETag is md5-of-part-md5s with the part count after a dash.
    assert info.etag.endswith("-4") and info.size == len(data) and info.content_type == "video/mp4"
    dest = tmp_path / "back.bin"
    got = cos.download(bucket, "out/big.mp4", dest)
    assert dest.read_bytes() == data and got.etag == info.etag


def test_small_upload_is_one_put(cos: CosStorage, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "small.json"
    src.write_bytes(b'{"a": 1}')
    info = cos.upload(bucket, "out/result.json", src, "application/json")
    assert info.etag == hashlib.md5(b'{"a": 1}').hexdigest() and info.content_type == "application/json"
    dest = tmp_path / "small.back"
    cos.download(bucket, "out/result.json", dest)
    assert dest.read_bytes() == b'{"a": 1}'


def test_put_stream_spools_big_bodies_and_enforces_the_cap(cos: CosStorage, bucket: str) -> None:
    data = os.urandom(2 * MB + 7)
    info = cos.put_stream(bucket, "in/stream.bin", io.BytesIO(data))
    assert info.size == len(data) and "-" in info.etag
    with pytest.raises(BadInputError) as err:
        cos.put_stream(bucket, "in/too-big.bin", io.BytesIO(data), max_bytes=MB)
    assert err.value.code == "RequestSizeLimitExceeded"
    with pytest.raises(NotFoundError):
        cos.head(bucket, "in/too-big.bin")


def test_list_pages_through_with_prefix_and_limit(cos: CosStorage, bucket: str) -> None:
    keys = [f"in/{i:02d}.mp4" for i in range(5)] + ["other/x.mp4"]
    for key in keys:
        cos.put_stream(bucket, key, io.BytesIO(key.encode()))
    cos.page_size = 2  # force several list requests (Marker paging)
    listed = cos.list(bucket, prefix="in/")
    assert [o.key for o in listed] == keys[:5]
    assert all(o.size == len(o.key) and o.etag == hashlib.md5(o.key.encode()).hexdigest() for o in listed)
    assert [o.key for o in cos.list(bucket, prefix="in/", limit=3)] == keys[:3]
    assert cos.list(bucket, prefix="nothing/") == []


def test_missing_objects_are_not_found_and_delete_is_idempotent(cos: CosStorage, bucket: str, tmp_path: Path) -> None:
    cos.put_stream(bucket, "gone.txt", io.BytesIO(b"x"))
    cos.delete(bucket, "gone.txt")
    cos.delete(bucket, "gone.txt")
    with pytest.raises(NotFoundError):
        cos.head(bucket, "gone.txt")
    with pytest.raises(NotFoundError):
        cos.open_read(bucket, "gone.txt")
    with pytest.raises(NotFoundError):
        cos.download(bucket, "gone.txt", tmp_path / "never")


def test_presigned_get_downloads_as_attachment_and_allows_only_get(cos: CosStorage, bucket: str) -> None:
    cos.put_stream(bucket, "out/视频 1.mp4", io.BytesIO(b"movie"), "video/mp4")
    url = cos.presign(bucket, "out/视频 1.mp4", "GET", 60, download_name="视频 1.mp4")
    assert "x-cos-security-token=" in url  # temporary credentials must travel with the URL
    got = fetch(cos, bucket, url)
    assert got.status_code == 200 and got.content == b"movie"
    assert got.headers["Content-Disposition"] == "attachment; filename*=UTF-8''%E8%A7%86%E9%A2%91%201.mp4"
    refused = fetch(cos, bucket, url, "PUT", b"overwrite")
    assert refused.status_code == 403 and b"SignatureDoesNotMatch" in refused.content
    tampered = fetch(cos, bucket, url.replace("%E8%A7%86", "%E8%A7%87", 1))
    assert tampered.status_code in (403, 404)


def test_presigned_put_uploads_and_expires(cos: CosStorage, bucket: str) -> None:
    url = cos.presign(bucket, "in/upload.mov", "PUT", 60)
    assert fetch(cos, bucket, url, "PUT", b"uploaded").status_code == 200
    assert cos.head(bucket, "in/upload.mov").size == len(b"uploaded")
    other = fetch(cos, bucket, url.replace("upload.mov", "other.mov", 1), "PUT", b"x")
    assert other.status_code == 403  # signed for one key only
    short = cos.presign(bucket, "in/late.mov", "PUT", 1)
    time.sleep(2.1)
    assert fetch(cos, bucket, short, "PUT", b"late").status_code == 403


def test_wrong_credentials_are_refused_not_retried(emulator: tuple[str, int], bucket: str) -> None:
    wrong = make(emulator, StaticCredentials(SECRET_ID, "not-the-secret", TOKEN))
    with pytest.raises(OpenMpsError) as err:
        wrong.put_stream(bucket, "x.txt", io.BytesIO(b"x"))
    assert not isinstance(err.value, (NotFoundError, RetryableProcessingError))
    assert "SignatureDoesNotMatch" in err.value.code
    no_token = make(emulator, StaticCredentials(SECRET_ID, SECRET_KEY, None))
    with pytest.raises(OpenMpsError) as err:
        no_token.put_stream(bucket, "x.txt", io.BytesIO(b"x"))
    assert "InvalidAccessKeyId" in err.value.code


def test_role_credentials_are_reread_when_scf_rotates_them(emulator: tuple[str, int], bucket: str) -> None:
    env = {
        "TENCENTCLOUD_SECRETID": SECRET_ID,
        "TENCENTCLOUD_SECRETKEY": "expired-key",
        "TENCENTCLOUD_SESSIONTOKEN": TOKEN,
    }
    cos = make(emulator, RoleCredentials(env))
    with pytest.raises(OpenMpsError):
        cos.put_stream(bucket, "role.txt", io.BytesIO(b"r"))
    env["TENCENTCLOUD_SECRETKEY"] = SECRET_KEY  # SCF put fresh credentials in place
    assert cos.put_stream(bucket, "role.txt", io.BytesIO(b"r")).size == 1


def test_unreachable_endpoint_is_retryable(bucket: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = make(("127.0.0.1", port), retries=0, timeout=2)
    with pytest.raises(RetryableProcessingError):
        dead.head(bucket, "x.txt")


def test_settings_choose_cos_with_the_role_credentials(emulator: tuple[str, int], bucket: str) -> None:
    env = {
        "OPENMPS_STORAGE": "cos",
        "OPENMPS_COS_REGION": REGION,
        "OPENMPS_COS_ENDPOINT_IP": emulator[0],
        "OPENMPS_COS_ENDPOINT_PORT": str(emulator[1]),
        "OPENMPS_COS_ENDPOINT_SCHEME": "http",
        "TENCENTCLOUD_SECRETID": SECRET_ID,
        "TENCENTCLOUD_SECRETKEY": SECRET_KEY,
        "TENCENTCLOUD_SESSIONTOKEN": TOKEN,
        "OPENMPS_SIGNING_KEY": "test-signing-key",
    }
    settings = settings_from_env(env)
    storage = build_storage(settings)
    assert isinstance(storage, CosStorage)
    # The live role credentials come from the process environment in the cloud; here, from `env`.
    storage.credentials = RoleCredentials(env)
    assert storage.put_stream(bucket, "via-settings.txt", io.BytesIO(b"ok")).size == 2


def test_materialize_streams_one_get_and_checks_the_md5_on_the_way(
    cos: CosStorage, bucket: str, tmp_path: Path
) -> None:
    # GIVEN an object sent in one PUT (its etag is its MD5) and one sent in parts (it is not)
    small, big = b"one put", os.urandom(2 * MB + 99)
    one = cos.put_stream(bucket, "in/one.mp4", io.BytesIO(small))
    parts = cos.put_stream(bucket, "in/parts.mp4", io.BytesIO(big))
    # WHEN both are materialized
    got_one = cos.materialize(bucket, "in/one.mp4", tmp_path / "one")
    got_parts = cos.materialize(bucket, "in/parts.mp4", tmp_path / "parts")
    # THEN the bytes and the etags are those of the versions received
    assert (tmp_path / "one").read_bytes() == small and got_one.etag == one.etag
    assert (tmp_path / "parts").read_bytes() == big and got_parts.etag == parts.etag and got_parts.size == len(big)
    with pytest.raises(NotFoundError):
        cos.materialize(bucket, "in/none.mp4", tmp_path / "none")


def test_materialize_refuses_bytes_whose_md5_is_not_the_etag(cos: CosStorage, bucket: str, tmp_path: Path) -> None:
    # GIVEN a response whose ETag names other bytes than those it carries (a corrupted transfer)
    cos.put_stream(bucket, "in/clip.mp4", io.BytesIO(b"the real bytes"))
    client = cos.client()
    real_get = client.get_object

    def lying_get(**kwargs: object) -> dict:
        response = real_get(**kwargs)
        response["ETag"] = '"' + hashlib.md5(b"other bytes").hexdigest() + '"'
        return response

    client.get_object = lying_get
    # WHEN it is materialized THEN the run is retried rather than processing unverified bytes
    with pytest.raises(RetryableProcessingError, match="MD5"):
        cos.materialize(bucket, "in/clip.mp4", tmp_path / "clip")
