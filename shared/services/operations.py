"""Task operations: create (API), restart, retry-failed, terminate.

Every state change is one conditional write on the task item, so operations racing each other,
or racing workers, serialise there: a restart makes one new attempt, a terminate and a worker's
claim never both succeed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.domain import clock, media_errors
from shared.domain.errors import BadInputError, ConflictError, NotFoundError
from shared.domain.ids import is_task_id, random_task_id
from shared.domain.model import Subtask, Task
from shared.domain.notify import NotifyConfig
from shared.domain.status import SubtaskStatus, TaskStatus
from shared.domain.workflow import parse_specs, render_output_dir
from shared.runtime.url_policy import check_url
from shared.services.buckets import buckets_of, check_bucket_owner
from shared.services.create import create_and_dispatch, dispatch, new_task
from shared.services.deps import Deps
from shared.services.notify_outbox import aggregate_and_notify
from shared.services.requests import CreateTaskRequest
from shared.services.templates import TemplateCatalog
from shared.storage.port import check_bucket, check_key

SESSION_WINDOW = timedelta(days=3)
SESSION_CLAIM_WAIT_SECONDS = 3.0


def owned_task(deps: Deps, account: str, task_id: str) -> Task:
    task = deps.tasks.get_task(task_id) if is_task_id(task_id) else None
    if task is None or task.account != account:
        raise NotFoundError(f"no task {task_id!r}", code="ResourceNotFound.TaskNotFound", params={"task_id": task_id})
    return task


def check_output_dir(deps: Deps, account: str, bucket: str, output_dir: str) -> None:
    """Outputs must never land where an enabled workflow would pick them up again."""
    for wf in deps.workflows.for_bucket(bucket):
        if wf.enabled and output_dir.startswith(wf.prefix):
            raise BadInputError(
                f"output dir {output_dir!r} is under the prefix {wf.prefix!r} that workflow "
                f"{wf.name!r} watches: outputs would trigger it again",
                code="InvalidParameterValue.OutputDir",
                params={"output_dir": output_dir, "prefix": wf.prefix, "workflow": wf.name},
            )


@dataclass(frozen=True)
class TaskOptions:
    """What the MPS API 3.0 adds to a create request: an http(s) input instead of an object (the
    request's input key then only names it: {inputName}), TasksPriority, TaskNotifyConfig."""

    input_url: str | None = None
    priority: int = 0
    notify: NotifyConfig | None = None


def create_task(
    deps: Deps, account: str, request: CreateTaskRequest, options: TaskOptions | None = None
) -> tuple[dict[str, Any], bool]:
    """Returns (task view, created). A session id seen in the last 3 days returns that task.

    The request's shape is checked by its model; here what needs the installation and the table."""
    from shared.services.queries import task_view

    options = options or TaskOptions()
    bucket, key = request.input.bucket, request.input.key
    if options.input_url:
        etag, size = None, None  # fetched by each worker through the URL policy
    else:
        check_bucket_owner(deps, account, bucket, code="InvalidParameterValue.InputBucket", what="input bucket")
        head = deps.storage.head(check_bucket(bucket), check_key(key))  # NotFoundError -> 404
        etag, size = head.etag, head.size
    out_bucket = buckets_of(deps, account).output if request.output.bucket is None else request.output.bucket
    check_bucket_owner(deps, account, out_bucket, code="InvalidParameterValue.OutputBucket", what="output bucket")
    out_dir_template = request.output.dir
    catalog = TemplateCatalog(deps.templates, deps.counters)
    specs = [(s, catalog.resolve_spec(account, s)) for s in parse_specs(request.subtasks)]
    origin = request.origin
    notify = options.notify  # checked by the MPS API's own parser
    if notify is None and request.notify:
        notify = request.notify.config()
        check_url(notify.url, allow_private=deps.settings.private_urls_allowed, code="InvalidParameterValue.NotifyUrl")
    session_id, session_context = request.session_id, request.session_context

    task_id = random_task_id(deps.accounts.appid_for(account))
    out_dir = render_output_dir(out_dir_template, task_id)
    if out_dir:
        check_key(out_dir.rstrip("/"))
    deps.storage.check_writable(out_bucket, out_dir + "output.file")  # no output dir through a file
    check_output_dir(deps, account, out_bucket, out_dir)
    if session_id:
        now = clock.now()
        mapped = deps.counters.claim_session(
            account, session_id, task_id, clock.iso(now), clock.iso(now - SESSION_WINDOW)
        )
        if mapped != task_id:
            earlier = _claimed_task(deps, mapped)
            if earlier is not None:
                return task_view(earlier, deps.tasks.get_subtasks(mapped)), False
    task, subtasks = new_task(
        task_id=task_id,
        account=account,
        input_bucket=bucket,
        input_key=key,
        input_etag=etag,
        input_size=size,
        output_bucket=out_bucket,
        output_dir=out_dir,
        origin=origin,
        specs=specs,
        session_id=session_id,
        session_context=session_context,
        notify=notify,
    )
    task.input_url, task.priority = options.input_url, options.priority
    create_and_dispatch(deps.tasks, deps.invoker, task, subtasks)
    return task_view(task, subtasks), True


def _claimed_task(deps: Deps, task_id: str) -> Task | None:
    """The task a SessionId was claimed for. A request racing ours claimed it a moment ago and may
    not have written its task yet: wait for it a little. Still none after that, its creator died
    between claim and write, and this request creates the task (the session keeps the old claim)."""
    deadline = time.monotonic() + SESSION_CLAIM_WAIT_SECONDS
    while True:
        task = deps.tasks.get_task(task_id)
        if task is not None or time.monotonic() > deadline:
            return task
        time.sleep(0.1)


def _summary(task: Task, subtasks: list[Subtask], op: str, now: str) -> dict[str, Any]:
    return {
        "attempt": task.attempt,
        "op": op,
        "at": now,
        "status": task.status.value,
        "begin_process_time": task.begin_process_time,
        "finish_time": task.finish_time,
        "err_code": task.err_code,
        "subtasks": [
            {
                "index": s.index,
                "type": s.type,
                "status": s.status.value,
                "err_code": s.err_code,
                "message": s.message,
                "begin_time": s.begin_time,
                "finish_time": s.finish_time,
                "outputs": len(s.outputs),
            }
            for s in subtasks
            if s.attempt == task.attempt
        ],
    }


def reopen(deps: Deps, account: str, task_id: str, *, only_failed: bool) -> Task:
    task = owned_task(deps, account, task_id)
    if task.status != TaskStatus.FINISH:
        raise ConflictError(
            f"only finished tasks can be {'retried' if only_failed else 'restarted'}; this one is {task.status.value}",
            code="FailedOperation.TaskNotFinished",
            params={"status": task.status.value},
        )
    if only_failed and not task.has_failed:
        raise ConflictError("the task has no failed subtasks to retry", code="FailedOperation.NoFailedSubtasks")
    now = clock.now_iso()
    subtasks = deps.tasks.get_subtasks(task_id)
    op = "retry_failed" if only_failed else "restart"
    if not deps.tasks.reopen_task(
        task, only_failed=only_failed, history_entry=_summary(task, subtasks, op, now), now=now
    ):
        raise ConflictError("the task changed meanwhile; reload and try again", code="FailedOperation.Conflict")
    reopened = deps.tasks.get_task(task_id)
    assert reopened is not None
    finish_reopen(deps, reopened)
    return reopened


def finish_reopen(deps: Deps, task: Task) -> None:
    """Bring subtasks left in an older attempt into the task's attempt, then dispatch the queued
    ones. Idempotent: the reopen call runs it, and the reconciler runs it again if a crash left a
    reopen half done."""
    last_op = (task.history[-1] if task.history else {}).get("op")
    queued = []
    for sub in deps.tasks.get_subtasks(task.task_id):
        if sub.attempt >= task.attempt:
            continue
        if last_op == "retry_failed" and sub.status == SubtaskStatus.SUCCESS:
            deps.tasks.carry_subtask(task.task_id, sub.index, sub.attempt, task.attempt)
        elif deps.tasks.requeue_subtask(task.task_id, sub.index, sub.attempt, task.attempt, clock.now_iso()):
            sub.attempt, sub.status = task.attempt, SubtaskStatus.WAITING
            queued.append(sub)
    dispatch(deps.invoker, queued)
    aggregate_and_notify(deps, task.task_id)


def _not_waiting(task: Task) -> ConflictError:
    return ConflictError(
        f"only queued tasks can be terminated; this one is {task.status.value}",
        code="FailedOperation.TaskNotWaiting",
        params={"status": task.status.value},
    )


def terminate(deps: Deps, account: str, task_id: str) -> Task:
    """The terminated task, or ConflictError saying what the task is instead: the answer is what
    happened, even when a worker or a restart lands between the read and the write."""
    task = owned_task(deps, account, task_id)
    if task.status != TaskStatus.WAITING:
        raise _not_waiting(task)
    now = clock.now_iso()
    terminated = deps.tasks.terminate_task(
        task_id, account, now, media_errors.TERMINATED, "terminated by the user", attempt=task.attempt
    )
    if not terminated:
        raise _not_waiting(owned_task(deps, account, task_id))  # a worker started it meanwhile
    cancel_queued(deps, task_id, task.attempt)
    done = owned_task(deps, account, task_id)
    if done.attempt != task.attempt:
        # FINISH (terminated) made it restartable, and a restart got in before this re-read: its
        # new run is what the task is now, and a 200 carrying WAITING would read as "not terminated".
        raise ConflictError(
            f"the task was terminated, but a restart began a new run meanwhile; it is {done.status.value} now",
            code="FailedOperation.TaskRestarted",
            params={"status": done.status.value, "attempt": done.attempt},
        )
    return done


def cancel_queued(deps: Deps, task_id: str, attempt: int) -> None:
    """Cancels the terminated run's queued subtasks, never those of a run that a restart began since."""
    for sub in deps.tasks.get_subtasks(task_id):
        if sub.status == SubtaskStatus.WAITING and sub.attempt == attempt:
            deps.tasks.cancel_waiting_subtask(
                task_id,
                sub.index,
                sub.attempt,
                clock.now_iso(),
                media_errors.CANCELLED,
                "cancelled: the task was terminated",
            )
    aggregate_and_notify(deps, task_id)  # counts follow the subtasks; the task is FINISH already
