"""Decode once, who with whom: one read of a task's subtasks says whether a subtask is left to a
sibling's fused run, leads one (and claims whom), or runs alone (shared/services/fusion.py runs them).

Who leads: the lowest-indexed sibling of a leading kind (a rendition: its run is the long one, and
its function has the fused engine); a sprite joins and never leads, so a sprite with no rendition
beside it runs alone. The trigger dispatches every subtask at once, so two renditions' workers start
together; if each claimed itself first, they would split the group and decode twice (the ladder
bench measured exactly four runs' CPU that way). A worker whose subtask has a leading sibling ahead
of it that is still waiting, or was claimed a moment ago, leaves its subtask to that sibling's run
and ends at once. Nothing is lost if that run never comes: the reconciler re-invokes subtasks left
waiting, and a sibling claimed longer than LEAD_GRACE_SECONDS ago no longer holds the others back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from shared.domain import clock, kinds
from shared.domain.errors import BadInputError
from shared.domain.model import Subtask
from shared.domain.status import SubtaskStatus
from shared.media.contract import Engine
from shared.media.ffmpeg.fused import MAX_FUSED, fused_engine_for, joins_fused_runs
from shared.services.deps import Deps
from shared.services.templates import params_from_snapshot


@dataclass(frozen=True)
class Claimed:
    sub: Subtask  # as read before its claim (``tries`` counts the runs before this one)
    token: str


def fusion_key(sub: Subtask) -> str | None:
    try:
        params = params_from_snapshot(sub.type, sub.template.get("params", {}))
    except BadInputError:
        return None  # stored parameters the engine refuses: that subtask fails alone, with its own code
    return kinds.get(sub.type).fusion_key(params)


LEAD_GRACE_SECONDS = 10.0  # a leader claims its siblings right after its own claim: well within this


@dataclass(frozen=True)
class Group:
    """What one read of the task's subtasks says about a subtask's run, before its claim."""

    leader: int | None = None  # the sibling whose run takes this subtask along: this one ends at once
    followers: tuple[Subtask, ...] = ()  # the waiting siblings this subtask's run claims, as it leads


def _fusable(deps: Deps, sub: Subtask, engine: Engine) -> bool:
    runs_or_joins = fused_engine_for(engine) is not None or joins_fused_runs(engine)
    return deps.settings.fuse_outputs and runs_or_joins and sub.tries == 0


def _leads(sub: Subtask) -> bool:
    return kinds.get(sub.type).fusion_leads


def fused_group(deps: Deps, sub: Subtask, engine: Engine) -> Group:
    """Whether ``sub`` is left to a sibling's run, or leads one and with whom (``Group()``: it runs alone)."""
    if not _fusable(deps, sub, engine):
        return Group()
    key = fusion_key(sub)
    if key is None:
        return Group()
    recent = clock.iso(clock.now() - timedelta(seconds=LEAD_GRACE_SECONDS))
    fellows = sorted(
        (
            s
            for s in deps.tasks.get_subtasks(sub.task_id)
            if s.attempt == sub.attempt and s.tries == 0 and fusion_key(s) == key
        ),
        key=lambda s: (not _leads(s), s.index),  # leaders first: a sprite is taken along, never leads
    )
    holding = [  # the siblings that are, or are about to be, in one run's group
        s
        for s in fellows
        if s.index == sub.index
        or s.status == SubtaskStatus.WAITING
        or (s.status == SubtaskStatus.PROCESSING and (s.begin_time or "") >= recent)
    ]
    position = [s.index for s in holding].index(sub.index)
    if position >= MAX_FUSED or not _leads(holding[0]):
        return Group()  # beyond what one group takes, or no sibling that leads: it runs alone
    if position > 0:
        return Group(leader=holding[0].index)
    if fused_engine_for(engine) is None:
        return Group()
    followers = [s for s in fellows if s.index != sub.index and s.status == SubtaskStatus.WAITING]
    return Group(followers=tuple(followers[: MAX_FUSED - 1]))


def claim_siblings(deps: Deps, leader: Subtask, followers: tuple[Subtask, ...]) -> list[Claimed]:
    """The followers this run takes along, each claimed on its own (a sibling claimed meanwhile is not)."""
    if not followers:
        return []
    now = clock.now_iso()
    if not deps.tasks.claim_task(leader.task_id, leader.account, leader.attempt, now):
        return []  # terminated or restarted since the leader's claim: nothing more starts
    claimed = []
    for sib in followers:
        token = uuid.uuid4().hex
        if deps.tasks.claim_subtask(sib.task_id, sib.index, sib.attempt, token, now):
            claimed.append(Claimed(sib, token))
    return claimed
