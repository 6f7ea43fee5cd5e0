"""A streamed write to COS of unknown length: parts of ``part_size`` bytes go up as they fill
(multipart upload), so memory holds one part whatever the object's size; a body smaller than one
part is a single PUT. The object appears only at CompleteMultipartUpload; on an error the upload
is aborted and nothing appears."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class MultipartWriter:
    def __init__(
        self,
        client: Any,
        call: Callable[..., Any],
        bucket: str,
        key: str,
        content_type: str,
        part_size: int,
    ) -> None:
        self.client, self.call = client, call
        self.bucket, self.key, self.content_type = bucket, key, content_type
        self.part_size = part_size
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) >= self.part_size:
            self._send_part(bytes(self.buffer[: self.part_size]))
            del self.buffer[: self.part_size]
        return len(data)

    def flush(self) -> None:
        pass  # parts go up when full; the tail goes at finish()

    def _send_part(self, data: bytes) -> None:
        if self.upload_id is None:
            started = self.call(
                "initiate multipart",
                self.bucket,
                self.key,
                self.client.create_multipart_upload,
                Bucket=self.bucket,
                Key=self.key,
                ContentType=self.content_type,
            )
            self.upload_id = str(started["UploadId"])
        number = len(self.parts) + 1
        sent = self.call(
            "upload part",
            self.bucket,
            self.key,
            self.client.upload_part,
            Bucket=self.bucket,
            Key=self.key,
            Body=data,
            PartNumber=number,
            UploadId=self.upload_id,
        )
        self.parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    def finish(self) -> None:
        if self.upload_id is None:
            self.call(
                "put",
                self.bucket,
                self.key,
                self.client.put_object,
                Bucket=self.bucket,
                Key=self.key,
                Body=bytes(self.buffer),
                ContentType=self.content_type,
            )
            return
        if self.buffer:
            self._send_part(bytes(self.buffer))
            self.buffer.clear()
        self.call(
            "complete multipart",
            self.bucket,
            self.key,
            self.client.complete_multipart_upload,
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Part": self.parts},
        )

    def abort(self) -> None:
        if self.upload_id is not None:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
            except Exception:  # noqa: BLE001 - best effort: COS expires abandoned uploads by lifecycle rules
                pass
