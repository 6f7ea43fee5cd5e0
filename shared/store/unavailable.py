"""Is this exception the table not answering? (then the caller may simply try again later)

The table server restarting, unreachable or overloaded reaches us as botocore's connection errors
(refused, reset, timed out), or, once botocore's retries are spent, as a throttling or 5xx error
code; pynamodb wraps either in its own error, with the botocore one as the cause. Everything
else (a failed condition, a validation error, our bug) is not "unavailable".
"""

from __future__ import annotations

from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

from shared.domain.errors import UnavailableError

RETRY_AFTER_SECONDS = 2  # the local supervisor restarts a dead table server within about a second

# DynamoDB's error codes for "not now": throttling, and its 5xx answers.
_NOT_NOW_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or getattr(current, "cause", None) or current.__context__
    return seen


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    return (response.get("Error") or {}).get("Code") if isinstance(response, dict) else None


def _http_status(exc: BaseException) -> int:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return 0
    return int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)


def table_unavailable(exc: BaseException) -> bool:
    for link in _chain(exc):
        if isinstance(link, UnavailableError | BotoConnectionError | HTTPClientError):
            return True
        if getattr(link, "cause_response_code", None) in _NOT_NOW_CODES or _http_status(link) >= 500:
            return True
        if _error_code(link) in _NOT_NOW_CODES:
            return True
    return False


def unavailable(exc: BaseException) -> UnavailableError:
    """The domain error a table fault becomes at an edge."""
    if isinstance(exc, UnavailableError):
        return exc
    return UnavailableError(
        f"the table does not answer right now ({type(exc).__name__}); retry in {RETRY_AFTER_SECONDS} s",
        params={"retry_after_seconds": RETRY_AFTER_SECONDS},
    )
