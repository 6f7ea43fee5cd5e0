"""Which http(s) URLs openmps may reach, and fetching one safely: the one policy for every URL a
caller hands us: ProcessMedia's UrlInputInfo and the notification receivers (shared/notify/http.py).

A URL a caller names is a request our servers make on their behalf (SSRF): loopback, link-local
(the cloud metadata service at 169.254.169.254), private, shared, multicast and reserved addresses
are refused unless ``allow_private`` says otherwise (settings.allow_private_urls: allowed on the
local stack, refused by default with cloud storage). Every address a host name resolves to must be
allowed, and the connection goes to the address that was checked (the name is not resolved a
second time), so a DNS answer that changes between check and connect reaches nothing refused.
Redirects are followed by hand, at most ``MAX_REDIRECTS``, each hop checked again.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from shared.domain import media_errors
from shared.domain.errors import BadInputError, MediaError, RetryableProcessingError

URL_MAX = 2048
MAX_REDIRECTS = 3
CHUNK = 1024 * 1024
REDIRECTS = (301, 302, 303, 307, 308)

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the checked address the connection goes to


def refused(
    url: str, reason: str, code: str = "InvalidParameter.InvalidUrl", params: dict[str, str] | None = None
) -> BadInputError:
    return BadInputError(f"the URL {url!r} is refused: {reason}", code=code, params=params)


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(
    url: str, *, allow_private: bool, resolver: Resolver = resolve, code: str = "InvalidParameter.InvalidUrl"
) -> Target:
    """The target of ``url`` if the policy allows it, else BadInputError with ``code`` (each caller
    names its field: InvalidParameter.InvalidUrl, InvalidParameterValue.NotifyUrl, ...)."""
    if len(url) > URL_MAX:
        raise refused(url[:80] + "...", f"longer than {URL_MAX} characters", code)
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise refused(url, "it contains spaces or control characters", code)
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 - a malformed IPv6 literal raises here
    except ValueError:
        raise refused(url, "it is not a URL", code) from None
    if parts.scheme not in ("http", "https"):
        raise refused(url, "only http and https URLs are supported", code)
    if not parts.hostname:
        raise refused(url, "it names no host", code)
    if parts.username or parts.password:
        raise refused(url, "credentials in the URL are not supported", code)
    try:
        port = parts.port if parts.port is not None else (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise refused(url, "its port is not a number between 1 and 65535", code) from None
    if port == 0:
        raise refused(url, "its port is not a number between 1 and 65535", code)
    # The refusals below are where the host leads, not how the URL is written: they name the host,
    # which tells them apart from the rest (the OpenAPI document's pattern states the rest).
    where = {"host": parts.hostname}
    try:
        addresses = resolver(parts.hostname, port)
    except (OSError, UnicodeError):  # UnicodeError: a label idna cannot encode (empty, over 63 bytes)
        raise refused(url, f"the host {parts.hostname} cannot be resolved", code, where) from None
    if not addresses:
        raise refused(url, f"the host {parts.hostname} cannot be resolved", code, where)
    if not allow_private:
        bad = [a for a in addresses if not _address_allowed(a)]
        if bad:
            raise refused(
                url, f"{parts.hostname} is a loopback, link-local, private or reserved address ({bad[0]})", code, where
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(url, parts.scheme, parts.hostname, port, path, addresses[0])


class _PinnedHttps(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the host name for SNI and certificate checks."""

    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHttps(target, timeout)
    return http.client.HTTPConnection(target.address, target.port, timeout=timeout)


def fetch_to_file(
    url: str,
    dest: Path,
    *,
    allow_private: bool,
    max_bytes: int,
    timeout: float,
    resolver: Resolver = resolve,
) -> int:
    """Stream ``url`` into ``dest``; the byte count. A refused URL or redirect, an HTTP error, a
    body over ``max_bytes`` or a download over ``timeout`` seconds is a MediaError (the subtask
    fails, naming why); a connection fault is retryable."""
    deadline = time.monotonic() + timeout
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            target = check_url(current, allow_private=allow_private, resolver=resolver)
        except BadInputError as exc:
            raise MediaError(exc.message, code=media_errors.INPUT_NOT_FOUND) from None
        conn = _connection(target, max(1.0, deadline - time.monotonic()))
        try:
            host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
            conn.request("GET", target.path, headers={"Host": host, "User-Agent": "openmps"})
            response = conn.getresponse()
            if response.status in REDIRECTS and response.getheader("Location"):
                current = urljoin(current, response.getheader("Location") or "")
                continue
            if response.status != 200:
                raise MediaError(
                    f"fetching the input URL answered HTTP {response.status}", code=media_errors.INPUT_NOT_FOUND
                )
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise MediaError(
                    f"the input is {declared} bytes; the limit is {max_bytes}", code=media_errors.MEDIA_TOO_LARGE
                )
            return _stream(response, dest, max_bytes, deadline)
        except (OSError, http.client.HTTPException) as exc:
            raise RetryableProcessingError(f"fetching the input URL failed: {exc}") from exc
        finally:
            conn.close()
    raise MediaError(f"the input URL redirects more than {MAX_REDIRECTS} times", code=media_errors.INPUT_NOT_FOUND)


def _stream(response: http.client.HTTPResponse, dest: Path, max_bytes: int, deadline: float) -> int:
    size = 0
    with dest.open("wb") as out:
        while chunk := response.read1(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise MediaError(f"the input is over the limit of {max_bytes} bytes", code=media_errors.MEDIA_TOO_LARGE)
            if time.monotonic() > deadline:
                raise MediaError("fetching the input URL took too long", code=media_errors.INPUT_NOT_FOUND)
            out.write(chunk)
    return size
