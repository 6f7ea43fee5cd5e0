"""pynamodb models: the only module that knows the table layout.

Longer than our ~300 lines on purpose: every table and index the deployment creates
(infra/cloud/tables.py, create_missing_tables) is declared here, so the whole layout and its
capacity questions are read in one place.

Tables (names prefixed by settings.table_prefix):
- tasks      hash task_id; GSIs by_account (account, create_time) and by_status
             (account_status, create_time) serve the task list without a scan; the sparse
             by_open (open_shard, create_time) lists unfinished tasks for the reconciler.
- subtasks   hash task_id, range idx; sparse GSI by_active (active, active_at) lets the
             reconciler find queued or running subtasks without a scan.
- workflows  hash workflow_id; GSI by_bucket (bucket) for the trigger.
- tokens     hash token_hash -> account.
- accounts   hash account -> appid.
- keys       hash secret_id -> account, sealed secret key, enabled; GSI by_account (account, create_time).
- templates  hash account, range definition: custom templates.
- counters   hash name: atomic counters and session-id claims.
- notifications  hash event_id (deterministic: task, attempt, transition): the outbox of event
             notifications; GSI by_task (task_id, order) lists a task's events in order, the
             sparse by_due (due, next_try_at) lets the reconciler find the events to send.
- parts      hash run ("task#index#attempt"), range part: a transcode split across workers.
"""

from __future__ import annotations

import time

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from shared.runtime.settings import Settings
from shared.store.faults import install_table_faults


class _Index(GlobalSecondaryIndex):
    class Meta:
        projection = AllProjection()
        billing_mode = "PAY_PER_REQUEST"


class TasksByAccount(_Index):
    class Meta(_Index.Meta):
        index_name = "by_account"

    account = UnicodeAttribute(hash_key=True)
    create_time = UnicodeAttribute(range_key=True)


class TasksByStatus(_Index):
    class Meta(_Index.Meta):
        index_name = "by_status"

    account_status = UnicodeAttribute(hash_key=True)
    create_time = UnicodeAttribute(range_key=True)


class OpenTasks(_Index):
    class Meta(_Index.Meta):
        index_name = "by_open"

    open_shard = UnicodeAttribute(hash_key=True)
    create_time = UnicodeAttribute(range_key=True)


class FailedTasks(_Index):
    class Meta(_Index.Meta):
        index_name = "by_failed"

    failed_account = UnicodeAttribute(hash_key=True)
    create_time = UnicodeAttribute(range_key=True)


class TaskModel(Model):
    class Meta:
        table_name = "openmps-tasks"
        billing_mode = "PAY_PER_REQUEST"

    task_id = UnicodeAttribute(hash_key=True)
    account = UnicodeAttribute()
    account_status = UnicodeAttribute()
    status = UnicodeAttribute()
    attempt = NumberAttribute(default=0)
    rev = NumberAttribute(default=0)
    create_time = UnicodeAttribute()
    begin_process_time = UnicodeAttribute(null=True)
    finish_time = UnicodeAttribute(null=True)
    input_bucket = UnicodeAttribute()
    input_key = UnicodeAttribute()
    input_etag = UnicodeAttribute(null=True)
    input_size = NumberAttribute(null=True)
    output_bucket = UnicodeAttribute()
    output_dir = UnicodeAttribute()
    origin = UnicodeAttribute()
    workflow_id = UnicodeAttribute(null=True)
    n_waiting = NumberAttribute(default=0)
    n_processing = NumberAttribute(default=0)
    n_success = NumberAttribute(default=0)
    n_fail = NumberAttribute(default=0)
    err_code = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)
    session_id = UnicodeAttribute(null=True)
    session_context = UnicodeAttribute(null=True)
    input_url = UnicodeAttribute(null=True)
    priority = NumberAttribute(null=True)
    metadata = JSONAttribute(null=True)
    history = JSONAttribute(null=True)
    notify = JSONAttribute(null=True)  # NotifyConfig.to_dict()
    # Sparse: present until the task is FINISH, so the reconciler finds unfinished tasks.
    open_shard = UnicodeAttribute(null=True)
    # Sparse: the account, while the task is FINISH with failed subtasks ("finished with failures").
    failed_account = UnicodeAttribute(null=True)

    by_account = TasksByAccount()
    by_status = TasksByStatus()
    by_open = OpenTasks()
    by_failed = FailedTasks()


class SubtasksByActive(_Index):
    class Meta(_Index.Meta):
        index_name = "by_active"

    active = UnicodeAttribute(hash_key=True)
    active_at = UnicodeAttribute(range_key=True)


class SubtaskModel(Model):
    class Meta:
        table_name = "openmps-subtasks"
        billing_mode = "PAY_PER_REQUEST"

    task_id = UnicodeAttribute(hash_key=True)
    idx = NumberAttribute(range_key=True)
    account = UnicodeAttribute()
    type = UnicodeAttribute()
    status = UnicodeAttribute()
    attempt = NumberAttribute(default=0)
    tries = NumberAttribute(default=0)
    template = JSONAttribute()
    begin_time = UnicodeAttribute(null=True)
    finish_time = UnicodeAttribute(null=True)
    progress = NumberAttribute(default=0)
    heartbeat = UnicodeAttribute(null=True)
    claim_token = UnicodeAttribute(null=True)
    err_code = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)
    outputs = JSONAttribute(null=True)
    result = JSONAttribute(null=True)  # review / analysis / enhancement summary
    log_tail = UnicodeAttribute(null=True)
    queued_time = UnicodeAttribute(null=True)
    # Sparse index keys: present only while the subtask is WAITING or PROCESSING.
    active = UnicodeAttribute(null=True)
    active_at = UnicodeAttribute(null=True)

    by_active = SubtasksByActive()


class WorkflowsByBucket(_Index):
    class Meta(_Index.Meta):
        index_name = "by_bucket"

    bucket = UnicodeAttribute(hash_key=True)


class WorkflowsByAccount(_Index):
    class Meta(_Index.Meta):
        index_name = "by_owner"

    account = UnicodeAttribute(hash_key=True)
    create_time = UnicodeAttribute(range_key=True)


class SubtaskSpecMap(MapAttribute):
    type = UnicodeAttribute()
    definition = NumberAttribute()
    kind = UnicodeAttribute(null=True)
    output_object_path = UnicodeAttribute(null=True)


class WorkflowModel(Model):
    class Meta:
        table_name = "openmps-workflows"
        billing_mode = "PAY_PER_REQUEST"

    workflow_id = UnicodeAttribute(hash_key=True)
    account = UnicodeAttribute()
    name = UnicodeAttribute()
    bucket = UnicodeAttribute()
    prefix = UnicodeAttribute()
    suffixes = ListAttribute(of=UnicodeAttribute)
    subtasks = ListAttribute(of=SubtaskSpecMap)
    output_bucket = UnicodeAttribute()
    output_dir = UnicodeAttribute()
    enabled = BooleanAttribute(default=True)
    create_time = UnicodeAttribute()
    update_time = UnicodeAttribute(null=True)
    mps_id = NumberAttribute(null=True)  # the MPS API 3.0 WorkflowId
    notify = JSONAttribute(null=True)  # NotifyConfig.to_dict(), copied to the tasks it creates
    priority = NumberAttribute(null=True)

    by_bucket = WorkflowsByBucket()
    by_owner = WorkflowsByAccount()


class TokenModel(Model):
    class Meta:
        table_name = "openmps-tokens"
        billing_mode = "PAY_PER_REQUEST"

    token_hash = UnicodeAttribute(hash_key=True)
    account = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    create_time = UnicodeAttribute()


class AccountModel(Model):
    class Meta:
        table_name = "openmps-accounts"
        billing_mode = "PAY_PER_REQUEST"

    account = UnicodeAttribute(hash_key=True)
    appid = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    create_time = UnicodeAttribute()


class KeysByAccount(_Index):
    class Meta(_Index.Meta):
        index_name = "by_account"

    account = UnicodeAttribute(hash_key=True)
    create_time = UnicodeAttribute(range_key=True)


class AccessKeyModel(Model):
    """API key pairs; the secret key is sealed (shared/store/secret_box.py), never stored plain."""

    class Meta:
        table_name = "openmps-keys"
        billing_mode = "PAY_PER_REQUEST"

    secret_id = UnicodeAttribute(hash_key=True)
    account = UnicodeAttribute()
    sealed_secret_key = UnicodeAttribute()
    enabled = BooleanAttribute(default=True)
    create_time = UnicodeAttribute()

    by_account = KeysByAccount()


class TemplateModel(Model):
    """Custom templates of an account; presets live in code."""

    class Meta:
        table_name = "openmps-templates"
        billing_mode = "PAY_PER_REQUEST"

    account = UnicodeAttribute(hash_key=True)
    definition = NumberAttribute(range_key=True)
    type = UnicodeAttribute()
    name = UnicodeAttribute()
    comment = UnicodeAttribute(null=True)
    params = JSONAttribute()
    create_time = UnicodeAttribute()
    update_time = UnicodeAttribute()


class CounterModel(Model):
    """Atomic counters: template definitions, tasks per account, session ids."""

    class Meta:
        table_name = "openmps-counters"
        billing_mode = "PAY_PER_REQUEST"

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)
    ref = UnicodeAttribute(null=True)  # sessions: the task id the session id maps to
    time = UnicodeAttribute(null=True)


class NotificationsByTask(_Index):
    class Meta(_Index.Meta):
        index_name = "by_task"

    task_id = UnicodeAttribute(hash_key=True)
    order = UnicodeAttribute(range_key=True)


class DueNotifications(_Index):
    class Meta(_Index.Meta):
        index_name = "by_due"

    due = UnicodeAttribute(hash_key=True)
    next_try_at = UnicodeAttribute(range_key=True)


class NotificationModel(Model):
    """The notification outbox: an event is recorded here before anyone tries to send it."""

    class Meta:
        table_name = "openmps-notifications"
        billing_mode = "PAY_PER_REQUEST"

    event_id = UnicodeAttribute(hash_key=True)
    task_id = UnicodeAttribute()
    account = UnicodeAttribute()
    attempt = NumberAttribute()
    transition = UnicodeAttribute()
    order = UnicodeAttribute()
    url = UnicodeAttribute()
    key = UnicodeAttribute(null=True)
    body = JSONAttribute()
    state = UnicodeAttribute()  # pending | delivered | failed
    tries = ListAttribute(of=UnicodeAttribute, default=list)  # JSON of {at, status | error, duration_ms}
    n_tries = NumberAttribute(default=0)
    recorded_at = UnicodeAttribute()
    delivered_at = UnicodeAttribute(null=True)
    lease_token = UnicodeAttribute(null=True)
    # Sparse: present while the event still has to go out.
    due = UnicodeAttribute(null=True)
    next_try_at = UnicodeAttribute(null=True)

    by_task = NotificationsByTask()
    by_due = DueNotifications()


class PartModel(Model):
    """The parts of a transcode split across workers (shared/store/parts.py): one row per part of a
    (task, subtask, attempt), and a plan row (part 0) with the set of parts done."""

    class Meta:
        table_name = "openmps-parts"
        billing_mode = "PAY_PER_REQUEST"

    run = UnicodeAttribute(hash_key=True)  # "{task_id}#{index}#{attempt}"
    part = NumberAttribute(range_key=True)  # 0: the plan; 1..n: video parts; n + 1: the audio part
    kind = UnicodeAttribute()  # plan | video | audio
    status = UnicodeAttribute(null=True)
    start = NumberAttribute(null=True)
    end = NumberAttribute(null=True)
    read_until = NumberAttribute(null=True)
    tries = NumberAttribute(default=0)
    claim_token = UnicodeAttribute(null=True)
    heartbeat = UnicodeAttribute(null=True)
    progress = NumberAttribute(default=0)
    staged_key = UnicodeAttribute(null=True)
    err_code = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)
    n_parts = NumberAttribute(null=True)  # plan row
    done = NumberSetAttribute(null=True)  # plan row: the parts that succeeded (ADD is idempotent)
    video_offset = NumberAttribute(null=True)  # plan row: the first frame's time in the input
    create_time = UnicodeAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (
    TaskModel,
    SubtaskModel,
    WorkflowModel,
    TokenModel,
    TemplateModel,
    CounterModel,
    AccountModel,
    AccessKeyModel,
    NotificationModel,
    PartModel,
)
_BASE_NAMES = {
    TaskModel: "tasks",
    SubtaskModel: "subtasks",
    WorkflowModel: "workflows",
    TokenModel: "tokens",
    TemplateModel: "templates",
    CounterModel: "counters",
    AccountModel: "accounts",
    AccessKeyModel: "keys",
    NotificationModel: "notifications",
    PartModel: "parts",
}
_bound: tuple[str | None, str, str, str | None] | None = None


def bind_models(settings: Settings) -> None:
    """Point every model at the configured table server. pynamodb caches a connection per model
    class, so this must run before the first request, and binding again to a different
    endpoint drops the cached connections (and with them any table faults, see store/faults.py)."""
    global _bound
    target = (settings.table_endpoint, settings.table_region, settings.table_prefix, settings.table_faults)
    if _bound == target:
        return
    for model in ALL_MODELS:
        model.Meta.table_name = settings.table_prefix + _BASE_NAMES[model]
        model.Meta.host = settings.table_endpoint
        model.Meta.region = settings.table_region
        if settings.table_access_key_id:
            model.Meta.aws_access_key_id = settings.table_access_key_id
            model.Meta.aws_secret_access_key = settings.table_secret_access_key
        elif settings.table_endpoint:
            # dynalite ignores credentials, but botocore wants some to sign with.
            model.Meta.aws_access_key_id = "local"
            model.Meta.aws_secret_access_key = "local"
        model._connection = None  # indexes query through their model's connection
    install_table_faults(ALL_MODELS, settings.table_faults)
    _bound = target


def create_missing_tables(settings: Settings, timeout: float = 300.0) -> list[str]:
    """Create the tables (with their indexes) that do not exist yet; idempotent.

    All are asked for at once and then awaited together at a short poll: pynamodb's own wait
    sleeps 2 s per table, which made a first start spend ~22 s here (and a stop asked for
    meanwhile wait that long)."""
    bind_models(settings)
    created = [model for model in ALL_MODELS if not model.exists()]
    for model in created:
        model.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
    deadline = time.monotonic() + timeout
    waiting = list(created)
    while waiting:
        waiting = [m for m in waiting if m._get_connection().describe_table().get("TableStatus") != "ACTIVE"]
        if waiting and time.monotonic() > deadline:
            raise TimeoutError(f"tables not active after {timeout:.0f} s: {[m.Meta.table_name for m in waiting]}")
        if waiting:
            time.sleep(0.1)
    return [model.Meta.table_name for model in created]
