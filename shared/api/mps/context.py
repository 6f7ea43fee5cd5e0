"""What an action gets besides its request fields: who signed, and the adapters."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.accounts import AccessKey
from shared.services.deps import Deps


@dataclass(frozen=True)
class ActionContext:
    deps: Deps
    key: AccessKey  # the signer: its account owns everything the action reads or changes
    request_id: str
    language: str
    region: str

    @property
    def account(self) -> str:
        return self.key.account

    @property
    def appid(self) -> str:
        return self.key.appid
