"""One COS request on the local gateway and the ways to answer it: the parsed request, body
readers that never read past the request (and notice a dropped connection), and responses with
COS's header casing and request id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler
from io import BufferedIOBase

from infra.cos_protocol.errors import CosError
from shared.storage.port import Reader


class LimitedReader:
    """Exactly ``length`` bytes of the request body; a short body is a dropped connection."""

    def __init__(self, raw: Reader, length: int) -> None:
        self.raw, self.left = raw, length

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        size = self.left if size < 0 else min(size, self.left)
        data = self.raw.read(size)
        if not data:
            raise ConnectionError("client closed the connection before sending the whole body")
        self.left -= len(data)
        return data


class ChunkedReader:
    """A ``Transfer-Encoding: chunked`` body (what requests sends for a body of unknown length)."""

    def __init__(self, raw: BufferedIOBase) -> None:
        self.raw, self.left, self.done = raw, 0, False

    def read(self, size: int = -1) -> bytes:
        if self.done:
            return b""
        if self.left == 0:
            line = self.raw.readline(1024)
            if not line:
                raise ConnectionError("client closed the connection inside a chunked body")
            try:
                self.left = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise CosError("IncompleteBody", "malformed chunked encoding") from None
            if self.left == 0:
                while self.raw.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                self.done = True
                return b""
        want = self.left if size < 0 else min(size, self.left)
        data = self.raw.read(want)
        if not data:
            raise ConnectionError("client closed the connection inside a chunked body")
        self.left -= len(data)
        if self.left == 0:
            self.raw.readline(8)  # the CRLF after each chunk
        return data


@dataclass
class Exchange:
    handler: BaseHTTPRequestHandler
    bucket: str
    key: str
    params: dict[str, str]
    appid: str = ""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    body_read: bool = False

    @property
    def method(self) -> str:
        return self.handler.command

    @property
    def headers(self) -> Message:
        return self.handler.headers

    def has_body(self) -> bool:
        return bool(int(self.headers.get("Content-Length") or 0)) or self.is_chunked()

    def is_chunked(self) -> bool:
        return "chunked" in self.headers.get("Transfer-Encoding", "").lower()

    def declared_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        if value is None:
            return None
        try:
            length = int(value)
        except ValueError:
            raise CosError("InvalidArgument", "Content-Length is not a number") from None
        if length < 0:
            raise CosError("InvalidArgument", "Content-Length is negative")
        return length

    def body(self) -> Reader:
        """The request body as a stream; marks it consumed."""
        self.body_read = True
        if self.is_chunked():
            return ChunkedReader(self.handler.rfile)
        length = self.declared_length()
        if length is None:
            raise CosError("MissingContentLength", "uploads need a Content-Length or chunked encoding")
        return LimitedReader(self.handler.rfile, length)

    def small_body(self, limit: int = 2 * 1024 * 1024) -> bytes:
        length = self.declared_length()
        if length is not None and length > limit:
            raise CosError("EntityTooLarge", f"request bodies of this operation are limited to {limit} bytes")
        reader = self.body()
        data = bytearray()
        while chunk := reader.read(64 * 1024):
            data += chunk
            if len(data) > limit:
                raise CosError("EntityTooLarge", f"request bodies of this operation are limited to {limit} bytes")
        return bytes(data)

    # ---- answers ------------------------------------------------------------------------------
    def start(self, status: int, headers: dict[str, str]) -> None:
        h = self.handler
        h.send_response(status)
        h.send_header("x-cos-request-id", self.request_id)
        for name, value in headers.items():
            h.send_header(name, value)
        h.end_headers()

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        all_headers = {"Content-Type": "application/xml" if body else "application/octet-stream"}
        all_headers.update(headers or {})
        all_headers["Content-Length"] = str(len(body))
        if not self.body_read and self.has_body():
            # An unread body would be parsed as the next request: end this connection instead.
            all_headers["Connection"] = "close"
            self.handler.close_connection = True
        self.start(status, all_headers)
        if self.method != "HEAD" and body:
            self.handler.wfile.write(body)
