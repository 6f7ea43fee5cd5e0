"""Two accounts, each with its own buckets: every route, action, trigger and worker run aimed at the
other's ids, buckets, keys and output dirs is refused, and no byte of the other's data changes."""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from shared.api.mps.actions import ACTIONS
from shared.api.mps.context import ActionContext
from shared.api.mps.errors import MpsError
from shared.api.mps.params import Params
from shared.domain import clock
from shared.domain.accounts import AccessKey
from shared.domain.buckets import AccountBuckets
from shared.domain.events import build_cos_event
from shared.domain.ids import random_task_id
from shared.domain.workflow import SubtaskSpec, Workflow
from shared.services.bootstrap import provision_account
from shared.services.create import new_task
from shared.services.deps import Deps
from shared.services.templates import TemplateCatalog
from shared.services.trigger import handle_cos_event
from tests.integration.api_client import InProcessApi
from tests.integration.pipeline_helpers import drain
from tests.media_fixtures import make_clip

pytestmark = pytest.mark.integration


@dataclass
class Tenant:
    account: str
    appid: str
    buckets: AccountBuckets
    api: InProcessApi
    task_id: str = ""


def _tenant(deps: Deps) -> Tenant:
    account = f"acct-{uuid.uuid4().hex[:8]}"
    appid = "14" + "".join(random.choice("0123456789") for _ in range(8))
    deps.accounts.create_account(account, appid, clock.now_iso())
    token = f"token-{account}"
    deps.accounts.put_token(token, account, "test", clock.now_iso())
    buckets = provision_account(deps, account, deps.storage.ensure_bucket)
    return Tenant(account, appid, buckets, InProcessApi(token))


def _upload(deps: Deps, tenant: Tenant, clip: Path, key: str) -> list[str]:
    with clip.open("rb") as f:
        info = deps.storage.put_stream(tenant.buckets.input, key, f)
    event = build_cos_event(
        appid=tenant.appid,
        bucket=info.bucket,
        region=deps.settings.region,
        key=key,
        size=info.size,
        etag=info.etag,
        event_time=1,
    )
    return [o.task_id for o in handle_cos_event(deps, event)]


def _md5_tree(root: Path) -> dict[str, str]:
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest() for p in files}


def _mps(deps: Deps, tenant: Tenant, action: str, params: dict) -> str | None:
    key = AccessKey(tenant.account, tenant.appid, "AKID" + "x" * 32, "k", enabled=True)
    ctx = ActionContext(deps=deps, key=key, request_id="test", language="en-US", region=deps.settings.region)
    try:
        ACTIONS[action](ctx, Params(params))
    except MpsError as exc:
        return exc.code
    except Exception as exc:  # a service error: the handler maps it by class
        from shared.api.mps.errors import error_of

        return error_of(exc, "en-US", "test")[0]
    return None


@pytest.fixture
def tenants(deps: Deps, invoker, tmp_path: Path):  # type: ignore[no-untyped-def]
    from shared.api import deps as api_deps

    api_deps.use(deps)
    a, b = _tenant(deps), _tenant(deps)
    clip = make_clip(tmp_path / "clip.mp4", seconds=1, width=160, height=96)
    for tenant in (a, b):
        (tenant.task_id,) = _upload(deps, tenant, clip, "input/clip.mp4")
    drain(deps, invoker)
    yield a, b
    api_deps.use(None)


def test_a_second_account_cannot_reach_the_first_accounts_buckets_tasks_or_workflows(deps, invoker, tenants, tmp_path):
    a, b = tenants
    root = Path(deps.settings.storage_root)
    # GIVEN each account's upload made a finished task of its own, in its own buckets
    assert a.buckets.input != b.buckets.input and a.buckets.input.endswith(f"-{a.appid}")
    for tenant in (a, b):
        task = deps.tasks.get_task(tenant.task_id)
        assert task.account == tenant.account and task.status.value == "FINISH"
        assert task.input_bucket == tenant.buckets.input and task.output_bucket == tenant.buckets.output
    a_dirs = [root / a.buckets.input, root / a.buckets.output]
    before = {str(d): _md5_tree(d) for d in a_dirs}
    assert before[str(root / a.buckets.output)], "the first account has outputs to protect"
    a_out_dir = deps.tasks.get_task(a.task_id).output_dir
    subtasks = [s.index for s in deps.tasks.get_subtasks(a.task_id)]
    api = b.api
    statuses: list[int] = []

    def refused(reply, *allowed: int) -> None:  # type: ignore[no-untyped-def]
        statuses.append(reply.status)
        assert reply.status in (allowed or (403, 404)), (reply.status, reply.body)

    # WHEN the second account lists, reads or writes with the first's buckets, ids and folders
    for bucket in a.buckets.names:
        refused(api.get(f"/api/v1/objects?bucket={bucket}"), 403)
        refused(api.post("/api/v1/workflows/match", {"bucket": bucket, "key": "input/clip.mp4"}), 403)
    refused(
        api.post(
            "/api/v1/tasks",
            {
                "input": {"bucket": a.buckets.input, "key": "input/clip.mp4"},
                "subtasks": [{"type": "Transcode", "definition": 100010}],
            },
        ),
        403,
    )
    refused(
        api.post(
            "/api/v1/tasks",
            {
                "input": {"bucket": b.buckets.input, "key": "input/clip.mp4"},
                "output": {"bucket": a.buckets.output, "dir": a_out_dir},
                "subtasks": [{"type": "Transcode", "definition": 100010}],
            },
        ),
        403,
    )
    for path in ("", "/source", "/restart", "/retry-failed", "/terminate"):
        call = api.get if path in ("", "/source") else api.post
        refused(call(f"/api/v1/tasks/{a.task_id}{path}"), 404)
    for index in subtasks:
        for path in ("", "/view", "/download", "/download?mode=url"):
            refused(api.get(f"/api/v1/tasks/{a.task_id}/subtasks/{index}{path}"), 404)
    assert a.task_id not in {t["task_id"] for t in api.get("/api/v1/tasks?limit=100").body["tasks"]}
    wf = {"name": "steal", "subtasks": [{"type": "Transcode", "definition": 100010}]}
    refused(api.post("/api/v1/workflows", {**wf, "bucket": a.buckets.input, "prefix": "input/"}), 403)
    refused(api.post("/api/v1/workflows", {**wf, "output": {"bucket": a.buckets.output, "dir": a_out_dir}}), 403)
    a_default = f"default-{a.appid}"
    for call in (api.get, api.delete):
        refused(call(f"/api/v1/workflows/{a_default}"), 404)
    refused(api.put(f"/api/v1/workflows/{a_default}", wf), 404)
    refused(api.post(f"/api/v1/workflows/{a_default}/disable"), 404)
    # AND an upload ticket and the config name the caller's own buckets only
    ticket = api.post("/api/v1/uploads", {"filename": "x.mp4", "key": "input/clip.mp4"}).body
    assert ticket["bucket"] == b.buckets.input and f"/{a.buckets.input}/" not in ticket["upload_url"]
    assert api.get("/api/v1/config").body["input_bucket"] == b.buckets.input
    # AND the MPS API refuses the first account's buckets as not there
    transcode = {"MediaProcessTask": {"TranscodeTaskSet": [{"Definition": 100010}]}}
    cos_in = {
        "Type": "COS",
        "CosInputInfo": {"Bucket": a.buckets.input, "Region": deps.settings.region, "Object": "/input/clip.mp4"},
    }
    assert _mps(deps, b, "ProcessMedia", {"InputInfo": cos_in, **transcode}) == "ResourceNotFound.CosBucketNotExist"
    own_in = {**cos_in, "CosInputInfo": {**cos_in["CosInputInfo"], "Bucket": b.buckets.input}}
    foreign_out = {"Type": "COS", "CosOutputStorage": {"Bucket": a.buckets.output, "Region": deps.settings.region}}
    assert (
        _mps(
            deps,
            b,
            "ProcessMedia",
            {"InputInfo": own_in, "OutputStorage": foreign_out, "OutputDir": "/" + a_out_dir, **transcode},
        )
        == "ResourceNotFound.CosBucketNotExist"
    )
    trigger = {
        "Type": "CosFileUpload",
        "CosFileUploadTrigger": {"Bucket": a.buckets.input, "Region": deps.settings.region, "Dir": "/input/"},
    }
    code = _mps(deps, b, "CreateWorkflow", {"WorkflowName": "steal", "Trigger": trigger, **transcode})
    assert code is not None and code.startswith(("AuthFailure", "ResourceNotFound", "InvalidParameterValue")), code
    # AND a rule of the second account written on the first's bucket (older data) receives nothing
    rule = Workflow(
        workflow_id=f"wf-legacy-{b.account}",
        account=b.account,
        name="legacy",
        bucket=a.buckets.input,
        prefix="input/",
        suffixes=(),
        subtasks=(SubtaskSpec("Transcode", 100010),),
        output_bucket=b.buckets.output,
        create_time=clock.now_iso(),
    )
    deps.workflows.create_if_missing(rule)
    new_ids = _upload(deps, a, make_clip(tmp_path / "second.mp4", seconds=1, width=160, height=96), "input/second.mp4")
    assert [deps.tasks.get_task(t).account for t in new_ids] == [a.account]
    # AND a task of the second account recorded with the first's buckets (older data) fails, writing nothing
    spec = SubtaskSpec("Transcode", 100010)
    template = TemplateCatalog(deps.templates, deps.counters).resolve_spec(b.account, spec)
    for in_bucket, out_bucket in ((a.buckets.input, b.buckets.output), (b.buckets.input, a.buckets.output)):
        task, subs = new_task(
            task_id=random_task_id(b.appid),
            account=b.account,
            input_bucket=in_bucket,
            input_key="input/clip.mp4",
            input_etag=None,
            input_size=None,
            output_bucket=out_bucket,
            output_dir=a_out_dir,
            origin="api",
            specs=[(spec, template)],
        )
        deps.tasks.create_task(task, [replace(s) for s in subs])
        invoker.invoke_async("transcode", {"task_id": task.task_id, "index": 1, "attempt": 0})
        drain(deps, invoker)
        (sub,) = deps.tasks.get_subtasks(task.task_id)
        assert (sub.status.value, sub.err_code) == ("FAIL", "InvalidInput.BucketOfAnotherAccount")
    # THEN nothing of the first account's changed: every file has the md5 it had
    after = {str(d): _md5_tree(d) for d in a_dirs}
    for d in a_dirs:
        changed = {k for k in before[str(d)] if after[str(d)].get(k) != before[str(d)][k]}
        assert not changed, changed
    assert statuses and 500 not in statuses
