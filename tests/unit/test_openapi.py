import json
from pathlib import Path

import pytest

from shared.api.app import openapi_json

pytestmark = pytest.mark.unit

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.json"


def test_committed_openapi_matches_the_code():
    # The API cannot drift silently: `make openapi` rewrites the file after a deliberate change.
    assert json.loads(COMMITTED.read_text()) == json.loads(openapi_json()), "run `make openapi`"
