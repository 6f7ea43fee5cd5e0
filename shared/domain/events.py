"""A strict model of the SCF COS trigger event (MPS-REFERENCE.md section 4.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.domain.errors import BadInputError


class _Lenient(BaseModel):
    # SCF adds fields over time; unknown ones are kept out of the way, known ones are checked.
    model_config = ConfigDict(extra="ignore")


class CosBucket(_Lenient):
    appid: str = Field(min_length=1)
    name: str = Field(min_length=1)
    region: str = ""
    cosRegion: str | None = None


class CosObject(_Lenient):
    key: str = Field(min_length=1)
    size: int = Field(ge=0)
    url: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)


class CosPart(_Lenient):
    cosBucket: CosBucket
    cosObject: CosObject


class CosEventInfo(_Lenient):
    eventName: str
    eventTime: int = 0


class CosRecord(_Lenient):
    cos: CosPart
    event: CosEventInfo


class CosEvent(_Lenient):
    Records: list[CosRecord] = Field(min_length=1)


@dataclass(frozen=True)
class ObjectCreated:
    appid: str
    bucket: str  # full name: short name + "-" + appid
    region: str
    key: str  # the real object key, without the /appid/bucket/ prefix
    size: int
    etag: str
    event_name: str
    event_time: int


def _object_key(record: CosRecord) -> str:
    bucket, obj = record.cos.cosBucket, record.cos.cosObject
    prefix = f"/{bucket.appid}/{bucket.name}/"
    if obj.key.startswith(prefix) and len(obj.key) > len(prefix):
        return obj.key[len(prefix) :]  # `key` is not URL-encoded
    if obj.url:  # older shapes: fall back to the URL, which is URL-encoded
        path = unquote(urlsplit(obj.url).path).lstrip("/")
        if path:
            return path
    raise BadInputError(f"cannot derive the object key from {obj.key!r}", code="InvalidParameter.CosEvent")


def parse_cos_event(event: Any) -> list[ObjectCreated]:
    """The created objects an event announces; other event kinds (removals) are skipped."""
    try:
        parsed = CosEvent.model_validate(event)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInputError(f"not a COS event: {where}: {first['msg']}", code="InvalidParameter.CosEvent") from exc
    created = []
    for record in parsed.Records:
        if not record.event.eventName.startswith("cos:ObjectCreated:"):
            continue
        bucket = record.cos.cosBucket
        full = bucket.name if bucket.name.endswith(f"-{bucket.appid}") else f"{bucket.name}-{bucket.appid}"
        meta = record.cos.cosObject.meta
        etag = str(meta.get("ETag") or meta.get("x-cos-meta-etag") or meta.get("x-cos-request-id") or "")
        created.append(
            ObjectCreated(
                appid=bucket.appid,
                bucket=full,
                region=bucket.cosRegion or bucket.region,
                key=_object_key(record),
                size=record.cos.cosObject.size,
                etag=etag.strip('"'),
                event_name=record.event.eventName,
                event_time=record.event.eventTime,
            )
        )
    return created


def build_cos_event(
    *,
    appid: str,
    bucket: str,
    region: str,
    key: str,
    size: int,
    etag: str,
    event_time: int,
    content_type: str = "application/octet-stream",
    event_name: str = "cos:ObjectCreated:Put",
) -> dict[str, Any]:
    """The cloud shape of a COS event; the local stack emits exactly this for an upload."""
    short = bucket[: -len(f"-{appid}")] if bucket.endswith(f"-{appid}") else bucket
    return {
        "Records": [
            {
                "cos": {
                    "cosSchemaVersion": "1.0",
                    "cosNotificationId": "unkown",
                    "cosBucket": {
                        "appid": appid,
                        "name": short,
                        "region": region,
                        "cosRegion": region,
                        "s3Region": region,
                    },
                    "cosObject": {
                        "key": f"/{appid}/{short}/{key}",
                        "size": size,
                        "url": f"http://{bucket}.cos.{region}.myqcloud.com/{quote(key)}",
                        "vid": "",
                        "meta": {
                            "Content-Type": content_type,
                            "ETag": f'"{etag}"',
                            "x-cos-request-id": "local",
                            "x-cos-storage-class": "Standard",
                        },
                    },
                },
                "event": {
                    "eventName": event_name,
                    "eventVersion": "1.0",
                    "eventSource": "qcs::cos",
                    "eventTime": event_time,
                    "eventQueue": f"qcs:0:scf:{region}:appid/{appid}:default.openmps-trigger.$DEFAULT",
                    "requestParameters": {"requestSourceIP": "127.0.0.1", "requestHeaders": {}},
                    "reservedInfo": "",
                    "reqid": 0,
                },
            }
        ]
    }
