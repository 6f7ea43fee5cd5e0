"""The MPS WorkflowId of a workflow (real dynalite): given once, kept by every later change."""

from __future__ import annotations

from dataclasses import replace

from shared.domain import clock
from shared.domain.notify import NotifyConfig
from shared.domain.workflow import SubtaskSpec, Workflow
from shared.services.requests import WorkflowRequest
from shared.services.workflows import (
    create_workflow,
    find_by_id_or_none,
    find_by_mps_id,
    mps_workflows,
    set_enabled,
    update_workflow,
)

RULE = {"name": "cams", "prefix": "cams/", "subtasks": [{"type": "Transcode", "definition": 100010}]}


def test_a_new_workflow_gets_an_mps_id_and_keeps_it_and_its_notify_config_through_rest_changes(deps, account):
    # GIVEN a workflow made with a notify config and a priority
    notify = NotifyConfig(url="http://127.0.0.1:9/hook", mode="change", key="k")
    made = create_workflow(deps, account, WorkflowRequest.model_validate(RULE), notify=notify, priority=3)
    wf = find_by_id_or_none(deps, account, made["workflow_id"])
    assert wf is not None and wf.mps_id > 0 and wf.notify == notify and wf.priority == 3
    # WHEN the REST API replaces the rule with what it read back (the key shows only as set) and disables it
    read_back = {**RULE, "name": "cams-2", "notify": made["notify"]}
    update_workflow(deps, account, wf.workflow_id, WorkflowRequest.model_validate(read_back))
    set_enabled(deps, account, wf.workflow_id, False)
    # THEN its MPS id, notify config and priority are unchanged, and the id finds it
    again = find_by_mps_id(deps, account, wf.mps_id)
    assert (again.workflow_id, again.name, again.enabled) == (wf.workflow_id, "cams-2", False)
    assert (again.mps_id, again.notify, again.priority) == (wf.mps_id, notify, 3)


def test_a_workflow_without_an_mps_id_gets_one_once_and_other_accounts_cannot_give_it_one(deps, account):
    # GIVEN a rule stored without an MPS id (as the default rule and older rules are)
    old = Workflow(
        workflow_id=f"wf-old-{account}",
        account=account,
        name="old",
        bucket=deps.settings.input_bucket,
        prefix="old/",
        suffixes=(),
        subtasks=(SubtaskSpec("Transcode", 100010),),
        output_bucket=deps.settings.output_bucket,
        create_time=clock.now_iso(),
    )
    assert deps.workflows.create_if_missing(old)
    # WHEN another account tries to number it, nothing is written
    assert deps.workflows.set_mps_id("someone-else", old.workflow_id, 424242) == 0
    # THEN the first listing numbers it, and later ones (and a racing second write) keep that number
    [listed] = mps_workflows(deps, account)
    assert listed.mps_id > 0
    assert deps.workflows.set_mps_id(account, old.workflow_id, listed.mps_id + 1) == listed.mps_id
    assert [w.mps_id for w in mps_workflows(deps, account)] == [listed.mps_id]
    assert replace(deps.workflows.get(old.workflow_id), mps_id=0) == replace(old, update_time=old.create_time)
