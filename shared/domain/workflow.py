"""Upload trigger rules (MPS "workflows"): which uploads create which subtasks, and where outputs go."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.errors import BadInputError
from shared.domain.kinds import snapshot, transcode
from shared.domain.notify import NotifyConfig
from shared.domain.subtask_spec import MAX_SUBTASKS, SubtaskSpec, parse_specs

MEDIA_SUFFIXES = ("mp4", "mov", "mkv", "avi", "flv", "webm", "ts", "m4v", "mp3", "wav", "m4a", "aac", "flac")
DEFAULT_WORKFLOW_ID = "default"
__all__ = ["MAX_SUBTASKS", "SubtaskSpec", "Workflow", "default_workflow", "parse_specs", "render_output_dir"]


@dataclass(frozen=True)
class Workflow:
    workflow_id: str
    account: str
    name: str
    bucket: str
    prefix: str
    suffixes: tuple[str, ...]
    subtasks: tuple[SubtaskSpec, ...]
    output_bucket: str
    output_dir: str = "output/{task_id}/"
    enabled: bool = True
    create_time: str = ""
    update_time: str = ""
    # What the MPS API 3.0 names a workflow by (an int; ours is a string): given once, never reused.
    # 0 until the first MPS call that needs it (rules made before the API 3.0, the default rule).
    mps_id: int = 0
    notify: NotifyConfig | None = None  # copied to every task the workflow creates
    priority: int = 0  # MPS TaskPriority, kept for the tasks the rule creates

    def matches(self, bucket: str, key: str) -> bool:
        if not self.enabled or bucket != self.bucket or not key.startswith(self.prefix):
            return False
        if key.endswith("/"):
            return False  # a "folder" marker object, not a file
        if not self.suffixes:
            return True
        lowered = key.lower()
        return any(lowered.endswith("." + s.lower().lstrip(".")) for s in self.suffixes)

    def output_dir_for(self, task_id: str) -> str:
        return render_output_dir(self.output_dir, task_id)

    def check_no_retrigger(self) -> None:
        """Outputs must never land where they would trigger this rule again."""
        if self.output_bucket == self.bucket and self.output_dir.startswith(self.prefix):
            raise BadInputError(
                f"output dir {self.output_dir!r} is under the triggering prefix {self.prefix!r} "
                f"of bucket {self.bucket}: outputs would trigger the workflow again",
                code="InvalidParameterValue.OutputDir",
                params={"output_dir": self.output_dir, "prefix": self.prefix, "workflow": self.name},
            )


def render_output_dir(template: str, task_id: str) -> str:
    rendered = template.replace("{task_id}", task_id).replace("{taskId}", task_id)
    rendered = rendered.lstrip("/")
    if rendered and not rendered.endswith("/"):
        rendered += "/"
    if ".." in rendered.split("/"):
        raise BadInputError("output dir must not contain '..'", code="InvalidParameterValue.OutputDir")
    return rendered


def default_workflow(account: str, input_bucket: str, output_bucket: str, create_time: str) -> Workflow:
    return Workflow(
        workflow_id=DEFAULT_WORKFLOW_ID,
        account=account,
        name="default: 720p MP4 + snapshots",
        bucket=input_bucket,
        prefix="input/",
        suffixes=MEDIA_SUFFIXES,
        subtasks=(SubtaskSpec(transcode.NAME, 100030), SubtaskSpec(snapshot.NAME, 10, "sampled")),
        output_bucket=output_bucket,
        output_dir="output/{task_id}/",
        create_time=create_time,
    )
