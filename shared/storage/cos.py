"""Tencent COS buckets through cos-python-sdk-v5 (MPS-REFERENCE.md section 5).

- ``upload``/``download`` use the SDK's transfer managers: one PUT (or GET) up to
  ``part_size_mb``, multipart upload (``?uploads``/``?partNumber``/complete) or parallel ranged
  GETs above it. A COS object appears only when its PUT or multipart upload completes, so
  readers never see part of one ("publish atomically" in the port).
- Credentials: explicit ones, or the function role's temporary ones, re-read at each call (SCF
  rotates them); the client is rebuilt when they change. The SDK sends the session token on
  requests but not in presigned URLs, so ``presign`` signs it in as ``x-cos-security-token``.
- ``endpoint_ip``/``endpoint_port`` reach a COS-compatible server by address (tests): requests go
  to ``http://ip:port/key`` with ``Host: <bucket>.cos.<region>.myqcloud.com``. Presigned URLs then
  point at the address and are signed for that virtual host, so a client must send that Host.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from shared.domain.errors import BadInputError, NotFoundError, OpenMpsError, RetryableProcessingError
from shared.runtime.settings import CloudCredentials, Settings
from shared.storage.cos_responses import BodyStream, header, http_time, iso_time
from shared.storage.cos_writer import MultipartWriter
from shared.storage.port import ObjectInfo, Reader, Storage, Writer, check_bucket, check_key, guess_type

CHUNK = 1024 * 1024
_MD5_ETAG = re.compile(r"^[0-9a-f]{32}$")  # a multipart upload's etag is "<hex>-<parts>", not an MD5
_NOT_FOUND_CODES = {"NoSuchKey", "NoSuchResource", "NoSuchBucket", "NoSuchVersion"}
# Server-side codes worth a retry; anything else from the server is a refusal.
_RETRYABLE_CODES = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "ServerBusy"}


class CosStorage(Storage):
    def __init__(
        self,
        *,
        region: str,
        credentials: CloudCredentials,
        endpoint_ip: str | None = None,
        endpoint_port: int | None = None,
        scheme: str = "https",
        part_size_mb: int = 8,
        max_threads: int = 4,
        retries: int = 3,
        timeout: int = 60,
    ) -> None:
        self.region = region
        self.credentials = credentials
        self.endpoint_ip = endpoint_ip
        self.endpoint_port = endpoint_port
        self.scheme = scheme
        self.part_size_mb = part_size_mb
        self.max_threads = max_threads
        self.retries = retries
        self.timeout = timeout
        self.page_size = 1000  # keys per list request (COS's maximum)
        self._lock = threading.Lock()
        self._cached: tuple[tuple[str, str, str | None], Any] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CosStorage:
        return cls(
            region=settings.cos_region or settings.region,
            credentials=settings.cos_credentials(),
            endpoint_ip=settings.cos_endpoint_ip,
            endpoint_port=settings.cos_endpoint_port,
            scheme=settings.cos_endpoint_scheme,
            part_size_mb=settings.cos_part_size_mb,
            max_threads=settings.cos_max_threads,
        )

    # ---- the SDK client -----------------------------------------------------------------------
    def client(self) -> Any:
        creds = (self.credentials.secret_id, self.credentials.secret_key, self.credentials.token)
        with self._lock:
            if self._cached is None or self._cached[0] != creds:
                from qcloud_cos import CosConfig, CosS3Client

                if not creds[0] or not creds[1]:
                    raise OpenMpsError(
                        "COS credentials are missing (no secret id/key and no function role)",
                        code="InternalError.Settings",
                    )
                config = CosConfig(
                    Region=self.region,
                    SecretId=creds[0],
                    SecretKey=creds[1],
                    Token=creds[2],
                    Scheme=self.scheme,
                    IP=self.endpoint_ip,
                    Port=self.endpoint_port,
                    Timeout=self.timeout,
                )
                self._cached = (creds, CosS3Client(config, retry=self.retries))
            return self._cached[1]

    def virtual_host(self, bucket: str) -> str:
        return f"{bucket}.cos.{self.region}.myqcloud.com"

    def _call(self, what: str, bucket: str, key: str | None, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from qcloud_cos.cos_exception import CosClientError, CosServiceError

        try:
            return fn(*args, **kwargs)
        except CosServiceError as exc:
            code, status = exc.get_error_code(), exc.get_status_code()
            where = f"{bucket}/{key}" if key else bucket
            if status == 404 or code in _NOT_FOUND_CODES:
                raise NotFoundError(
                    f"no object {key!r} in bucket {bucket}" if key else f"no bucket {bucket}",
                    code="ResourceNotFound.Object" if key else "ResourceNotFound.Bucket",
                ) from None
            if status >= 500 or status == 429 or code in _RETRYABLE_CODES:
                raise RetryableProcessingError(
                    f"COS {what} {where}: {status} {code}", code="InternalError.Storage"
                ) from exc
            code = code if code and code != "Unknown" else f"HTTP{status}"
            raise OpenMpsError(
                f"COS {what} {where} refused: {status} {code}: {exc.get_error_msg()}",
                code=f"FailedOperation.Storage.{code}",
            ) from exc
        except CosClientError as exc:  # transport: connection refused, timeouts, bad responses
            raise RetryableProcessingError(f"COS {what} {bucket}/{key}: {exc}", code="InternalError.Storage") from exc

    def _info(self, bucket: str, key: str, headers: dict[str, Any]) -> ObjectInfo:
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=int(header(headers, "Content-Length", "0") or 0),
            etag=header(headers, "ETag").strip('"'),
            last_modified=http_time(header(headers, "Last-Modified")),
            content_type=header(headers, "Content-Type") or guess_type(key),
        )

    # ---- reads ------------------------------------------------------------------------------
    def head(self, bucket: str, key: str) -> ObjectInfo:
        check_bucket(bucket)
        check_key(key)
        headers = self._call("head", bucket, key, self.client().head_object, Bucket=bucket, Key=key)
        return self._info(bucket, key, headers)

    def open_read(self, bucket: str, key: str) -> BinaryIO:
        check_bucket(bucket)
        check_key(key)
        response = self._call("get", bucket, key, self.client().get_object, Bucket=bucket, Key=key)
        return BodyStream(response["Body"].get_raw_stream())  # type: ignore[return-value]

    def download(self, bucket: str, key: str, dest: Path) -> ObjectInfo:
        info = self.head(bucket, key)
        dest = Path(dest)
        resume_dir = Path(tempfile.gettempdir()) / "openmps-cos-resume"
        self._call(
            "download",
            bucket,
            key,
            self.client().download_file,
            Bucket=bucket,
            Key=key,
            DestFilePath=str(dest),
            PartSize=self.part_size_mb,
            MAXThread=self.max_threads,
            DumpRecordDir=str(resume_dir),
        )
        got = dest.stat().st_size
        if got != info.size:
            raise RetryableProcessingError(
                f"COS download {bucket}/{key}: got {got} of {info.size} bytes", code="InternalError.Storage"
            )
        return info

    def materialize(self, bucket: str, key: str, dest: Path) -> ObjectInfo:
        """One streamed GET written to ``dest``: the info comes from that response's own headers, so
        its etag names the version received (no HEAD before or after), and the MD5 is computed on
        the way, which checks the bytes wherever the etag is an MD5 (objects uploaded in one PUT)."""
        from urllib3.exceptions import HTTPError

        check_bucket(bucket)
        check_key(key)
        response = self._call("get", bucket, key, self.client().get_object, Bucket=bucket, Key=key)
        info = self._info(bucket, key, response)
        digest = hashlib.md5(usedforsecurity=False)
        written = 0
        try:
            with BodyStream(response["Body"].get_raw_stream()) as body, Path(dest).open("wb") as out:
                while chunk := body.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    written += len(chunk)
        except (OSError, HTTPError) as exc:  # a transfer broken half-way
            raise RetryableProcessingError(f"COS get {bucket}/{key}: {exc}", code="InternalError.Storage") from exc
        etag = info.etag.lower()
        if written != info.size or (_MD5_ETAG.match(etag) and digest.hexdigest() != etag):
            raise RetryableProcessingError(
                f"COS get {bucket}/{key}: got {written} of {info.size} bytes, MD5 {digest.hexdigest()} "
                f"for etag {info.etag}",
                code="InternalError.Storage",
            )
        return info

    def list(self, bucket: str, prefix: str = "", limit: int = 1000) -> list[ObjectInfo]:
        check_bucket(bucket)
        found: list[ObjectInfo] = []
        marker = ""
        while len(found) < limit:
            page = self._call(
                "list",
                bucket,
                None,
                self.client().list_objects,
                Bucket=bucket,
                Prefix=prefix,
                Marker=marker,
                MaxKeys=min(self.page_size, limit - len(found)),
            )
            contents = page.get("Contents") or []
            for item in contents:
                key = item["Key"]
                if key.endswith("/") and int(item.get("Size") or 0) == 0:
                    continue  # a "folder" placeholder made by the console
                found.append(
                    ObjectInfo(
                        bucket=bucket,
                        key=key,
                        size=int(item.get("Size") or 0),
                        etag=str(item.get("ETag") or "").strip('"'),
                        last_modified=iso_time(str(item.get("LastModified") or "")),
                        content_type=guess_type(key),
                    )
                )
            if str(page.get("IsTruncated", "false")).lower() != "true" or not contents:
                break
            marker = page.get("NextMarker") or contents[-1]["Key"]
        return found[:limit]

    # ---- writes -----------------------------------------------------------------------------
    def upload(self, bucket: str, key: str, src: Path, content_type: str | None = None) -> ObjectInfo:
        check_bucket(bucket)
        check_key(key)
        self._call(
            "upload",
            bucket,
            key,
            self.client().upload_file,
            Bucket=bucket,
            Key=key,
            LocalFilePath=str(src),
            PartSize=self.part_size_mb,
            MAXThread=self.max_threads,
            ContentType=content_type or guess_type(key),
        )
        return self.head(bucket, key)

    def put_stream(
        self, bucket: str, key: str, stream: Reader, content_type: str | None = None, max_bytes: int | None = None
    ) -> ObjectInfo:
        """Small bodies go up in one PUT from memory; bigger ones are spooled to a temporary file
        and sent as a multipart upload."""
        check_bucket(bucket)
        check_key(key)
        threshold = self.part_size_mb * 1024 * 1024
        buffer = bytearray()
        spool: Path | None = None
        out = None
        written = 0
        try:
            while chunk := stream.read(CHUNK):
                written += len(chunk)
                if max_bytes is not None and written > max_bytes:
                    raise BadInputError(f"object larger than {max_bytes} bytes", code="RequestSizeLimitExceeded")
                if out is None:
                    buffer += chunk
                    if len(buffer) > threshold:
                        spool = Path(tempfile.gettempdir()) / f"openmps-put-{uuid.uuid4().hex}"
                        out = spool.open("wb")
                        out.write(buffer)
                        buffer.clear()
                else:
                    out.write(chunk)
            if out is None:
                self._call(
                    "put",
                    bucket,
                    key,
                    self.client().put_object,
                    Bucket=bucket,
                    Key=key,
                    Body=bytes(buffer),
                    ContentType=content_type or guess_type(key),
                )
                return self.head(bucket, key)
            out.close()
            out = None
            assert spool is not None
            return self.upload(bucket, key, spool, content_type)
        finally:
            if out is not None:
                out.close()
            if spool is not None:
                spool.unlink(missing_ok=True)

    @contextmanager
    def open_write(self, bucket: str, key: str, content_type: str) -> Iterator[Writer]:
        check_bucket(bucket)
        check_key(key)
        writer = MultipartWriter(self.client(), self._call, bucket, key, content_type, self.part_size_mb * CHUNK)
        try:
            yield writer
            writer.finish()
        except BaseException:
            writer.abort()
            raise

    def delete(self, bucket: str, key: str) -> None:
        check_bucket(bucket)
        check_key(key)
        try:
            self._call("delete", bucket, key, self.client().delete_object, Bucket=bucket, Key=key)
        except NotFoundError:
            pass

    # ---- URLs -------------------------------------------------------------------------------
    def presign(self, bucket: str, key: str, method: str, expires_in: int, download_name: str | None = None) -> str:
        check_bucket(bucket)
        check_key(key)
        method = method.upper()
        if method not in ("GET", "PUT", "HEAD"):
            raise BadInputError(f"cannot presign {method}", code="InvalidParameterValue.Method")
        params: dict[str, str] = {}
        if download_name:
            params["response-content-disposition"] = "attachment; filename*=UTF-8''" + quote(download_name, safe="")
        token = self.credentials.token
        if token:
            params["x-cos-security-token"] = token
        headers = {"Host": self.virtual_host(bucket)} if self.endpoint_ip else {}
        return str(
            self.client().get_presigned_url(
                Bucket=bucket, Key=key, Method=method, Expired=int(expires_in), Params=params, Headers=headers
            )
        )
