"""The HTTP webhook sender: http.client to the address the URL policy checked.

The name is resolved once and checked (shared.runtime.url_policy.check_url), then the
connection goes to that address, with the URL's host in the Host header and, for https, in SNI
and the certificate check: a DNS answer that changes between check and connect cannot redirect
the request to a private address. http.client follows no redirects.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Mapping

from shared.domain.errors import BadInputError
from shared.notify.port import SendOutcome, WebhookSender
from shared.runtime.url_policy import Resolver, check_url, resolve


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._context = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


class HttpWebhookSender(WebhookSender):
    def __init__(self, allow_private: bool, resolver: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self.resolver = resolver
        self._context = ssl.create_default_context()

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> SendOutcome:
        started = time.monotonic()

        def outcome(status: int | None, error: str | None) -> SendOutcome:
            return SendOutcome(status, error, int((time.monotonic() - started) * 1000))

        try:
            target = check_url(
                url,
                allow_private=self.allow_private,
                resolver=self.resolver or resolve,
                code="FailedOperation.NotifyUrl",
            )
        except BadInputError as exc:
            return outcome(None, f"refused: {exc.message}")
        host, port, address, path = target.host, target.port, target.address, target.path
        conn: http.client.HTTPConnection
        if target.scheme == "https":
            conn = _PinnedHTTPSConnection(host, port, address, timeout, self._context)
        else:
            conn = _PinnedHTTPConnection(host, port, address, timeout)
        try:
            conn.request("POST", path, body=body, headers=dict(headers))
            resp = conn.getresponse()
            resp.read(64 * 1024)  # the body is not used; read a little so the connection closes cleanly
            return outcome(resp.status, None)
        except TimeoutError:
            return outcome(None, f"timeout after {timeout:g} s")
        except (OSError, http.client.HTTPException) as exc:
            return outcome(None, f"{type(exc).__name__}: {exc}"[:300])
        finally:
            conn.close()
