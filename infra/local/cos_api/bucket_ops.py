"""Bucket-level operations: ListObjects (GET Bucket), DeleteMultipleObjects, ListMultipartUploads."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from infra.cos_protocol.errors import CosError
from infra.cos_protocol.listing import list_page
from infra.cos_protocol.xml_bodies import Entry, delete_result, list_bucket_result, list_uploads_result, parse_delete
from infra.local.cos_api.exchange import Exchange
from shared.domain.errors import BadInputError, NotFoundError

if TYPE_CHECKING:
    from infra.local.cos_api.endpoint import CosEndpoint

MAX_KEYS = 1000
XML = {"Content-Type": "application/xml"}


def _max_keys(ex: Exchange) -> int:
    try:
        value = int(ex.params.get("max-keys", MAX_KEYS))
    except ValueError:
        raise CosError("InvalidArgument", "max-keys must be a number") from None
    if not 0 <= value <= MAX_KEYS:
        raise CosError("InvalidArgument", f"max-keys must be between 0 and {MAX_KEYS}")
    return value


def _encoding(ex: Exchange) -> bool:
    value = ex.params.get("encoding-type", "")
    if value not in ("", "url"):
        raise CosError("InvalidArgument", "encoding-type must be url")
    return value == "url"


def list_objects(cos: CosEndpoint, ex: Exchange) -> None:
    prefix, marker = ex.params.get("prefix", ""), ex.params.get("marker", "")
    delimiter, max_keys = ex.params.get("delimiter", ""), _max_keys(ex)
    page = list_page(
        cos.storage.sorted_keys(ex.bucket, prefix), prefix=prefix, marker=marker, delimiter=delimiter, max_keys=max_keys
    )
    entries = []
    for key in page.keys:
        try:
            info = cos.storage.head(ex.bucket, key)
        except (NotFoundError, BadInputError):
            continue  # deleted since the walk, or a file name COS could not have written
        entries.append(Entry(key, info.size, info.etag, info.last_modified))
    body = list_bucket_result(
        bucket=ex.bucket,
        appid=ex.appid,
        prefix=prefix,
        marker=marker,
        delimiter=delimiter,
        max_keys=max_keys,
        entries=entries,
        common_prefixes=page.common_prefixes,
        next_marker=page.next_marker,
        url_encoded=_encoding(ex),
    )
    ex.send(200, body, XML)


def delete_objects(cos: CosEndpoint, ex: Exchange) -> None:
    raw = ex.small_body()
    sent_md5 = ex.headers.get("Content-MD5")
    if sent_md5 and sent_md5.strip() != base64.b64encode(hashlib.md5(raw).digest()).decode():
        raise CosError("BadDigest", "The Content-MD5 you specified did not match what was received.")
    keys, quiet = parse_delete(raw)
    deleted, errors = [], []
    for key in keys:
        try:
            cos.storage.delete(ex.bucket, key)
            deleted.append(key)
        except BadInputError as exc:
            errors.append((key, "InvalidArgument", exc.message))
    ex.send(200, delete_result(deleted, errors, quiet), XML)


def list_uploads(cos: CosEndpoint, ex: Exchange) -> None:
    prefix = ex.params.get("prefix", "")
    uploads = [(u.key, u.upload_id, u.initiated) for u in cos.uploads.uploads(ex.bucket, prefix)]
    body = list_uploads_result(
        bucket=ex.bucket, appid=ex.appid, prefix=prefix, uploads=uploads, url_encoded=_encoding(ex)
    )
    ex.send(200, body, XML)
