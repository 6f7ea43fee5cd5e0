"""First-start set-up of an installation: the default workflow and the local account's token."""

from __future__ import annotations

from shared.domain import clock
from shared.domain.workflow import default_workflow
from shared.services.deps import Deps


def ensure_default_workflow(deps: Deps, account: str) -> bool:
    wf = default_workflow(account, deps.settings.input_bucket, deps.settings.output_bucket, clock.now_iso())
    wf.check_no_retrigger()
    return deps.workflows.create_if_missing(wf)


def ensure_token(deps: Deps, token: str, account: str) -> None:
    if deps.accounts.account_for(token) != account:
        deps.accounts.put_token(token, account, "local", clock.now_iso())
