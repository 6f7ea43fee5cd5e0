"""Accounts and key pairs in the real table (dynalite)."""

from __future__ import annotations

import uuid

import pytest

from shared.domain import clock
from shared.domain.accounts import AccessKey, new_secret_id, new_secret_key
from shared.domain.errors import ConflictError
from shared.store.accounts import AccountStore, token_hash
from shared.store.models import AccessKeyModel

pytestmark = pytest.mark.integration


def unique_appid() -> str:
    return "14" + str(uuid.uuid4().int)[:8]


def test_keys_are_found_sealed_disabled_and_deleted(settings):
    # GIVEN an account with a key pair
    store = AccountStore(settings)
    account = "acct-" + uuid.uuid4().hex[:8]
    appid = unique_appid()
    store.create_account(account, appid, clock.now_iso())
    key = AccessKey(account, appid, new_secret_id(), new_secret_key(), enabled=True)
    store.put_key(key, clock.now_iso())
    # THEN it is found with the account's appid, and the table holds no plain secret
    assert store.find_key(key.secret_id) == key
    assert key.secret_key not in AccessKeyModel.get(key.secret_id).sealed_secret_key
    assert [k.secret_id for k in store.list_keys(account)] == [key.secret_id]
    # WHEN another account tries to disable it THEN nothing changes
    assert not store.set_key_enabled(key.secret_id, False, account="someone-else")
    assert store.find_key(key.secret_id).enabled
    # WHEN disabled, then deleted
    assert store.set_key_enabled(key.secret_id, False, account=account)
    assert store.find_key(key.secret_id).enabled is False
    assert store.delete_key(key.secret_id, account)
    assert store.find_key(key.secret_id) is None and store.find_key("AKIDnope") is None


def test_an_appid_belongs_to_one_account(settings):
    store = AccountStore(settings)
    appid = unique_appid()
    first = store.create_account("acct-" + uuid.uuid4().hex[:8], appid, clock.now_iso())
    assert store.appid_for(first.account) == appid
    with pytest.raises(ConflictError):
        store.create_account("acct-" + uuid.uuid4().hex[:8], appid, clock.now_iso())
    assert store.appid_for("no-such-account") == settings.appid


def test_rotating_the_key_encryption_key_reseals_every_key(settings):
    old = AccountStore(settings)
    account = "acct-" + uuid.uuid4().hex[:8]
    old.create_account(account, unique_appid(), clock.now_iso())
    key = AccessKey(account, old.appid_for(account), new_secret_id(), new_secret_key(), enabled=True)
    old.put_key(key, clock.now_iso())
    first_new = "new-kek," + settings.key_encryption_keys
    rotated = AccountStore(settings.model_copy(update={"key_encryption_keys": first_new}))
    assert rotated.find_key(key.secret_id) == key  # the old key still opens it
    assert rotated.reseal_keys() >= 1
    only_new = AccountStore(settings.model_copy(update={"key_encryption_keys": "new-kek"}))
    assert only_new.find_key(key.secret_id) == key
    # (and back, so the session's other tests still open every key with the session's settings)
    back = settings.key_encryption_keys + ",new-kek"
    assert AccountStore(settings.model_copy(update={"key_encryption_keys": back})).reseal_keys() >= 1
    assert old.find_key(key.secret_id) == key


def test_tokens_are_listed_by_public_id_and_revoked_at_once(settings):
    # GIVEN an account with two tokens, and another account with one
    store = AccountStore(settings)
    account, other = ("acct-" + uuid.uuid4().hex[:8] for _ in range(2))
    first = store.put_token("tok-one-" + uuid.uuid4().hex, account, "cli", clock.now_iso())
    second_value = "tok-two-" + uuid.uuid4().hex
    second = store.put_token(second_value, account, "ci", clock.now_iso())
    theirs = store.put_token("tok-theirs-" + uuid.uuid4().hex, other, "cli", clock.now_iso())
    # THEN the listing names them by public id, never by value or hash
    listed = store.list_tokens(account)
    assert {t.token_id for t in listed} == {first.token_id, second.token_id}
    assert all(t.token_id.startswith("tok-") and len(t.token_id) == 16 for t in listed)
    assert second_value not in repr(listed) and token_hash(second_value) not in repr(listed)
    # WHEN another account tries to revoke one THEN it stays valid
    assert not store.revoke_token(second.token_id, account=other)
    assert store.account_for(second_value) == account
    # WHEN its own account revokes it THEN the very next lookup fails
    assert store.revoke_token(second.token_id, account=account)
    assert store.account_for(second_value) is None
    assert {t.token_id for t in store.list_tokens(account)} == {first.token_id}
    assert not store.revoke_token(second.token_id, account=account)
    assert not store.revoke_token("tok-nothex!", account=account) and not store.revoke_token("", account=account)
    assert [t.token_id for t in store.list_tokens(other)] == [theirs.token_id]


def test_a_new_configured_token_replaces_the_previous_one_only(settings):
    # GIVEN the stack's configured token and a token made from the CLI for the same account
    store = AccountStore(settings)
    account = "acct-" + uuid.uuid4().hex[:8]
    old, new, cli = ("cfg-" + uuid.uuid4().hex for _ in range(3))
    assert store.replace_labelled_tokens(old, account, "local", clock.now_iso()) == 0
    store.put_token(cli, account, "cli", clock.now_iso())
    # WHEN the same token is configured again THEN nothing is revoked
    assert store.replace_labelled_tokens(old, account, "local", clock.now_iso()) == 0
    assert store.account_for(old) == account
    # WHEN a different token is configured THEN the old one is gone, the new and the CLI one work
    assert store.replace_labelled_tokens(new, account, "local", clock.now_iso()) == 1
    assert store.account_for(old) is None
    assert store.account_for(new) == account and store.account_for(cli) == account
    assert sorted(t.label for t in store.list_tokens(account)) == ["cli", "local"]
