"""Task ids in the MPS shape: ``{appid}-WorkflowTask-{32 hex}t0``."""

from __future__ import annotations

import hashlib
import re
import secrets

TASK_ID_RE = re.compile(r"^\d{1,20}-WorkflowTask-[0-9a-f]{32}t\d+$")


def upload_task_id(appid: str, bucket: str, key: str, etag: str, workflow_id: str) -> str:
    """Deterministic: the same object version matched by the same rule is the same task, so a
    duplicated COS event creates nothing new."""
    material = "\x1f".join([bucket, key, etag.strip('"'), workflow_id]).encode()
    return f"{appid}-WorkflowTask-{hashlib.sha256(material).hexdigest()[:32]}t0"


def random_task_id(appid: str) -> str:
    return f"{appid}-WorkflowTask-{secrets.token_hex(16)}t0"


def is_task_id(value: str) -> bool:
    return bool(TASK_ID_RE.match(value))
