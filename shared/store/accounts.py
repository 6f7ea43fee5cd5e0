"""Accounts, their REST tokens and their API key pairs.

Only a SHA-256 of each REST token is stored; secret keys are sealed under the settings' key-encryption
key (shared/store/secret_box.py) with the row's SecretId and account as associated data.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from shared.domain.accounts import AccessKey, Account, KeyInfo, TokenInfo, check_account, check_appid
from shared.domain.errors import ConflictError, OpenMpsError
from shared.runtime.settings import DEFAULT_KEY_ENCRYPTION_KEY, Settings
from shared.store.conditional import _conditional, _LostCondition
from shared.store.models import AccessKeyModel, AccountModel, CounterModel, TokenModel, bind_models

if TYPE_CHECKING:  # imported at first use: the workers never read keys, and pycryptodome is slow to load
    from shared.store.secret_box import SecretBox

TOKEN_ID_PREFIX = "tok-"
TOKEN_ID_HEX = 12
TOKEN_ID_RE = re.compile(rf"^{TOKEN_ID_PREFIX}[0-9a-f]{{{TOKEN_ID_HEX}}}$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id_of(digest: str) -> str:
    """The token's public id: the start of its SHA-256 (48 bits name a token among an
    installation's few; they say nothing useful about the token itself)."""
    return TOKEN_ID_PREFIX + digest[:TOKEN_ID_HEX]


def _token_info(item: TokenModel) -> TokenInfo:
    return TokenInfo(token_id_of(item.token_hash), item.account, item.label or "", item.create_time)


def _appid_claim(appid: str) -> str:
    return f"appid#{appid}"


def _context(account: str, secret_id: str) -> str:
    return f"{account}\x1f{secret_id}"


class AccountStore:
    def __init__(self, settings: Settings) -> None:
        bind_models(settings)
        self._settings = settings
        self._box: SecretBox | None = None

    def _secret_box(self) -> SecretBox:
        """Built at first use, so a function that never reads keys needs no key-encryption key."""
        if self._box is None:
            keys = self._settings.key_encryption_keys
            if self._settings.storage == "cos" and DEFAULT_KEY_ENCRYPTION_KEY in keys.split(","):
                raise OpenMpsError(
                    "bad setting OPENMPS_KEY_ENCRYPTION_KEYS: with OPENMPS_STORAGE=cos it must be a secret of "
                    "your own (e.g. `openssl rand -hex 32`); the built-in default is public",
                    code="InternalError.Settings",
                )
            from shared.store.secret_box import SecretBox

            self._box = SecretBox(keys)
        return self._box

    # ---- REST tokens ---------------------------------------------------------------------------
    def account_for(self, token: str) -> str | None:
        """Read on every request, consistently and never cached: a revoked token fails at once."""
        try:
            return TokenModel.get(token_hash(token), consistent_read=True).account
        except TokenModel.DoesNotExist:
            return None

    def put_token(self, token: str, account: str, label: str, now: str) -> TokenInfo:
        digest = token_hash(token)
        TokenModel(digest, account=account, label=label, create_time=now).save()
        return TokenInfo(token_id_of(digest), account, label, now)

    def list_tokens(self, account: str | None = None) -> list[TokenInfo]:
        """An administrator's listing: a scan, of a table with a few rows per account."""
        condition = None if account is None else TokenModel.account == account
        rows = [_token_info(i) for i in TokenModel.scan(filter_condition=condition, consistent_read=True)]
        return sorted(rows, key=lambda t: (t.create_time, t.token_id))

    def revoke_token(self, token_id: str, account: str | None = None) -> bool:
        """Deletes the token named by its public id (of that account, when one is given); False if
        there is none."""
        if not TOKEN_ID_RE.match(token_id):
            return False
        prefix = token_id.removeprefix(TOKEN_ID_PREFIX)
        condition = TokenModel.token_hash.startswith(prefix)
        if account is not None:
            condition &= TokenModel.account == account
        revoked = False
        for item in TokenModel.scan(filter_condition=condition, consistent_read=True):
            revoked |= self._delete_token(item.token_hash)
        return revoked

    def replace_labelled_tokens(self, token: str, account: str, label: str, now: str) -> int:
        """Makes ``token`` the account's only token with ``label`` (the stack's configured token):
        the previous ones are revoked. Returns how many were."""
        keep = token_hash(token)
        if self.account_for(token) != account:
            self.put_token(token, account, label, now)
        condition = (TokenModel.account == account) & (TokenModel.label == label)
        stale = [i.token_hash for i in TokenModel.scan(filter_condition=condition, consistent_read=True)]
        return sum(self._delete_token(digest) for digest in stale if digest != keep)

    def _delete_token(self, digest: str) -> bool:
        try:
            with _conditional():
                TokenModel(digest).delete(condition=TokenModel.token_hash.exists())
        except _LostCondition:
            return False
        return True

    # ---- accounts ------------------------------------------------------------------------------
    def create_account(self, account: str, appid: str, now: str, label: str = "") -> Account:
        """Claims the appid first (bucket names and task ids must not collide), then the account id.
        ConflictError if either is taken by another account."""
        check_account(account)
        check_appid(appid)
        try:
            with _conditional():
                CounterModel(_appid_claim(appid), ref=account, time=now).save(
                    condition=CounterModel.name.does_not_exist() | (CounterModel.ref == account)
                )
        except _LostCondition:
            raise ConflictError(f"appid {appid} belongs to another account", code="ResourceInUse.AppId") from None
        item = AccountModel(account, appid=appid, label=label or None, create_time=now)
        try:
            with _conditional():
                item.save(condition=AccountModel.account.does_not_exist())
        except _LostCondition:
            existing = self.get_account(account)
            if existing is None or existing.appid != appid:
                raise ConflictError(f"account {account!r} exists already", code="ResourceInUse.Account") from None
            return existing
        return Account(account, appid, now, label)

    def get_account(self, account: str) -> Account | None:
        try:
            item = AccountModel.get(account, consistent_read=True)
        except AccountModel.DoesNotExist:
            return None
        return Account(item.account, item.appid, item.create_time, item.label or "")

    def list_accounts(self) -> list[Account]:
        """An administrator's listing: a scan, of a table with one row per account."""
        rows = [Account(i.account, i.appid, i.create_time, i.label or "") for i in AccountModel.scan()]
        return sorted(rows, key=lambda a: a.create_time)

    def appid_for(self, account: str) -> str:
        """The account's appid; the installation's for an account without a row (older data)."""
        found = self.get_account(account)
        return found.appid if found else self._settings.appid

    # ---- key pairs -----------------------------------------------------------------------------
    def put_key(self, key: AccessKey, now: str) -> None:
        """Creates or replaces the pair (a fixed local pair is written at every start)."""
        AccessKeyModel(
            key.secret_id,
            account=key.account,
            sealed_secret_key=self._secret_box().seal(key.secret_key, _context(key.account, key.secret_id)),
            enabled=key.enabled,
            create_time=now,
        ).save()

    def find_key(self, secret_id: str) -> AccessKey | None:
        """The pair and its account's appid, or None for an unknown SecretId. Disabled pairs are
        returned with ``enabled=False``: the caller refuses them."""
        try:
            item = AccessKeyModel.get(secret_id, consistent_read=True)
        except AccessKeyModel.DoesNotExist:
            return None
        secret_key = self._secret_box().open(item.sealed_secret_key, _context(item.account, secret_id))
        return AccessKey(item.account, self.appid_for(item.account), secret_id, secret_key, bool(item.enabled))

    def list_keys(self, account: str) -> list[KeyInfo]:
        return [
            KeyInfo(i.secret_id, i.account, bool(i.enabled), i.create_time)
            for i in AccessKeyModel.by_account.query(account)
        ]

    def set_key_enabled(self, secret_id: str, enabled: bool, account: str | None = None) -> bool:
        """False if there is no such key (of that account, when one is given)."""
        condition = AccessKeyModel.secret_id.exists()
        if account is not None:
            condition &= AccessKeyModel.account == account
        try:
            with _conditional():
                AccessKeyModel(secret_id).update(actions=[AccessKeyModel.enabled.set(enabled)], condition=condition)
        except _LostCondition:
            return False
        return True

    def delete_key(self, secret_id: str, account: str | None = None) -> bool:
        condition = AccessKeyModel.secret_id.exists()
        if account is not None:
            condition &= AccessKeyModel.account == account
        try:
            with _conditional():
                AccessKeyModel(secret_id).delete(condition=condition)
        except _LostCondition:
            return False
        return True

    def reseal_keys(self) -> int:
        """Re-seal every secret key under the current key-encryption key (rotation); returns how many
        rows changed. A scan: an administrator's command, not a request path."""
        box, changed = self._secret_box(), 0
        for item in AccessKeyModel.scan():
            if box.is_current(item.sealed_secret_key):
                continue
            context = _context(item.account, item.secret_id)
            resealed = box.seal(box.open(item.sealed_secret_key, context), context)
            item.update(actions=[AccessKeyModel.sealed_secret_key.set(resealed)])
            changed += 1
        return changed
