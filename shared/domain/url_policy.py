"""Which URLs openmps may call (notification receivers, URL inputs): http/https only, no
credentials in the URL, and no loopback, link-local or private address unless allowed (the local
stack allows them: its receivers run on the same machine). Redirects are never followed, so the
policy checked here is the policy that applies."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from shared.domain.errors import BadInputError

Resolver = Callable[[str, int], list[str]]


def _system_resolver(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str, allow_private: bool, *, code: str = "InvalidParameterValue.NotifyUrl") -> None:
    """Raises BadInputError (with ``code``) for a URL openmps must not call."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadInputError(f"{url!r} is not a URL", code=code) from exc
    if parts.scheme not in ("http", "https"):
        raise BadInputError("the URL must start with http:// or https://", code=code)
    if not parts.hostname:
        raise BadInputError("the URL has no host", code=code)
    if parts.username is not None or parts.password is not None:
        raise BadInputError("the URL must not carry credentials (user:password@)", code=code)
    if port == 0:
        raise BadInputError("the URL's port must be 1-65535", code=code)
    if allow_private:
        return
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        raise BadInputError("the URL points at this machine (loopback), which is not allowed here", code=code)
    try:
        private = _is_private(host)
    except ValueError:
        return  # a name: checked again where it resolves (resolve_checked)
    if private:
        raise BadInputError(
            f"the URL's address {host} is loopback, link-local or private, which is not allowed here", code=code
        )


def resolve_checked(
    host: str, port: int, allow_private: bool, resolver: Resolver | None = None, *, code: str = "FailedOperation.Url"
) -> str:
    """The address to connect to, checked after resolution: a public name may point at a private
    address (DNS rebinding), so the connection goes to the address checked here, not a new lookup."""
    try:
        addresses = (resolver or _system_resolver)(host, port)
    except OSError as exc:
        raise BadInputError(f"cannot resolve {host}: {exc}", code=code) from exc
    if not addresses:
        raise BadInputError(f"cannot resolve {host}", code=code)
    if not allow_private:
        for address in addresses:
            if _is_private(address):
                raise BadInputError(
                    f"{host} resolves to {address}, a loopback, link-local or private address", code=code
                )
    return addresses[0]
