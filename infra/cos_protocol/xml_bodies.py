"""The XML bodies of the COS operations served here, built and parsed with xmltodict (which the
SDK itself depends on; it refuses entity declarations, so a request body cannot expand)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import xmltodict

from infra.cos_protocol.errors import CosError

MAX_DELETE_KEYS = 1000


@dataclass(frozen=True)
class Entry:
    """One object (or one part) in a listing."""

    key: str
    size: int
    etag: str
    last_modified: float


def iso_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def http_time(epoch: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(epoch))


def _render(root: str, body: dict[str, Any]) -> bytes:
    return xmltodict.unparse({root: body}, encoding="utf-8").encode()


def _key(key: str, url_encoded: bool) -> str:
    return quote(key, safe="/") if url_encoded else key


def _owner(appid: str) -> dict[str, str]:
    return {"ID": f"qcs::cam::uin/{appid}:uin/{appid}", "DisplayName": appid}


def list_bucket_result(
    *,
    bucket: str,
    appid: str,
    prefix: str,
    marker: str,
    delimiter: str,
    max_keys: int,
    entries: list[Entry],
    common_prefixes: list[str],
    next_marker: str | None,
    url_encoded: bool,
) -> bytes:
    body: dict[str, Any] = {"Name": bucket}
    if url_encoded:
        body["EncodingType"] = "url"
    body.update(
        {
            "Prefix": _key(prefix, url_encoded),
            "Marker": _key(marker, url_encoded),
            "MaxKeys": str(max_keys),
        }
    )
    if delimiter:
        body["Delimiter"] = _key(delimiter, url_encoded)
    body["IsTruncated"] = "true" if next_marker is not None else "false"
    if next_marker is not None:
        body["NextMarker"] = _key(next_marker, url_encoded)
    if common_prefixes:
        body["CommonPrefixes"] = [{"Prefix": _key(p, url_encoded)} for p in common_prefixes]
    if entries:
        body["Contents"] = [
            {
                "Key": _key(e.key, url_encoded),
                "LastModified": iso_time(e.last_modified),
                "ETag": f'"{e.etag}"',
                "Size": str(e.size),
                "Owner": _owner(appid),
                "StorageClass": "STANDARD",
            }
            for e in entries
        ]
    return _render("ListBucketResult", body)


def initiate_result(bucket: str, key: str, upload_id: str) -> bytes:
    return _render("InitiateMultipartUploadResult", {"Bucket": bucket, "Key": key, "UploadId": upload_id})


def complete_result(location: str, bucket: str, key: str, etag: str) -> bytes:
    return _render(
        "CompleteMultipartUploadResult", {"Location": location, "Bucket": bucket, "Key": key, "ETag": f'"{etag}"'}
    )


def copy_result(etag: str, last_modified: float) -> bytes:
    return _render("CopyObjectResult", {"ETag": f'"{etag}"', "LastModified": iso_time(last_modified)})


def list_parts_result(
    *, bucket: str, key: str, upload_id: str, appid: str, parts: list[tuple[int, Entry]], url_encoded: bool
) -> bytes:
    body: dict[str, Any] = {"Bucket": bucket}
    if url_encoded:
        body["EncodingType"] = "url"
    body.update(
        {
            "Key": _key(key, url_encoded),
            "UploadId": upload_id,
            "Initiator": _owner(appid),
            "Owner": _owner(appid),
            "StorageClass": "STANDARD",
            "PartNumberMarker": "0",
            "NextPartNumberMarker": str(parts[-1][0]) if parts else "0",
            "MaxParts": "1000",
            "IsTruncated": "false",
        }
    )
    if parts:
        body["Part"] = [
            {
                "PartNumber": str(n),
                "LastModified": iso_time(e.last_modified),
                "ETag": f'"{e.etag}"',
                "Size": str(e.size),
            }
            for n, e in parts
        ]
    return _render("ListPartsResult", body)


def list_uploads_result(
    *, bucket: str, appid: str, prefix: str, uploads: list[tuple[str, str, float]], url_encoded: bool
) -> bytes:
    """uploads: (key, upload id, initiated epoch), oldest first as COS lists them."""
    body: dict[str, Any] = {"Bucket": bucket}
    if url_encoded:
        body["EncodingType"] = "url"
    body.update({"Prefix": _key(prefix, url_encoded), "MaxUploads": "1000", "IsTruncated": "false"})
    if uploads:
        body["Upload"] = [
            {
                "Key": _key(key, url_encoded),
                "UploadId": upload_id,
                "StorageClass": "STANDARD",
                "Initiator": _owner(appid),
                "Owner": _owner(appid),
                "Initiated": iso_time(initiated),
            }
            for key, upload_id, initiated in uploads
        ]
    return _render("ListMultipartUploadsResult", body)


def delete_result(deleted: list[str], errors: list[tuple[str, str, str]], quiet: bool) -> bytes:
    body: dict[str, Any] = {}
    if deleted and not quiet:
        body["Deleted"] = [{"Key": key} for key in deleted]
    if errors:
        body["Error"] = [{"Key": key, "Code": code, "Message": message} for key, code, message in errors]
    return _render("DeleteResult", body)


def _parse(body: bytes, root: str) -> dict[str, Any]:
    try:
        parsed = xmltodict.parse(body, force_list=("Part", "Object"))
    except Exception as exc:  # expat errors, entity declarations (refused by xmltodict)
        raise CosError("MalformedXML", f"the XML body is not well-formed: {exc}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get(root), dict):
        raise CosError("MalformedXML", f"expected a <{root}> document")
    return parsed[root]


def parse_complete(body: bytes) -> list[tuple[int, str]]:
    """(part number, etag without quotes) in the order the client listed them."""
    parts = []
    for item in _parse(body, "CompleteMultipartUpload").get("Part") or []:
        try:
            number = int(item["PartNumber"])
            etag = str(item["ETag"]).strip().strip('"')
        except (KeyError, TypeError, ValueError):
            raise CosError("MalformedXML", "each <Part> needs a <PartNumber> and an <ETag>") from None
        parts.append((number, etag))
    if not parts:
        raise CosError("MalformedXML", "CompleteMultipartUpload lists no parts")
    return parts


def parse_delete(body: bytes) -> tuple[list[str], bool]:
    """(keys, quiet) of a DeleteMultipleObjects request."""
    doc = _parse(body, "Delete")
    keys = []
    for item in doc.get("Object") or []:
        key = item.get("Key") if isinstance(item, dict) else None
        if not key:
            raise CosError("MalformedXML", "each <Object> needs a <Key>")
        keys.append(str(key))
    if not keys:
        raise CosError("MalformedXML", "Delete lists no objects")
    if len(keys) > MAX_DELETE_KEYS:
        raise CosError("MalformedXML", f"at most {MAX_DELETE_KEYS} keys per request")
    return keys, str(doc.get("Quiet", "false")).lower() == "true"
