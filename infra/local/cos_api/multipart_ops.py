"""Multipart upload operations: Initiate, UploadPart, Complete, Abort, ListParts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.cos_protocol.errors import CosError
from infra.cos_protocol.xml_bodies import complete_result, initiate_result, list_parts_result, parse_complete
from infra.local.cos_api.exchange import Exchange
from infra.local.cos_api.multipart import MAX_PART_SIZE
from infra.local.cos_api.objects import check_md5, stored_headers
from shared.storage.port import Reader

if TYPE_CHECKING:
    from infra.local.cos_api.endpoint import CosEndpoint

XML = {"Content-Type": "application/xml"}


def initiate_upload(cos: CosEndpoint, ex: Exchange) -> None:
    cos.storage.path(ex.bucket, ex.key)  # a bad key is refused now, not at the end
    upload = cos.uploads.initiate(ex.bucket, ex.key, ex.headers.get("Content-Type"), stored_headers(ex))
    ex.send(200, initiate_result(ex.bucket, ex.key, upload.upload_id), XML)


def upload_part(cos: CosEndpoint, ex: Exchange) -> None:
    upload = cos.uploads.get(ex.params["uploadId"], ex.bucket, ex.key)
    try:
        number = int(ex.params.get("partNumber", ""))
    except ValueError:
        raise CosError("InvalidArgument", "partNumber must be a number") from None
    length = ex.declared_length()
    if length is not None and length > MAX_PART_SIZE:
        raise CosError("EntityTooLarge", f"a part carries at most {MAX_PART_SIZE} bytes")
    etag = cos.uploads.put_part(upload, number, _Capped(ex.body()))
    check_md5(ex, bytes.fromhex(etag))
    ex.send(200, headers={"ETag": f'"{etag}"'})


class _Capped:
    """A part body that stops at COS's part size limit (a chunked body declares no length)."""

    def __init__(self, raw: Reader) -> None:
        self.raw, self.size = raw, 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.size += len(data)
        if self.size > MAX_PART_SIZE:
            raise CosError("EntityTooLarge", f"a part carries at most {MAX_PART_SIZE} bytes")
        return data


def complete_upload(cos: CosEndpoint, ex: Exchange) -> None:
    upload = cos.uploads.get(ex.params["uploadId"], ex.bucket, ex.key)
    listed = parse_complete(ex.small_body())
    total = sum(entry.size for n, entry in cos.uploads.parts(upload) if n in dict(listed))
    if total > cos.max_object_bytes:
        raise CosError("EntityTooLarge", f"objects are limited to {cos.max_object_bytes} bytes here")
    info = cos.uploads.complete(upload, listed)
    cos.on_created(info, "cos:ObjectCreated:CompleteMultipartUpload")
    location = f"{(ex.headers.get('Host') or '').split(':')[0]}/{ex.key}"
    ex.send(200, complete_result(location, ex.bucket, ex.key, info.etag), XML)


def abort_upload(cos: CosEndpoint, ex: Exchange) -> None:
    cos.uploads.abort(cos.uploads.get(ex.params["uploadId"], ex.bucket, ex.key))
    ex.send(204)


def list_parts(cos: CosEndpoint, ex: Exchange) -> None:
    upload = cos.uploads.get(ex.params["uploadId"], ex.bucket, ex.key)
    body = list_parts_result(
        bucket=ex.bucket,
        key=ex.key,
        upload_id=upload.upload_id,
        appid=ex.appid,
        parts=cos.uploads.parts(upload),
        url_encoded=ex.params.get("encoding-type") == "url",
    )
    ex.send(200, body, XML)
