"""TC3 verification against requests the official SDK signs (no server: the auth module alone)."""

from __future__ import annotations

import time

import pytest

from shared.api.mps.auth import authenticate
from shared.api.mps.errors import MpsError
from shared.api.mps.request import Api3Request
from shared.domain.accounts import AccessKey
from tests.sdk_signing import SkewedClock, sdk_client, signed_request

pytestmark = pytest.mark.unit

SID, SK = "AKID" + "a" * 32, "s" * 32
KEY = AccessKey("acct-a", "1300000001", SID, SK, enabled=True)


def as_api3(req) -> Api3Request:
    headers = {k.lower(): v for k, v in req.header.items()}
    return Api3Request("POST", "", headers, req.data.encode(), "rid")


def verify(req, now: float | None = None, key: AccessKey | None = KEY) -> AccessKey:
    return authenticate(as_api3(req), lambda sid: key if key and sid == key.secret_id else None, now or time.time())


def code_of(req, **kw) -> str:
    with pytest.raises(MpsError) as caught:
        verify(req, **kw)
    return caught.value.code


def sdk_request(params=None, secret_key=SK, token=None, offset=0.0):
    client = sdk_client("127.0.0.1:8080", SID, secret_key, token=token)
    with SkewedClock(offset):
        return signed_request(client, "DescribeTasks", params or {"Limit": 5, "Status": "WAITING"})


def flip_last(text: str) -> str:
    return text[:-1] + ("1" if text[-1] == "0" else "0")


def test_a_request_the_sdk_signed_is_accepted():
    # GIVEN a request signed by the SDK  WHEN verified  THEN its key comes back
    assert verify(sdk_request()) == KEY


@pytest.mark.parametrize(("skew", "accepted"), [(0, True), (300, True), (-300, True), (301, False), (-301, False)])
def test_the_timestamp_may_be_300_seconds_off_not_more(skew, accepted):
    req = sdk_request()
    now = int(req.header["X-TC-Timestamp"]) - skew + 0.999  # the server's clock, skew seconds away
    if accepted:
        assert verify(req, now=now) == KEY
    else:
        assert code_of(req, now=now) == "AuthFailure.SignatureExpire"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: setattr(r, "data", r.data.replace("5", "6")),
        lambda r: r.header.update(Host="127.0.0.1:8081"),
        lambda r: r.header.update(Authorization=flip_last(r.header["Authorization"])),
        lambda r: r.header.update(Authorization=r.header["Authorization"].replace("/mps/", "/cvm/")),
    ],
    ids=["body", "host", "signature", "service-scope"],
)
def test_any_changed_byte_breaks_the_signature(tamper):
    req = sdk_request()
    tamper(req)
    assert code_of(req) == "AuthFailure.SignatureFailure"


def test_a_date_scope_other_than_the_timestamps_day_is_refused():
    req = sdk_request()
    auth = req.header["Authorization"]
    date = auth.split("Credential=")[1].split("/")[1]
    req.header["Authorization"] = auth.replace(date, "2001-01-01")
    assert code_of(req) == "AuthFailure.SignatureFailure"


def test_credentials_problems_have_their_own_codes():
    assert code_of(sdk_request(secret_key="x" * 32)) == "AuthFailure.SignatureFailure"
    assert code_of(sdk_request(), key=None) == "AuthFailure.SecretIdNotFound"
    disabled = AccessKey(KEY.account, KEY.appid, SID, SK, enabled=False)
    assert code_of(sdk_request(), key=disabled) == "AuthFailure.SecretIdNotFound"
    assert code_of(sdk_request(token="sts-token")) == "AuthFailure.TokenFailure"
    unsigned = sdk_request()
    del unsigned.header["Authorization"]
    assert code_of(unsigned) == "AuthFailure.InvalidAuthorization"
    garbled = sdk_request()
    garbled.header["Authorization"] = "TC3-HMAC-SHA256 Credential=nonsense"
    assert code_of(garbled) == "AuthFailure.InvalidAuthorization"
