"""Browsing the buckets (the console's object picker)."""

from __future__ import annotations

from typing import Any

from shared.domain import clock
from shared.domain.errors import BadInputError
from shared.services.buckets import buckets_of, check_bucket_owner
from shared.services.deps import Deps

MAX_LIST = 1000


def list_objects(deps: Deps, account: str, bucket: str | None, prefix: str, limit: int) -> dict[str, Any]:
    bucket = check_bucket_owner(deps, account, bucket or buckets_of(deps, account).input)
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


def config(deps: Deps, account: str) -> dict[str, Any]:
    mine = buckets_of(deps, account)
    return {
        "input_bucket": mine.input,
        "output_bucket": mine.output,
        "upload_prefix": "input/",
        "appid": mine.appid,
        "region": deps.settings.region,
    }
