"""Secret keys at rest: sealed per row, decryptable after a rotation, never readable elsewhere."""

from __future__ import annotations

import pytest

from shared.domain.errors import OpenMpsError
from shared.store.secret_box import SecretBox

pytestmark = pytest.mark.unit


def test_a_sealed_secret_opens_only_with_its_key_and_row():
    box = SecretBox("k1")
    sealed = box.seal("the-secret", "acct\x1fAKID1")
    assert "the-secret" not in sealed
    assert box.open(sealed, "acct\x1fAKID1") == "the-secret"
    with pytest.raises(OpenMpsError):
        box.open(sealed, "other\x1fAKID1")  # copied into another row
    with pytest.raises(OpenMpsError):
        SecretBox("k2").open(sealed, "acct\x1fAKID1")  # key no longer configured


def test_rotation_new_key_first_old_key_still_opens_until_resealed():
    old = SecretBox("k1").seal("s", "ctx")
    rotated = SecretBox("k2,k1")
    assert rotated.open(old, "ctx") == "s" and not rotated.is_current(old)
    fresh = rotated.seal("s", "ctx")
    assert rotated.is_current(fresh) and SecretBox("k2").open(fresh, "ctx") == "s"
