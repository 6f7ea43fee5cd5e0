"""API tokens -> accounts. Only a SHA-256 of each token is stored."""

from __future__ import annotations

import hashlib
import hmac

from shared.domain.accounts import AccessKey
from shared.runtime.settings import Settings
from shared.store.models import TokenModel, bind_models

LOCAL_ACCOUNT = "local"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountStore:
    def __init__(self, settings: Settings) -> None:
        bind_models(settings)
        self.settings = settings

    def find_key(self, secret_id: str) -> AccessKey | None:
        """The enabled or disabled key pair with this SecretId. For now only the local account's
        pair from the settings (OPENMPS_SECRET_ID/OPENMPS_SECRET_KEY) exists."""
        s = self.settings
        if s.secret_id and s.secret_key and hmac.compare_digest(secret_id.encode(), s.secret_id.encode()):
            return AccessKey(
                account=LOCAL_ACCOUNT, appid=s.appid, secret_id=s.secret_id, secret_key=s.secret_key, enabled=True
            )
        return None

    def account_for(self, token: str) -> str | None:
        try:
            return TokenModel.get(token_hash(token)).account
        except TokenModel.DoesNotExist:
            return None

    def put_token(self, token: str, account: str, label: str, now: str) -> None:
        TokenModel(token_hash(token), account=account, label=label, create_time=now).save()
