"""Bucket ownership as COS has it: a bucket is named ``<name>-<appid>`` and belongs to that appid.

The installation names one input and one output bucket (settings); every account has its own pair,
the same names with its own appid (``openmps-input-1250000000`` -> ``openmps-input-1300000001``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_APPID_SUFFIX = re.compile(r"-(\d{1,20})$")


@dataclass(frozen=True)
class AccountBuckets:
    appid: str
    input: str
    output: str

    @property
    def names(self) -> tuple[str, str]:
        return (self.input, self.output)

    def __contains__(self, bucket: object) -> bool:
        return bucket in self.names


def appid_of_bucket(bucket: str) -> str | None:
    """The appid a bucket's name says it belongs to (COS: ``<name>-<appid>``), None if it says none."""
    match = _APPID_SUFFIX.search(bucket or "")
    return match.group(1) if match else None


def bucket_for(installation_bucket: str, installation_appid: str, appid: str) -> str:
    """The installation's bucket name for another appid: the appid suffix swapped."""
    if appid == installation_appid:
        return installation_bucket
    base = installation_bucket
    if base.endswith(f"-{installation_appid}"):
        base = base[: -len(installation_appid) - 1]
    elif appid_of_bucket(base) is not None:
        base = _APPID_SUFFIX.sub("", base)
    return f"{base}-{appid}"


def account_buckets(input_bucket: str, output_bucket: str, installation_appid: str, appid: str) -> AccountBuckets:
    return AccountBuckets(
        appid=appid,
        input=bucket_for(input_bucket, installation_appid, appid),
        output=bucket_for(output_bucket, installation_appid, appid),
    )
