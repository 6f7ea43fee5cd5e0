"""The console in headless Chromium (Debian's package, driven by Python Playwright) against its own
local stack: a fresh data dir, a fixed token, one transcode at a time (so a task can stay queued).

Screenshots of every main view land in tests/artifacts/browser/ (and one per failing test).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.harness import RunningStack, start_stack, stop_stack

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
CHROMIUM = os.environ.get("OPENMPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
TOKEN = "browser-test-token"
STACK_ENV = {"OPENMPS_CONCURRENCY": "transcode=1", "OPENMPS_HEARTBEAT_SECONDS": "0.5", "OPENMPS_RECONCILE_EVERY": "1"}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("browser-stack") / "data", TOKEN, STACK_ENV)
    yield running
    stop_stack(running)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: the browser tests need Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("FAILED-*.png"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="module")
def page(browser: Any, stack: RunningStack) -> Iterator[Any]:
    """One English page per test module (tests in a module run in order and share it)."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = []  # uncaught errors and CSP refusals fail each module's last test
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.on(
        "console",
        lambda msg: (
            page.errors.append(msg.text)
            if msg.type == "error" and ("Content Security Policy" in msg.text or "Refused to" in msg.text)
            else None
        ),
    )
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{item.name}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a failed screenshot must not hide the real failure
            pass


def sign_in(page: Any, stack: RunningStack, token: str = TOKEN) -> None:
    page.goto(stack.url + "/")
    page.get_by_label("Account token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("task-table").wait_for()
