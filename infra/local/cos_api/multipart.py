"""Multipart uploads on the filesystem: ``{root}/.uploads/{upload id}/`` holds ``upload.json``
(bucket, key, headers, time) and one file per part, each written under a temporary name and
renamed, with its MD5 in a sidecar. Completion claims the upload with one directory rename (so two
racing Complete requests publish once), joins the parts into a temporary file and renames it into
the bucket. Nothing is held in memory beyond one copy buffer.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from infra.cos_protocol.errors import CosError
from infra.cos_protocol.xml_bodies import Entry
from shared.storage.local import LocalStorage
from shared.storage.port import ObjectInfo, Reader

MIN_PART_SIZE = 1024 * 1024  # COS: every part but the last is at least 1 MB
MAX_PART_SIZE = 5 * 1024**3
MAX_PART_NUMBER = 10000
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    upload_id: str
    bucket: str
    key: str
    content_type: str | None
    headers: dict[str, str]
    initiated: float


class MultipartStore:
    def __init__(self, storage: LocalStorage) -> None:
        self.storage = storage
        self.root = storage.root / ".uploads"
        self.root.mkdir(parents=True, exist_ok=True)

    def _dir(self, upload_id: str) -> Path:
        if not upload_id.isalnum() or len(upload_id) > 64:
            raise CosError("NoSuchUpload", "The specified upload does not exist.")
        return self.root / upload_id

    def initiate(self, bucket: str, key: str, content_type: str | None, headers: dict[str, str]) -> Upload:
        upload = Upload(uuid.uuid4().hex, bucket, key, content_type, headers, time.time())
        folder = self._dir(upload.upload_id)
        folder.mkdir()
        record = {"bucket": bucket, "key": key, "content_type": content_type, "headers": headers}
        (folder / "upload.json").write_text(json.dumps({**record, "initiated": upload.initiated}))
        return upload

    def get(self, upload_id: str, bucket: str, key: str) -> Upload:
        try:
            record = json.loads((self._dir(upload_id) / "upload.json").read_text())
        except (FileNotFoundError, ValueError):
            raise CosError("NoSuchUpload", "The specified upload does not exist.") from None
        if record["bucket"] != bucket or record["key"] != key:
            raise CosError("NoSuchUpload", "The specified upload does not exist for this object.")
        return Upload(
            upload_id, bucket, key, record.get("content_type"), record.get("headers") or {}, record["initiated"]
        )

    def put_part(self, upload: Upload, number: int, body: Reader) -> str:
        """Store one part (replacing an earlier one with the same number); returns its MD5."""
        if not 1 <= number <= MAX_PART_NUMBER:
            raise CosError("InvalidArgument", f"partNumber must be between 1 and {MAX_PART_NUMBER}")
        folder = self._dir(upload.upload_id)
        tmp = folder / f"part-{number:05d}.{uuid.uuid4().hex}.tmp"
        digest = hashlib.md5()
        size = 0
        try:
            with tmp.open("wb") as out:
                while chunk := body.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            etag = digest.hexdigest()
            (folder / f"part-{number:05d}.json").write_text(json.dumps({"etag": etag, "size": size}))
            os.replace(tmp, folder / f"part-{number:05d}")
            return etag
        except FileNotFoundError:  # the upload was completed or aborted meanwhile
            raise CosError("NoSuchUpload", "The specified upload does not exist.") from None
        finally:
            tmp.unlink(missing_ok=True)

    def parts(self, upload: Upload) -> list[tuple[int, Entry]]:
        folder = self._dir(upload.upload_id)
        found = []
        for path in sorted(folder.glob("part-[0-9][0-9][0-9][0-9][0-9]")):
            try:
                meta = json.loads(path.with_name(path.name + ".json").read_text())
                mtime = path.stat().st_mtime
            except (FileNotFoundError, ValueError):
                continue
            found.append((int(path.name[5:]), Entry(path.name, meta["size"], meta["etag"], mtime)))
        return found

    def uploads(self, bucket: str, prefix: str) -> list[Upload]:
        found = []
        for folder in self.root.iterdir():
            try:
                record = json.loads((folder / "upload.json").read_text())
            except (FileNotFoundError, NotADirectoryError, ValueError):
                continue
            if record["bucket"] == bucket and record["key"].startswith(prefix):
                found.append(Upload(folder.name, bucket, record["key"], None, {}, record["initiated"]))
        return sorted(found, key=lambda u: (u.key, u.initiated))

    def abort(self, upload: Upload) -> None:
        shutil.rmtree(self._dir(upload.upload_id), ignore_errors=True)

    def complete(self, upload: Upload, listed: list[tuple[int, str]]) -> ObjectInfo:
        have = dict(self.parts(upload))
        numbers = [n for n, _ in listed]
        if numbers != sorted(set(numbers)):
            raise CosError("InvalidPartOrder", "The list of parts was not in ascending order.")
        for i, (number, etag) in enumerate(listed):
            part = have.get(number)
            if part is None or part.etag != etag:
                raise CosError("InvalidPart", f"part {number} was not uploaded or its ETag does not match")
            if part.size < MIN_PART_SIZE and i < len(listed) - 1:
                raise CosError("EntityTooSmall", f"part {number} is smaller than the 1 MB minimum")
        folder = self._dir(upload.upload_id)
        claimed = self.root / f"{upload.upload_id}completing{uuid.uuid4().hex}"
        try:
            os.rename(folder, claimed)  # one Complete wins; the other sees NoSuchUpload
        except FileNotFoundError:
            raise CosError("NoSuchUpload", "The specified upload does not exist.") from None
        tmp = self.storage.temp_path()
        try:
            with tmp.open("wb") as out:
                for number, _ in listed:
                    with (claimed / f"part-{number:05d}").open("rb") as src:
                        _copy(src.fileno(), out.fileno())
            joined = b"".join(bytes.fromhex(etag) for _, etag in listed)
            etag = f"{hashlib.md5(joined).hexdigest()}-{len(listed)}"
            return self.storage.publish(tmp, upload.bucket, upload.key, etag, upload.content_type, upload.headers)
        finally:
            tmp.unlink(missing_ok=True)
            shutil.rmtree(claimed, ignore_errors=True)


def _copy(src: int, dst: int) -> None:
    """Kernel-side copy (copy_file_range), falling back to read/write where it is refused."""
    try:
        while os.copy_file_range(src, dst, 64 * CHUNK):
            pass
        return
    except OSError:
        pass
    while chunk := os.read(src, CHUNK):
        os.write(dst, chunk)
