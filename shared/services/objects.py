"""Browsing the buckets (the console's object picker)."""

from __future__ import annotations

from typing import Any

from shared.domain import clock
from shared.domain.errors import BadInputError
from shared.services.deps import Deps

MAX_LIST = 1000


def list_objects(deps: Deps, bucket: str | None, prefix: str, limit: int) -> dict[str, Any]:
    bucket = bucket or deps.settings.input_bucket
    if bucket not in (deps.settings.input_bucket, deps.settings.output_bucket):
        raise BadInputError("bucket must be the input or the output bucket", code="InvalidParameterValue.Bucket")
    if not 1 <= limit <= MAX_LIST:
        raise BadInputError(f"limit must be between 1 and {MAX_LIST}", code="InvalidParameterValue.Limit")
    objects = deps.storage.list(bucket, prefix=prefix, limit=limit)
    return {
        "bucket": bucket,
        "prefix": prefix,
        "objects": [
            {
                "key": o.key,
                "size": o.size,
                "etag": o.etag,
                "content_type": o.content_type,
                "last_modified": clock.from_epoch(o.last_modified),
            }
            for o in objects
        ],
    }


def config(deps: Deps) -> dict[str, Any]:
    return {
        "input_bucket": deps.settings.input_bucket,
        "output_bucket": deps.settings.output_bucket,
        "upload_prefix": "input/",
        "appid": deps.settings.appid,
        "region": deps.settings.region,
    }
