"""The action list and registry of the API 3.0 face against the official SDK."""

from __future__ import annotations

import inspect
import re

import pytest
from tencentcloud.mps.v20190612 import models, mps_client

from shared.api.mps.actions import ACTIONS
from shared.api.mps.known_actions import MPS_ACTIONS
from shared.api.mps.messages import MESSAGES

pytestmark = pytest.mark.unit


def test_the_known_actions_are_exactly_the_sdks():
    sdk_actions = set(re.findall(r'self\.call\("([A-Za-z0-9]+)"', inspect.getsource(mps_client)))
    assert sdk_actions and MPS_ACTIONS == sdk_actions


def test_every_registered_action_is_an_mps_action_with_sdk_models():
    for name in ACTIONS:
        assert name in MPS_ACTIONS
        assert hasattr(models, f"{name}Request") and hasattr(models, f"{name}Response")


def test_every_message_has_both_languages_with_the_same_placeholders():
    for key, (english, chinese) in MESSAGES.items():
        assert english and chinese, key
        assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", chinese)), key
        assert re.search(r"[\u4e00-\u9fff]", chinese) or key == "service_error", key
