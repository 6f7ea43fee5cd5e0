"""Signed storage URLs and signed zips, standing in for COS presigned URLs.

``/storage/{bucket}/{key}``: GET/HEAD with HTTP Range (players seek), PUT for uploads; a finished PUT
into the input bucket emits the SCF COS event to the trigger function, as a COS upload does.
``/zip/{task_id}/{index}/{filename}``: a subtask's outputs, zipped while they stream.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from infra.cos_protocol.ranges import parse_range
from infra.local.cos_api.exchange import LimitedReader
from shared.domain.errors import BadInputError, NotFoundError, OpenMpsError
from shared.services.zipstream import stream_zip
from shared.storage.signing import verify

if TYPE_CHECKING:
    from infra.local.gateway.server import GatewayHandler

COPY_CHUNK = 256 * 1024


def serve_zip(h: GatewayHandler) -> None:
    parts = urlsplit(h.path)
    segments = parts.path.split("/")  # "", "zip", task_id, index, filename
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if h.command not in ("GET", "HEAD") or len(segments) != 5 or h.owner.zip_members is None:
        h.send_json_error(404, "ResourceNotFound", "no such download")
        return
    try:
        expires, sig = int(query.get("expires", "0")), query.get("sig", "")
        members = h.owner.zip_members(segments[2], int(segments[3]), expires, sig)
    except ValueError:
        h.send_json_error(400, "InvalidParameter", "malformed download link")
        return
    except OpenMpsError as exc:
        h.send_json_error(403 if exc.code.startswith("AuthFailure") else 404, exc.code, exc.message)
        return
    filename = unquote(segments[4]).replace('"', "")
    h.send_response(200)
    h.send_header("Content-Type", "application/zip")
    h.send_header("Content-Disposition", f'attachment; filename="{filename}"')
    h.send_header("Connection", "close")  # length unknown until the last byte: end = close
    h.end_headers()
    h.close_connection = True
    if h.command == "GET":
        stream_zip(h.owner.storage, members, h.wfile)


def serve_storage(h: GatewayHandler) -> None:
    parts = urlsplit(h.path)
    rest = parts.path[len("/storage/") :]
    bucket, _, raw_key = rest.partition("/")
    key = unquote(raw_key)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    signed_method = query.get("method", "")
    method = "GET" if h.command == "HEAD" else h.command
    try:
        expires = int(query.get("expires", "0"))
    except ValueError:
        expires = 0
    reason = verify(
        h.owner.signing_key,
        signed_method,
        bucket,
        key,
        expires,
        query.get("disposition", ""),
        query.get("sig", ""),
        time.time(),
    )
    if reason is None and signed_method != method:
        reason = f"URL is signed for {signed_method}, not {method}"
    if reason:
        h.send_json_error(403, "AccessDenied", reason)
        return
    try:
        if method == "GET":
            _storage_get(h, bucket, key, query.get("disposition", ""))
        elif method == "PUT":
            _storage_put(h, bucket, key)
        else:
            h.send_json_error(405, "MethodNotAllowed", method)
    except NotFoundError as exc:
        h.send_json_error(404, "NoSuchKey", exc.message)
    except BadInputError as exc:
        h.send_json_error(400, exc.code, exc.message)


def _storage_get(h: GatewayHandler, bucket: str, key: str, disposition: str) -> None:
    info = h.owner.storage.head(bucket, key)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{info.etag}"',
        "Last-Modified": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(info.last_modified)),
        "Cache-Control": "private, max-age=60",
    }
    if disposition:
        headers["Content-Disposition"] = disposition
    start, end, status = 0, info.size - 1, 200
    range_header = h.headers.get("Range")
    if range_header and info.size > 0:
        try:
            span = parse_range(range_header, info.size)
        except ValueError:
            span = (0, info.size - 1)  # malformed Range is ignored, as RFC 9110 allows
        if span is None:
            h.send(416, b"", "application/octet-stream", {"Content-Range": f"bytes */{info.size}"})
            return
        start, end = span
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
    length = max(0, end - start + 1)
    h.send_response(status)
    h.send_header("Content-Type", info.content_type)
    h.send_header("Content-Length", str(length))
    for k, v in headers.items():
        h.send_header(k, v)
    h.end_headers()
    if h.command == "HEAD" or length == 0:
        return
    with h.owner.storage.open_read(bucket, key) as src:
        src.seek(start)
        left = length
        while left > 0:
            chunk = src.read(min(COPY_CHUNK, left))
            if not chunk:
                break
            h.wfile.write(chunk)
            left -= len(chunk)


def _storage_put(h: GatewayHandler, bucket: str, key: str) -> None:
    if h.headers.get("Transfer-Encoding", "").lower() == "chunked" or "Content-Length" not in h.headers:
        h.send_json_error(411, "MissingContentLength", "uploads need a Content-Length")
        return
    length = int(h.headers["Content-Length"])
    if length > h.owner.max_upload_bytes:
        h.send_json_error(413, "EntityTooLarge", f"uploads are limited to {h.owner.max_upload_bytes} bytes")
        return
    content_type = h.headers.get("Content-Type") or None
    info = h.owner.storage.put_stream(bucket, key, LimitedReader(h.rfile, length), content_type)
    h.owner.on_upload(info)
    h.send(200, b"", "application/octet-stream", {"ETag": f'"{info.etag}"'})
