"""The local HTTP gateway on 127.0.0.1: the server, and which route a request takes.

- A request with a COS Host (``<bucket>.cos.<region>.myqcloud.com``, what cos-python-sdk-v5
  sends with ``CosConfig(IP=..., Port=...)``) goes to the COS XML API (infra/local/cos_api).
- ``/storage/...`` and ``/zip/...``: signed storage URLs and zips (storage_routes.py).
- ``/__runtime/invoke/{function}``: the runtime's async Invoke endpoint (function_routes.py).
- Everything else is the REST API or the MPS API 3.0, through the api function (function_routes.py).

One request handler serves all of them on one port, as the cloud's gateway and COS endpoints do.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from infra.local.cos_api.endpoint import CosEndpoint, cos_bucket
from infra.local.cos_api.exchange import LimitedReader
from infra.local.gateway.function_routes import serve_api, serve_invoke
from infra.local.gateway.storage_routes import COPY_CHUNK, serve_storage, serve_zip
from infra.local.quiet_server import QuietThreadingHTTPServer
from shared.api.rate_gate import RateGate
from shared.domain.errors import BadInputError, error_envelope
from shared.storage.local import LocalStorage
from shared.storage.port import ObjectInfo

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
        rate_gate: RateGate | None = None,
    ) -> None:
        header_timeout_ = header_timeout
        self.cos = cos
        self.storage, self.signing_key, self.invoke_secret = storage, signing_key, invoke_secret
        self.zip_members = zip_members
        self.invoke_sync, self.invoke_async, self.on_upload = invoke_sync, invoke_async, on_upload
        self.max_upload_bytes = max_upload_bytes
        self.rate_gate = rate_gate
        self._state, self._serving, self._closed = threading.Lock(), False, False
        gateway = self

        class Handler(GatewayHandler):
            owner = gateway
            timeout = idle_timeout
            header_timeout = header_timeout_

        self.server = QuietThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def serve_forever(self) -> None:
        with self._state:
            if self._closed:
                return
            self._serving = True
        self.server.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        # socketserver's shutdown() waits for serve_forever() to end, so it would wait for ever on a
        # gateway that never served (a stop asked for while the stack was starting).
        with self._state:
            self._closed, serving = True, self._serving
        if serving:
            self.server.shutdown()
        self.server.server_close()


class GatewayHandler(BaseHTTPRequestHandler):
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

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) goes to the api too, which answers a JSON 405;
        # http.server would answer its own HTML 501 for a method it has no do_<METHOD> for.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _dispatch(self) -> None:
        self.server.watchdog.release(self.connection)  # headers are in: the idle timeout paces the body
        try:
            length = self.headers.get("Content-Length")
            if length is not None and not length.strip().isdigit():
                # Where this request's body ends is unknown: answer, then close the connection.
                self.close_connection = True
                self.send_json_error(
                    400, "InvalidParameter.ContentLength", "Content-Length must be a whole number of bytes"
                )
                return
            path = urlsplit(self.path).path
            bucket = cos_bucket(self.headers.get("Host"))
            if bucket is not None and self.owner.cos is not None:
                self.owner.cos.handle(self, bucket)
            elif path.startswith(("/storage/", "/zip/")) and self._over_rate():
                return
            elif path.startswith("/storage/"):
                serve_storage(self)
            elif path.startswith("/zip/"):
                serve_zip(self)
            elif path.startswith("/__runtime/invoke/"):
                serve_invoke(self)
            else:
                serve_api(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _over_rate(self) -> bool:
        """A signed URL proves no account (anyone holding it may use it): its client address pays.
        Over the rate: the REST API's 429 with Retry-After, and the connection closed rather than an
        upload's body read only to be thrown away."""
        gate = self.owner.rate_gate
        refusal = gate.address_refusal(str(self.client_address[0])) if gate is not None else None
        if refusal is None:
            return False
        self.close_connection = True
        headers = {k: v for k, v in refusal["headers"].items() if k != "Content-Type"} | {"Connection": "close"}
        self.send(refusal["statusCode"], refusal["body"].encode(), headers=headers)
        return True

    # ---- responses ------------------------------------------------------------------------
    def send(
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

    def send_json_error(self, status: int, code: str, message: str) -> None:
        self.send(status, json.dumps(error_envelope(code, message)).encode())

    def discard_body(self, at_most: int) -> None:
        left = min(int(self.headers.get("Content-Length") or 0), at_most)
        while left > 0:
            chunk = self.rfile.read(min(COPY_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)

    def read_body(self, limit: int) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            raise BadInputError(f"request body larger than {limit} bytes", code="RequestSizeLimitExceeded")
        return LimitedReader(self.rfile, length).read() if length else b""
