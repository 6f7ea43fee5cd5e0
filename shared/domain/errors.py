"""The one error hierarchy of openmps.

Every error carries a stable ``code`` (shown to users and stored as a subtask's ``err_code``),
a plain English ``message`` for scripts and logs, and ``params``: the values the message quotes, so
a console renders the same message in its own language from the code. The edges translate them:
the API maps each class to an HTTP status, workers map them to FAIL (permanent) or a retry
(retryable).
"""

from __future__ import annotations

from typing import Any


def shown(value: object) -> str:
    """A value as an error message quotes it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def error_envelope(code: str, message: str, params: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The one shape of every error answer, REST body or function result. With ``params`` (the REST
    API always gives them) the answer also says ``message_code`` and ``message_params``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if params is not None:
        error["message_code"] = code
        error["message_params"] = params
    return {"error": error}


class OpenMpsError(Exception):
    code = "InternalError"

    def __init__(self, message: str, *, code: str | None = None, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.params: dict[str, Any] = dict(params or {})
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class BadInputError(OpenMpsError):
    """The caller sent something malformed or out of range (HTTP 400)."""

    code = "InvalidParameter"


class AuthError(OpenMpsError):
    """Missing or wrong credentials (HTTP 401)."""

    code = "AuthFailure"


class ForbiddenError(OpenMpsError):
    """Valid credentials, but not for this object (HTTP 403)."""

    code = "AuthFailure.UnauthorizedOperation"


class NotFoundError(OpenMpsError):
    """The object does not exist, or not for this account (HTTP 404)."""

    code = "ResourceNotFound"


class ConflictError(OpenMpsError):
    """A conditional write lost, or the operation is not allowed in the current state (HTTP 409)."""

    code = "FailedOperation.InvalidState"


class UnavailableError(OpenMpsError):
    """A part the request needs does not answer right now (the table restarting, unreachable or
    overloaded): HTTP 503 with Retry-After; the same request may succeed when retried."""

    code = "ServiceUnavailable"


class ProcessingError(OpenMpsError):
    """A subtask could not be processed."""


class PermanentProcessingError(ProcessingError):
    """Processing this input again will fail the same way: the subtask ends in FAIL with ``code``."""

    code = "FailedOperation.Processing"


class RetryableProcessingError(ProcessingError):
    """A passing fault (storage, table, network): the invocation is retried.

    Raising it from a worker means the event is delivered again by the runtime.
    """

    code = "InternalError.Retryable"


class RetriesExhaustedError(RetryableProcessingError):
    """A passing fault outlasted every run the platform gives an event, and the subtask is recorded
    as FAIL already. Raised all the same, so the platform counts the invocation as failed and keeps
    it in its dead letter queue; a delivery after this one finds the subtask finished and does nothing."""

    code = "InternalError"


class MediaError(PermanentProcessingError):
    """The input is not usable media (empty, truncated, not media, missing a needed stream)."""

    code = "InvalidMedia"


class EngineError(PermanentProcessingError):
    """The media engine (ffmpeg) failed. ``log_tail`` keeps the last lines it printed."""

    code = "EngineFailed"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        log_tail: str = "",
        exit_code: int | None = None,
        argv: list[str] | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.log_tail = log_tail
        self.exit_code = exit_code
        self.argv = argv or []


class EngineTimeoutError(EngineError):
    code = "EngineTimeout"
