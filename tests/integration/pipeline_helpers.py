"""Drive the pipeline by hand: the recording invoker holds invocations, we run them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from shared.domain import clock
from shared.domain.events import build_cos_event
from shared.domain.workflow import SubtaskSpec, Workflow
from shared.media.ai.analysis.engine import run_analysis
from shared.media.ai.enhance.engine import run_enhancement
from shared.media.ai.review.engine import run_review
from shared.media.ffmpeg.engines import run_snapshot, run_transcode
from shared.services.aggregate import aggregate_task
from shared.services.deps import Deps
from shared.services.reconcile import reconcile
from shared.services.trigger import handle_cos_event
from shared.services.worker import run_subtask
from tests.doubles import RecordingInvoker

REPO = Path(__file__).resolve().parents[2]

ENGINES = {
    "transcode": run_transcode,
    "snapshot": run_snapshot,
    "review": run_review,
    "analysis": run_analysis,
    "enhance": run_enhancement,
}


def add_workflow(deps: Deps, account: str, prefix: str, specs: list[SubtaskSpec]) -> Workflow:
    wf = Workflow(
        workflow_id=f"wf-{account}-{prefix.strip('/')}",
        account=account,
        name="test",
        bucket=deps.settings.input_bucket,
        prefix=prefix,
        suffixes=(),
        subtasks=tuple(specs),
        output_bucket=deps.settings.output_bucket,
        create_time=clock.now_iso(),
    )
    deps.workflows.create_if_missing(wf)
    return wf


def upload(deps: Deps, local: Path, key: str) -> dict[str, Any]:
    with local.open("rb") as f:
        info = deps.storage.put_stream(deps.settings.input_bucket, key, f)
    return build_cos_event(
        appid=deps.settings.appid,
        bucket=info.bucket,
        region=deps.settings.region,
        key=key,
        size=info.size,
        etag=info.etag,
        event_time=1,
    )


def drain(deps: Deps, invoker: RecordingInvoker, rounds: int = 20) -> None:
    """Run queued invocations until none are left (workers, then aggregators)."""
    for _ in range(rounds):
        if not invoker.calls:
            return
        for function, event in list(invoker.calls):
            invoker.calls.remove((function, event))
            if function == "aggregator":
                aggregate_task(deps.tasks, event["task_id"])
            else:
                run_subtask(deps, event, ENGINES[function], time_budget=120)
    raise AssertionError(f"invocations still queued: {invoker.calls}")


def trigger(deps: Deps, event: dict[str, Any]) -> list[str]:
    return [o.task_id for o in handle_cos_event(deps, event)]


def reconcile_until_retried(deps: Deps, wanted: set[str], passes: int = 20) -> set[str]:
    """Reconciler passes with every claim due at once until each of ``wanted`` ("task/index") was
    given another run; what they retried. A beat a killed worker had sent may land just after a pass
    read it: that subtask's release then fails its condition and the next pass takes it, as the
    timer's next run would."""
    retried: set[str] = set()
    for _ in range(passes):
        report = reconcile(deps, stale_after=0, reinvoke_after=3600, reaggregate_after=3600, batch=100_000)
        retried |= set(report.retried)
        if wanted <= retried:
            break
        time.sleep(0.2)
    return retried


# A transcode worker in a process of its own, on the test's table and buckets: a test can kill it -9.
_WORKER = """
import json, sys
from shared.composition import build_deps
from shared.runtime.settings import Settings
from shared.storage.local import LocalStorage
from shared.media.ffmpeg.engines import run_transcode
from shared.services.worker import run_subtask
from tests.doubles import RecordingInvoker
settings = Settings.model_validate_json(sys.argv[1])
storage = LocalStorage(settings.storage_root, public_url=settings.public_url, signing_key=settings.signing_key)
run_subtask(build_deps(settings, storage=storage, invoker=RecordingInvoker()), json.loads(sys.argv[2]),
            run_transcode, time_budget=300)
"""


def start_transcode_worker(deps: Deps, event: dict[str, Any]) -> subprocess.Popen[bytes]:
    """Run ``event`` through the transcode worker in a new process (and session, so its ffmpeg dies
    with it, as in a killed function instance)."""
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, deps.settings.model_dump_json(), json.dumps(event)],
        cwd=REPO,
        start_new_session=True,
    )
