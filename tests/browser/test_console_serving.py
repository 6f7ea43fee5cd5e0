"""How the gateway serves the console: public static files with the right types and caching, an
ETag revalidation, a strict CSP on the page, and nothing outside the console folder."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
import requests

pytestmark = pytest.mark.browser


def raw_get(url: str, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """A GET with the path sent exactly as written (no client-side dot-segment clean-up)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def test_the_page_and_its_assets_are_public_with_types_and_caching(stack):
    page = requests.get(stack.url + "/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="console/app.js">' in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-cache"
    for path, content_type in [
        ("/console/app.js", "text/javascript; charset=utf-8"),
        ("/console/views/tasks.js", "text/javascript; charset=utf-8"),
        ("/console/i18n/zh-CN.js", "text/javascript; charset=utf-8"),
        ("/console/console.css", "text/css; charset=utf-8"),
        ("/console/favicon.svg", "image/svg+xml"),
    ]:
        resp = requests.get(stack.url + path, timeout=10)
        assert resp.status_code == 200, path
        assert resp.headers["Content-Type"] == content_type
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    vendor = requests.get(stack.url + "/console/vendor/hls-1.7.4.light.min.mjs", timeout=10)
    assert vendor.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert vendor.headers["Content-Encoding"] == "gzip" and len(vendor.content) > 300_000  # requests inflates it


def test_an_unchanged_asset_revalidates_with_304(stack):
    first = requests.get(stack.url + "/console/app.js", timeout=10)
    again = requests.get(stack.url + "/console/app.js", headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    compressed = raw_get(stack.url, "/console/app.js", {"Accept-Encoding": "gzip"})
    assert compressed.getheader("Content-Encoding") == "gzip"
    plain = raw_get(stack.url, "/console/app.js")
    assert plain.getheader("Content-Encoding") is None


@pytest.mark.parametrize(
    "path",
    [
        "/console/../shared/api/app.py",
        "/console/%2e%2e/routes/console.py",
        "/console/..%2f..%2fpyproject.toml",
        "/console/views/..%2f..%2f..%2fauth.py",
        "/console/.hidden",
        "/console/views/../../app.py",
        "/console/vendor/x/y.js",
        "/console/nothing.js",
        "/console/README",
        "/console/%00.js",
    ],
)
def test_nothing_outside_the_console_folder_is_served(stack, path):
    resp = raw_get(stack.url, path)
    assert resp.status in (401, 404)  # never a file; /api-like paths still want a token
