"""COS's error body and the HTTP status of each error code this project answers with."""

from __future__ import annotations

import uuid
from xml.sax.saxutils import escape

STATUS = {
    "AccessDenied": 403,
    "SignatureDoesNotMatch": 403,
    "InvalidAccessKeyId": 403,
    "RequestTimeTooSkewed": 403,
    "NoSuchKey": 404,
    "NoSuchBucket": 404,
    "NoSuchUpload": 404,
    "InvalidArgument": 400,
    "InvalidPart": 400,
    "InvalidPartOrder": 400,
    "EntityTooSmall": 400,
    "EntityTooLarge": 400,
    "MalformedXML": 400,
    "InvalidDigest": 400,
    "BadDigest": 400,
    "IncompleteBody": 400,
    "MissingContentLength": 411,
    "InvalidRange": 416,
    "MethodNotAllowed": 405,
    "NotImplemented": 501,
    "ServiceUnavailable": 503,
    "SlowDown": 503,
}


class CosError(Exception):
    """A request COS would refuse; carries the code, message and HTTP status of the XML answer."""

    def __init__(
        self, code: str, message: str, status: int | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status if status is not None else STATUS.get(code, 400)
        self.headers = headers or {}  # e.g. SlowDown's Retry-After


def cos_error_xml(code: str, message: str, resource: str = "", request_id: str | None = None) -> bytes:
    """COS's error body: the SDK reads Code, Message, Resource and RequestId (all required)."""
    rid = request_id or uuid.uuid4().hex
    return (
        f"<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message><Resource>{escape(resource or '-')}</Resource>"
        f"<RequestId>{rid}</RequestId><TraceId>{uuid.uuid4().hex}</TraceId></Error>"
    ).encode()
