"""A workflow as MPS's ``WorkflowInfo`` (models.py of 2019-06-12)."""

from __future__ import annotations

from typing import Any

from shared.api.mps.workflows.tasks import task_fields
from shared.domain.mps.views import mps_time
from shared.domain.workflow import Workflow


def workflow_info(wf: Workflow, region: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "WorkflowId": wf.mps_id,
        "WorkflowName": wf.name,
        "Status": "Enabled" if wf.enabled else "Disabled",
        "Trigger": {
            "Type": "CosFileUpload",
            "CosFileUploadTrigger": {
                "Bucket": wf.bucket,
                "Region": region,
                "Dir": "/" + wf.prefix,
                "Formats": ["." + s for s in wf.suffixes] or ["*"],
            },
        },
        "OutputStorage": {"Type": "COS", "CosOutputStorage": {"Bucket": wf.output_bucket, "Region": region}},
        **task_fields(wf.subtasks),
        "TaskPriority": wf.priority,
        "OutputDir": "/" + wf.output_dir.lstrip("/"),
        "CreateTime": mps_time(wf.create_time),
        "UpdateTime": mps_time(wf.update_time or wf.create_time),
    }
    if wf.notify:
        info["TaskNotifyConfig"] = wf.notify.to_mps()
    return info
