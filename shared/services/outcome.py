"""What a subtask's run ended with, recorded under its claim: one set of rules for every runner.

The worker's run of one subtask, each member of a fused run and the join of a split transcode all
end here, so a result means the same whichever path produced it:
- published outputs: SUCCESS, with them;
- a permanent fault (PermanentProcessingError, or BadInputError: stored template parameters the
  engine refuses, which running again will not change): FAIL with its code and message;
- a passing fault (any other exception) with runs left: the subtask goes back to the queue
  (RELEASED), and the caller makes sure it runs again;
- a passing fault on the subtask's last run (``MAX_TRIES``): FAIL with InternalError, marked
  ``exhausted``, so the run the platform sees raises RetriesExhaustedError and the platform keeps
  its event as a dead letter;
- a lost claim (ClaimLostError): nothing is written (LOST); the run that holds the claim now, or
  the reconciler, ends the subtask.
Every write is conditional on the claim token, so a stale or duplicate run changes nothing:
``recorded`` says whether this run's write is the one in the table.

Dead letters and fused runs: only the invocation that fails every run lands in the platform's
dead letter queue (SCF writes it; there is no API to write one). A fused run's leader is that
invocation, so an exhausted leader raises exactly as a lone run does (fusion.run_fused). An
exhausted sibling does not: its own invocation ended long before ("left to subtask N"), and
failing the leader's invocation for it would file the leader's event, not the sibling's, retry a
leader that may well have succeeded, and leave the sibling's event unreplayable all the same. The
sibling's FAIL (InternalError, "internal error after N runs") is in the table, aggregated and
notified like any other; that record is what an operator sees. (With SCF's two retries this case
needs a stale ``tries``: only first runs are fused.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.domain import clock, media_errors
from shared.domain.errors import (
    BadInputError,
    PermanentProcessingError,
    RetriesExhaustedError,
    RetryableProcessingError,
)
from shared.domain.model import Subtask
from shared.domain.status import SubtaskStatus
from shared.runtime.observability import logger
from shared.runtime.scf import ASYNC_RETRIES
from shared.services.deps import Deps
from shared.services.heartbeat import ClaimLostError

# Runs of one subtask within an attempt before a passing fault becomes a FAIL: SCF's first run of
# the event and its retries, so the worker gives up when the platform does (not 3 x 3 runs).
MAX_TRIES = 1 + ASYNC_RETRIES

Published = tuple[list[dict[str, Any]], str, dict[str, Any] | None]  # outputs, log tail, result

SUCCESS, FAIL, RELEASED, LOST = "SUCCESS", "FAIL", "RELEASED", "LOST"


@dataclass(frozen=True)
class RecordedOutcome:
    status: str  # SUCCESS, FAIL, RELEASED or LOST (see the module's docstring)
    recorded: bool  # this run's write is in the table
    exhausted: bool = False  # FAIL for a passing fault on the last run: the caller raises RetriesExhaustedError


def record_outcome(
    deps: Deps, sub: Subtask, token: str, outcome: Published | BaseException, *, failing: str = ""
) -> RecordedOutcome:
    """Record ``outcome`` of the run that claimed ``sub`` (as read before its claim: ``tries``
    counts the runs before this one) with ``token``. ``failing`` names the step a permanent fault's
    message is prefixed with (e.g. "joining the parts")."""
    if isinstance(outcome, ClaimLostError):
        return RecordedOutcome(LOST, recorded=False)
    now = clock.now_iso()
    if isinstance(outcome, tuple):
        outputs, log_tail, result = outcome
        recorded = _finish(deps, sub, token, SUCCESS, now, outputs=outputs, log_tail=log_tail, result=result)
        return RecordedOutcome(SUCCESS, recorded)
    if isinstance(outcome, (PermanentProcessingError, BadInputError)):
        message = f"{failing}: {outcome.message}" if failing else outcome.message
        tail = getattr(outcome, "log_tail", None) or None
        recorded = _finish(deps, sub, token, FAIL, now, err_code=outcome.code, message=message, log_tail=tail)
        logger.warning("subtask failed", extra={"index": sub.index, "err_code": outcome.code, "reason": message})
        return RecordedOutcome(FAIL, recorded)
    if sub.tries + 1 < MAX_TRIES and deps.tasks.release_subtask(sub.task_id, sub.index, token, now):
        logger.warning(
            "passing fault; the subtask goes back to the queue", extra={"index": sub.index}, exc_info=outcome
        )
        return RecordedOutcome(RELEASED, recorded=True)
    logger.error("subtask failed after retries", extra={"index": sub.index}, exc_info=outcome)
    message = f"internal error after {MAX_TRIES} runs: {outcome}"
    recorded = _finish(deps, sub, token, FAIL, now, err_code=media_errors.INTERNAL, message=message)
    return RecordedOutcome(FAIL, recorded, exhausted=recorded)


def given_back_error(sub: Subtask, cause: object) -> RetryableProcessingError:
    """What the run the platform sees raises once ``sub`` is RELEASED: "deliver this event again"."""
    return RetryableProcessingError(f"subtask {sub.task_id}/{sub.index}: {cause}")


def exhausted_error(sub: Subtask, cause: object) -> RetriesExhaustedError:
    """What the run the platform sees raises once ``sub`` is FAIL and ``exhausted``: "keep this event"."""
    return RetriesExhaustedError(f"subtask {sub.task_id}/{sub.index} failed in {MAX_TRIES} runs: {cause}")


def _finish(deps: Deps, sub: Subtask, token: str, status: str, now: str, **result: Any) -> bool:
    return deps.tasks.finish_subtask(sub.task_id, sub.index, token, status=SubtaskStatus(status), now=now, **result)
