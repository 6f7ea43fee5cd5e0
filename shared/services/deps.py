"""What a service is given: the settings and one adapter per port.

Services receive a ``Deps`` and never build adapters themselves; ``shared.composition`` builds the
production one, tests build their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.invoke.port import Invoker
from shared.notify.port import WebhookSender
from shared.runtime.settings import Settings
from shared.storage.port import Storage
from shared.store.accounts import AccountStore
from shared.store.counters import CounterStore
from shared.store.notifications import NotificationStore
from shared.store.parts import PartStore
from shared.store.repo import TaskStore
from shared.store.templates import TemplateStore
from shared.store.workflows import WorkflowStore


@dataclass
class Deps:
    settings: Settings
    tasks: TaskStore
    workflows: WorkflowStore
    accounts: AccountStore
    templates: TemplateStore
    counters: CounterStore
    storage: Storage
    invoker: Invoker
    notifications: NotificationStore
    webhooks: WebhookSender
    parts: PartStore | None = None  # split transcodes; None: built from the settings where first needed
