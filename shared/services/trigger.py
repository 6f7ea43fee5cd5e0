"""The upload trigger: a COS ObjectCreated event -> one task per matching workflow rule."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.errors import BadInputError, ForbiddenError, NotFoundError
from shared.domain.events import ObjectCreated, parse_cos_event
from shared.domain.ids import upload_task_id
from shared.runtime.observability import logger
from shared.services.buckets import check_bucket_owner, owns_bucket
from shared.services.create import create_and_dispatch, new_task
from shared.services.deps import Deps
from shared.services.templates import TemplateCatalog


@dataclass(frozen=True)
class TriggerOutcome:
    key: str
    task_id: str
    workflow_id: str
    created: bool


def handle_cos_event(deps: Deps, event: object) -> list[TriggerOutcome]:
    """Raises BadInputError for an event that is not a COS event (never retried)."""
    outcomes: list[TriggerOutcome] = []
    for obj in parse_cos_event(event):
        outcomes += handle_object_created(deps, obj)
    return outcomes


def handle_object_created(deps: Deps, obj: ObjectCreated) -> list[TriggerOutcome]:
    # A rule fires only for its own account's bucket: a rule naming another's bucket (written
    # before buckets were owned, or by hand) must not receive that account's uploads.
    rules = [
        r
        for r in deps.workflows.for_bucket(obj.bucket)
        if r.matches(obj.bucket, obj.key) and owns_bucket(deps, r.account, obj.bucket)
    ]
    if not rules:
        logger.info("no workflow matches", extra={"bucket": obj.bucket, "key": obj.key})
        return []
    try:
        head = deps.storage.head(obj.bucket, obj.key)
    except NotFoundError:
        # Deleted (or overwritten and deleted) before we got here: nothing left to process.
        logger.warning("object vanished before processing", extra={"bucket": obj.bucket, "key": obj.key})
        return []
    etag = obj.etag or head.etag
    catalog = TemplateCatalog(deps.templates, deps.counters)
    outcomes = []
    for rule in rules:
        try:
            rule.check_no_retrigger()
            check_bucket_owner(deps, rule.account, rule.output_bucket, code="InvalidParameterValue.OutputBucket")
        except (BadInputError, ForbiddenError) as exc:
            logger.error("workflow skipped", extra={"workflow_id": rule.workflow_id, "error": exc.message})
            continue
        task_id = upload_task_id(deps.accounts.appid_for(rule.account), obj.bucket, obj.key, etag, rule.workflow_id)
        try:
            specs = [(spec, catalog.resolve_spec(rule.account, spec)) for spec in rule.subtasks]
        except BadInputError as exc:  # a template the rule names was deleted
            logger.error("workflow skipped", extra={"workflow_id": rule.workflow_id, "error": exc.message})
            continue
        task, subtasks = new_task(
            task_id=task_id,
            account=rule.account,
            input_bucket=obj.bucket,
            input_key=obj.key,
            input_etag=etag,
            input_size=head.size,
            output_bucket=rule.output_bucket,
            output_dir=rule.output_dir_for(task_id),
            origin="upload",
            specs=specs,
            workflow_id=rule.workflow_id,
            notify=rule.notify,
        )
        created = create_and_dispatch(deps.tasks, deps.invoker, task, subtasks)
        logger.info(
            "task created" if created else "duplicate event, task exists",
            extra={"task_id": task_id, "key": obj.key, "workflow_id": rule.workflow_id},
        )
        outcomes.append(TriggerOutcome(obj.key, task_id, rule.workflow_id, created))
    return outcomes
