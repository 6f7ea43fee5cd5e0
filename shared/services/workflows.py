"""Workflows (upload trigger rules): manage them, and dry-run which ones fire for a key."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from shared.domain import clock, kinds
from shared.domain.errors import BadInputError, ConflictError, NotFoundError
from shared.domain.naming import input_name, output_stem
from shared.domain.notify import NotifyConfig
from shared.domain.templates import Template
from shared.domain.workflow import Workflow, parse_specs, render_output_dir
from shared.runtime.url_policy import check_url
from shared.services.buckets import buckets_of, check_bucket_owner
from shared.services.deps import Deps
from shared.services.requests import WorkflowOutput, WorkflowRequest
from shared.services.templates import TemplateCatalog
from shared.storage.port import check_key

MAX_WORKFLOWS = 100
MPS_WORKFLOW_IDS = "workflow-mps-id"  # the counter MPS WorkflowIds are drawn from


def workflow_view(wf: Workflow) -> dict[str, Any]:
    return {
        "workflow_id": wf.workflow_id,
        "name": wf.name,
        "bucket": wf.bucket,
        "prefix": wf.prefix,
        "suffixes": list(wf.suffixes),
        "subtasks": [s.to_dict() for s in wf.subtasks],
        "output": {"bucket": wf.output_bucket, "dir": wf.output_dir},
        "enabled": wf.enabled,
        "create_time": wf.create_time,
        "update_time": wf.update_time or wf.create_time,
        "notify": wf.notify.public_view() if wf.notify else None,
    }


WORKFLOW_ID_MAX = 128  # ours are "wf-" + 12 hex or "default[-<appid>]"; the table refuses keys over 2 KB


def _owned(deps: Deps, account: str, workflow_id: str) -> Workflow:
    wf = deps.workflows.get(workflow_id) if len(workflow_id) <= WORKFLOW_ID_MAX else None
    if wf is None or wf.account != account:
        raise NotFoundError(f"no workflow {workflow_id!r}", code="ResourceNotFound.Workflow")
    return wf


def _parse(
    deps: Deps,
    account: str,
    body: WorkflowRequest,
    *,
    workflow_id: str,
    create_time: str,
    notify: NotifyConfig | None = None,
) -> Workflow:
    """The rule a request describes; its shape is checked by its model, here what needs the installation.
    ``notify`` is the MPS API's TaskNotifyConfig; REST gives it in the body. Either way the URL policy
    is checked here."""
    mine = buckets_of(deps, account)
    bucket = mine.input if body.bucket is None else body.bucket
    if bucket != mine.input:
        check_bucket_owner(deps, account, bucket)  # another account's: 403
        # The COS trigger (serverless.yml) listens on the input bucket only.
        raise BadInputError(f"workflows watch the input bucket {mine.input}", code="InvalidParameterValue.Bucket")
    specs = parse_specs(body.subtasks)
    catalog = TemplateCatalog(deps.templates, deps.counters)
    for spec in specs:
        catalog.resolve_spec(account, spec)
    output = body.output or WorkflowOutput()
    out_bucket = mine.output if output.bucket is None else output.bucket
    check_bucket_owner(deps, account, out_bucket, code="InvalidParameterValue.OutputBucket", what="output bucket")
    rendered = render_output_dir(output.dir, f"{deps.settings.appid}-WorkflowTask-{'0' * 32}t0")  # rejects '..'
    if rendered:
        check_key(rendered.rstrip("/"))  # e.g. a folder name over 255 bytes, refused now, not at each run
    if notify is None and body.notify:
        notify = body.notify.config()
    if notify:
        check_url(notify.url, allow_private=deps.settings.private_urls_allowed, code="InvalidParameterValue.NotifyUrl")
    return Workflow(
        workflow_id=workflow_id,
        account=account,
        name=body.name.strip(),
        bucket=bucket,
        prefix=body.prefix,
        suffixes=tuple(s.lower().lstrip(".") for s in body.suffixes),
        subtasks=specs,
        output_bucket=out_bucket,
        output_dir=output.dir,
        enabled=body.enabled,
        create_time=create_time,
        update_time=clock.now_iso(),
        notify=notify,
    )


def _check_loops(deps: Deps, account: str, candidate: Workflow) -> None:
    """No enabled rule may write where an enabled rule (itself included) would fire again."""
    rules = [w for w in deps.workflows.for_account(account) if w.workflow_id != candidate.workflow_id]
    rules.append(candidate)
    for writer in rules:
        for watcher in rules:
            if (
                writer.enabled
                and watcher.enabled
                and writer.output_bucket == watcher.bucket
                and render_output_dir(writer.output_dir, "T").startswith(watcher.prefix)
            ):
                raise BadInputError(
                    f"workflow {writer.name!r} writes to {writer.output_dir!r}, under the prefix "
                    f"{watcher.prefix!r} that workflow {watcher.name!r} watches: outputs would trigger it again",
                    code="InvalidParameterValue.OutputDir",
                    params={"output_dir": writer.output_dir, "prefix": watcher.prefix, "workflow": watcher.name},
                )


def list_workflows(deps: Deps, account: str) -> list[dict[str, Any]]:
    return [workflow_view(w) for w in sorted(deps.workflows.for_account(account), key=lambda w: w.create_time)]


def get_workflow(deps: Deps, account: str, workflow_id: str) -> dict[str, Any]:
    return workflow_view(_owned(deps, account, workflow_id))


def create_workflow(
    deps: Deps, account: str, body: WorkflowRequest, *, notify: NotifyConfig | None = None, priority: int = 0
) -> dict[str, Any]:
    """A new rule; ``notify`` and ``priority`` come from the MPS API (TaskNotifyConfig, TaskPriority);
    REST callers give the notify config in the body."""
    if len(deps.workflows.for_account(account)) >= MAX_WORKFLOWS:
        raise ConflictError(f"at most {MAX_WORKFLOWS} workflows", code="LimitExceeded.Workflows")
    new_id, now = "wf-" + secrets.token_hex(6), clock.now_iso()
    wf = _parse(deps, account, body, workflow_id=new_id, create_time=now, notify=notify)
    _check_loops(deps, account, wf)
    mps_id = deps.counters.next_value(MPS_WORKFLOW_IDS)
    wf = replace(wf, mps_id=mps_id, priority=priority)
    deps.workflows.save(wf, create=True)
    return workflow_view(wf)


def update_workflow(
    deps: Deps,
    account: str,
    workflow_id: str,
    body: WorkflowRequest,
    *,
    notify: NotifyConfig | None = None,
    priority: int | None = None,
) -> dict[str, Any]:
    """Replace a rule (the notify config from the body, or ``notify`` from the MPS API); its MPS id
    stays, and so does its priority unless given."""
    old = _owned(deps, account, workflow_id)
    wf = _parse(deps, account, body, workflow_id=workflow_id, create_time=old.create_time, notify=notify)
    wf = replace(wf, mps_id=old.mps_id, priority=old.priority if priority is None else priority)
    if wf.notify and body.notify and body.notify.key is None and body.notify.key_set and old.notify:
        # A workflow read back shows only whether a key is set; putting it back keeps the key.
        wf = replace(wf, notify=replace(wf.notify, key=old.notify.key))
    _check_loops(deps, account, wf)
    if not deps.workflows.save(wf, create=False):
        raise NotFoundError(f"no workflow {workflow_id!r}", code="ResourceNotFound.Workflow")
    return workflow_view(wf)


def set_enabled(deps: Deps, account: str, workflow_id: str, enabled: bool) -> dict[str, Any]:
    wf = replace(_owned(deps, account, workflow_id), enabled=enabled, update_time=clock.now_iso())
    if enabled:
        _check_loops(deps, account, wf)
    deps.workflows.save(wf, create=False)
    return workflow_view(wf)


def with_mps_id(deps: Deps, wf: Workflow) -> Workflow:
    """The rule with its MPS WorkflowId, giving it one the first time an MPS call needs it."""
    if wf.mps_id:
        return wf
    mps_id = deps.workflows.set_mps_id(wf.account, wf.workflow_id, deps.counters.next_value(MPS_WORKFLOW_IDS))
    return replace(wf, mps_id=mps_id)


def mps_workflows(deps: Deps, account: str) -> list[Workflow]:
    """The account's rules, oldest first, each with its MPS WorkflowId."""
    return [with_mps_id(deps, w) for w in sorted(deps.workflows.for_account(account), key=lambda w: w.create_time)]


def find_by_id_or_none(deps: Deps, account: str, workflow_id: str) -> Workflow | None:
    wf = deps.workflows.get(workflow_id) if len(workflow_id) <= WORKFLOW_ID_MAX else None
    return wf if wf is not None and wf.account == account else None


def find_by_mps_id(deps: Deps, account: str, mps_id: int) -> Workflow:
    """The account's rule an MPS WorkflowId names (another account's answers as not found)."""
    for wf in mps_workflows(deps, account):
        if wf.mps_id == mps_id:
            return wf
    raise NotFoundError(f"no workflow {mps_id}", code="ResourceNotFound.Workflow")


def delete_workflow(deps: Deps, account: str, workflow_id: str) -> None:
    _owned(deps, account, workflow_id)
    if not deps.workflows.delete(account, workflow_id):
        raise NotFoundError(f"no workflow {workflow_id!r}", code="ResourceNotFound.Workflow")


def match(deps: Deps, account: str, bucket: str, key: str) -> dict[str, Any]:
    """Which enabled rules fire for this object, and the output keys they would write."""
    check_bucket_owner(deps, account, bucket)
    catalog = TemplateCatalog(deps.templates, deps.counters)
    example_id = f"{deps.accounts.appid_for(account)}-WorkflowTask-{'0' * 32}t0"
    matches = []
    for wf in deps.workflows.for_bucket(bucket):
        if wf.account != account or not wf.matches(bucket, key):
            continue
        out_dir = wf.output_dir_for(example_id).replace(example_id, "{task_id}")
        outputs = []
        for index, spec in enumerate(wf.subtasks, start=1):
            template = catalog.resolve(account, spec.type, spec.definition, spec.kind)
            keys = _example_keys(out_dir, template, key, spec.definition)
            if spec.output_object_path:
                ext = keys[0].rsplit(".", 1)[-1]
                keys = [
                    out_dir
                    + spec.output_object_path.replace("{inputName}", input_name(key))
                    .replace("{definition}", str(spec.definition))
                    .replace("{format}", ext)
                ]
            outputs.append(
                {
                    "index": index,
                    "type": spec.type,
                    "definition": spec.definition,
                    "template": template.name,
                    "keys": keys,
                }
            )
        matches.append(
            {
                "workflow_id": wf.workflow_id,
                "name": wf.name,
                "output_bucket": wf.output_bucket,
                "output_dir": out_dir,
                "outputs": outputs,
            }
        )
    return {"bucket": bucket, "key": key, "matches": matches}


def _example_keys(out_dir: str, template: Template[Any], key: str, definition: int) -> list[str]:
    kind = kinds.get(template.type)
    stem = output_stem(kind.name, kind.variant_of(template.params), key, definition)
    return [out_dir + name for name in kind.example_outputs(stem, template.params)]
