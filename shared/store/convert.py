"""Item <-> domain record conversion."""

from __future__ import annotations

from shared.domain.model import Subtask, Task
from shared.domain.notify import NotifyConfig
from shared.domain.status import SubtaskCounts, SubtaskStatus, TaskStatus
from shared.store.models import SubtaskModel, TaskModel

OPEN_SHARD = "open"


def task_from_item(item: TaskModel) -> Task:
    return Task(
        task_id=item.task_id,
        account=item.account,
        create_time=item.create_time,
        input_bucket=item.input_bucket,
        input_key=item.input_key,
        output_bucket=item.output_bucket,
        output_dir=item.output_dir,
        origin=item.origin,
        status=TaskStatus(item.status),
        attempt=int(item.attempt),
        rev=int(item.rev),
        begin_process_time=item.begin_process_time,
        finish_time=item.finish_time,
        workflow_id=item.workflow_id,
        input_etag=item.input_etag,
        input_size=None if item.input_size is None else int(item.input_size),
        counts=SubtaskCounts(int(item.n_waiting), int(item.n_processing), int(item.n_success), int(item.n_fail)),
        err_code=item.err_code,
        message=item.message,
        session_id=item.session_id,
        session_context=item.session_context,
        input_url=item.input_url,
        priority=int(item.priority or 0),
        metadata=item.metadata,
        history=list(item.history or []),
        notify=NotifyConfig.from_dict(item.notify),
    )


def task_to_item(task: Task) -> TaskModel:
    return TaskModel(
        task.task_id,
        account=task.account,
        account_status=f"{task.account}#{task.status.value}",
        status=task.status.value,
        attempt=task.attempt,
        rev=task.rev,
        create_time=task.create_time,
        begin_process_time=task.begin_process_time,
        finish_time=task.finish_time,
        input_bucket=task.input_bucket,
        input_key=task.input_key,
        input_etag=task.input_etag,
        input_size=task.input_size,
        output_bucket=task.output_bucket,
        output_dir=task.output_dir,
        origin=task.origin,
        workflow_id=task.workflow_id,
        n_waiting=task.counts.waiting,
        n_processing=task.counts.processing,
        n_success=task.counts.success,
        n_fail=task.counts.fail,
        err_code=task.err_code,
        message=task.message,
        session_id=task.session_id,
        session_context=task.session_context,
        input_url=task.input_url,
        priority=task.priority or None,
        metadata=task.metadata,
        history=task.history or None,
        notify=task.notify.to_dict() if task.notify else None,
        open_shard=None if task.status == TaskStatus.FINISH else OPEN_SHARD,
        failed_account=task.account if task.has_failed else None,
    )


def subtask_from_item(item: SubtaskModel) -> Subtask:
    return Subtask(
        task_id=item.task_id,
        index=int(item.idx),
        type=item.type,
        account=item.account,
        template=dict(item.template or {}),
        status=SubtaskStatus(item.status),
        attempt=int(item.attempt),
        tries=int(item.tries),
        begin_time=item.begin_time,
        finish_time=item.finish_time,
        progress=int(item.progress),
        heartbeat=item.heartbeat,
        claim_token=item.claim_token,
        err_code=item.err_code,
        message=item.message,
        outputs=list(item.outputs or []),
        result=item.result,
        log_tail=item.log_tail,
        queued_time=item.queued_time,
    )


def subtask_to_item(sub: Subtask) -> SubtaskModel:
    active = sub.status.value if not sub.status.done else None
    return SubtaskModel(
        sub.task_id,
        sub.index,
        account=sub.account,
        type=sub.type,
        status=sub.status.value,
        attempt=sub.attempt,
        tries=sub.tries,
        template=sub.template,
        begin_time=sub.begin_time,
        finish_time=sub.finish_time,
        progress=sub.progress,
        heartbeat=sub.heartbeat,
        claim_token=sub.claim_token,
        err_code=sub.err_code,
        message=sub.message,
        outputs=sub.outputs or None,
        result=sub.result,
        log_tail=sub.log_tail,
        queued_time=sub.queued_time,
        active=active,
        active_at=sub.queued_time if active else None,
    )
