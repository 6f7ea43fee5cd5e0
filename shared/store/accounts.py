"""API tokens -> accounts. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import hashlib

from shared.runtime.settings import Settings
from shared.store.models import TokenModel, bind_models


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountStore:
    def __init__(self, settings: Settings) -> None:
        bind_models(settings)

    def account_for(self, token: str) -> str | None:
        try:
            return TokenModel.get(token_hash(token)).account
        except TokenModel.DoesNotExist:
            return None

    def put_token(self, token: str, account: str, label: str, now: str) -> None:
        TokenModel(token_hash(token), account=account, label=label, create_time=now).save()
