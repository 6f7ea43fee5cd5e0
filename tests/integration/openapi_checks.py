"""Schemathesis hooks for tests/integration/test_openapi_conformance.py (SCHEMATHESIS_HOOKS).

``documented_acceptance`` is schemathesis' positive_data_acceptance, except for refusals of
schema-valid requests that no static document can rule out, each listed with its reason; any other
400 to a schema-valid request fails the run.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

BEYOND_THE_DOCUMENT = {
    # which buckets exist and belong to the caller, which templates exist: the table's state
    "InvalidParameterValue.InputBucket": "the installation's buckets",
    "InvalidParameterValue.OutputBucket": "the installation's buckets",
    "InvalidParameterValue.Bucket": "the installation's buckets",
    "InvalidParameterValue.Definition": "the account's templates",
    "InvalidParameterValue.Cursor": "a cursor is the server's own next_cursor",
    # rules JSON Schema cannot say: bytes, not characters; one field's value against another's
    "InvalidParameterValue.Key": "each key segment is at most 255 bytes of UTF-8",
    "InvalidParameterValue.OutputObjectPath": "{number} is required for outputs of several files",
    "InvalidParameterValue.Status": "failed=true lists finished tasks only",
}

# A template's parameters are checked by its type's rules (shared/domain/kinds), which the document
# leaves open (additionalProperties); the identity fields it does describe are held to it.
TEMPLATE_IDENTITY_CODES = {"InvalidParameterValue.Name", "InvalidParameterValue.Comment", "InvalidParameterValue.Type"}


def beyond_the_document(error: dict[str, Any], case: Any) -> bool:
    code = error.get("code")
    if code in BEYOND_THE_DOCUMENT:
        return True
    params = error.get("message_params") or {}
    if case.operation.path.startswith("/api/v1/templates") and case.method.upper() in ("POST", "PUT"):
        if code not in TEMPLATE_IDENTITY_CODES:
            return True
    # where a notify url's host leads (DNS, the installation's address policy): the refusal names the host
    if code == "InvalidParameterValue.NotifyUrl" and "host" in params:
        return True
    # a template's type changed by PUT: the stored template's type, which the refusal names
    if code == "InvalidParameterValue.Type" and "type" in params:
        return True
    # an output dir under a prefix an enabled workflow watches (the account's workflows, or the
    # request's own bucket and prefix): the refusal names the prefix
    if code == "InvalidParameterValue.OutputDir" and "prefix" in params:
        return True
    # created_from after created_to: the one CreatedFrom refusal that quotes both bounds
    return code == "InvalidParameterValue.CreatedFrom" and "created_to" in params


@schemathesis.check
def documented_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """positive_data_acceptance, except for the refusals listed above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        error = (response.json() or {}).get("error", {}) if response.status_code == 400 else {}
        if beyond_the_document(error, case):
            return None
        raise
