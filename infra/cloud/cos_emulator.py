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
import hashlib
import hmac
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode
from xml.etree import ElementTree
from xml.sax.saxutils import escape

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
_AUTH_QUERY_KEYS = {
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
    "x-cos-security-token",
}


def _enc(value: str) -> str:
    return quote(value.encode(), safe="-_.~")


def cos_signature(
    secret_key: str, key_time: str, method: str, path: str, params: dict[str, str], headers: dict[str, str]
) -> str:
    """COS request signature (cloud.tencent.com/document/product/436/7778): params and headers
    are already lower-cased names mapped to raw values."""

    def joined(items: dict[str, str]) -> str:
        pairs = sorted((_enc(k).lower(), _enc(v)) for k, v in items.items())
        return "&".join(f"{k}={v}" for k, v in pairs)

    http_string = f"{method.lower()}\n{path}\n{joined(params)}\n{joined(headers)}\n"
    string_to_sign = f"sha1\n{key_time}\n{hashlib.sha1(http_string.encode()).hexdigest()}\n"
    sign_key = hmac.new(secret_key.encode(), key_time.encode(), hashlib.sha1).hexdigest()
    return hmac.new(sign_key.encode(), string_to_sign.encode(), hashlib.sha1).hexdigest()


def cos_error_xml(code: str, message: str, resource: str = "") -> bytes:
    """COS's error body: the SDK reads Code, Message, Resource and RequestId (all required)."""
    return (
        f"<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message><Resource>{escape(resource or '-')}</Resource>"
        f"<RequestId>{uuid.uuid4().hex}</RequestId><TraceId>{uuid.uuid4().hex}</TraceId></Error>"
    ).encode()


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
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header.startswith("q-sign-algorithm="):
            auth = dict(parse_qsl(header, keep_blank_values=True))
        elif any(k == "q-sign-algorithm" for k, _ in query):
            auth = {k: v for k, v in query if k.startswith("q-")}
        else:
            return "AccessDenied", "Access Denied. (anonymous request on a private bucket)"
        if auth.get("q-sign-algorithm") != "sha1":
            return "InvalidArgument", "unsupported q-sign-algorithm"
        secret_id = auth.get("q-ak", "")
        if secret_id not in self.credentials:
            return "InvalidAccessKeyId", "The access key Id format you provided is invalid."
        secret_key, token = self.credentials[secret_id]
        try:
            start, end = (int(t) for t in auth.get("q-sign-time", "").split(";"))
        except ValueError:
            return "AccessDenied", "bad q-sign-time"
        now = self.clock()
        if not start <= now <= end:
            return "AccessDenied", "Request has expired"
        if token is not None:
            sent = _environ_header(environ, "x-cos-security-token") or dict(query).get("x-cos-security-token")
            if sent != token:
                return "InvalidAccessKeyId", "the security token is missing or wrong"
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8")
        params: dict[str, str] = {}
        for name in filter(None, auth.get("q-url-param-list", "").split(";")):
            values = [v for k, v in query if _enc(k).lower() == name]
            if not values:
                return "SignatureDoesNotMatch", f"signed parameter {name} is missing"
            params[name] = values[0]
        headers: dict[str, str] = {}
        for name in filter(None, auth.get("q-header-list", "").split(";")):
            value = _environ_header(environ, name)
            if value is None:
                return "SignatureDoesNotMatch", f"signed header {name} is missing"
            headers[name] = value
        expected = cos_signature(
            secret_key, auth.get("q-key-time", ""), environ["REQUEST_METHOD"], path, params, headers
        )
        if not hmac.compare_digest(expected, auth.get("q-signature", "")):
            return "SignatureDoesNotMatch", (
                "The calculated signature does not match the provided one. Check your "
                "Secret Access Key and signing method."
            )
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        problem = self.check(environ)
        if problem is not None:
            status = "400 Bad Request" if problem[0] == "InvalidArgument" else "403 Forbidden"
            return self._error(start_response, status, *problem, resource=environ.get("PATH_INFO", ""))
        # Verified: moto sees an authorised path-less-of-auth request.
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        environ["QUERY_STRING"] = urlencode([(k, v) for k, v in query if k not in _AUTH_QUERY_KEYS], quote_via=quote)
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
