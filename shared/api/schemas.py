"""Response shapes of the REST API (they also make the OpenAPI document).

Request bodies are the use cases' own models, in shared/services/requests.py.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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


class SignedUrl(BaseModel):
    url: str
    expires_in: int
    content_type: str


class ViewItem(BaseModel):
    model_config = {"extra": "allow"}
    url: str
    name: str
    content_type: str


class SpriteCueOut(BaseModel):
    start: float = Field(description="seconds into the input where this cell's time begins")
    end: float
    sheet: str = Field(description="file name of the sheet holding the cell (an item's name)")
    x: int
    y: int
    w: int
    h: int


class SpriteThumbnails(BaseModel):
    track: ViewItem = Field(description="the WebVTT thumbnail track itself")
    cues: list[SpriteCueOut]


class ViewOut(BaseModel):
    kind: str
    items: list[ViewItem]
    result: dict[str, Any] | None = Field(None, description="the summary kept on the subtask")
    result_url: str | None = Field(None, description="signed URL of the full result JSON")
    thumbnails: SpriteThumbnails | None = Field(None, description="a sprite's cells by time, from its WebVTT")
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


class TaskChanges(BaseModel):
    token: str = Field(description="opaque; a different token means some task of the account changed")


class TemplateList(BaseModel):
    templates: list[dict[str, Any]]


class WorkflowList(BaseModel):
    workflows: list[dict[str, Any]]


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
    message: str | None = Field(description="English, for scripts; the console renders message_code")
    message_code: str | None = Field(None, description="stable key of the message (the console's i18n tables)")
    message_params: dict[str, Any] = Field(default_factory=dict, description="values the message quotes")
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
    message: str | None = Field(description="English, for scripts; the console renders message_code")
    message_code: str | None = Field(None, description="stable key of the message (the console's i18n tables)")
    message_params: dict[str, Any] = Field(default_factory=dict, description="values the message quotes")
    session_id: str | None = None
    session_context: str | None = None
    notify: dict[str, Any] | None = None
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
    status: str = Field(description="ok, or degraded when a part does not answer")
    table: str = Field(description="ok | unavailable")
    storage: str = Field(description="ok | unavailable")
