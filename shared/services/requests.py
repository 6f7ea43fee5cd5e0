"""What callers may send: the request bodies of the task, upload, template and workflow use cases.

These models are the one validator of a request's shape (types, lengths, allowed values, unknown
fields); the services check only what needs the installation or the table (which buckets exist,
whether the object or template does). Each field keeps the error code the API has always answered.
The `subtasks` lists are typed by the subtask-kind registry's entry model (shared/domain/subtask_spec.py).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, StrictBool

from shared.domain import clock
from shared.domain.notify import NOTIFY_KEY_MAX, NOTIFY_URL_MAX, NotifyConfig
from shared.domain.status import TaskStatus
from shared.domain.subtask_spec import SubtaskEntries
from shared.services.contract import RequestModel, coded
from shared.services.templates import COMMENT_MAX, NAME_MAX

SESSION_ID_MAX = 256
SESSION_CONTEXT_MAX = 1000
TASK_OUTPUT_DIR_MAX = 512
WORKFLOW_OUTPUT_DIR_MAX = 256
PREFIX_MAX = 256
SUFFIXES_MAX = 50
_SUFFIX_RE = re.compile(r"^\.*[A-Za-z0-9]{1,10}$")
SUBTASKS_HELP = '[{"type": "Transcode", "definition": 100030}, ...]'
DEFAULT_OUTPUT_DIR = "output/{task_id}/"
TASK_STATUSES = tuple(s.value for s in TaskStatus)
MAX_LIST_LIMIT = 100


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value


def _relative_prefix(value: str) -> str:
    if value.startswith("/") or ".." in value.split("/"):
        raise ValueError("not a relative prefix")
    return value


# ---- tasks ---------------------------------------------------------------------------------------
_INPUT = coded("InvalidParameter.Input", "input needs bucket and key")


class TaskInput(RequestModel):
    bucket: Annotated[str, _INPUT] = Field(description="the input or the output bucket of this installation")
    key: Annotated[str, _INPUT] = Field(description="key of an existing object")


class TaskOutput(RequestModel):
    bucket: Annotated[
        str | None, coded("InvalidParameterValue.OutputBucket", "output bucket must be the name of a bucket")
    ] = Field(None, description="default: the output bucket")
    dir: Annotated[
        str,
        Field(max_length=TASK_OUTPUT_DIR_MAX),
        coded("InvalidParameterValue.OutputDir", "output dir must be a string"),
    ] = Field(DEFAULT_OUTPUT_DIR, description="folder of the outputs; {task_id} is replaced by the task's id")


SessionId = Annotated[
    str | None,
    Field(max_length=SESSION_ID_MAX),
    coded("InvalidParameterValue.Session_Id", "session_id must be a short string", only=("string_too_long",)),
]
SessionContext = Annotated[
    str | None,
    Field(max_length=SESSION_CONTEXT_MAX),
    coded("InvalidParameterValue.Session_Context", "session_context must be a short string", only=("string_too_long",)),
]


class NotifyRequest(RequestModel):
    """MPS TaskNotifyConfig with NotifyType URL: an HTTP POST of the event to ``url``."""

    url: Annotated[
        str,
        Field(min_length=1, max_length=NOTIFY_URL_MAX),
        coded("InvalidParameterValue.NotifyUrl", "notify url must be an http(s) URL"),
    ] = Field(description="http(s) URL that receives a POST of each event")
    mode: Annotated[
        Literal["finish", "change"],
        coded("InvalidParameterValue.NotifyMode", "notify mode must be finish or change"),
    ] = Field("finish", description="finish: one event when the task finishes; change: every subtask change too")
    key: Annotated[
        str | None,
        Field(max_length=NOTIFY_KEY_MAX),
        coded("InvalidParameterValue.NotifyKey", "notify key must be a string of at most 256 characters"),
    ] = Field(None, description="signs events: MPS Sign (MD5) and X-Openmps-Signature (HMAC-SHA256)")
    key_set: bool | None = Field(None, description="read-only (GET shows it instead of the key); ignored")

    def config(self) -> NotifyConfig:
        return NotifyConfig(url=self.url, mode=self.mode, key=self.key or None)


NotifyField = Annotated[
    NotifyRequest | None, coded("InvalidParameter.Notify", "notify must be an object with url, mode and key")
]


class CreateTaskRequest(RequestModel):
    input: TaskInput = Field(description='{"bucket", "key"} of an existing object')
    output: TaskOutput = Field(default_factory=TaskOutput, description='{"bucket", "dir"}; dir may contain {task_id}')
    subtasks: SubtaskEntries = Field(description=SUBTASKS_HELP)
    session_id: SessionId = Field(None, description="the same id within 3 days returns the first task")
    session_context: SessionContext = None
    notify: NotifyField = Field(None, description='{"url", "mode": "finish" | "change", "key"}: event notifications')
    origin: Annotated[
        Literal["api", "console"],
        coded("InvalidParameterValue.Origin", "origin must be one of ('api', 'console')"),
    ] = Field("api", description="api | console")


# ---- uploads -------------------------------------------------------------------------------------
class UploadRequest(RequestModel):
    filename: str = Field(min_length=1, max_length=255, description="Name of the file, e.g. clip.mp4")
    key: str | None = Field(
        None,
        min_length=1,
        max_length=850,
        description="Object key in the input bucket (default input/<random>/<filename>)",
    )


# ---- templates -----------------------------------------------------------------------------------
class TemplateRequest(RequestModel):
    """Identity fields, then the parameters of the template's type, flat (as GET shows them).

    The parameters are checked by the type's own rules, which refuse an unknown one."""

    model_config = ConfigDict(extra="allow")

    type: Annotated[
        str | None,
        coded(
            "InvalidParameterValue.Type",
            "type must be one of Transcode, Snapshot, ContentAnalysis, ContentReview, Enhancement",
        ),
    ] = Field(None, description="Transcode | Snapshot | ContentReview | ContentAnalysis | Enhancement")
    name: Annotated[
        str,
        Field(max_length=NAME_MAX),
        AfterValidator(_not_blank),
        coded("InvalidParameterValue.Name", f"name is required, at most {NAME_MAX} characters"),
    ]
    comment: Annotated[
        str | None,
        Field(max_length=COMMENT_MAX),
        coded("InvalidParameterValue.Comment", f"comment is at most {COMMENT_MAX} characters"),
    ] = None
    # What GET shows besides the parameters; accepted so a template read back can be posted back.
    definition: int | None = Field(None, description="read-only; ignored")
    preset: bool | None = Field(None, description="read-only; ignored")
    create_time: str | None = Field(None, description="read-only; ignored")
    update_time: str | None = Field(None, description="read-only; ignored")

    def as_body(self) -> dict[str, Any]:
        """Identity and parameters, without the read-only fields, for the template catalog."""
        body: dict[str, Any] = {"name": self.name, "comment": self.comment or "", **(self.model_extra or {})}
        if self.type is not None:
            body["type"] = self.type
        return body


# ---- workflows -----------------------------------------------------------------------------------
class WorkflowOutput(RequestModel):
    bucket: Annotated[
        str | None, coded("InvalidParameterValue.OutputBucket", "output bucket must be the input or the output bucket")
    ] = Field(None, description="default: the output bucket")
    dir: Annotated[
        str,
        Field(max_length=WORKFLOW_OUTPUT_DIR_MAX),
        coded("InvalidParameterValue.OutputDir", "output dir must be a string"),
    ] = Field(DEFAULT_OUTPUT_DIR, description="folder of the outputs; {task_id} is replaced by the task's id")


class WorkflowRequest(RequestModel):
    name: Annotated[
        str,
        Field(max_length=64),
        AfterValidator(_not_blank),
        coded("InvalidParameterValue.Name", "name is required, at most 64 characters"),
    ]
    bucket: Annotated[str | None, coded("InvalidParameterValue.Bucket", "bucket must be the input bucket")] = Field(
        None, description="the bucket watched: the input bucket (default)"
    )
    prefix: Annotated[
        str,
        Field(max_length=PREFIX_MAX),
        AfterValidator(_relative_prefix),
        coded("InvalidParameterValue.Prefix", "prefix must be a relative key prefix such as input/"),
    ] = ""
    suffixes: Annotated[
        list[Annotated[str, Field(pattern=_SUFFIX_RE.pattern)]],
        Field(max_length=SUFFIXES_MAX),
        coded("InvalidParameterValue.Suffixes", "suffixes must be a list of file extensions such as mp4"),
    ] = Field(default_factory=list, description="file extensions, e.g. mp4; none: every file")
    subtasks: SubtaskEntries = Field(description=SUBTASKS_HELP)
    output: Annotated[
        WorkflowOutput | None, coded("InvalidParameter.Output", "output must be an object with bucket and dir")
    ] = None
    enabled: Annotated[StrictBool, coded("InvalidParameterValue.Enabled", "enabled must be true or false")] = True
    notify: NotifyField = Field(None, description="event notifications of the tasks the workflow creates")
    # What GET shows besides the rule; accepted so a workflow read back can be put back.
    workflow_id: str | None = Field(None, description="read-only; ignored")
    create_time: str | None = Field(None, description="read-only; ignored")
    update_time: str | None = Field(None, description="read-only; ignored")


class MatchRequest(RequestModel):
    bucket: str
    key: Annotated[
        str,
        Field(min_length=1),
        coded("InvalidParameter.Match", "bucket and key are required", only=("string_too_short",)),
    ]


# ---- task list ---------------------------------------------------------------------------------
def _task_status(value: str) -> str:
    wanted = value.upper()
    if wanted not in TASK_STATUSES:
        raise ValueError("not a task status")
    return wanted


def _iso_time(value: str) -> str:
    return clock.iso(clock.parse_iso(value))  # ValueError -> the field's code


def _time_bound(name: str) -> Any:
    return Annotated[
        str | None,
        AfterValidator(lambda v: v and _iso_time(v)),
        coded(
            f"InvalidParameterValue.{name.title().replace('_', '')}",
            f"{name} must be an ISO-8601 time such as 2026-01-31T00:00:00Z",
        ),
    ]


# The list's query parameters (each one a query parameter of its own, so the OpenAPI keeps its limits).
StatusFilter = Annotated[
    str | None,
    AfterValidator(lambda v: v if v is None else _task_status(v)),
    coded("InvalidParameterValue.Status", f"status must be one of {list(TASK_STATUSES)}"),
]
CreatedFrom = _time_bound("created_from")
CreatedTo = _time_bound("created_to")
