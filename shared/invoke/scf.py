"""Invoke another function through SCF's ``Invoke`` API with ``InvocationType=Event`` (async).

The event travels as ``ClientContext`` (a JSON string, at most 128 KB for async invocations).
SCF answers as soon as the event is queued; the function runs later and SCF retries it on its
own (MPS-REFERENCE.md 4.5/4.6). Errors are mapped for the caller:

- retryable (``RetryableProcessingError``): network trouble, throttling, internal errors,
  unavailable resources and the transient ``FailedOperation``/``LimitExceeded`` codes;
- permanent (``PermanentInvokeError``): unknown function, bad parameters, refused credentials.
"""

from __future__ import annotations

import json
from typing import Any

from shared.domain.errors import RetryableProcessingError
from shared.invoke.port import Invoker, PermanentInvokeError
from shared.runtime.settings import CloudCredentials, Settings

ASYNC_EVENT_LIMIT = 128 * 1024  # bytes of ClientContext for InvocationType=Event

# Codes (or their first dotted part) that a later identical call may get past.
_RETRYABLE_PREFIXES = (
    "ClientNetworkError",
    "ServerNetworkError",
    "InternalError",
    "RequestLimitExceeded",
    "ResourceUnavailable",
    "ResourceInsufficient",
    "ServiceUnavailable",
    "LimitExceeded",
)
# FailedOperation.* is mostly transient on Invoke ("function is updating", "invoke failed");
# the ones below are not.
_PERMANENT_FAILED_OPERATIONS = (
    "FailedOperation.FunctionStatusError",
    "FailedOperation.UnOpenedService",
    "FailedOperation.FunctionNameStatusError",
)
_PERMANENT_PREFIXES = (
    "ResourceNotFound",
    "InvalidParameter",
    "InvalidParameterValue",
    "MissingParameter",
    "UnknownParameter",
    "AuthFailure",
    "UnauthorizedOperation",
    "InvalidAction",
    "UnsupportedOperation",
    "UnsupportedRegion",
    "NoSuchVersion",
    "ActionOffline",
    "RequestSizeLimitExceeded",
    "OperationDenied",
)


def classify(code: str) -> str:
    """``"retryable"`` or ``"permanent"`` for a TencentCloudSDKException code."""
    code = code or ""
    if code.startswith("FailedOperation"):
        return "permanent" if code.startswith(_PERMANENT_FAILED_OPERATIONS) else "retryable"
    if code.startswith(_PERMANENT_PREFIXES):
        return "permanent"
    if code.startswith(_RETRYABLE_PREFIXES):
        return "retryable"
    # An unknown code: the reconciler repairs a lost invocation, so asking for a retry is the
    # safe side (a permanent error would only be logged).
    return "retryable"


class _SdkCredential:
    """What tencentcloud-sdk-python asks for at every request: (secret_id, secret_key, token),
    so role credentials rotated by SCF are picked up by a warm instance."""

    def __init__(self, credentials: CloudCredentials) -> None:
        self._credentials = credentials

    def get_credential_info(self) -> tuple[str, str, str | None]:
        c = self._credentials
        return c.secret_id, c.secret_key, c.token

    @property
    def secret_id(self) -> str:
        return self._credentials.secret_id

    @property
    def secret_key(self) -> str:
        return self._credentials.secret_key

    @property
    def token(self) -> str | None:
        return self._credentials.token


class ScfInvoker(Invoker):
    def __init__(
        self,
        *,
        region: str,
        credentials: CloudCredentials,
        namespace: str = "default",
        function_prefix: str = "openmps-",
        qualifier: str = "$LATEST",
        endpoint: str | None = None,
        scheme: str = "https",
        timeout: int = 10,
    ) -> None:
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.scf.v20180416 import scf_client

        http = HttpProfile(protocol=scheme, endpoint=endpoint, reqTimeout=timeout)
        self._client = scf_client.ScfClient(_SdkCredential(credentials), region, ClientProfile(httpProfile=http))
        self.namespace = namespace
        self.function_prefix = function_prefix
        self.qualifier = qualifier

    @classmethod
    def from_settings(cls, settings: Settings) -> ScfInvoker:
        return cls(
            region=settings.scf_region or settings.region,
            credentials=settings.scf_credentials(),
            namespace=settings.scf_namespace,
            function_prefix=settings.scf_function_prefix,
            qualifier=settings.scf_qualifier,
            endpoint=settings.scf_endpoint,
            scheme=settings.scf_endpoint_scheme,
            timeout=settings.scf_timeout_seconds,
        )

    def function_name(self, function: str) -> str:
        return self.function_prefix + function

    def invoke_async(self, function: str, event: dict[str, Any]) -> None:
        self.invoke(function, event)

    def invoke(self, function: str, event: dict[str, Any]) -> str:
        """Queue the event; returns SCF's request id for the invocation."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.scf.v20180416 import models

        context = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        if len(context.encode()) > ASYNC_EVENT_LIMIT:
            raise PermanentInvokeError(
                f"event for {function} is {len(context.encode())} bytes; SCF async events are "
                f"limited to {ASYNC_EVENT_LIMIT}",
                code="InvalidParameter.EventTooLarge",
            )
        request = models.InvokeRequest()
        request.FunctionName = self.function_name(function)
        request.InvocationType = "Event"
        request.Namespace = self.namespace
        request.Qualifier = self.qualifier
        request.ClientContext = context
        try:
            response = self._client.Invoke(request)
        except TencentCloudSDKException as exc:
            code, message = exc.get_code() or "", exc.get_message() or ""
            if isinstance(message, bytes):
                message = message.decode(errors="replace")
            text = f"could not invoke {request.FunctionName}: {code}: {str(message)[:300]}"
            if classify(code) == "permanent":
                raise PermanentInvokeError(text, code=f"FailedOperation.Invoke.{code}") from exc
            raise RetryableProcessingError(text, code="InternalError.Invoke") from exc
        result = getattr(response, "Result", None)
        return str(getattr(result, "FunctionRequestId", "") or getattr(response, "RequestId", "") or "")
