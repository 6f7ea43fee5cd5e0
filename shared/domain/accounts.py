"""Accounts and their API key pairs, as the domain sees them (the store converts to and from items).

An account owns everything (tasks, templates, workflows, buckets); its appid goes into bucket
names and task ids. A key pair (SecretId/SecretKey) signs MPS API 3.0 and COS requests.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass

from shared.domain.errors import BadInputError

ACCOUNT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
APPID_RE = re.compile(r"^\d{1,20}$")
SECRET_ID_RE = re.compile(r"^AKID[A-Za-z0-9]{32}$")
_ALPHANUMERIC = string.ascii_letters + string.digits


@dataclass(frozen=True)
class AccessKey:
    account: str
    appid: str
    secret_id: str
    secret_key: str
    enabled: bool


@dataclass(frozen=True)
class Account:
    account: str
    appid: str
    create_time: str
    label: str = ""


@dataclass(frozen=True)
class KeyInfo:
    """A key pair without its secret: what listings show."""

    secret_id: str
    account: str
    enabled: bool
    create_time: str


@dataclass(frozen=True)
class TokenInfo:
    """A REST token without its value: what listings show. ``token_id`` names it in list and revoke;
    it is the start of the token's SHA-256, so rows stored before ids existed have one too."""

    token_id: str
    account: str
    label: str
    create_time: str


def check_account(account: str) -> str:
    if not ACCOUNT_RE.match(account):
        raise BadInputError(
            "an account id is 2-63 lower-case letters, digits or '-', starting with a letter or digit",
            code="InvalidParameterValue.Account",
        )
    return account


def check_appid(appid: str) -> str:
    if not APPID_RE.match(appid):
        raise BadInputError("an appid is 1-20 digits", code="InvalidParameterValue.AppId")
    return appid


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(n))


def new_secret_id() -> str:
    """Shaped like Tencent Cloud's (AKID + 32), so tools that check the shape accept it."""
    return "AKID" + _random(32)


def new_secret_key() -> str:
    return _random(32)


def new_appid() -> str:
    """Ten digits like a real appid; 13xxxxxxxx keeps clear of the default 1250000000."""
    return "13" + "".join(secrets.choice(string.digits) for _ in range(8))


def new_account_id() -> str:
    return "acct-" + secrets.token_hex(4)
