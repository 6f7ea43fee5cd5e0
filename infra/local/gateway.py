"""The local HTTP gateway on 127.0.0.1.

- Every API request becomes the SCF API gateway event and is answered with the api function's
  integration response, through the local runtime (as API Gateway -> SCF in the cloud).
- ``/storage/{bucket}/{key}`` serves signed storage URLs, standing in for COS presigned URLs:
  GET/HEAD with HTTP Range (players seek), PUT for uploads. A finished PUT into the input
  bucket emits the SCF COS event to the trigger function, as a COS upload does.
- A request with a COS Host (``<bucket>.cos.<region>.myqcloud.com``, what cos-python-sdk-v5
  sends with ``CosConfig(IP=..., Port=...)``) goes to the COS XML API (infra/local/cos_api).
- ``/__runtime/invoke/{function}`` is the runtime's async Invoke endpoint for the functions
  (guarded by a per-start secret).

One request handler serves all four faces on one port, as the cloud's gateway and COS endpoints
do; the COS XML API already lives in infra/local/cos_api. The signed-storage and zip routes are
the part to move out next if this file grows.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from infra.cos_protocol.ranges import parse_range
from infra.local.cos_api.endpoint import CosEndpoint, cos_bucket
from infra.local.cos_api.exchange import LimitedReader
from infra.local.quiet_server import QuietThreadingHTTPServer
from shared.api.mps import envelope as api3_envelope
from shared.api.mps.handler import MAX_BODY_BYTES as API3_MAX_BODY_BYTES
from shared.api.mps.handler import too_large as api3_too_large
from shared.api.mps.messages import language_of
from shared.domain.errors import BadInputError, NotFoundError, OpenMpsError, error_envelope
from shared.domain.signatures import same_signature
from shared.services.zipstream import stream_zip
from shared.storage.local import LocalStorage
from shared.storage.port import ObjectInfo
from shared.storage.signing import verify

COPY_CHUNK = 256 * 1024
IDLE_TIMEOUT_SECONDS = 20.0
HEADER_TIMEOUT_SECONDS = 30.0


class Gateway:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        storage: LocalStorage,
        signing_key: str,
        invoke_secret: str,
        invoke_sync: Callable[[str, dict[str, Any]], Any],
        invoke_async: Callable[[str, dict[str, Any]], str],
        on_upload: Callable[[ObjectInfo], None],
        max_upload_bytes: int,
        zip_members: Callable[[str, int, int, str], list[tuple[str, str, str]]] | None = None,
        cos: CosEndpoint | None = None,
        idle_timeout: float = IDLE_TIMEOUT_SECONDS,
        header_timeout: float = HEADER_TIMEOUT_SECONDS,
    ) -> None:
        header_timeout_ = header_timeout
        self.cos = cos
        self.storage, self.signing_key, self.invoke_secret = storage, signing_key, invoke_secret
        self.zip_members = zip_members
        self.invoke_sync, self.invoke_async, self.on_upload = invoke_sync, invoke_async, on_upload
        self.max_upload_bytes = max_upload_bytes
        gateway = self

        class Handler(_Handler):
            owner = gateway
            timeout = idle_timeout
            header_timeout = header_timeout_

        self.server = QuietThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    owner: Gateway
    # An idle or stalled client (a half-open connection, a body that stops coming, a reader that stops
    # reading) is dropped after this many seconds of silence, and the request line and headers must
    # arrive within header_timeout: a slow client holds one thread for a bounded time, never for ever.
    timeout = IDLE_TIMEOUT_SECONDS
    header_timeout = HEADER_TIMEOUT_SECONDS
    protocol_version = "HTTP/1.1"
    server_version = "openmps-local"
    # Headers and body leave in separate writes: with Nagle on, a keep-alive client (the SDK, a
    # requests.Session) waits for the delayed ACK, ~40 ms per response.
    disable_nagle_algorithm = True

    server: QuietThreadingHTTPServer

    def handle_one_request(self) -> None:
        self.server.watchdog.watch(self.connection, self.header_timeout)
        try:
            super().handle_one_request()
        finally:
            self.server.watchdog.release(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the api function logs requests; storage traffic would drown the console

    # ---- dispatch -------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        self.server.watchdog.release(self.connection)  # headers are in: the idle timeout paces the body
        try:
            length = self.headers.get("Content-Length")
            if length is not None and not length.strip().isdigit():
                # Where this request's body ends is unknown: answer, then close the connection.
                self.close_connection = True
                self._error(400, "InvalidParameter.ContentLength", "Content-Length must be a whole number of bytes")
                return
            path = urlsplit(self.path).path
            bucket = cos_bucket(self.headers.get("Host"))
            if bucket is not None and self.owner.cos is not None:
                self.owner.cos.handle(self, bucket)
            elif path.startswith("/storage/"):
                self._storage()
            elif path.startswith("/zip/"):
                self._zip()
            elif path.startswith("/__runtime/invoke/"):
                self._invoke()
            else:
                self._api()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ---- responses ------------------------------------------------------------------------
    def _send(
        self, status: int, body: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, json.dumps(error_envelope(code, message)).encode())

    def _discard_body(self, at_most: int) -> None:
        left = min(int(self.headers.get("Content-Length") or 0), at_most)
        while left > 0:
            chunk = self.rfile.read(min(COPY_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)

    def _read_body(self, limit: int) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            raise BadInputError(f"request body larger than {limit} bytes", code="RequestSizeLimitExceeded")
        return LimitedReader(self.rfile, length).read() if length else b""

    # ---- API: SCF API gateway event -> api function ----------------------------------------
    def _api(self) -> None:
        parts = urlsplit(self.path)
        api3 = self.command == "POST" and parts.path == "/"
        try:
            # SCF's sync invoke payload limit; API 3.0 allows a 10 MB POST and says so in its envelope.
            body = self._read_body(API3_MAX_BODY_BYTES if api3 else 6 * 1024 * 1024)
        except BadInputError as exc:
            self.close_connection = True  # the unread body must not be taken for the next request
            if api3:
                self._discard_body(4 * API3_MAX_BODY_BYTES)  # a client still sending would miss the answer
                language = language_of(self.headers.get("X-TC-Language"))
                too_large = api3_too_large(int(self.headers.get("Content-Length") or 0))
                answer = api3_envelope.failure(too_large.code, too_large.message(language), str(uuid.uuid4()))
                self._send(200, answer["body"].encode(), api3_envelope.CONTENT_TYPE)
            else:
                self._error(413, exc.code, exc.message)
            return
        query: dict[str, Any] = {}
        for key, values in parse_qs(parts.query, keep_blank_values=True).items():
            query[key] = values if len(values) > 1 else values[0]
        text_body: str | None
        try:
            text_body, is_b64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text_body, is_b64 = base64.b64encode(body).decode(), True
        event = {
            "requestContext": {
                "serviceId": "service-local",
                "path": "/",
                "httpMethod": self.command,
                "requestId": str(uuid.uuid4()),
                "identity": {},
                "sourceIp": self.client_address[0],
                "stage": "release",
            },
            "headers": {k: v for k, v in self.headers.items()},
            "body": text_body or "",
            "isBase64Encoded": is_b64,
            "pathParameters": {},
            "queryStringParameters": {},
            "headerParameters": {},
            "stageVariables": {"stage": "release"},
            "path": unquote(parts.path) or "/",
            "queryString": query,
            "httpMethod": self.command,
        }
        try:
            result = self.owner.invoke_sync("api", event)
        except Exception as exc:  # the function crashed or timed out: the gateway answers 502
            self._error(502, "FunctionError", f"the api function failed: {exc}")
            return
        if not isinstance(result, dict) or "statusCode" not in result:
            self._error(502, "FunctionError", "invalid integration response from the api function")
            return
        raw = result.get("body") or ""
        data = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        content_type = headers.pop("Content-Type", headers.pop("content-type", "application/json"))
        headers.pop("Content-Length", None)
        self._send(int(result["statusCode"]), data, content_type, headers)

    # ---- async invoke endpoint for the functions ----------------------------------------
    def _invoke(self) -> None:
        secret = self.headers.get("X-OpenMPS-Runtime-Secret", "")
        if not same_signature(self.owner.invoke_secret, secret):
            self._error(403, "AuthFailure", "bad runtime secret")
            return
        function = urlsplit(self.path).path.rsplit("/", 1)[-1]
        try:
            event = json.loads(self._read_body(128 * 1024) or b"{}")  # SCF's async payload limit
            request_id = self.owner.invoke_async(function, event)
        except KeyError:
            self._error(404, "ResourceNotFound.Function", f"no function {function!r}")
            return
        except (ValueError, BadInputError) as exc:
            self._error(400, "InvalidParameter", str(exc))
            return
        self._send(202, json.dumps({"request_id": request_id}).encode())

    # ---- signed zip of a subtask's outputs, streamed ---------------------------------------------
    def _zip(self) -> None:
        parts = urlsplit(self.path)
        segments = parts.path.split("/")  # "", "zip", task_id, index, filename
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if self.command not in ("GET", "HEAD") or len(segments) != 5 or self.owner.zip_members is None:
            self._error(404, "ResourceNotFound", "no such download")
            return
        try:
            members = self.owner.zip_members(
                segments[2], int(segments[3]), int(query.get("expires", "0")), query.get("sig", "")
            )
        except ValueError:
            self._error(400, "InvalidParameter", "malformed download link")
            return
        except OpenMpsError as exc:
            self._error(403 if exc.code.startswith("AuthFailure") else 404, exc.code, exc.message)
            return
        filename = unquote(segments[4]).replace('"', "")
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.send_header("Connection", "close")  # length unknown until the last byte: end = close
        self.end_headers()
        self.close_connection = True
        if self.command == "GET":
            stream_zip(self.owner.storage, members, self.wfile)

    # ---- signed storage URLs ------------------------------------------------------------------
    def _storage(self) -> None:
        parts = urlsplit(self.path)
        rest = parts.path[len("/storage/") :]
        bucket, _, raw_key = rest.partition("/")
        key = unquote(raw_key)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        signed_method = query.get("method", "")
        method = "GET" if self.command == "HEAD" else self.command
        try:
            expires = int(query.get("expires", "0"))
        except ValueError:
            expires = 0
        reason = verify(
            self.owner.signing_key,
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
            self._error(403, "AccessDenied", reason)
            return
        try:
            if method == "GET":
                self._storage_get(bucket, key, query.get("disposition", ""))
            elif method == "PUT":
                self._storage_put(bucket, key)
            else:
                self._error(405, "MethodNotAllowed", method)
        except NotFoundError as exc:
            self._error(404, "NoSuchKey", exc.message)
        except BadInputError as exc:
            self._error(400, exc.code, exc.message)

    def _storage_get(self, bucket: str, key: str, disposition: str) -> None:
        info = self.owner.storage.head(bucket, key)
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": f'"{info.etag}"',
            "Last-Modified": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(info.last_modified)),
            "Cache-Control": "private, max-age=60",
        }
        if disposition:
            headers["Content-Disposition"] = disposition
        start, end, status = 0, info.size - 1, 200
        range_header = self.headers.get("Range")
        if range_header and info.size > 0:
            try:
                span = parse_range(range_header, info.size)
            except ValueError:
                span = (0, info.size - 1)  # malformed Range is ignored, as RFC 9110 allows
            if span is None:
                self._send(416, b"", "application/octet-stream", {"Content-Range": f"bytes */{info.size}"})
                return
            start, end = span
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
        length = max(0, end - start + 1)
        self.send_response(status)
        self.send_header("Content-Type", info.content_type)
        self.send_header("Content-Length", str(length))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD" or length == 0:
            return
        with self.owner.storage.open_read(bucket, key) as src:
            src.seek(start)
            left = length
            while left > 0:
                chunk = src.read(min(COPY_CHUNK, left))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    def _storage_put(self, bucket: str, key: str) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked" or "Content-Length" not in self.headers:
            self._error(411, "MissingContentLength", "uploads need a Content-Length")
            return
        length = int(self.headers["Content-Length"])
        if length > self.owner.max_upload_bytes:
            self._error(413, "EntityTooLarge", f"uploads are limited to {self.owner.max_upload_bytes} bytes")
            return
        content_type = self.headers.get("Content-Type") or None
        info = self.owner.storage.put_stream(bucket, key, LimitedReader(self.rfile, length), content_type)
        self.owner.on_upload(info)
        self._send(200, b"", "application/octet-stream", {"ETag": f'"{info.etag}"'})
