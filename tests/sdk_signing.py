"""Requests signed by the official MPS SDK itself, at a chosen clock, for the API 3.0 tests."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from tencentcloud.common import abstract_client, credential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.mps.v20190612 import mps_client


def sdk_client(endpoint: str, secret_id: str, secret_key: str, *, language: str = "en-US", token: str | None = None):
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol="http"), language=language)
    return mps_client.MpsClient(credential.Credential(secret_id, secret_key, token), "ap-guangzhou", profile)


class SkewedClock:
    """Makes the SDK sign with ``time.time() + offset`` (only the SDK module's clock is replaced)."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def __enter__(self) -> SkewedClock:
        self._saved = abstract_client.time
        abstract_client.time = SimpleNamespace(time=lambda: time.time() + self.offset, sleep=time.sleep)  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: Any) -> None:
        abstract_client.time = self._saved  # type: ignore[assignment]


def signed_request(client, action: str, params: dict[str, Any]) -> RequestInternal:
    """The request the SDK would send, built offline: headers and body exactly as signed."""
    req = RequestInternal(client._get_endpoint(), "POST", "/", header={})
    client._build_req_inter(action, params, req)
    return req
