"""First-start set-up of an installation: the default workflow, the local account, its token and key pair."""

from __future__ import annotations

from shared.domain import clock
from shared.domain.accounts import AccessKey
from shared.domain.workflow import default_workflow
from shared.services.deps import Deps


def ensure_default_workflow(deps: Deps, account: str) -> bool:
    wf = default_workflow(account, deps.settings.input_bucket, deps.settings.output_bucket, clock.now_iso())
    wf.check_no_retrigger()
    return deps.workflows.create_if_missing(wf)


def ensure_token(deps: Deps, token: str, account: str) -> None:
    if deps.accounts.account_for(token) != account:
        deps.accounts.put_token(token, account, "local", clock.now_iso())


def ensure_key_pair(deps: Deps, key: AccessKey) -> None:
    """The account row (with its appid) and the pair, written again only when they differ."""
    now = clock.now_iso()
    if deps.accounts.get_account(key.account) is None:
        deps.accounts.create_account(key.account, key.appid, now, label="local")
    if deps.accounts.find_key(key.secret_id) != key:
        deps.accounts.put_key(key, now)
