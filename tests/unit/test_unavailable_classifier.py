"""Which table errors are "try again later" (503), and which are not (shared/store/unavailable.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import GetError, UpdateError

from shared.domain.errors import NotFoundError, UnavailableError
from shared.store.unavailable import table_unavailable, unavailable

pytestmark = pytest.mark.unit


def _client_error(code: str, status: int) -> ClientError:
    response = {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "GetItem")  # type: ignore[arg-type]


def _wrapped(cause: Exception) -> GetError:
    try:
        raise GetError("Failed to get item", cause) from cause
    except GetError as exc:
        return exc


@pytest.mark.parametrize(
    "cause",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        _client_error("ProvisionedThroughputExceededException", 400),
        _client_error("ThrottlingException", 400),
        _client_error("InternalServerError", 500),
        _client_error("SomethingNew", 503),
    ],
)
def test_a_table_that_does_not_answer_now_is_unavailable(cause):
    # GIVEN pynamodb's error around what botocore saw after its retries
    # THEN it is unavailable, and becomes the domain's 503 error with a retry hint
    assert table_unavailable(_wrapped(cause))
    assert table_unavailable(cause)
    error = unavailable(_wrapped(cause))
    assert error.code == "ServiceUnavailable" and error.params["retry_after_seconds"] >= 1


@pytest.mark.parametrize(
    "exc",
    [
        UpdateError("Failed to update item", _client_error("ConditionalCheckFailedException", 400)),
        _wrapped(_client_error("ValidationException", 400)),
        NotFoundError("no such task"),
        ValueError("a bug"),
    ],
)
def test_an_answer_or_a_bug_is_not_unavailable(exc):
    assert not table_unavailable(exc)


def test_the_domain_error_itself_is_unavailable():
    assert table_unavailable(UnavailableError("later"))
