"""Filesystem buckets: ``{root}/{bucket}/{key}``, with a sidecar per object under
``{root}/.meta/{bucket}/{key}.json`` holding its etag (md5) and content type.

Writes go to ``{root}/.tmp`` and are renamed into place, so a reader (or the folder watcher)
never sees half an object under its final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from shared.domain.errors import BadInputError, NotFoundError
from shared.storage.port import ObjectInfo, Reader, Storage, Writer, check_bucket, check_key, guess_type
from shared.storage.signing import signed_path

CHUNK = 1024 * 1024


class LocalStorage(Storage):
    def __init__(self, root: str | Path, *, public_url: str = "http://127.0.0.1:8080", signing_key: str = "") -> None:
        self.root = Path(root).resolve()
        self.public_url = public_url.rstrip("/")
        self.signing_key = signing_key
        self._tmp = self.root / ".tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    # ---- paths ----------------------------------------------------------------------------
    def path(self, bucket: str, key: str) -> Path:
        return self.root / check_bucket(bucket) / check_key(key)

    def _meta_path(self, bucket: str, key: str) -> Path:
        return self.root / ".meta" / bucket / (key + ".json")

    def check_writable(self, bucket: str, key: str) -> str:
        """Folders are real here: a key cannot name an existing folder, nor use a file as a folder."""
        super().check_writable(bucket, key)
        path, base = self.path(bucket, key), self.bucket_dir(bucket)
        if path.is_dir():
            raise BadInputError(f"{key!r} is a folder in bucket {bucket}", code="InvalidParameterValue.Key")
        for parent in path.relative_to(base).parents:
            if parent != Path(".") and (base / parent).is_file():
                raise BadInputError(
                    f"{parent.as_posix()!r} is a file in bucket {bucket}; it cannot hold {key!r}",
                    code="InvalidParameterValue.Key",
                )
        return key

    def bucket_dir(self, bucket: str) -> Path:
        return self.root / check_bucket(bucket)

    def ensure_bucket(self, bucket: str) -> Path:
        path = self.bucket_dir(bucket)
        path.mkdir(parents=True, exist_ok=True)
        return path

    # ---- metadata -------------------------------------------------------------------------
    def _write_meta(
        self,
        bucket: str,
        key: str,
        stat: os.stat_result,
        etag: str,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        meta = self._meta_path(bucket, key)
        meta.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp / f"{uuid.uuid4().hex}.json"
        record = {
            "etag": etag,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "ino": stat.st_ino,  # with size and mtime: which file (version) the etag describes
            "content_type": content_type,
        }
        if headers:
            record["headers"] = headers
        tmp.write_text(json.dumps(record))
        os.replace(tmp, meta)

    def stored_headers(self, bucket: str, key: str) -> dict[str, str]:
        """The response headers kept with an object written through the COS API (x-cos-meta-*,
        Content-Disposition, ...); {} for other objects or when the file changed behind our back."""
        info = self.head(bucket, key)
        try:
            meta = json.loads(self._meta_path(bucket, key).read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return dict(meta.get("headers") or {}) if meta.get("etag") == info.etag else {}

    def head(self, bucket: str, key: str) -> ObjectInfo:
        path = self.path(bucket, key)
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise NotFoundError(f"no object {key!r} in bucket {bucket}", code="ResourceNotFound.Object") from None
        if not path.is_file():
            raise NotFoundError(f"no object {key!r} in bucket {bucket}", code="ResourceNotFound.Object")
        try:
            meta = json.loads(self._meta_path(bucket, key).read_text())
            fresh = meta["size"] == stat.st_size and meta["mtime_ns"] == stat.st_mtime_ns
        except (FileNotFoundError, ValueError, KeyError):
            meta, fresh = {}, False
        if not fresh:  # a file copied straight into the folder: compute its etag once
            content_type = meta.get("content_type") or guess_type(key)
            etag = _md5(path)
            self._write_meta(bucket, key, stat, etag, content_type)
            meta = {"etag": etag, "content_type": content_type}
        return ObjectInfo(bucket, key, stat.st_size, meta["etag"], stat.st_mtime, meta["content_type"])

    # ---- reads ----------------------------------------------------------------------------
    def open_read(self, bucket: str, key: str) -> BinaryIO:
        self.head(bucket, key)
        return self.path(bucket, key).open("rb")

    def download(self, bucket: str, key: str, dest: Path) -> ObjectInfo:
        info = self.head(bucket, key)
        shutil.copyfile(self.path(bucket, key), dest)
        return info

    def materialize(self, bucket: str, key: str, dest: Path) -> ObjectInfo:
        """A hard link, no copy: an object is replaced by renaming a new file into place, never by
        rewriting it, so the linked file keeps the version it had when linked. Where a link is
        impossible (another filesystem, a filesystem without links) the bytes are copied."""
        path = self.path(bucket, key)
        try:
            try:
                os.link(path, dest)
            except FileNotFoundError:
                raise
            except OSError:
                shutil.copy2(path, dest)
        except FileNotFoundError:
            raise NotFoundError(f"no object {key!r} in bucket {bucket}", code="ResourceNotFound.Object") from None
        return self._info_of_held(bucket, key, dest)

    def _info_of_held(self, bucket: str, key: str, held: Path) -> ObjectInfo:
        """The info of the version at ``held``: the sidecar's etag if the sidecar describes that very
        file (same inode, size and mtime), else the MD5 of ``held`` itself (a copy, or an object
        replaced between the link and the sidecar's update)."""
        stat = held.stat()
        try:
            meta = json.loads(self._meta_path(bucket, key).read_text())
            # A sidecar from before inodes were kept is trusted as head() trusts it: size and mtime.
            kept = (meta.get("ino", stat.st_ino), meta["size"], meta["mtime_ns"])
            same = kept == (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        except (FileNotFoundError, ValueError, KeyError):
            meta, same = {}, False
        etag = meta["etag"] if same else _md5(held)
        content_type = meta.get("content_type") or guess_type(key)
        return ObjectInfo(bucket, key, stat.st_size, etag, stat.st_mtime, content_type)

    def sorted_keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key under ``prefix`` in byte order (COS's listing order), walking only the folder
        the prefix names."""
        base = self.bucket_dir(bucket)
        folder = prefix.rpartition("/")[0]
        start = base / folder if folder else base
        if folder and any(part in ("", ".", "..") for part in folder.split("/")):
            return []
        keys: list[str] = []
        for dirpath, _dirnames, filenames in os.walk(start):
            for name in filenames:
                key = os.path.relpath(os.path.join(dirpath, name), base).replace(os.sep, "/")
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys, key=lambda k: k.encode())

    def list(self, bucket: str, prefix: str = "", limit: int = 1000) -> list[ObjectInfo]:
        base = self.bucket_dir(bucket)
        found: list[ObjectInfo] = []
        if not base.is_dir():
            return found
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                key = os.path.relpath(os.path.join(dirpath, name), base).replace(os.sep, "/")
                if key.startswith(prefix):
                    found.append(self.head(bucket, key))
                    if len(found) >= limit:
                        return found
        return found

    # ---- writes ---------------------------------------------------------------------------
    def put_stream(
        self, bucket: str, key: str, stream: Reader, content_type: str | None = None, max_bytes: int | None = None
    ) -> ObjectInfo:
        dest = self.path(bucket, key)
        tmp = self._tmp / uuid.uuid4().hex
        digest = hashlib.md5()
        written = 0
        try:
            with tmp.open("wb") as out:
                while chunk := stream.read(CHUNK):
                    written += len(chunk)
                    if max_bytes is not None and written > max_bytes:
                        raise BadInputError(f"object larger than {max_bytes} bytes", code="RequestSizeLimitExceeded")
                    digest.update(chunk)
                    out.write(chunk)
            return self._publish(tmp, dest, bucket, key, digest.hexdigest(), content_type)
        finally:
            tmp.unlink(missing_ok=True)

    @contextmanager
    def open_write(self, bucket: str, key: str, content_type: str) -> Iterator[Writer]:
        dest = self.path(bucket, key)
        tmp = self.temp_path()
        try:
            with tmp.open("wb") as out:
                hashed = _HashingWriter(out)
                yield hashed
            self._publish(tmp, dest, bucket, key, hashed.digest.hexdigest(), content_type)
        finally:
            tmp.unlink(missing_ok=True)

    def upload(self, bucket: str, key: str, src: Path, content_type: str | None = None) -> ObjectInfo:
        dest = self.path(bucket, key)
        tmp = self._tmp / uuid.uuid4().hex
        try:
            shutil.copyfile(src, tmp)
            return self._publish(tmp, dest, bucket, key, _md5(tmp), content_type)
        finally:
            tmp.unlink(missing_ok=True)

    def publish_file(
        self, bucket: str, key: str, src: Path, md5: str | None = None, content_type: str | None = None
    ) -> ObjectInfo:
        """A hard link renamed into place (the work directory and the buckets share the data dir's
        filesystem), with the caller's MD5 as the etag: no copy and no second read of the file."""
        dest = self.path(bucket, key)
        tmp = self.temp_path()
        try:
            try:
                os.link(src, tmp)
            except OSError:  # another filesystem: copy it
                shutil.copyfile(src, tmp)
            return self._publish(tmp, dest, bucket, key, md5 or _md5(tmp), content_type)
        finally:
            tmp.unlink(missing_ok=True)

    def temp_path(self) -> Path:
        """A fresh name on the same filesystem as the buckets, for ``publish``."""
        return self._tmp / uuid.uuid4().hex

    def publish(
        self,
        tmp: Path,
        bucket: str,
        key: str,
        etag: str,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """Rename a finished temporary file into place: readers see the old object or the new one."""
        return self._publish(tmp, self.path(bucket, key), bucket, key, etag, content_type, headers)

    def _publish(
        self,
        tmp: Path,
        dest: Path,
        bucket: str,
        key: str,
        etag: str,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> ObjectInfo:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
        stat = dest.stat()
        self._write_meta(bucket, key, stat, etag, content_type or guess_type(key), headers)
        return ObjectInfo(bucket, key, stat.st_size, etag, stat.st_mtime, content_type or guess_type(key))

    def delete(self, bucket: str, key: str) -> None:
        self.path(bucket, key).unlink(missing_ok=True)
        self._meta_path(bucket, key).unlink(missing_ok=True)

    # ---- URLs -----------------------------------------------------------------------------
    def presign(self, bucket: str, key: str, method: str, expires_in: int, download_name: str | None = None) -> str:
        check_bucket(bucket)
        check_key(key)
        disposition = ""
        if download_name:
            disposition = "attachment; filename*=UTF-8''" + _quote_filename(download_name)
        expires = int(time.time()) + int(expires_in)
        return self.public_url + signed_path(self.signing_key, method, bucket, key, expires, disposition)


class _HashingWriter:
    """Writes through to a file and keeps the MD5 (the object's ETag) of what went by."""

    def __init__(self, out: BinaryIO) -> None:
        self.out, self.digest = out, hashlib.md5()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()


def _quote_filename(name: str) -> str:
    return quote(name, safe="")


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
