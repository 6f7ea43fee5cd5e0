"""A worker's input: the task's own buckets only, the object version that made the task.

Every worker run reads its input through here (one place for the bucket ownership check, the
size limit, the URL policy and the "object replaced since the task was made" check).
"""

from __future__ import annotations

from pathlib import Path

from shared.domain import media_errors
from shared.domain.errors import MediaError, NotFoundError, PermanentProcessingError
from shared.domain.model import Task
from shared.runtime.url_policy import fetch_to_file
from shared.services.buckets import buckets_of
from shared.services.deps import Deps


def fetch_input(deps: Deps, task: Task, dest: Path) -> None:
    if task.input_url:
        settings = deps.settings
        fetch_to_file(
            task.input_url,
            dest,
            allow_private=settings.private_urls_allowed,
            max_bytes=settings.max_input_bytes,
            timeout=settings.url_fetch_timeout_seconds,
        )
        return
    try:
        head = deps.storage.head(task.input_bucket, task.input_key)
    except NotFoundError:
        raise PermanentProcessingError(
            f"the input object {task.input_key!r} no longer exists in bucket {task.input_bucket}",
            code=media_errors.INPUT_NOT_FOUND,
        ) from None
    if head.size > deps.settings.max_input_bytes:
        raise MediaError(
            f"the input is {head.size} bytes; the limit is {deps.settings.max_input_bytes}",
            code=media_errors.MEDIA_TOO_LARGE,
        )
    check_same_object(task, head.etag)
    try:
        # No copy where the storage can avoid one (a hard link on the local stack); the etag is
        # that of the very bytes now at ``dest``, so a replacement in between is always caught.
        held = deps.storage.materialize(task.input_bucket, task.input_key, dest)
    except NotFoundError:
        raise PermanentProcessingError(
            f"the input object {task.input_key!r} no longer exists in bucket {task.input_bucket}",
            code=media_errors.INPUT_NOT_FOUND,
        ) from None
    check_same_object(task, held.etag)


def _etag(value: str) -> str:
    return value.strip().strip('"').lower()


def check_same_object(task: Task, etag: str) -> None:
    """A task processes the object version that made it; a newer upload has its own task."""
    if task.input_etag and _etag(etag) != _etag(task.input_etag):
        raise PermanentProcessingError(
            f"the input object {task.input_key!r} was replaced after this task was created "
            f"(etag {task.input_etag} then, {etag} now); the newer version has its own task",
            code=media_errors.INPUT_CHANGED,
        )


def check_buckets(deps: Deps, task: Task) -> None:
    """Reads and writes only in the task's own account's buckets, whatever the record says."""
    named = [task.output_bucket] if task.input_url else [task.input_bucket, task.output_bucket]
    mine = buckets_of(deps, task.account)  # one account lookup for both buckets
    for bucket in named:
        if bucket not in mine:
            raise PermanentProcessingError(
                f"bucket {bucket} is not a bucket of account {task.account}", code=media_errors.BUCKET_NOT_OWNED
            )
