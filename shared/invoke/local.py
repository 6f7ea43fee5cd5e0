"""Invoke through the local function runtime's HTTP endpoint (served by `openmps up`)."""

from __future__ import annotations

import json
from typing import Any

import requests

from shared.domain.errors import RetryableProcessingError
from shared.invoke.port import Invoker


class LocalHttpInvoker(Invoker):
    def __init__(self, base_url: str, secret: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.timeout = timeout
        self._session = requests.Session()

    def invoke_async(self, function: str, event: dict[str, Any]) -> None:
        try:
            resp = self._session.post(
                f"{self.base_url}/{function}",
                data=json.dumps(event),
                headers={"X-OpenMPS-Runtime-Secret": self.secret, "Content-Type": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise RetryableProcessingError(f"could not invoke {function}: {exc}") from exc
        if resp.status_code != 202:
            raise RetryableProcessingError(f"could not invoke {function}: HTTP {resp.status_code} {resp.text[:200]}")
