"""Accounts and key pairs in the real table (dynalite)."""

from __future__ import annotations

import uuid

import pytest

from shared.domain import clock
from shared.domain.accounts import AccessKey, new_secret_id, new_secret_key
from shared.domain.errors import ConflictError
from shared.store.accounts import AccountStore
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
