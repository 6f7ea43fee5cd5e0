"""The console's notification pieces: the create-task form's notify fields, and the task details'
Notifications section with its history and Resend, against a real receiver process."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from infra.local.harness import wait_for
from tests.browser.conftest import sign_in
from tests.media_fixtures import make_clip
from tests.notify_receiver import ReceiverProcess

pytestmark = pytest.mark.browser
KEY = "console-notify-key"


@pytest.fixture
def receiver(tmp_path) -> Iterator[ReceiverProcess]:  # type: ignore[no-untyped-def]
    rx = ReceiverProcess(tmp_path, key=KEY).start()
    yield rx
    rx.stop()


def test_create_a_task_with_a_notify_url_see_the_event_and_resend_it(page, stack, receiver, tmp_path, artifacts):
    # GIVEN a clip outside any workflow's prefix
    clip = make_clip(tmp_path / "notify.mp4", seconds=1, width=96, height=64)
    ticket = stack.client.upload(clip, key="media/console-notify.mp4")
    sign_in(page, stack)
    # WHEN the create form is sent with a notify URL and key
    page.goto(f"{stack.url}/#/create?bucket={ticket['bucket']}&key={ticket['key']}")
    expect(page.get_by_text("Sampled · every 10% · JPG")).to_be_visible(timeout=30_000)  # templates loaded
    page.get_by_test_id("create-notify-url").fill(receiver.url)
    page.get_by_test_id("create-notify-key").fill(KEY)
    page.get_by_test_id("create-submit").click()
    page.wait_for_url(re.compile(r"expand="), timeout=30_000)
    task_id = re.search(r"expand=([^&]+)", page.url).group(1)
    # THEN the receiver gets the signed finish event
    wait_for(lambda: receiver.received(), timeout=120)
    [got] = receiver.received()
    assert got["event"]["WorkflowTaskEvent"]["TaskId"] == task_id and got["signature_ok"] and got["sign_ok"]
    assert stack.client.task(task_id)["notify"] == {"url": receiver.url, "mode": "finish", "key_set": True}
    # AND the task details show it delivered, with its try
    section = page.get_by_test_id("notifications")
    section.locator("summary").click()
    notification = section.get_by_test_id("notification-row")
    expect(notification).to_have_count(1)
    expect(notification.get_by_test_id("notification-state")).to_have_attribute("data-state", "delivered")
    expect(notification).to_contain_text("HTTP 200")
    page.screenshot(path=str(artifacts / "notifications.png"), full_page=True)
    # WHEN Resend is pressed THEN the same event arrives again and shows two tries
    notification.get_by_test_id("notification-resend").click()
    wait_for(lambda: len(receiver.received()) == 2, timeout=60)
    assert {r["event_id"] for r in receiver.received()} == {got["event_id"]}
    expect(notification.locator("ol li")).to_have_count(2, timeout=10_000)
