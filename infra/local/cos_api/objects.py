"""PutObject, GetObject/HeadObject (Range, response-* overrides), DeleteObject, CopyObject."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from infra.cos_protocol.errors import CosError
from infra.cos_protocol.ranges import parse_range
from infra.cos_protocol.xml_bodies import copy_result, http_time
from infra.local.cos_api.exchange import Exchange

if TYPE_CHECKING:
    from infra.local.cos_api.endpoint import CosEndpoint

MAX_PUT_BYTES = 5 * 1024**3  # COS: a single PUT carries at most 5 GB; bigger goes multipart
CHUNK = 1024 * 1024
# Headers a client sets on upload that COS stores and returns on GET/HEAD.
KEPT_HEADERS = ("Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires")
# GetObject query parameters that override a response header (response-content-disposition, ...).
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


def stored_headers(ex: Exchange) -> dict[str, str]:
    """What an upload asks COS to keep: user metadata and the standard presentation headers."""
    kept = {name: value for name in KEPT_HEADERS if (value := ex.headers.get(name))}
    for name, value in ex.headers.items():
        if name.lower().startswith("x-cos-meta-"):
            kept["x-cos-meta-" + name[len("x-cos-meta-") :].lower()] = value
    return kept


def receive(cos: CosEndpoint, ex: Exchange, limit: int) -> tuple[Path, str]:
    """Stream the body into a temporary file next to the buckets: (path, md5 hex). A short body
    (dropped connection) or one over ``limit`` leaves nothing behind."""
    length = ex.declared_length()
    if length is not None and length > limit:
        raise CosError("EntityTooLarge", f"Your proposed upload exceeds the maximum allowed size ({limit} bytes).")
    tmp = cos.storage.temp_path()
    digest, size = hashlib.md5(), 0
    body = ex.body()
    try:
        with tmp.open("wb") as out:
            while chunk := body.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise CosError("EntityTooLarge", f"Your proposed upload exceeds the maximum size ({limit} bytes).")
                digest.update(chunk)
                out.write(chunk)
        check_md5(ex, digest.digest())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest()


def check_md5(ex: Exchange, digest: bytes) -> None:
    sent = ex.headers.get("Content-MD5")
    if sent and sent.strip() != base64.b64encode(digest).decode():
        raise CosError("BadDigest", "The Content-MD5 you specified did not match what was received.")


def put_object(cos: CosEndpoint, ex: Exchange) -> None:
    if ex.key.endswith("/"):  # a "folder": COS keeps a zero-byte object; here it is the directory
        if ex.declared_length():
            raise CosError("InvalidArgument", "a key ending in / names a folder and takes no body")
        ex.body_read = True
        cos.storage.bucket_dir(ex.bucket).joinpath(ex.key).mkdir(parents=True, exist_ok=True)
        ex.send(200, headers={"ETag": '"d41d8cd98f00b204e9800998ecf8427e"'})
        return
    cos.storage.path(ex.bucket, ex.key)  # refuse a bad key before reading the body
    tmp, etag = receive(cos, ex, min(MAX_PUT_BYTES, cos.max_object_bytes))
    try:
        info = cos.storage.publish(tmp, ex.bucket, ex.key, etag, ex.headers.get("Content-Type"), stored_headers(ex))
    finally:
        tmp.unlink(missing_ok=True)
    cos.on_created(info, "cos:ObjectCreated:Put")
    ex.send(200, headers={"ETag": f'"{info.etag}"'})


def get_object(cos: CosEndpoint, ex: Exchange) -> None:
    info = cos.storage.head(ex.bucket, ex.key)
    headers = {
        "Content-Type": info.content_type,
        "ETag": f'"{info.etag}"',
        "Last-Modified": http_time(info.last_modified),
        "Accept-Ranges": "bytes",
        "x-cos-storage-class": "STANDARD",
        **cos.storage.stored_headers(ex.bucket, ex.key),
    }
    for param, header in RESPONSE_OVERRIDES.items():
        if param in ex.params:
            headers[header] = ex.params[param]
    if_none_match = ex.headers.get("If-None-Match")
    if if_none_match and if_none_match.strip() in (f'"{info.etag}"', "*"):
        ex.send(304, headers={k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")})
        return
    start, end, status = 0, info.size - 1, 200
    range_header = ex.headers.get("Range")
    if range_header:
        try:
            span = parse_range(range_header, info.size)
        except ValueError:
            span = (0, info.size - 1)  # a malformed Range is ignored (RFC 9110), as COS does
        if span is None:
            raise CosError("InvalidRange", "The requested range is not satisfiable")
        start, end = span
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
    length = max(0, end - start + 1)
    headers["Content-Length"] = str(length)
    ex.start(status, headers)
    if ex.method == "HEAD" or length == 0:
        return
    with cos.storage.open_read(ex.bucket, ex.key) as src:
        ex.handler.wfile.flush()
        ex.handler.connection.sendfile(src, start, length)  # zero-copy from the page cache


def delete_object(cos: CosEndpoint, ex: Exchange) -> None:
    cos.storage.delete(ex.bucket, ex.key)  # COS answers 204 whether or not the key existed
    ex.send(204)


def copy_source(header: str) -> tuple[str, str]:
    """(bucket, key) of ``x-cos-copy-source: <bucket>.cos.<region>.myqcloud.com/<key>``."""
    from infra.local.cos_api.endpoint import cos_bucket

    parsed = urlsplit("//" + header.strip().lstrip("/") if "://" not in header else header)
    bucket = cos_bucket(parsed.hostname)
    key = unquote(parsed.path).lstrip("/")
    if bucket is None or not key:
        raise CosError("InvalidArgument", "x-cos-copy-source must be <bucket>.cos.<region>.myqcloud.com/<key>")
    return bucket, key


def copy_object(cos: CosEndpoint, ex: Exchange) -> None:
    src_bucket, src_key = copy_source(ex.headers["x-cos-copy-source"])
    if not src_bucket.endswith(f"-{ex.appid}"):
        raise CosError("AccessDenied", "Access Denied. (copies only between buckets of one account)")
    if not cos.storage.bucket_dir(src_bucket).is_dir():
        raise CosError("NoSuchBucket", "The source bucket does not exist.")
    source = cos.storage.head(src_bucket, src_key)
    cos.storage.path(ex.bucket, ex.key)
    if ex.headers.get("x-cos-metadata-directive", "Copy").lower() == "replaced":
        content_type, kept = ex.headers.get("Content-Type"), stored_headers(ex)
    else:
        content_type, kept = source.content_type, cos.storage.stored_headers(src_bucket, src_key)
    ex.small_body(0)
    tmp = cos.storage.temp_path()
    try:
        with cos.storage.open_read(src_bucket, src_key) as src, tmp.open("wb") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
        info = cos.storage.publish(tmp, ex.bucket, ex.key, source.etag, content_type, kept)
    finally:
        tmp.unlink(missing_ok=True)
    cos.on_created(info, "cos:ObjectCreated:Copy")
    ex.send(200, copy_result(info.etag, info.last_modified), {"Content-Type": "application/xml"})
