"""Multi-file downloads where no gateway streams zips (the cloud): the zip of a subtask's outputs
is built once per subtask attempt into the output bucket, streamed member by member into a
multipart upload (never whole in memory or on disk), and handed out as a presigned URL. A later
request finds the object and reuses it; a restart (new attempt) gets its own zip.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

from shared.domain.errors import NotFoundError
from shared.domain.model import Subtask, Task
from shared.services.zipstream import stream_zip
from shared.storage.port import ObjectInfo, Storage


def zip_key(task: Task, sub: Subtask) -> str:
    """Beside the outputs, named by index and attempt (the output bucket triggers nothing)."""
    folder = task.output_dir.strip("/") or f"output/{task.task_id}"
    return posixpath.join(folder, "zip", f"{sub.index}_{sub.type.lower()}_attempt{sub.attempt}.zip")


def ensure_zip(storage: Storage, bucket: str, key: str, members: Iterable[tuple[str, str, str]]) -> ObjectInfo:
    """The zip at ``bucket/key``, built from ``members`` (name in zip, bucket, key) if absent.
    A multipart upload appears only when complete, so an object found is a whole zip."""
    try:
        return storage.head(bucket, key)
    except NotFoundError:
        pass
    with storage.open_write(bucket, key, "application/zip") as out:
        stream_zip(storage, members, out)
    return storage.head(bucket, key)


def stored_zip_download(
    storage: Storage, task: Task, sub: Subtask, files: list[dict[str, Any]], life: int, filename: str
) -> dict[str, Any]:
    members = [(posixpath.basename(o["key"]), o["bucket"], o["key"]) for o in files]
    key = zip_key(task, sub)
    ensure_zip(storage, task.output_bucket, key, members)
    url = storage.presign(task.output_bucket, key, "GET", life, download_name=filename)
    return {"url": url, "filename": filename, "files": len(files), "expires_in": life}
