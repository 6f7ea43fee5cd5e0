"""The composition root: builds the adapters named by the settings, once per process.

Only the edges import it (function handlers through ``shared.functions_support``, the API through
``shared.api.deps``, and infra); services receive the ``Deps`` it builds. Tests build ``Deps``
with their own adapters.
"""

from __future__ import annotations

from functools import lru_cache

from shared.invoke.local import LocalHttpInvoker
from shared.invoke.port import Invoker
from shared.notify.http import HttpWebhookSender
from shared.notify.port import WebhookSender
from shared.runtime.settings import Settings, get_settings
from shared.services.deps import Deps
from shared.storage.local import LocalStorage
from shared.storage.port import Storage
from shared.store.accounts import AccountStore
from shared.store.counters import CounterStore
from shared.store.notifications import NotificationStore
from shared.store.parts import PartStore
from shared.store.repo import TaskStore
from shared.store.templates import TemplateStore
from shared.store.workflows import WorkflowStore


def build_storage(settings: Settings) -> Storage:
    if settings.storage == "cos":
        from shared.storage.cos import CosStorage  # imports the COS SDK only where it is used

        return CosStorage.from_settings(settings)
    return LocalStorage(settings.storage_root, public_url=settings.public_url, signing_key=settings.signing_key)


def build_invoker(settings: Settings) -> Invoker:
    if settings.invoker == "scf":
        from shared.invoke.scf import ScfInvoker  # imports the SCF SDK only where it is used

        return ScfInvoker.from_settings(settings)
    return LocalHttpInvoker(settings.invoke_url, settings.invoke_secret)


def build_deps(
    settings: Settings,
    *,
    storage: Storage | None = None,
    invoker: Invoker | None = None,
    webhooks: WebhookSender | None = None,
) -> Deps:
    return Deps(
        settings=settings,
        tasks=TaskStore(settings),
        workflows=WorkflowStore(settings),
        accounts=AccountStore(settings),
        templates=TemplateStore(settings),
        counters=CounterStore(settings),
        storage=storage or build_storage(settings),
        invoker=invoker or build_invoker(settings),
        notifications=NotificationStore(settings),
        webhooks=webhooks or HttpWebhookSender(settings.private_urls_allowed),
        parts=PartStore(settings),
    )


@lru_cache(maxsize=1)
def default_deps() -> Deps:
    return build_deps(get_settings())
