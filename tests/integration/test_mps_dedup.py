"""SessionId de-duplication for task-creating API 3.0 actions, against the real table."""

from __future__ import annotations

import uuid

import pytest

from shared.api.mps.dedup import claim_session
from shared.api.mps.errors import MpsError
from shared.domain.ids import random_task_id

pytestmark = pytest.mark.integration


def test_a_session_id_claims_one_task_and_a_replay_is_refused(deps):
    # GIVEN a SessionId claimed by a first task
    session, first = "s-" + uuid.uuid4().hex[:12], random_task_id("1250000000")
    claim_session(deps, "acct-a", session, first)
    claim_session(deps, "acct-a", session, first)  # the same task again: idempotent
    # WHEN a replay (or a retry) would create a second task THEN it is refused, naming the first
    with pytest.raises(MpsError) as caught:
        claim_session(deps, "acct-a", session, random_task_id("1250000000"))
    assert caught.value.code == "InvalidParameterValue.SessionId" and caught.value.params["task_id"] == first
    # AND another account's same SessionId is its own
    claim_session(deps, "acct-b", session, random_task_id("1250000000"))
    with pytest.raises(MpsError) as too_long:
        claim_session(deps, "acct-a", "x" * 51, first)
    assert too_long.value.code == "InvalidParameterValue.SessionIdTooLong"
