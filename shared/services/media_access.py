"""Play, view and download: signed URLs for a task's input and its subtasks' outputs.

Everything handed out is a signed URL bound to one object (or, for a zip, one subtask's file
list) and one method, with a capped lifetime. HLS playlists are served rewritten, each segment
line replaced by its own signed URL, so a player never needs the API token.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import time
from typing import Any
from urllib.parse import quote

from shared.domain import kinds
from shared.domain.errors import AuthError, BadInputError, ConflictError, NotFoundError
from shared.domain.model import Subtask, Task
from shared.domain.signatures import same_signature
from shared.domain.status import SubtaskStatus
from shared.services.buckets import check_bucket_owner
from shared.services.deps import Deps
from shared.services.operations import owned_task
from shared.services.queries import subtask_view
from shared.services.sprite_view import sprite_thumbnails
from shared.services.stored_zip import stored_zip_download
from shared.storage.port import guess_type

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


def ttl(deps: Deps, requested: int | None) -> int:
    limit = deps.settings.url_ttl_max_seconds
    if requested is None:
        return min(deps.settings.url_ttl_seconds, limit)
    if not 1 <= requested <= limit:
        raise BadInputError(f"expires_in must be between 1 and {limit} seconds", code="InvalidParameterValue.ExpiresIn")
    return requested


def owned_subtask(deps: Deps, account: str, task_id: str, index: int) -> tuple[Task, Subtask]:
    task = owned_task(deps, account, task_id)
    sub = deps.tasks.get_subtask(task_id, index)
    if sub is None:
        raise NotFoundError(f"task {task_id} has no subtask {index}", code="ResourceNotFound.Subtask")
    return task, sub


def source(deps: Deps, account: str, task_id: str, expires_in: int | None) -> dict[str, Any]:
    task = owned_task(deps, account, task_id)
    life = ttl(deps, expires_in)
    if task.input_url:  # an http(s) input (MPS URL input) is its own link
        return {"url": task.input_url, "expires_in": life, "content_type": guess_type(task.input_key)}
    check_bucket_owner(deps, account, task.input_bucket)  # a task recorded before buckets were owned
    head = deps.storage.head(task.input_bucket, task.input_key)
    return {
        "url": deps.storage.presign(task.input_bucket, task.input_key, "GET", life),
        "expires_in": life,
        "content_type": head.content_type,
    }


def _name(output: dict[str, Any]) -> str:
    return posixpath.basename(output["key"])


def _result_files(sub: Subtask) -> list[dict[str, Any]]:
    """The files of the result (evidence frames, covers, the full JSON); not outputs."""
    files = (sub.result or {}).get("result_files")
    return files if isinstance(files, list) else []


def _playable(sub: Subtask) -> list[dict[str, Any]]:
    """What a viewer shows: media and images, not result JSON or VTT side files. Subtasks recorded
    before results had their own files kept evidence and covers among the outputs."""
    return [o for o in [*sub.outputs, *_result_files(sub)] if not o["key"].endswith((".json", ".vtt", ".ts"))]


def view(deps: Deps, account: str, task_id: str, index: int, expires_in: int | None) -> dict[str, Any]:
    task, sub = owned_subtask(deps, account, task_id, index)
    if sub.status != SubtaskStatus.SUCCESS:
        raise ConflictError(
            f"subtask {index} is {sub.status.value}; there is nothing to view yet",
            code="FailedOperation.SubtaskNotSucceeded",
        )
    life = ttl(deps, expires_in)
    items = []
    for out in _playable(sub):
        item: dict[str, Any] = {
            "name": _name(out),
            "key": out["key"],
            "content_type": guess_type(out["key"]),
            **{k: out[k] for k in ("time_offset", "width", "height", "duration", "size") if k in out},
        }
        if out["key"].endswith(".m3u8"):
            item["url"] = playlist_url(deps, task, sub, out["key"], life)
            item["content_type"] = "application/vnd.apple.mpegurl"
        else:
            item["url"] = deps.storage.presign(out["bucket"], out["key"], "GET", life)
        items.append(item)
    kind = kinds.get(sub.type).view_kind
    full = next((o for o in [*_result_files(sub), *sub.outputs] if o["key"].endswith("_result.json")), None)
    result_url = deps.storage.presign(full["bucket"], full["key"], "GET", life) if full else None
    shown = {"kind": kind, "items": items, "result": sub.result, "result_url": result_url, "expires_in": life}
    thumbnails = sprite_thumbnails(deps, sub, life)
    return shown if thumbnails is None else {**shown, "thumbnails": thumbnails}


# ---- HLS playlists ---------------------------------------------------------------------------
def _playlist_sig(secret: str, task_id: str, index: int, key: str, expires: int) -> str:
    message = "\n".join(["playlist", task_id, str(index), key, str(expires)]).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def playlist_url(deps: Deps, task: Task, sub: Subtask, key: str, life: int) -> str:
    expires = int(time.time()) + life
    sig = _playlist_sig(deps.settings.signing_key, task.task_id, sub.index, key, expires)
    return (
        f"{deps.settings.public_url}/api/v1/play/{task.task_id}/{sub.index}/"
        f"{quote(posixpath.basename(key))}?expires={expires}&sig={sig}"
    )


def signed_playlist(deps: Deps, task_id: str, index: int, name: str, expires: int, sig: str) -> str:
    """The playlist text with every segment replaced by a signed URL valid as long as the link."""
    sub = deps.tasks.get_subtask(task_id, index)
    task = deps.tasks.get_task(task_id)
    match = [o for o in (sub.outputs if sub else []) if _name(o) == name and name.endswith(".m3u8")]
    key = match[0]["key"] if task is not None and match else ""
    expected = _playlist_sig(deps.settings.signing_key, task_id, index, key, expires)
    # One answer for a missing playlist and a bad link: this route takes no token, so telling them
    # apart would let anyone probe which task ids exist.
    if task is None or not key or not same_signature(expected, sig) or time.time() > expires:
        raise AuthError("the playlist link is invalid or expired", code="AuthFailure.SignatureExpire")
    life = max(1, expires - int(time.time()))
    base = posixpath.dirname(key)
    with deps.storage.open_read(task.output_bucket, key) as f:
        text = f.read(1024 * 1024).decode("utf-8", errors="replace")
    lines = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            segment = posixpath.normpath(posixpath.join(base, line))
            if not segment.startswith(base + "/"):
                raise NotFoundError("playlist refers outside its folder", code="ResourceNotFound.Playlist")
            line = deps.storage.presign(task.output_bucket, segment, "GET", life)
        lines.append(line)
    return "\n".join(lines) + "\n"


# ---- downloads -------------------------------------------------------------------------------
def _zip_sig(secret: str, task_id: str, index: int, attempt: int, expires: int) -> str:
    message = "\n".join(["zip", task_id, str(index), str(attempt), str(expires)]).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def download(deps: Deps, account: str, task_id: str, index: int, expires_in: int | None) -> dict[str, Any]:
    task, sub = owned_subtask(deps, account, task_id, index)
    if not kinds.get(sub.type).downloadable:
        raise ConflictError(
            f"{sub.type} subtasks have results to view, not files to download",
            code="FailedOperation.NoDownloadableOutput",
        )
    if sub.status != SubtaskStatus.SUCCESS or not sub.outputs:
        raise ConflictError(
            f"subtask {index} is {sub.status.value}; there is nothing to download",
            code="FailedOperation.SubtaskNotSucceeded",
        )
    life = ttl(deps, expires_in)
    files = [o for o in sub.outputs if not o["key"].endswith("_result.json")]
    if len(files) == 1:
        out = files[0]
        name = _name(out)
        return {
            "url": deps.storage.presign(out["bucket"], out["key"], "GET", life, download_name=name),
            "filename": name,
            "files": 1,
            "expires_in": life,
        }
    filename = f"{task_id}_{index}_{sub.type.lower()}.zip"
    if deps.settings.storage == "cos":  # no gateway streams zips in the cloud: build one into the bucket
        return stored_zip_download(deps.storage, task, sub, files, life, filename)
    expires = int(time.time()) + life
    sig = _zip_sig(deps.settings.signing_key, task_id, index, sub.attempt, expires)
    url = f"{deps.settings.public_url}/zip/{task_id}/{index}/{quote(filename)}?expires={expires}&sig={sig}"
    return {"url": url, "filename": filename, "files": len(files), "expires_in": life}


def zip_members(deps: Deps, task_id: str, index: int, expires: int, sig: str) -> list[tuple[str, str, str]]:
    """(name in zip, bucket, key) for a signed zip link; checked against the current attempt."""
    sub = deps.tasks.get_subtask(task_id, index)
    if sub is None:
        raise NotFoundError("no such subtask", code="ResourceNotFound.Subtask")
    expected = _zip_sig(deps.settings.signing_key, task_id, index, sub.attempt, expires)
    if not same_signature(expected, sig) or time.time() > expires:
        raise AuthError("the download link is invalid or expired", code="AuthFailure.SignatureExpire")
    return [(_name(o), o["bucket"], o["key"]) for o in sub.outputs if not o["key"].endswith("_result.json")]


def subtask_detail(deps: Deps, account: str, task_id: str, index: int) -> dict[str, Any]:
    _task, sub = owned_subtask(deps, account, task_id, index)
    return {
        **subtask_view(sub),
        "params": sub.template.get("params", {}),
        "log_tail": sub.log_tail,
        "result": sub.result,
        "tries": sub.tries,
        "heartbeat": sub.heartbeat,
    }
