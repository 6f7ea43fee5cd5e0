"""Publishing a finished engine run: its files under their final keys, in the output bucket.

Outputs go first, then the result's files (evidence, covers, the full JSON), numbered on; a run
whose claim was lost on the way publishes nothing more.
"""

from __future__ import annotations

from typing import Any

from shared.domain import kinds
from shared.domain.model import Subtask, Task
from shared.domain.naming import input_name
from shared.domain.object_paths import render_object_path
from shared.media.contract import EngineResult
from shared.services.deps import Deps
from shared.services.heartbeat import ClaimLostError, Heartbeat


def publish_run(
    deps: Deps, task: Task, sub: Subtask, run: EngineResult, beat: Heartbeat
) -> tuple[list[dict[str, Any]], str, dict[str, Any] | None]:
    """Upload ``run``'s files; returns (outputs, log_tail, result with its result_files)."""
    # Outputs first, then the result's files (evidence, covers, the full JSON), numbered on.
    published = []
    for number, f in enumerate([*run.outputs, *run.result_files]):
        if beat.lost:  # the reconciler gave this run up: its results must not land
            raise ClaimLostError("this run no longer holds its subtask")
        key = task.output_dir + output_name(sub, task.input_key, f.name, number)
        # The engine computed the MD5 already: the storage need not read the file again for its etag.
        deps.storage.publish_file(task.output_bucket, key, f.path, f.metadata.get("md5"))
        published.append({"bucket": task.output_bucket, "key": key, **f.metadata})
    if beat.lost:
        raise ClaimLostError("this run no longer holds its subtask")
    outputs, result_files = published[: len(run.outputs)], published[len(run.outputs) :]
    result = run.result if not result_files else {**(run.result or {}), "result_files": result_files}
    return outputs, run.log_tail, result


def output_name(sub: Subtask, input_key: str, default: str, number: int) -> str:
    """The engine's MPS default name, or the subtask's output_object_path filled in."""
    pattern = sub.template.get("output_object_path")
    if not pattern:
        return default
    fmt = default.rsplit(".", 1)[-1] if "." in default else ""
    return render_object_path(
        pattern,
        input_name=input_name(input_key),
        definition=int(sub.template["definition"]),
        number=number if kinds.get(sub.type).numbered_outputs else None,
        fmt=fmt,
    )
