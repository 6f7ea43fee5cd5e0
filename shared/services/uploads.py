"""Upload tickets: a presigned PUT into the input bucket; the upload itself fires the trigger."""

from __future__ import annotations

import posixpath
import secrets
from typing import Any

from shared.domain.errors import BadInputError
from shared.services.buckets import buckets_of
from shared.services.deps import Deps

UPLOAD_PREFIX = "input/"


def create_upload(deps: Deps, account: str, filename: str, key: str | None = None) -> dict[str, Any]:
    name = posixpath.basename(filename.replace("\\", "/")).strip()
    if not name or name in (".", ".."):
        raise BadInputError("filename must name a file, e.g. clip.mp4", code="InvalidParameterValue.Filename")
    if key is None:
        # A fresh folder per upload: two uploads of clip.mp4 never overwrite each other.
        key = f"{UPLOAD_PREFIX}{secrets.token_hex(4)}/{name}"
    ttl = min(deps.settings.url_ttl_seconds, deps.settings.url_ttl_max_seconds)
    bucket = buckets_of(deps, account).input
    deps.storage.check_writable(bucket, key)  # refused now, not after the bytes are sent
    return {
        "bucket": bucket,
        "key": key,
        "method": "PUT",
        "expires_in": ttl,
        "upload_url": deps.storage.presign(bucket, key, "PUT", ttl),
    }
