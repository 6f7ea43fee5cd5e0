"""CreateWorkflow / ResetWorkflow fields as a ``WorkflowRequest`` for the workflows service, plus
the notify config and priority it keeps for MPS.

- Trigger: Type CosFileUpload only; CosFileUploadTrigger {Bucket: the input bucket, Region, Dir:
  the watched prefix ("/" = the whole bucket), Formats: extensions ("*" = any file; none: the media
  extensions openmps can process)}.
- OutputStorage: Type COS, CosOutputStorage {Bucket: the input or output bucket, Region}; OutputDir:
  where outputs go (none: output/{task_id}/, as outputs beside the upload would trigger it again).
- TaskNotifyConfig: NotifyType URL only (NotifyMode Finish | Change, NotifyUrl, NotifyKey); stored
  and shown, delivered once notifications land. TaskPriority: -10 to 10, stored.
A new workflow is disabled until EnableWorkflow, as in MPS.
"""

from __future__ import annotations

from typing import Any

from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.templates.fields import Fields
from shared.api.mps.workflows.tasks import subtask_entries
from shared.domain.errors import BadInputError
from shared.domain.notify import NotifyConfig
from shared.domain.workflow import MEDIA_SUFFIXES
from shared.services.contract import parse_request
from shared.services.requests import WorkflowRequest

DEFAULT_OUTPUT_DIR = "output/{task_id}/"
_NOTIFY_REFUSED = ("CmqModel", "CmqRegion", "TopicName", "QueueName", "AwsSQS")
# The last part of our error codes -> the MPS field it is about.
_FIELDS = {
    "Name": "WorkflowName",
    "Bucket": "Trigger.CosFileUploadTrigger.Bucket",
    "Prefix": "Trigger.CosFileUploadTrigger.Dir",
    "Suffixes": "Trigger.CosFileUploadTrigger.Formats",
    "OutputBucket": "OutputStorage.CosOutputStorage.Bucket",
    "OutputDir": "OutputDir",
    "Definition": "Definition",
    "Kind": "Definition",
    "OutputObjectPath": "OutputObjectPath",
}


def _region(ctx: ActionContext, fields: Fields) -> None:
    region = fields.text("Region", "InvalidParameterValue.Region")
    if region not in (None, "", ctx.deps.settings.region):
        raise MpsError(
            "InvalidParameterValue.Region",
            "unsupported_value",
            name=fields.name_of("Region"),
            value=region,
            detail=f"the buckets of this installation are in {ctx.deps.settings.region}",
        )


def _trigger(ctx: ActionContext, fields: Fields) -> dict[str, Any]:
    trigger = fields.obj("Trigger")
    if trigger is None:
        raise MpsError("MissingParameter", "missing_parameter", name="Trigger")
    trigger.choice("Type", ("CosFileUpload",), "InvalidParameterValue.Type", required=True)
    trigger.refuse(("AwsS3FileUploadTrigger",), "openmps watches its COS input bucket")
    cos = trigger.obj("CosFileUploadTrigger")
    if cos is None:
        raise MpsError("MissingParameter", "missing_parameter", name="Trigger.CosFileUploadTrigger")
    bucket = cos.text("Bucket", "InvalidParameterValue.Bucket", required=True)
    _region(ctx, cos)
    prefix = (cos.text("Dir", "InvalidParameterValue.Dir") or "/").lstrip("/")
    formats = cos.strings("Formats", "InvalidParameterValue.Formats")
    suffixes = [] if formats and "*" in formats else [f.lstrip(".") for f in formats or MEDIA_SUFFIXES]
    return {"bucket": bucket, "prefix": prefix, "suffixes": suffixes}


def _output(ctx: ActionContext, fields: Fields) -> dict[str, Any]:
    output: dict[str, Any] = {"dir": (fields.text("OutputDir", "InvalidParameterValue.OutputDir") or "").lstrip("/")}
    output["dir"] = output["dir"] or DEFAULT_OUTPUT_DIR
    storage = fields.obj("OutputStorage")
    if storage is not None:
        storage.choice("Type", ("COS",), "InvalidParameterValue.OutputStorage", required=True)
        storage.refuse(("S3OutputStorage", "VODOutputStorage"), "openmps writes to its COS buckets")
        cos = storage.obj("CosOutputStorage")
        if cos is not None:
            _region(ctx, cos)
            output["bucket"] = cos.text("Bucket", "InvalidParameterValue.OutputStorage")
    return output


def notify_config(fields: Fields) -> NotifyConfig | None:
    notify = fields.obj("TaskNotifyConfig")
    if notify is None:
        return None
    notify.choice("NotifyType", ("URL",), "InvalidParameterValue.NotifyType", required=True)
    notify.refuse(_NOTIFY_REFUSED, "openmps notifies by URL callback only")
    mode = notify.choice("NotifyMode", ("Finish", "Change"), "InvalidParameterValue.NotifyMode")
    url = notify.text("NotifyUrl", "InvalidParameterValue.NotifyUrl", required=True) or ""
    if not url.startswith(("http://", "https://")):
        raise MpsError(
            "InvalidParameterValue.NotifyUrl", "bad_choice", name="TaskNotifyConfig.NotifyUrl", choices="http(s) URLs"
        )
    key = notify.text("NotifyKey", "InvalidParameterValue.NotifyKey") or None
    return NotifyConfig(url=url, mode="change" if mode == "Change" else "finish", key=key)


def priority(fields: Fields) -> int:
    value = fields.integer("TaskPriority", "InvalidParameterValue.TaskPriority")
    if value is not None and not -10 <= value <= 10:
        raise MpsError("InvalidParameterValue.TaskPriority", "bad_range", name="TaskPriority", low=-10, high=10)
    return value or 0


def workflow_request(ctx: ActionContext, fields: Fields, *, enabled: bool) -> WorkflowRequest:
    name = fields.text("WorkflowName", "InvalidParameterValue.WorkflowName", required=True)
    body = {
        "name": name,
        **_trigger(ctx, fields),
        "subtasks": subtask_entries(ctx, fields),
        "output": _output(ctx, fields),
        "enabled": enabled,
    }
    if not body["subtasks"]:
        raise MpsError("MissingParameter", "missing_parameter", name="MediaProcessTask")
    try:
        return parse_request(WorkflowRequest, body)
    except BadInputError as exc:
        raise refused(exc) from None


def refused(exc: BadInputError) -> MpsError:
    """A service's refusal of the rule: its code, the MPS field it is about and its (English) reason."""
    ours = exc.code.rsplit(".", 1)[-1]
    code = exc.code if exc.code.startswith("InvalidParameter") else "InvalidParameterValue"
    return MpsError(code, "workflow_refused", name=_FIELDS.get(ours, ours), detail=exc.message)
