"""The URL policy: which caller-named URLs may be reached, and the capped fetch with checked redirects."""

from __future__ import annotations

import http.server
import threading

import pytest

from shared.domain.errors import BadInputError, MediaError
from shared.runtime import url_policy
from shared.runtime.settings import Settings
from shared.runtime.url_policy import check_url, fetch_to_file

pytestmark = pytest.mark.unit


def resolver_to(*addresses: str):
    return lambda _host, _port: list(addresses)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.8",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_loopback_private_link_local_and_reserved_addresses_are_refused(address):
    with pytest.raises(BadInputError) as caught:
        check_url("http://media.example/a.mp4", allow_private=False, resolver=resolver_to(address))
    assert caught.value.code == "InvalidParameter.InvalidUrl" and address in caught.value.message


def test_a_host_with_one_private_address_among_public_ones_is_refused():
    with pytest.raises(BadInputError):
        check_url("https://cdn.example/a.mp4", allow_private=False, resolver=resolver_to("93.184.216.34", "10.0.0.1"))


def test_public_addresses_pass_and_the_connection_goes_to_the_checked_one():
    target = check_url(
        "https://cdn.example:8443/v/a.mp4?x=1", allow_private=False, resolver=resolver_to("93.184.216.34")
    )
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "cdn.example",
        8443,
        "/v/a.mp4?x=1",
        "93.184.216.34",
    )


def test_the_setting_allows_private_addresses():
    assert (
        check_url("http://127.0.0.1:9/a", allow_private=True, resolver=resolver_to("127.0.0.1")).address == "127.0.0.1"
    )


@pytest.mark.parametrize(
    "url",
    ["ftp://host/a", "file:///etc/passwd", "http:///nohost", "http://user:pw@host/a", "http://h/a b", "gopher://x"],
)
def test_other_schemes_credentials_and_malformed_urls_are_refused(url):
    with pytest.raises(BadInputError):
        check_url(url, allow_private=True, resolver=resolver_to("93.184.216.34"))


def test_private_urls_are_allowed_locally_and_refused_with_cloud_storage_by_default():
    assert Settings().private_urls_allowed is True
    assert Settings(storage="cos").private_urls_allowed is False
    assert Settings(storage="cos", allow_private_urls=True).private_urls_allowed is True
    assert Settings(allow_private_urls=False).private_urls_allowed is False


@pytest.fixture
def server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            if self.path == "/redirect-private":
                self.send_response(302)
                self.send_header("Location", "http://10.9.9.9/secret")
                self.end_headers()
            elif self.path == "/loop":
                self.send_response(302)
                self.send_header("Location", "/loop")
                self.end_headers()
            elif self.path == "/redirect-ok":
                self.send_response(301)
                self.send_header("Location", "/file")
                self.end_headers()
            elif self.path == "/file":
                body = b"x" * 5000
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://media.test:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def only_this_loopback(monkeypatch):
    """The test server is on 127.0.0.1: let the policy treat that one address as public, nothing else."""
    monkeypatch.setattr(url_policy, "_address_allowed", lambda address: address == "127.0.0.1")


def fetch(url, dest, **kw):
    return fetch_to_file(
        url,
        dest,
        allow_private=False,
        max_bytes=kw.get("max_bytes", 10_000),
        timeout=10,
        resolver=lambda host, _port: ["127.0.0.1"] if host == "media.test" else ["10.9.9.9"],
    )


def test_a_fetch_follows_allowed_redirects_and_streams_the_body(server, only_this_loopback, tmp_path):
    assert fetch(server + "/redirect-ok", tmp_path / "a") == 5000
    assert (tmp_path / "a").read_bytes() == b"x" * 5000


def test_a_redirect_to_a_refused_address_is_not_followed(server, only_this_loopback, tmp_path):
    with pytest.raises(MediaError, match="10.9.9.9"):
        fetch(server + "/redirect-private", tmp_path / "a")


def test_redirect_loops_sizes_over_the_cap_and_http_errors_fail_with_the_reason(server, only_this_loopback, tmp_path):
    with pytest.raises(MediaError, match="redirects more than"):
        fetch(server + "/loop", tmp_path / "a")
    with pytest.raises(MediaError, match="limit") as too_big:
        fetch(server + "/file", tmp_path / "a", max_bytes=4000)
    assert too_big.value.code == "InvalidMedia.LimitExceeded"
    with pytest.raises(MediaError, match="HTTP 404"):
        fetch(server + "/missing", tmp_path / "a")


@pytest.mark.parametrize("host", ["a" * 64, "a..b", "."])
def test_a_host_name_idna_cannot_encode_is_refused_naming_the_host(host):
    # GIVEN a label socket.getaddrinfo cannot encode (it raised UnicodeError, a 500 for a notify url)
    with pytest.raises(BadInputError) as caught:
        check_url(f"http://{host}/hook", allow_private=False, code="InvalidParameterValue.NotifyUrl")
    # THEN it is the refusal of a host that does not resolve
    assert caught.value.code == "InvalidParameterValue.NotifyUrl" and caught.value.params == {"host": host}


def test_every_url_the_documented_pattern_allows_is_one_check_url_takes():
    # GIVEN the notify url's pattern in openapi.json and a host that resolves to a public address
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from shared.services.requests import NOTIFY_URL_PATTERN

    @settings(max_examples=300, deadline=None)
    @given(st.from_regex(NOTIFY_URL_PATTERN, fullmatch=True))
    def takes(url: str) -> None:
        # WHEN check_url reads it THEN only where the host leads could refuse it
        check_url(url, allow_private=False, resolver=resolver_to("93.184.216.34"))

    takes()
