"""What callers may send: the request bodies of the task, upload, template and workflow use cases.

These models are the one validator of a request's shape (types, lengths, allowed values, unknown
fields); the services check only what needs the installation or the table (which buckets exist,
whether the object or template does). Each field keeps the error code the API has always answered.
The `subtasks` lists are typed by the subtask-kind registry's entry model (shared/domain/subtask_spec.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, JsonValue, StrictBool, StrictInt, StrictStr, WithJsonSchema

from shared.domain import clock, kinds
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


# The characters str.strip() removes (str.isspace), spelled out: ``\s`` is a different set to each
# engine that reads these patterns -- Python's (this list), pydantic's Rust regex (Unicode White_Space:
# not U+001C..U+001F), a JSON Schema client's ECMA-262 (U+FEFF too; not U+0085 nor U+001C..U+001F) --
# so a name of U+001F passed "\S" in the document and in pydantic, then stripped to nothing.
STRIPPED_CHARS = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# "Some character that str.strip() keeps", as a pattern so the OpenAPI document says it too.
NOT_BLANK = rf"[^{STRIPPED_CHARS}]"


# Key rules said as patterns, so the OpenAPI document states what the server enforces (a rule in
# an AfterValidator left "/" schema-valid, then refused). A segment here is any non-empty one but
# ".." itself: one not starting with ".", "." alone, "." then a non-dot, or ".." then more.
_SEGMENT = r"(?:[^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+|\.)"
# A workflow's prefix: relative (not from /), no ".." segment.
RELATIVE_PREFIX = rf"^(?:{_SEGMENT}(?:/{_SEGMENT}?)*)?$"
# An output dir: no ".." segment (a leading / is dropped, as render_output_dir does).
NO_PARENT_SEGMENT = rf"^{_SEGMENT}?(?:/{_SEGMENT}?)*$"


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
        Field(max_length=TASK_OUTPUT_DIR_MAX, pattern=NO_PARENT_SEGMENT),
        coded("InvalidParameterValue.OutputDir", "output dir must be a folder path without .. segments"),
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


# What check_url (shared/runtime/url_policy.py) takes, as far as a pattern can say it: http(s), a
# host name or IPv4 address without credentials, a port from 1 to 65535, no spaces or control
# characters. Whether the host resolves, and to an address the installation allows, is the network's
# answer at request time (400 with the host in message_params). IPv6 literals are not taken.
_PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
NOTIFY_URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9._~%!$&'()*+,;=-]+(?::{_PORT})?(?:[/?#][^{STRIPPED_CHARS}\x00-\x1f]*)?$"
)


class NotifyRequest(RequestModel):
    """MPS TaskNotifyConfig with NotifyType URL: an HTTP POST of the event to ``url``."""

    url: Annotated[
        str,
        Field(min_length=1, max_length=NOTIFY_URL_MAX, pattern=NOTIFY_URL_PATTERN),
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
    # strict, so what the document calls a boolean is one
    key_set: StrictBool | None = Field(None, description="read-only (GET shows it instead of the key); ignored")

    def config(self) -> NotifyConfig:
        return NotifyConfig(url=self.url, mode=self.mode, key=self.key or None)


NotifyField = Annotated[
    NotifyRequest | None, coded("InvalidParameter.Notify", "notify must be an object with url, mode and key")
]


JsonDict = dict[str, JsonValue]
# A local installation's default input bucket (Settings.input_bucket) and a key in it, for the
# document's examples; schemathesis' examples phase sends them too.
EXAMPLE_INPUT: JsonDict = {"bucket": "openmps-input-1250000000", "key": "input/example/clip.mp4"}
EXAMPLE_SUBTASK: JsonDict = {"type": "Snapshot", "definition": 10, "kind": "sampled"}


class CreateTaskRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"input": EXAMPLE_INPUT, "subtasks": [EXAMPLE_SUBTASK]}]})

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
    # The pattern says what create_upload checks: the part after the last / or \\ names a file.
    filename: Annotated[
        str,
        Field(min_length=1, max_length=255, pattern=rf"[^/\\{STRIPPED_CHARS}.][^/\\]*$"),
        coded(
            "InvalidParameterValue.Filename",
            "filename must name a file, e.g. clip.mp4",
            only=("string_pattern_mismatch",),
        ),
    ] = Field(description="Name of the file, e.g. clip.mp4")
    key: str | None = Field(
        None,
        min_length=1,
        max_length=850,
        description="Object key in the input bucket (default input/<random>/<filename>)",
    )


# ---- templates -----------------------------------------------------------------------------------
# The subtask kinds' names: checked against the registry when a request comes (a kind registered
# later is a type too), and listed in the OpenAPI document as the registry had them at import.
def _known_kind(value: str) -> str:
    if value not in kinds.names():
        raise ValueError("not a subtask kind")
    return value


TemplateType = Annotated[
    StrictStr,
    AfterValidator(_known_kind),
    WithJsonSchema({"type": "string", "enum": list(kinds.names())}),
]
TEMPLATE_TYPES_HELP = " | ".join(kinds.names())
_TEMPLATE_TYPE = coded("InvalidParameterValue.Type", f"type must be one of {', '.join(kinds.names())}")


class TemplateRequest(RequestModel):
    """Identity fields, then the parameters of the template's type, flat (as GET shows them).

    The parameters are checked by the type's own rules, which refuse an unknown one."""

    model_config = ConfigDict(extra="allow")

    type: Annotated[TemplateType | None, _TEMPLATE_TYPE] = Field(None, description=TEMPLATE_TYPES_HELP)
    name: Annotated[
        str,
        Field(min_length=1, max_length=NAME_MAX, pattern=NOT_BLANK),
        coded("InvalidParameterValue.Name", f"name is required, at most {NAME_MAX} characters"),
    ]
    comment: Annotated[
        str | None,
        Field(max_length=COMMENT_MAX),
        coded("InvalidParameterValue.Comment", f"comment is at most {COMMENT_MAX} characters"),
    ] = None
    # What GET shows besides the parameters; accepted so a template read back can be posted back
    # (strict, so what the document calls a boolean is one).
    definition: StrictInt | None = Field(None, description="read-only; ignored")
    preset: StrictBool | None = Field(None, description="read-only; ignored")
    create_time: StrictStr | None = Field(None, description="read-only; ignored")
    update_time: StrictStr | None = Field(None, description="read-only; ignored")

    def as_body(self) -> dict[str, Any]:
        """Identity and parameters, without the read-only fields, for the template catalog."""
        body: dict[str, Any] = {"name": self.name, "comment": self.comment or "", **(self.model_extra or {})}
        if self.type is not None:
            body["type"] = self.type
        return body


# The template list's ?type= (its own annotation, so a bad one keeps the Type code).
TemplateTypeFilter = Annotated[TemplateType | None, _TEMPLATE_TYPE]


class NewTemplateRequest(TemplateRequest):
    """A new template needs its type; a change keeps the template's own."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"type": "Snapshot", "name": "every 5 s", "kind": "sampled", "interval": 5}]}
    )

    type: Annotated[TemplateType, _TEMPLATE_TYPE] = Field(description=TEMPLATE_TYPES_HELP)


# ---- workflows -----------------------------------------------------------------------------------
class WorkflowOutput(RequestModel):
    bucket: Annotated[
        str | None, coded("InvalidParameterValue.OutputBucket", "output bucket must be the input or the output bucket")
    ] = Field(None, description="default: the output bucket")
    dir: Annotated[
        str,
        Field(max_length=WORKFLOW_OUTPUT_DIR_MAX, pattern=NO_PARENT_SEGMENT),
        coded("InvalidParameterValue.OutputDir", "output dir must be a folder path without .. segments"),
    ] = Field(DEFAULT_OUTPUT_DIR, description="folder of the outputs; {task_id} is replaced by the task's id")


class WorkflowRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "thumbnails", "prefix": "input/", "subtasks": [EXAMPLE_SUBTASK]}]}
    )

    name: Annotated[
        str,
        Field(min_length=1, max_length=64, pattern=NOT_BLANK),
        coded("InvalidParameterValue.Name", "name is required, at most 64 characters"),
    ]
    bucket: Annotated[str | None, coded("InvalidParameterValue.Bucket", "bucket must be the input bucket")] = Field(
        None, description="the bucket watched: the input bucket (default)"
    )
    prefix: Annotated[
        str,
        Field(max_length=PREFIX_MAX, pattern=RELATIVE_PREFIX),
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
    try:
        return clock.iso(clock.parse_iso(value))  # ValueError -> the field's code
    except OverflowError:
        # A bound at the calendar's edge that UTC moves past year 1 or 9999: as a filter it means
        # "from the beginning" or "until the end", so clamp it there.
        edge = datetime.min if value.lstrip().startswith("0001") else datetime.max
        return clock.iso(edge.replace(tzinfo=clock.UTC))


def _time_bound(name: str) -> Any:
    # The document says date-time (RFC 3339, which parse_iso reads); other ISO-8601 forms work too.
    return Annotated[
        str | None,
        WithJsonSchema({"type": "string", "format": "date-time"}),
        AfterValidator(lambda v: v and _iso_time(v)),
        coded(
            f"InvalidParameterValue.{name.title().replace('_', '')}",
            f"{name} must be an ISO-8601 time such as 2026-01-31T00:00:00Z",
        ),
    ]


# The list's query parameters (each one a query parameter of its own, so the OpenAPI keeps its limits).
StatusFilter = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "enum": list(TASK_STATUSES)}),  # any case is accepted
    AfterValidator(lambda v: v if v is None else _task_status(v)),
    coded("InvalidParameterValue.Status", f"status must be one of {list(TASK_STATUSES)}"),
]
CreatedFrom = _time_bound("created_from")
CreatedTo = _time_bound("created_to")
