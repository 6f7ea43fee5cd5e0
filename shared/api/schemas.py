"""Request and response shapes of the REST API (they also make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class UploadRequest(BaseModel):
    filename: str = Field(min_length=1, max_length=255, description="Name of the file, e.g. clip.mp4")
    key: str | None = Field(None, min_length=1, max_length=850,
                            description="Object key in the input bucket (default input/<random>/<filename>)")


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
    subtasks: list[SubtaskOut] | None = None


class TaskList(BaseModel):
    tasks: list[TaskOut]
    next_cursor: str | None


class Health(BaseModel):
    status: str
