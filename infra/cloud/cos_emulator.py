"""A COS-compatible object server for tests and offline checks: moto's S3 emulator (a real
S3/COS-XML server: buckets, objects, multipart uploads, ranged GETs, listings) behind a WSGI
layer that does what moto does not do for COS clients:

- verifies COS's own request signature (``q-sign-algorithm=sha1&q-ak=...``, in the
  ``Authorization`` header or, for presigned URLs, in the query string) against the credentials
  given on the command line, including the session token (``x-cos-security-token``), and answers
  ``403 SignatureDoesNotMatch``/``AccessDenied`` like COS when they are wrong;
- hands a verified request to moto as an authorised one (moto's server would otherwise try to
  parse the COS header as AWS SigV4 and fail, and treat a presigned COS URL as anonymous);
- writes response header names in their canonical case (``Last-Modified``), as COS does and as
  the SDK's resumable downloader expects;
- accepts multipart parts down to 1 MB, COS's minimum (S3's is 5 MB).

Run: ``python -m infra.cloud.cos_emulator --port 0 --credential AKID:SECRET[:TOKEN]``; it prints
``listening on http://127.0.0.1:<port>`` and serves until it gets SIGTERM/SIGINT. Point the SDK at
it with ``CosConfig(IP="127.0.0.1", Port=<port>, Scheme="http", Region=...)``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode
from xml.etree import ElementTree

from infra.cos_protocol.errors import CosError, cos_error_xml
from infra.cos_protocol.signature import AUTH_QUERY_KEYS, SignedRequest, verify

COS_MIN_PART_SIZE = 1024 * 1024
CANONICAL_HEADERS = {
    h.lower(): h
    for h in (
        "Last-Modified",
        "Content-Type",
        "Content-Length",
        "ETag",
        "Content-Disposition",
        "Content-Range",
        "Accept-Ranges",
        "Cache-Control",
        "Content-Encoding",
        "Content-Language",
        "Expires",
    )
}


def _as_cos_error(body: bytes, resource: str) -> bytes:
    """moto's S3 error XML (RequestID, HostId) rewritten in COS's shape, same code and message."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return body
    if root.tag != "Error":
        return body
    return cos_error_xml(root.findtext("Code") or "InternalError", root.findtext("Message") or "-", resource)


def _environ_header(environ: dict[str, Any], name: str) -> str | None:
    if name == "content-type":
        return environ.get("CONTENT_TYPE")
    if name == "content-length":
        return environ.get("CONTENT_LENGTH")
    return environ.get("HTTP_" + name.upper().replace("-", "_"))


class CosAuthLayer:
    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        credentials: dict[str, tuple[str, str | None]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.credentials = credentials  # secret id -> (secret key, token or None)
        self.clock = clock

    def _error(
        self, start_response: Callable[..., Any], status: str, code: str, message: str, resource: str = ""
    ) -> list[bytes]:
        body = cos_error_xml(code, message, resource)
        start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]

    def check(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """None when the request is signed correctly, else (COS error code, message)."""
        request = SignedRequest(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8"),
            query=parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            header=lambda name: _environ_header(environ, name),
        )
        try:
            verify(request, self.credentials.get, self.clock())
        except CosError as exc:
            return exc.code, exc.message
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        problem = self.check(environ)
        if problem is not None:
            status = "400 Bad Request" if problem[0] == "InvalidArgument" else "403 Forbidden"
            return self._error(start_response, status, *problem, resource=environ.get("PATH_INFO", ""))
        # Verified: moto sees an authorised path-less-of-auth request.
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        environ["QUERY_STRING"] = urlencode([(k, v) for k, v in query if k not in AUTH_QUERY_KEYS], quote_via=quote)
        environ["HTTP_AUTHORIZATION"] = "COS-verified"

        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured[:] = [status, headers]
            return lambda data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
        status, headers = captured
        headers = [(CANONICAL_HEADERS.get(k.lower(), k), v) for k, v in headers]
        if int(status.split()[0]) >= 400 and body.lstrip().startswith(b"<"):
            body = _as_cos_error(body, environ.get("HTTP_HOST", "") + environ.get("PATH_INFO", ""))
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]


def build_app(credentials: dict[str, tuple[str, str | None]]) -> CosAuthLayer:
    os.environ.setdefault("S3_UPLOAD_PART_MIN_SIZE", str(COS_MIN_PART_SIZE))  # read when moto is imported
    from moto.moto_server.werkzeug_app import create_backend_app

    return CosAuthLayer(create_backend_app("s3"), credentials)


def parse_credential(text: str) -> tuple[str, tuple[str, str | None]]:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise argparse.ArgumentTypeError("expected SECRET_ID:SECRET_KEY[:TOKEN]")
    return parts[0], (parts[1], parts[2] if len(parts) == 3 and parts[2] else None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--credential",
        action="append",
        type=parse_credential,
        required=True,
        help="SECRET_ID:SECRET_KEY[:TOKEN]; repeatable",
    )
    args = parser.parse_args(argv)
    from werkzeug.serving import make_server

    server = make_server(args.host, args.port, build_app(dict(args.credential)), threaded=True)

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
