"""Shared fixtures: a real dynalite for the session, local buckets, a recording invoker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.composition import build_deps
from shared.runtime.settings import Settings
from shared.services.deps import Deps
from shared.storage.local import LocalStorage
from shared.store.models import create_missing_tables
from tests.doubles import RecordingInvoker

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def dynalite_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from infra.local.dynalite import Dynalite

    server = Dynalite(tmp_path_factory.mktemp("dynalite"))
    server.start()
    yield server.endpoint
    server.stop()


def own_settings(dynalite_endpoint: str, tmp_path_factory: pytest.TempPathFactory, label: str) -> Settings:
    """Tables, buckets and a work folder no other test sees: for a module whose tasks or workflows
    must not meet the session's (a workflow on an empty prefix matches every upload; a reconciler
    pass with everything due re-invokes every stale subtask in its table)."""
    value = Settings(
        table_endpoint=dynalite_endpoint,
        table_prefix=f"{label}-{uuid.uuid4().hex[:8]}-",
        storage_root=str(tmp_path_factory.mktemp(f"{label}-buckets")),
        signing_key="test-signing-key",
        heartbeat_seconds=0.5,
        work_dir=str(tmp_path_factory.mktemp(f"{label}-work")),
    )
    create_missing_tables(value)
    return value


@pytest.fixture(scope="session")
def settings(dynalite_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("buckets")
    value = Settings(
        table_endpoint=dynalite_endpoint,
        storage_root=str(root),
        signing_key="test-signing-key",
        heartbeat_seconds=0.5,
        work_dir=str(tmp_path_factory.mktemp("work")),
    )
    create_missing_tables(value)
    return value


@pytest.fixture
def invoker() -> RecordingInvoker:
    return RecordingInvoker()


@pytest.fixture
def storage(settings: Settings) -> LocalStorage:
    store = LocalStorage(settings.storage_root, public_url=settings.public_url, signing_key=settings.signing_key)
    store.ensure_bucket(settings.input_bucket)
    store.ensure_bucket(settings.output_bucket)
    return store


@pytest.fixture
def deps(settings: Settings, storage: LocalStorage, invoker: RecordingInvoker) -> Deps:
    return build_deps(settings, storage=storage, invoker=invoker)


@pytest.fixture
def account() -> str:
    """A fresh account per test, so list queries see only the test's own tasks."""
    return f"acct-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def api(deps: Deps, account: str):  # type: ignore[no-untyped-def]
    """The REST API in-process, as ``account``, over the test's adapters."""
    from shared.api import deps as api_deps
    from shared.domain import clock
    from tests.integration.api_client import InProcessApi

    token = f"token-{account}"
    deps.accounts.put_token(token, account, "test", clock.now_iso())
    api_deps.use(deps)
    yield InProcessApi(token)
    api_deps.use(None)
