"""Upload trigger rules (MPS "workflows"): which uploads create which subtasks, and where outputs go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.domain.errors import BadInputError
from shared.domain.object_paths import validate_object_path

MEDIA_SUFFIXES = ("mp4", "mov", "mkv", "avi", "flv", "webm", "ts", "m4v", "mp3", "wav", "m4a", "aac", "flac")
DEFAULT_WORKFLOW_ID = "default"


SNAPSHOT_KINDS = ("time_offset", "sampled", "sprite")
MAX_SUBTASKS = 20


@dataclass(frozen=True)
class SubtaskSpec:
    """What a workflow or a create request asks for; the template catalog resolves it."""

    type: str
    definition: int
    kind: str = "sampled"  # Snapshot family: time_offset | sampled | sprite
    output_object_path: str | None = None  # MPS OutputObjectPath: {inputName} {definition} {number} {format}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "definition": self.definition}
        if self.type == "Snapshot":
            data["kind"] = self.kind
        if self.output_object_path:
            data["output_object_path"] = self.output_object_path
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SubtaskSpec:
        if not isinstance(data, dict) or "type" not in data or "definition" not in data:
            raise BadInputError(f"a subtask needs 'type' and 'definition': {data!r}", code="InvalidParameter.Subtask")
        definition = data["definition"]
        if isinstance(definition, bool) or not isinstance(definition, int) or definition < 0:
            raise BadInputError(
                f"definition must be a non-negative integer: {definition!r}", code="InvalidParameterValue.Definition"
            )
        kind = data.get("kind") or "sampled"
        if kind not in SNAPSHOT_KINDS:
            raise BadInputError(f"kind must be one of {', '.join(SNAPSHOT_KINDS)}", code="InvalidParameterValue.Kind")
        unknown = set(data) - {"type", "definition", "kind", "output_object_path"}
        if unknown:
            raise BadInputError(
                f"unknown subtask fields: {', '.join(sorted(unknown))}", code="InvalidParameter.Subtask"
            )
        path = data.get("output_object_path")
        if path is not None:
            path = validate_object_path(path, require_number=data["type"] == "Snapshot")
        return cls(type=str(data["type"]), definition=definition, kind=kind, output_object_path=path)


def parse_specs(data: Any) -> tuple[SubtaskSpec, ...]:
    if not isinstance(data, list) or not data:
        raise BadInputError("subtasks must be a non-empty list", code="InvalidParameterValue.Subtasks")
    if len(data) > MAX_SUBTASKS:
        raise BadInputError(f"at most {MAX_SUBTASKS} subtasks", code="InvalidParameterValue.Subtasks")
    return tuple(SubtaskSpec.from_dict(item) for item in data)


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
        subtasks=(SubtaskSpec("Transcode", 100030), SubtaskSpec("Snapshot", 10, "sampled")),
        output_bucket=output_bucket,
        output_dir="output/{task_id}/",
        create_time=create_time,
    )
