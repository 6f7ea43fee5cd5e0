"""Which buckets an account may touch: the one check every route, action, worker and trigger uses.

A bucket of another account is refused as COS refuses it (403, AccessDenied-like); a name that is
nobody's bucket here is bad input with the caller's own code. Nothing else compares bucket names.
"""

from __future__ import annotations

from shared.domain.buckets import AccountBuckets, account_buckets, appid_of_bucket
from shared.domain.errors import BadInputError, ForbiddenError
from shared.services.deps import Deps


def buckets_of(deps: Deps, account: str) -> AccountBuckets:
    settings = deps.settings
    appid = deps.accounts.appid_for(account)
    return account_buckets(settings.input_bucket, settings.output_bucket, settings.appid, appid)


def owns_bucket(deps: Deps, account: str, bucket: str) -> bool:
    return bucket in buckets_of(deps, account)


def check_bucket_owner(
    deps: Deps, account: str, bucket: str, *, code: str = "InvalidParameterValue.Bucket", what: str = "bucket"
) -> str:
    """``bucket`` if it is one of the account's two; else ForbiddenError (another account's) or
    BadInputError with ``code`` (not a bucket of this installation)."""
    mine = buckets_of(deps, account)
    if bucket in mine:
        return bucket
    owner = appid_of_bucket(bucket)
    if owner is not None and owner != mine.appid:
        raise ForbiddenError(
            f"bucket {bucket} belongs to another account",
            code="AuthFailure.BucketOfAnotherAccount",
            params={"bucket": bucket},
        )
    allowed = ", ".join(mine.names)
    raise BadInputError(f"{what} must be one of {allowed}", code=code, params={"allowed": allowed})
