"""SessionId de-duplication for actions that create a task (ProcessMedia).

A signed request may be replayed as is within the 300 s the signature stays valid, and MPS clients
retry: the SessionId is what makes a creation happen once. The creating action claims the SessionId
for its new task id *before* it writes the task; a claim held by another task within the last 3 days
answers ``InvalidParameterValue.SessionId`` and nothing is created. Without a SessionId every request
is a new task, as in MPS.
"""

from __future__ import annotations

from datetime import timedelta

from shared.api.mps.errors import MpsError
from shared.domain import clock
from shared.services.deps import Deps

SESSION_WINDOW = timedelta(days=3)
SESSION_ID_MAX = 50  # MPS: SessionId at most 50 characters
SESSION_CONTEXT_MAX = 1000


def claim_session(deps: Deps, account: str, session_id: str | None, task_id: str) -> None:
    if not session_id:
        return
    if len(session_id) > SESSION_ID_MAX:
        raise MpsError("InvalidParameterValue.SessionIdTooLong", "bad_range", name="SessionId", low=1, high=50)
    now = clock.now()
    holder = deps.counters.claim_session(account, session_id, task_id, clock.iso(now), clock.iso(now - SESSION_WINDOW))
    if holder != task_id:
        raise MpsError("InvalidParameterValue.SessionId", "session_taken", session_id=session_id, task_id=holder)
