"""The storage port. Local filesystem buckets and COS implement it side by side."""

from __future__ import annotations

import mimetypes
import re
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from shared.domain.errors import BadInputError


class Reader(Protocol):
    """What ``put_stream`` reads from: a file, a request body, a socket (no seek, no tell)."""

    def read(self, size: int = -1, /) -> bytes: ...


class Writer(Protocol):
    """What a streamed response writes to: a file or a socket."""

    def write(self, data: bytes, /) -> int | None: ...

    def flush(self) -> None: ...


MAX_SEGMENT_BYTES = 255
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,60}[a-z0-9]$")


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    etag: str
    last_modified: float
    content_type: str = "application/octet-stream"


def guess_type(key: str) -> str:
    """The Content-Type an object gets when the uploader did not say."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def check_bucket(bucket: str) -> str:
    if not _BUCKET_RE.match(bucket or ""):
        raise BadInputError(f"invalid bucket name {bucket!r}", code="InvalidParameterValue.Bucket")
    return bucket


def _is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def check_key(key: str) -> str:
    """COS allows almost any key; we refuse the few that would escape a folder or confuse paths."""
    if isinstance(key, str) and not _is_utf8(key):
        # A lone surrogate (JSON's "\ud800" decodes to one) has no UTF-8 form: COS and a file name alike
        raise BadInputError("object keys must be valid UTF-8 text", code="InvalidParameterValue.Key")
    if not key or len(key.encode()) > 850 or key.startswith("/") or "\x00" in key or "\\" in key:
        raise BadInputError(f"invalid object key {key!r}", code="InvalidParameterValue.Key")
    if any(part in ("", ".", "..") for part in key.rstrip("/").split("/")):
        raise BadInputError(f"invalid object key {key!r}", code="InvalidParameterValue.Key")
    if any(ord(c) < 32 for c in key):
        raise BadInputError("object keys must not contain control characters", code="InvalidParameterValue.Key")
    if any(len(part.encode()) > MAX_SEGMENT_BYTES for part in key.split("/")):
        # COS would take it; a filesystem bucket (and most tools that mirror buckets) would not.
        raise BadInputError(
            f"each folder and file name in an object key is at most {MAX_SEGMENT_BYTES} bytes",
            code="InvalidParameterValue.Key",
        )
    return key


def check_object_key(key: str) -> str:
    """A key an object can be written under: a valid key that names a file, not a folder."""
    check_key(key)
    if key.endswith("/"):
        raise BadInputError(f"object key {key!r} names a folder; add a file name", code="InvalidParameterValue.Key")
    return key


class Storage(ABC):
    @abstractmethod
    def head(self, bucket: str, key: str) -> ObjectInfo:
        """Raises NotFoundError."""

    @abstractmethod
    def open_read(self, bucket: str, key: str) -> BinaryIO:
        """A stream of the object's bytes; the caller closes it."""

    @abstractmethod
    def download(self, bucket: str, key: str, dest: Path) -> ObjectInfo: ...

    @abstractmethod
    def materialize(self, bucket: str, key: str, dest: Path) -> ObjectInfo:
        """Make ``dest`` (a new local file the caller owns and only reads) hold the object's bytes,
        at the cheapest cost the backend allows, and return the info of exactly those bytes: its
        etag is the version at ``dest``, whatever replaced the object meanwhile. Raises NotFoundError."""

    @abstractmethod
    def upload(self, bucket: str, key: str, src: Path, content_type: str | None = None) -> ObjectInfo:
        """Publish atomically: readers see the old object or the whole new one, never a part."""

    def publish_file(
        self, bucket: str, key: str, src: Path, md5: str | None = None, content_type: str | None = None
    ) -> ObjectInfo:
        """``upload`` of a finished work file that nobody writes to any more; ``md5`` is its MD5 when the
        caller already computed it, so a backend that keeps the MD5 as the etag need not read the file
        again. ``src`` stays where it is (it may share its bytes with the object afterwards)."""
        return self.upload(bucket, key, src, content_type)

    @abstractmethod
    def put_stream(
        self, bucket: str, key: str, stream: Reader, content_type: str | None = None, max_bytes: int | None = None
    ) -> ObjectInfo: ...

    @abstractmethod
    def open_write(self, bucket: str, key: str, content_type: str) -> AbstractContextManager[Writer]:
        """A stream to write an object of unknown length to, published atomically when the block
        ends without an error (and dropped when it raises). Holds at most one part in memory."""

    @abstractmethod
    def list(self, bucket: str, prefix: str = "", limit: int = 1000) -> list[ObjectInfo]: ...

    @abstractmethod
    def delete(self, bucket: str, key: str) -> None: ...

    def check_writable(self, bucket: str, key: str) -> str:
        """Refuses (BadInputError) a key this storage could not hold an object under, before anyone
        is told to upload there; a backend with folders adds its own rules."""
        check_bucket(bucket)
        return check_object_key(key)

    @abstractmethod
    def presign(self, bucket: str, key: str, method: str, expires_in: int, download_name: str | None = None) -> str:
        """A URL that allows exactly ``method`` on exactly this object until it expires."""
