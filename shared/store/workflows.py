"""Workflow (upload trigger rule) persistence."""

from __future__ import annotations

from shared.domain.notify import NotifyConfig
from shared.domain.workflow import SubtaskSpec, Workflow
from shared.runtime.settings import Settings
from shared.store.conditional import _conditional, _LostCondition
from shared.store.models import SubtaskSpecMap, WorkflowModel, bind_models


def _from_item(item: WorkflowModel) -> Workflow:
    return Workflow(
        workflow_id=item.workflow_id,
        account=item.account,
        name=item.name,
        bucket=item.bucket,
        prefix=item.prefix,
        suffixes=tuple(str(x) for x in item.suffixes or []),
        subtasks=tuple(
            SubtaskSpec(s.type, int(s.definition), s.kind or "sampled", s.output_object_path) for s in item.subtasks
        ),
        output_bucket=item.output_bucket,
        output_dir=item.output_dir,
        enabled=bool(item.enabled),
        create_time=item.create_time,
        update_time=item.update_time or item.create_time,
        mps_id=int(item.mps_id or 0),
        notify=NotifyConfig.from_dict(item.notify),
        priority=int(item.priority or 0),
    )


def _to_item(wf: Workflow) -> WorkflowModel:
    return WorkflowModel(
        wf.workflow_id,
        account=wf.account,
        name=wf.name,
        bucket=wf.bucket,
        prefix=wf.prefix,
        suffixes=list(wf.suffixes),
        subtasks=[
            SubtaskSpecMap(type=s.type, definition=s.definition, kind=s.kind, output_object_path=s.output_object_path)
            for s in wf.subtasks
        ],
        output_bucket=wf.output_bucket,
        output_dir=wf.output_dir,
        enabled=wf.enabled,
        create_time=wf.create_time,
        update_time=wf.update_time or wf.create_time,
        mps_id=wf.mps_id or None,
        notify=wf.notify.to_dict() if wf.notify else None,
        priority=wf.priority,
    )


class WorkflowStore:
    def __init__(self, settings: Settings) -> None:
        bind_models(settings)

    def for_bucket(self, bucket: str) -> list[Workflow]:
        return [_from_item(i) for i in WorkflowModel.by_bucket.query(bucket)]

    def get(self, workflow_id: str) -> Workflow | None:
        try:
            return _from_item(WorkflowModel.get(workflow_id, consistent_read=True))
        except WorkflowModel.DoesNotExist:
            return None

    def for_account(self, account: str) -> list[Workflow]:
        return [_from_item(i) for i in WorkflowModel.by_owner.query(account)]

    def save(self, wf: Workflow, *, create: bool) -> bool:
        """Create a new rule, or replace an existing one of the same account."""
        condition = WorkflowModel.workflow_id.does_not_exist() if create else WorkflowModel.account == wf.account
        try:
            with _conditional():
                _to_item(wf).save(condition=condition)
            return True
        except _LostCondition:
            return False

    def delete(self, account: str, workflow_id: str) -> bool:
        try:
            with _conditional():
                WorkflowModel(workflow_id).delete(condition=WorkflowModel.account == account)
            return True
        except _LostCondition:
            return False

    def set_mps_id(self, account: str, workflow_id: str, mps_id: int) -> int:
        """Give the rule its MPS id unless it has one; the id it holds afterwards (0: no such rule)."""
        try:
            with _conditional():
                WorkflowModel(workflow_id).update(
                    actions=[WorkflowModel.mps_id.set(mps_id)],
                    condition=(WorkflowModel.account == account) & WorkflowModel.mps_id.does_not_exist(),
                )
            return mps_id
        except _LostCondition:
            wf = self.get(workflow_id)
            return wf.mps_id if wf is not None and wf.account == account else 0

    def create_if_missing(self, wf: Workflow) -> bool:
        try:
            with _conditional():
                _to_item(wf).save(condition=WorkflowModel.workflow_id.does_not_exist())
            return True
        except _LostCondition:
            return False
