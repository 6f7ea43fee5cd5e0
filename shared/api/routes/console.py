"""The web console: ``/`` is its page, ``/console/...`` its static assets (no build step).

The assets live beside this package (``shared/api/console``), so they deploy with the code.
Only files under that folder with a known type are served: a path segment must be a plain
name (no ``..``, no hidden files, no backslashes), and the resolved file must stay inside the
folder. Every answer carries an ETag; a matching ``If-None-Match`` gets 304, so browsers
revalidate cheaply (``no-cache``) and a deploy is visible at once. Versioned vendor files
(``vendor/*-<version>.*``) are immutable and cached for a year.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from shared.api.errors import error_response

router = APIGatewayRouter()

CONSOLE_DIR = (Path(__file__).resolve().parent.parent / "console").resolve()

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
TEXT_SUFFIXES = {".html", ".js", ".mjs", ".css", ".json", ".svg", ".txt"}
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_IMMUTABLE = re.compile(r"^vendor/.+-\d+\.\d+\.\d+[^/]*$")

# The page talks only to its own origin; media and signed storage URLs may live on another
# origin (COS in the cloud), hence http(s) for img/media/connect.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: http: https:; "
    "media-src 'self' blob: http: https:; connect-src 'self' http: https:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@lru_cache(maxsize=128)
def _load(relative: str, mtime_ns: int, size: int) -> tuple[bytes, str]:
    data = (CONSOLE_DIR / relative).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def resolve_asset(relative: str) -> Path | None:
    """The file for a request path under /console/, or None when it is not a servable asset."""
    segments = relative.split("/")
    if not segments or len(segments) > 2 or any(not _SEGMENT.match(s) or ".." in s for s in segments):
        return None
    path = (CONSOLE_DIR / relative).resolve()
    if not path.is_relative_to(CONSOLE_DIR) or path.suffix not in CONTENT_TYPES or not path.is_file():
        return None
    return path


def _serve(relative: str) -> Response:
    path = resolve_asset(relative)
    if path is None:
        return error_response(404, "ResourceNotFound.ConsoleAsset", f"no console file {relative!r}")
    stat = path.stat()
    data, etag = _load(path.relative_to(CONSOLE_DIR).as_posix(), stat.st_mtime_ns, stat.st_size)
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=31536000, immutable" if _IMMUTABLE.match(relative) else "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
    }
    if path.suffix == ".html":
        headers.update({"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"})
    content_type = CONTENT_TYPES[path.suffix]
    if_none_match = router.current_event.get_header_value("If-None-Match", default_value="", case_sensitive=False) or ""
    if etag in [v.strip().removeprefix("W/") for v in if_none_match.split(",")]:
        return Response(status_code=304, content_type=content_type, body=None, headers=headers)
    body: str | bytes = data.decode("utf-8") if path.suffix in TEXT_SUFFIXES else data
    return Response(
        status_code=200,
        content_type=content_type,
        body=body,
        headers=headers,
        compress=path.suffix in TEXT_SUFFIXES and len(data) > 1024,
    )


# No return annotations on the routes: powertools would then validate (and JSON-encode) the body,
# which must stay raw text or bytes here.
@router.get("/", include_in_schema=False)
def console_page():
    return _serve("index.html")


@router.get("/console/<name>", include_in_schema=False)
def console_asset(name: str):
    return _serve(name)


@router.get("/console/<folder>/<name>", include_in_schema=False)
def console_asset_in_folder(folder: str, name: str):
    return _serve(f"{folder}/{name}")
