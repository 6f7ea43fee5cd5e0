"""Token buckets and the gate in front of the api function, on a hand-turned clock (no server).

The gate's answers are checked as the gateway sends them: REST 429 with the error envelope and
Retry-After; MPS API 3.0 HTTP 200 with ``RequestLimitExceeded`` in its envelope. Who pays for a
request is checked with requests the official SDK signs."""

from __future__ import annotations

import json

import pytest

from shared.api.rate_gate import RateGate
from shared.domain.accounts import AccessKey
from shared.domain.rate_limit import READ, WRITE, Limit, Limits, RateLimiter, TokenBuckets, mps_family, rest_family
from tests.sdk_signing import sdk_client, signed_request

pytestmark = pytest.mark.unit

SID, SK = "AKID" + "b" * 32, "k" * 32
KEY = AccessKey("acct-b", "1300000002", SID, SK, enabled=True)
TOKENS = {"token-a": "acct-a", "token-b": "acct-b"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---- buckets ----------------------------------------------------------------------------------------
def test_a_bucket_lets_its_burst_through_then_refills_at_its_rate():
    # GIVEN 2 tokens a second, 5 at most
    clock = Clock()
    buckets = TokenBuckets(Limit(2, 5), clock)
    # WHEN 7 requests come at once
    waits = [buckets.take("a") for _ in range(7)]
    # THEN the first 5 go and the others are told when a token is back (half a second at 2/s)
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(0.5) and waits[6] == pytest.approx(0.5)
    # AND after that half second exactly one more goes
    clock.now += 0.5
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    # AND a long pause refills no more than the burst
    clock.now += 3600
    assert [buckets.take("a") for _ in range(6)].count(0.0) == 5


def test_buckets_are_apart_per_key_and_a_clock_going_back_refills_nothing():
    clock = Clock()
    buckets = TokenBuckets(Limit(1, 1), clock)
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0
    assert buckets.take("b") == 0.0  # another key has its own bucket
    clock.now -= 100
    assert buckets.take("a") > 0
    assert not buckets.has_token("a") and not buckets.has_token("b")


def test_a_limit_of_zero_per_second_is_no_limit_and_a_limited_bucket_needs_a_token():
    buckets = TokenBuckets(Limit(0, 1), Clock())
    assert all(buckets.take("a") == 0.0 for _ in range(10_000))
    with pytest.raises(ValueError):
        TokenBuckets(Limit(1, 0.5), Clock())


def test_the_number_of_buckets_is_bounded_and_the_least_recent_goes_first():
    clock = Clock()
    buckets = TokenBuckets(Limit(1, 1), clock, max_keys=3)
    for key in "abc":
        buckets.take(key)
    buckets.take("a")  # a is used again: b is now the least recent
    buckets.take("d")
    assert len(buckets) == 3
    assert buckets.has_token("b")  # forgotten, so it comes back full
    assert not buckets.has_token("a")


def test_families():
    assert [rest_family(m) for m in ("GET", "head", "POST", "PUT", "DELETE", "PATCH")] == [READ, READ] + [WRITE] * 4
    assert mps_family("DescribeTaskDetail") == READ
    assert mps_family("ProcessMedia") == WRITE and mps_family("") == WRITE


# ---- the gate ---------------------------------------------------------------------------------------
def _gate(clock: Clock, lookups: list[str] | None = None, **limits: Limit) -> RateGate:
    seen = lookups if lookups is not None else []

    def account_for(token: str) -> str | None:
        seen.append(token)
        return TOKENS.get(token)

    def find_key(secret_id: str) -> AccessKey | None:
        seen.append(secret_id)
        return KEY if secret_id == SID else None

    chosen = {"reads": Limit(1, 3), "writes": Limit(1, 2), "anonymous": Limit(1, 4), **limits}
    return RateGate(RateLimiter(Limits(**chosen), clock), account_for_token=account_for, find_key=find_key, clock=clock)


def _rest(path: str = "/api/v1/tasks", token: str | None = "token-a", method: str = "GET", ip: str = "10.0.0.1"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return {"path": path, "httpMethod": method, "headers": headers, "requestContext": {"sourceIp": ip}, "body": ""}


def _api3(action: str = "DescribeTasks", secret_key: str = SK, ip: str = "10.0.0.1", language: str = "en-US"):
    req = signed_request(sdk_client("127.0.0.1:8080", SID, secret_key, language=language), action, {"Limit": 5})
    headers = dict(req.header)
    return {"path": "/", "httpMethod": "POST", "headers": headers, "body": req.data, "requestContext": {"sourceIp": ip}}


def _refused(gate: RateGate, event: dict, times: int) -> list[bool]:
    return [gate.refusal(event) is not None for _ in range(times)]


def test_an_account_past_its_burst_gets_429_with_the_envelope_and_retry_after():
    gate = _gate(Clock())
    assert _refused(gate, _rest(), 3) == [False] * 3
    answer = gate.refusal(_rest())
    assert answer is not None and answer["statusCode"] == 429
    assert answer["headers"]["Retry-After"] == "1"
    error = json.loads(answer["body"])["error"]
    assert error["code"] == "RequestLimitExceeded" and error["message_code"] == "RequestLimitExceeded"
    assert error["message_params"] == {"retry_after_seconds": 1, "scope": "account"}


def test_reads_and_writes_and_accounts_are_counted_apart():
    gate = _gate(Clock())
    assert _refused(gate, _rest(), 4) == [False] * 3 + [True]
    assert _refused(gate, _rest(method="POST"), 3) == [False, False, True]  # the writes' own bucket
    assert _refused(gate, _rest(token="token-b"), 3) == [False] * 3  # another account: untouched


def test_requests_that_prove_no_account_pay_from_their_address_only():
    # GIVEN an account that has used up its reads
    gate = _gate(Clock())
    _refused(gate, _rest(), 3)
    # WHEN an address sends unknown tokens, no token, and public routes
    anonymous = [_rest(token="made-up"), _rest(token=None), _rest(path="/healthz", token=None), _rest(token="x")]
    answers = [gate.refusal(e) for e in anonymous + [_rest(token="y")]]
    # THEN its 4 tokens go, then it is refused as an address, and the account's bucket is not where they came from
    assert [a is None for a in answers] == [True] * 4 + [False]
    assert json.loads(answers[-1]["body"])["error"]["message_params"]["scope"] == "address"
    # AND another address is untouched
    assert gate.refusal(_rest(token="z", ip="10.0.0.2")) is None


def test_a_flood_of_made_up_tokens_stops_reading_the_table_once_its_address_is_out():
    lookups: list[str] = []
    gate = _gate(Clock(), lookups)
    for n in range(100):
        gate.refusal(_rest(token=f"made-up-{n}"))
    assert len(lookups) == 4  # the address's burst; the rest are refused unread


def test_a_known_token_is_looked_up_once_per_cache_period():
    clock, lookups = Clock(), []
    gate = _gate(clock, lookups, reads=Limit(100, 100))
    for _ in range(20):
        gate.refusal(_rest())
    clock.now += 11
    gate.refusal(_rest())
    assert lookups == ["token-a", "token-a"]


def test_a_signed_mps_request_pays_from_its_account_and_is_refused_in_the_envelope():
    gate = _gate(Clock())
    assert _refused(gate, _api3(), 3) == [False] * 3
    answer = gate.refusal(_api3(language="zh-CN"))
    assert answer is not None and answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == "application/json"
    body = json.loads(answer["body"])["Response"]
    assert body["Error"]["Code"] == "RequestLimitExceeded" and "频率限制" in body["Error"]["Message"]
    assert body["RequestId"]
    # a write action has its own bucket; a REST call of the same account too
    assert _refused(gate, _api3("ProcessMedia"), 2) == [False, False]


def test_a_forged_signature_naming_an_accounts_secret_id_cannot_drain_that_account():
    # GIVEN a client that knows the SecretId but not the SecretKey
    gate = _gate(Clock())
    forged = _api3(secret_key="w" * 32, ip="10.6.6.6")
    # WHEN it sends many requests
    assert _refused(gate, forged, 10) == [False] * 4 + [True] * 6  # its own address's budget
    # THEN the account's owner still has its whole burst
    assert _refused(gate, _api3(), 4) == [False] * 3 + [True]


def test_a_table_that_does_not_answer_counts_the_request_as_its_addresss():
    def broken(_: str):
        raise ConnectionError("table down")

    limiter = RateLimiter(Limits(Limit(1, 1), Limit(1, 1), Limit(1, 2)), Clock())
    gate = RateGate(limiter, account_for_token=broken, find_key=broken)
    assert _refused(gate, _rest(), 3) == [False, False, True]
    assert _refused(gate, _api3(ip="10.0.0.9"), 3) == [False, False, True]
