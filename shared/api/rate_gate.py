"""The rate limit in front of the api function: who is calling, and may they call now?

It reads the same gateway event the api function gets, so it runs wherever that event passes
through: locally in the gateway process (infra/local/gateway/function_routes.py), before the request waits for a
slot of the api function, so a bursting account's excess costs one table read at most and never
queues ahead of another account's requests. On SCF no openmps gateway sits in front of the function:
there the api function runs the gate itself (``refusal_in_function``), with buckets per warm
instance (docs/DEPLOY.md says what that means).

Who pays for a request:
- a request that proves an account (a known REST bearer token; an MPS API 3.0 request whose TC3
  signature checks out) takes a token from that account's bucket of its family (reads, writes);
- a COS XML API request whose signature checks out takes from its account's bucket too; signed
  storage URLs and zips, and COS requests whose signature does not, from the address's
  (``wait_of_account``, ``wait_of_address``: infra/local/gateway/server.py, cos_api/endpoint.py);
- every other one (public routes, missing, unknown or forged credentials) from its client
  address's bucket: a hostile client can drain only its own address's budget, never an account's
  (a SecretId is not a secret, so naming one proves nothing until the signature matches).
Known tokens and key pairs are remembered for ``cache_seconds`` (the identity only chooses the
bucket; the api function still checks every request, so a revoked token gets 401 at once). A
credential not yet remembered is looked up only while its address still has a token, so a flood
of made-up tokens costs no table reads.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.api.auth import is_public
from shared.api.mps import envelope, tc3
from shared.api.mps.auth import authenticate
from shared.api.mps.errors import MpsError
from shared.api.mps.messages import render
from shared.api.mps.request import from_event, is_api3
from shared.domain.accounts import AccessKey
from shared.domain.errors import error_envelope
from shared.domain.rate_limit import Limit, Limits, RateLimiter, mps_family, rest_family
from shared.runtime.observability import logger
from shared.runtime.settings import Settings
from shared.services.deps import Deps
from shared.store.accounts import AccountStore, token_hash

CODE = "RequestLimitExceeded"
CACHE_SECONDS = 10.0
_T = TypeVar("_T")


class _Remembered(Generic[_T]):
    """A small time-bounded memo (thread-safe; the least recently stored entries go first)."""

    def __init__(self, seconds: float, clock: Callable[[], float], max_entries: int = 10_000) -> None:
        self._seconds, self._clock, self._max = seconds, clock, max_entries
        self._items: OrderedDict[str, tuple[float, _T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> _T | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] < self._clock():
                return None
            return found[1]

    def put(self, key: str, value: _T) -> None:
        with self._lock:
            self._items[key] = (self._clock() + self._seconds, value)
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class Caller:
    """Whose bucket a request takes from: an account and a family, or an address (account None)."""

    account: str | None
    family: str
    address: str


def _header(event: dict[str, Any], name: str) -> str:
    wanted = name.lower()
    return next((str(v) for k, v in (event.get("headers") or {}).items() if str(k).lower() == wanted), "")


def _address(event: dict[str, Any]) -> str:
    return str((event.get("requestContext") or {}).get("sourceIp") or "unknown")


class RateGate:
    def __init__(
        self,
        limiter: RateLimiter,
        *,
        account_for_token: Callable[[str], str | None],
        find_key: Callable[[str], AccessKey | None],
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._limiter, self._lock = limiter, threading.Lock()
        self._account_for_token, self._find_key = account_for_token, find_key
        self._wall_clock = wall_clock
        self._tokens: _Remembered[str] = _Remembered(cache_seconds, clock)
        self._keys: _Remembered[AccessKey] = _Remembered(cache_seconds, clock)

    # ---- the one call the gateway makes --------------------------------------------------------
    def refusal(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """None when the request may go on; else the integration response that refuses it."""
        api3 = is_api3(event)
        caller = self._caller(event, api3)
        if caller is None:  # an unknown credential from an address out of tokens: not even looked up
            caller, wait = Caller(None, "", _address(event)), self.wait_of_address(_address(event))
        else:
            with self._lock:
                if caller.account is None:
                    wait = self._limiter.take_address(caller.address)
                else:
                    wait = self._limiter.take_account(caller.account, caller.family)
        if wait <= 0:
            return None
        logger.info(
            "rate limited",
            extra={"account": caller.account, "family": caller.family, "address": caller.address, "wait": wait},
        )
        seconds = retry_after_seconds(wait)
        return _mps_refusal(event, seconds) if api3 else _rest_refusal(caller, seconds)

    # ---- the routes that are not the api function's (COS XML API, signed storage and zips) -----
    def wait_of_account(self, account: str, method: str) -> float:
        """Seconds until ``account`` may make a request with ``method`` (0: now, and it is counted):
        a request whose credential the route has already checked (a COS signature)."""
        with self._lock:
            return self._limiter.take_account(account, rest_family(method))

    def wait_of_address(self, address: str) -> float:
        """The same for a request that proves no account: a signed URL (anyone holding it may use
        it), or a credential that did not check out."""
        with self._lock:
            return self._limiter.take_address(address)

    def address_refusal(self, address: str) -> dict[str, Any] | None:
        """None when ``address`` may make a request now; else the REST API's 429 for it (an
        integration response: statusCode, headers, body)."""
        wait = self.wait_of_address(address)
        return _rest_refusal(Caller(None, "", address), retry_after_seconds(wait)) if wait > 0 else None

    # ---- who is calling ---------------------------------------------------------------------------
    def _caller(self, event: dict[str, Any], api3: bool) -> Caller | None:
        address = _address(event)
        if api3:
            action = _header(event, "X-TC-Action")
            return self._signed_caller(event, address, mps_family(action))
        method = str(event.get("httpMethod") or "GET")
        path = str(event.get("path") or "/")
        scheme, _, token = _header(event, "Authorization").partition(" ")
        if is_public(path) or scheme.lower() != "bearer" or not token.strip():
            return Caller(None, "", address)
        digest = token_hash(token.strip())
        account = self._tokens.get(digest)
        if account is None:
            if not self._address_may_look_up(address):
                return None
            account = self._guarded(lambda: self._account_for_token(token.strip()))
            if account is not None:
                self._tokens.put(digest, account)
        return Caller(account, rest_family(method), address)

    def _signed_caller(self, event: dict[str, Any], address: str, family: str) -> Caller | None:
        try:
            secret_id = tc3.parse_authorization(_header(event, "Authorization")).secret_id
        except tc3.MalformedAuthorization:
            return Caller(None, "", address)
        key = self._keys.get(secret_id)
        if key is None:
            if not self._address_may_look_up(address):
                return None
            key = self._guarded(lambda: self._find_key(secret_id))
            if key is None:
                return Caller(None, "", address)
            self._keys.put(secret_id, key)
        found = key
        try:
            authenticate(from_event(event, ""), lambda _: found, self._wall_clock())
        except MpsError:
            return Caller(None, "", address)
        return Caller(found.account, family, address)

    def _address_may_look_up(self, address: str) -> bool:
        with self._lock:
            return self._limiter.address_has_token(address)

    @staticmethod
    def _guarded(look_up: Callable[[], _T | None]) -> _T | None:
        """A table that does not answer must not take the gateway down: the request counts as its
        address's, and the api function answers it as it would."""
        try:
            return look_up()
        except Exception:  # noqa: BLE001 - any table fault
            logger.warning("rate limit: identity look-up failed", exc_info=True)
            return None


def retry_after_seconds(wait: float) -> int:
    """A Retry-After value: whole seconds, at least one."""
    return max(1, math.ceil(wait))


def _rest_refusal(caller: Caller, seconds: int) -> dict[str, Any]:
    whose = "this account's" if caller.account is not None else "this client address's"
    family = f" {caller.family}" if caller.account is not None else ""
    message = f"too many requests: {whose}{family} request rate limit is used up; retry in {seconds} s"
    params = {"retry_after_seconds": seconds, "scope": "account" if caller.account is not None else "address"}
    return {
        "statusCode": 429,
        "isBase64Encoded": False,
        "headers": {"Content-Type": "application/json", "Retry-After": str(seconds)},
        "body": json.dumps(error_envelope(CODE, message, params)),
    }


def _mps_refusal(event: dict[str, Any], seconds: int) -> dict[str, Any]:
    language = from_event(event, "").language
    answer = envelope.failure(CODE, render("rate_limited", language, {"seconds": seconds}), str(uuid.uuid4()))
    answer["headers"] = {**answer["headers"], "Retry-After": str(seconds)}
    return answer


def limits_of(settings: Settings) -> Limits:
    return Limits(
        reads=Limit(settings.rate_limit_reads_per_second, settings.rate_limit_reads_burst),
        writes=Limit(settings.rate_limit_writes_per_second, settings.rate_limit_writes_burst),
        anonymous=Limit(settings.rate_limit_anonymous_per_second, settings.rate_limit_anonymous_burst),
    )


def rate_gate_for(settings: Settings, accounts: AccountStore) -> RateGate:
    return RateGate(
        RateLimiter(limits_of(settings), time.monotonic),
        account_for_token=accounts.account_for,
        find_key=accounts.find_key,
    )


_instance_gate: RateGate | None = None


def refusal_in_function(event: dict[str, Any], deps: Deps) -> dict[str, Any] | None:
    """The gate inside the api function, where no openmps gateway went first: on SCF (the cloud
    invoker). Its buckets live in this instance's memory, from its cold start."""
    global _instance_gate
    if deps.settings.invoker != "scf":
        return None  # the local gateway has decided already
    if _instance_gate is None:
        _instance_gate = rate_gate_for(deps.settings, deps.accounts)
    return _instance_gate.refusal(event)
