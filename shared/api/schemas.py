"""Request and response shapes of the REST API (they also make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from shared.domain.subtask_spec import SubtaskEntries


class UploadRequest(BaseModel):
    filename: str = Field(min_length=1, max_length=255, description="Name of the file, e.g. clip.mp4")
    key: str | None = Field(
        None,
        min_length=1,
        max_length=850,
        description="Object key in the input bucket (default input/<random>/<filename>)",
    )


class UploadTicket(BaseModel):
    bucket: str
    key: str
    upload_url: str
    method: str
    expires_in: int


class Location(BaseModel):
    bucket: str
    key: str | None = None
    dir: str | None = None


class CreateTaskRequest(BaseModel):
    input: dict[str, Any] = Field(description='{"bucket", "key"} of an existing object')
    output: dict[str, Any] = Field(default_factory=dict, description='{"bucket", "dir"}; dir may contain {task_id}')
    subtasks: SubtaskEntries = Field(description="what to run: one entry per subtask")
    session_id: str | None = Field(None, description="the same id within 3 days returns the first task")
    session_context: str | None = None
    origin: str | None = Field(None, description="api | console")


class SignedUrl(BaseModel):
    url: str
    expires_in: int
    content_type: str


class ViewItem(BaseModel):
    model_config = {"extra": "allow"}
    url: str
    name: str
    content_type: str


class ViewOut(BaseModel):
    kind: str
    items: list[ViewItem]
    result: dict[str, Any] | None = Field(None, description="the summary kept on the subtask")
    result_url: str | None = Field(None, description="signed URL of the full result JSON")
    expires_in: int


class DownloadOut(BaseModel):
    url: str
    filename: str
    files: int
    expires_in: int


class TaskCounts(BaseModel):
    waiting: int
    processing: int
    finish: int
    failed: int
    total: int


class TemplateList(BaseModel):
    templates: list[dict[str, Any]]


class WorkflowList(BaseModel):
    workflows: list[dict[str, Any]]


class MatchRequest(BaseModel):
    bucket: str
    key: str


class Deleted(BaseModel):
    deleted: str


class SubtaskOut(BaseModel):
    index: int
    type: str
    status: str
    attempt: int
    template: dict[str, Any]
    begin_time: str | None
    finish_time: str | None
    progress: int
    err_code: str | None
    message: str | None
    outputs: list[dict[str, Any]]


class TaskOut(BaseModel):
    task_id: str
    status: str
    create_time: str
    begin_process_time: str | None
    finish_time: str | None
    input: Location
    output: Location
    origin: str
    workflow_id: str | None
    attempt: int
    subtask_counts: dict[str, int]
    has_failed: bool
    err_code: str | None
    message: str | None
    session_id: str | None = None
    session_context: str | None = None
    subtasks: list[SubtaskOut] | None = None
    history: list[dict[str, Any]] | None = None


class SubtaskDetail(SubtaskOut):
    params: dict[str, Any]
    log_tail: str | None
    result: dict[str, Any] | None
    tries: int
    heartbeat: str | None


class TaskList(BaseModel):
    tasks: list[TaskOut]
    next_cursor: str | None


class Health(BaseModel):
    status: str
