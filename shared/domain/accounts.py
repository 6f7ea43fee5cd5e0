"""Accounts' access keys: the SecretId/SecretKey pairs that sign MPS API 3.0 and COS requests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccessKey:
    account: str
    appid: str
    secret_id: str
    secret_key: str
    enabled: bool
