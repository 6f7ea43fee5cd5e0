"""The task and subtask records as the domain sees them (the store converts to and from items)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.domain.media_errors import TERMINATED
from shared.domain.notify import NotifyConfig
from shared.domain.status import SubtaskCounts, SubtaskStatus, TaskStatus


@dataclass
class Subtask:
    task_id: str
    index: int
    type: str
    account: str
    template: dict[str, Any]  # snapshot: definition, name, type, params
    status: SubtaskStatus = SubtaskStatus.WAITING
    attempt: int = 0
    tries: int = 0  # runs started within this attempt (the reconciler retries a lost run once)
    begin_time: str | None = None
    finish_time: str | None = None
    progress: int = 0
    heartbeat: str | None = None
    claim_token: str | None = None
    err_code: str | None = None
    message: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    log_tail: str | None = None
    queued_time: str | None = None


@dataclass
class Task:
    task_id: str
    account: str
    create_time: str
    input_bucket: str
    input_key: str
    output_bucket: str
    output_dir: str
    origin: str  # upload | api | console
    status: TaskStatus = TaskStatus.WAITING
    attempt: int = 0
    rev: int = 0  # optimistic-lock revision of the task item
    begin_process_time: str | None = None
    finish_time: str | None = None
    workflow_id: str | None = None
    input_etag: str | None = None
    input_size: int | None = None
    counts: SubtaskCounts = field(default_factory=SubtaskCounts)
    err_code: str | None = None
    message: str | None = None
    session_id: str | None = None
    session_context: str | None = None
    input_url: str | None = None  # an http(s) input (MPS UrlInputInfo); then input_key only names it
    priority: int = 0  # MPS TasksPriority, -10..10
    metadata: dict[str, Any] | None = None  # the input's probe, written by the first worker to probe it
    history: list[dict[str, Any]] = field(default_factory=list)
    notify: NotifyConfig | None = None  # event notifications the task sends (MPS TaskNotifyConfig)

    @property
    def has_failed(self) -> bool:
        """Finished with failed subtasks; a terminated task is not a failure of its own."""
        return self.status == TaskStatus.FINISH and self.counts.fail > 0 and self.err_code != TERMINATED
