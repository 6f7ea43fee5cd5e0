"""ProcessMedia: an MPS request becomes an openmps task through the same create service as the REST
API and the console (origin ``api``), so it shows everywhere.

Input ``COS`` names an object of a bucket this installation serves; ``URL`` an http(s) file the
workers fetch through the URL policy. Output storage defaults to the input's (as in MPS) and is
required for URL input; OutputDir defaults to the input object's folder. A SessionId seen within 3
days answers ``InvalidParameterValue.SessionId`` and creates nothing (a replayed signed request too).
"""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import unquote, urlsplit

from shared.api.mps import dedup
from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.params import Params
from shared.api.mps.task_input import refuse_unsupported, subtask_entries
from shared.domain.errors import BadInputError
from shared.domain.notify import NotifyConfig
from shared.runtime.url_policy import check_url
from shared.services.buckets import buckets_of
from shared.services.contract import parse_request
from shared.services.operations import TaskOptions, create_task
from shared.services.requests import CreateTaskRequest

# ProcessMediaRequest fields openmps does; the others are refused naming them (UnknownParameter
# for names the SDK's model does not have).
KNOWN = {
    "InputInfo",
    "OutputStorage",
    "OutputDir",
    "MediaProcessTask",
    "AiContentReviewTask",
    "AiAnalysisTask",
    "TaskNotifyConfig",
    "TasksPriority",
    "SessionId",
    "SessionContext",
    "TaskType",
}
UNSUPPORTED = (
    "ScheduleId",
    "AiRecognitionTask",
    "AiQualityControlTask",
    "SmartSubtitlesTask",
    "SmartEraseTask",
    "AIDubbingTask",
    "ResourceId",
    "Activities",
    "SkipMateData",
)
NOTIFY_MODES = ("Finish", "Change")


def region_of(ctx: ActionContext) -> str:
    return ctx.deps.settings.cos_region or ctx.deps.settings.region


def _object(ctx: ActionContext, path: str, value: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MpsError("MissingParameter", "missing_parameter", name=path)
    refuse_unsupported(path, value, set(fields))
    return value


def _cos_bucket(ctx: ActionContext, path: str, storage: dict[str, Any]) -> str:
    bucket, region = storage.get("Bucket"), storage.get("Region")
    if not isinstance(bucket, str) or not bucket:
        raise MpsError("MissingParameter", "missing_parameter", name=f"{path}.Bucket")
    if region not in (None, "", region_of(ctx)):
        raise MpsError("InvalidParameterValue.InputInfo", "bad_region", name=f"{path}.Region", region=region_of(ctx))
    mine = buckets_of(ctx.deps, ctx.account)
    if bucket not in mine:  # another account's bucket answers as not there
        raise MpsError(
            "ResourceNotFound.CosBucketNotExist", "bucket_not_served", bucket=bucket, buckets=", ".join(mine.names)
        )
    return bucket


def _output_bucket(ctx: ActionContext, path: str, value: Any) -> str:
    storage = _object(ctx, path, value, ("Type", "CosOutputStorage"))
    if storage.get("Type") != "COS":
        raise MpsError("InvalidParameterValue", "bad_choice", name=f"{path}.Type", choices="COS")
    cos = _object(ctx, f"{path}.CosOutputStorage", storage.get("CosOutputStorage"), ("Bucket", "Region"))
    return _cos_bucket(ctx, f"{path}.CosOutputStorage", cos)


def _input(ctx: ActionContext, value: Any) -> tuple[str, str, str | None]:
    """(bucket, key, url) of InputInfo; for URL input the key only names the file ({inputName})."""
    info = _object(ctx, "InputInfo", value, ("Type", "CosInputInfo", "UrlInputInfo"))
    kind = info.get("Type")
    if kind == "COS":
        cos = _object(ctx, "InputInfo.CosInputInfo", info.get("CosInputInfo"), ("Bucket", "Region", "Object"))
        bucket = _cos_bucket(ctx, "InputInfo.CosInputInfo", cos)
        obj = cos.get("Object")
        if not isinstance(obj, str) or not obj.startswith("/") or len(obj) < 2:
            raise MpsError("InvalidParameterValue.InputInfo", "bad_object", name="InputInfo.CosInputInfo.Object")
        return bucket, obj[1:], None
    if kind == "URL":
        url_info = _object(ctx, "InputInfo.UrlInputInfo", info.get("UrlInputInfo"), ("Url",))
        url = url_info.get("Url")
        if not isinstance(url, str) or not url:
            raise MpsError("MissingParameter", "missing_parameter", name="InputInfo.UrlInputInfo.Url")
        checked_url(ctx, "InputInfo.UrlInputInfo.Url", url)
        name = posixpath.basename(unquote(urlsplit(url).path)) or "media"
        return "", name, url
    raise MpsError("InvalidParameterValue.InputInfo", "bad_choice", name="InputInfo.Type", choices="COS, URL")


def checked_url(ctx: ActionContext, name: str, url: str) -> None:
    try:
        check_url(url, allow_private=ctx.deps.settings.private_urls_allowed)
    except BadInputError as exc:
        raise MpsError("InvalidParameter.InvalidUrl", "bad_url", name=name, detail=exc.message) from None


def _output_dir(params: Params, input_key: str) -> str:
    out_dir = params.text("OutputDir", code="InvalidParameterValue.OutputDir")
    if not out_dir:
        folder = posixpath.dirname(input_key)
        return f"{folder}/" if folder else ""
    if not (out_dir.startswith("/") and out_dir.endswith("/")):
        raise MpsError("InvalidParameterValue.OutputDir", "bad_output_dir", value=out_dir)
    return out_dir[1:]


def _notify(ctx: ActionContext, value: Any) -> NotifyConfig | None:
    if value is None:
        return None
    config = _object(ctx, "TaskNotifyConfig", value, ("NotifyType", "NotifyMode", "NotifyUrl", "NotifyKey"))
    if config.get("NotifyType") != "URL":
        raise MpsError(
            "UnsupportedOperation", "unsupported_notify", value=config.get("NotifyType") or "TDMQ-CMQ (the default)"
        )
    mode = config.get("NotifyMode") or "Finish"
    if mode not in NOTIFY_MODES:
        raise MpsError(
            "InvalidParameterValue", "bad_choice", name="TaskNotifyConfig.NotifyMode", choices="Finish, Change"
        )
    url = config.get("NotifyUrl")
    if not isinstance(url, str) or not url:
        raise MpsError("MissingParameter", "missing_parameter", name="TaskNotifyConfig.NotifyUrl")
    checked_url(ctx, "TaskNotifyConfig.NotifyUrl", url)
    key = config.get("NotifyKey") or ""
    if not isinstance(key, str):
        raise MpsError("InvalidParameterValue", "bad_type", name="TaskNotifyConfig.NotifyKey", kind="a string")
    return NotifyConfig(url=url, mode="change" if mode == "Change" else "finish", key=key or None)


def run(ctx: ActionContext, params: Params) -> dict[str, Any]:
    body = params.body
    for name in body:
        if name in UNSUPPORTED and body[name] not in (None, "", [], {}):
            raise MpsError("UnsupportedOperation", "field_not_supported", name=name)
        if name not in KNOWN and name not in UNSUPPORTED:
            raise MpsError("UnknownParameter", "unknown_parameter", name=name)
    params.choice("TaskType", ("Online",), code="InvalidParameterValue")
    bucket, key, url = _input(ctx, params.raw("InputInfo", required=True))
    if body.get("OutputStorage") is not None:
        out_bucket = _output_bucket(ctx, "OutputStorage", body["OutputStorage"])
    elif url:
        raise MpsError("MissingParameter", "missing_parameter", name="OutputStorage")
    else:
        out_bucket = bucket

    def same_storage(path: str, value: Any) -> None:
        if _output_bucket(ctx, path, value) != out_bucket:
            raise MpsError("UnsupportedOperation", "field_not_supported", name=path)

    entries = subtask_entries(ctx.deps, ctx.account, body, same_storage)
    if not entries:
        raise MpsError("MissingParameter", "missing_task")
    session_id = params.text("SessionId", code="InvalidParameterValue.SessionId")
    if session_id and len(session_id) > dedup.SESSION_ID_MAX:
        raise MpsError("InvalidParameterValue.SessionIdTooLong", "bad_length", name="SessionId", high=50)
    context = params.text("SessionContext", code="InvalidParameterValue.SessionContextTooLong")
    if context and len(context) > dedup.SESSION_CONTEXT_MAX:
        raise MpsError("InvalidParameterValue.SessionContextTooLong", "bad_length", name="SessionContext", high=1000)
    priority = params.integer("TasksPriority", default=0, low=-10, high=10, code="InvalidParameterValue.TasksPriority")
    notify = _notify(ctx, body.get("TaskNotifyConfig"))
    request = parse_request(
        CreateTaskRequest,
        {
            "input": {"bucket": bucket, "key": key},
            "output": {"bucket": out_bucket, "dir": _output_dir(params, key if not url else "")},
            "subtasks": entries,
            "session_id": session_id or None,
            "session_context": context or None,
            "origin": "api",
        },
    )
    view, created = create_task(ctx.deps, ctx.account, request, TaskOptions(url, priority, notify))
    if not created:  # the SessionId's task exists: MPS de-duplicates, it does not hand it back
        holder = view["task_id"]
        raise MpsError("InvalidParameterValue.SessionId", "session_taken", session_id=session_id, task_id=holder)
    return {"TaskId": view["task_id"]}
