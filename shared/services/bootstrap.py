"""First-start set-up of an installation: the default workflow, the local account, its token and key pair."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from shared.domain import clock
from shared.domain.accounts import AccessKey
from shared.domain.buckets import AccountBuckets
from shared.domain.workflow import default_workflow
from shared.services.buckets import buckets_of
from shared.services.deps import Deps

LOCAL_TOKEN_LABEL = "local"


def ensure_default_workflow(deps: Deps, account: str) -> bool:
    """The account's default rule on its own buckets. Workflow ids are global: the installation's
    account keeps the id ``default``, every other account's is ``default-<appid>``."""
    mine = buckets_of(deps, account)
    wf = default_workflow(account, mine.input, mine.output, clock.now_iso())
    if mine.appid != deps.settings.appid:
        wf = replace(wf, workflow_id=f"{wf.workflow_id}-{mine.appid}")
    wf.check_no_retrigger()
    return deps.workflows.create_if_missing(wf)


def ensure_account_buckets(deps: Deps, account: str, make_bucket: Callable[[str], object]) -> AccountBuckets:
    """Creates the account's input and output buckets (locally: folders under the data dir)."""
    mine = buckets_of(deps, account)
    for bucket in mine.names:
        make_bucket(bucket)
    return mine


def ensure_token(deps: Deps, token: str, account: str) -> int:
    """The configured token becomes the account's "local" token, replacing the one an earlier start
    set (tokens made with `openmps tokens create` are kept). Returns how many were revoked."""
    return deps.accounts.replace_labelled_tokens(token, account, LOCAL_TOKEN_LABEL, clock.now_iso())


def ensure_key_pair(deps: Deps, key: AccessKey) -> None:
    """The account row (with its appid) and the pair, written again only when they differ."""
    now = clock.now_iso()
    if deps.accounts.get_account(key.account) is None:
        deps.accounts.create_account(key.account, key.appid, now, label="local")
    if deps.accounts.find_key(key.secret_id) != key:
        deps.accounts.put_key(key, now)


def provision_account(deps: Deps, account: str, make_bucket: Callable[[str], object]) -> AccountBuckets:
    """What an account needs before its first upload: its two buckets and its default workflow."""
    mine = ensure_account_buckets(deps, account, make_bucket)
    ensure_default_workflow(deps, account)
    return mine


def provision_all_accounts(deps: Deps, make_bucket: Callable[[str], object]) -> None:
    """At every local start: accounts created while the stack was down get their buckets too."""
    for found in deps.accounts.list_accounts():
        provision_account(deps, found.account, make_bucket)
