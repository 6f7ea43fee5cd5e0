"""Token buckets per caller: how many requests an account (or an unauthenticated address) may make.

Pure: the clock is a function handed in, nothing here sleeps, reads the environment or locks.
A bucket holds at most ``burst`` tokens and gains ``per_second`` of them each second; a request takes
one. An empty bucket answers how long until the next token is there (the ``Retry-After``).

The number of buckets is bounded (``max_keys``): the least recently used one is forgotten first. A
forgotten bucket comes back full, which only ever errs towards letting a caller in.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]

READ, WRITE = "read", "write"


@dataclass(frozen=True)
class Limit:
    """``per_second`` <= 0 means no limit."""

    per_second: float
    burst: float

    @property
    def unlimited(self) -> bool:
        return self.per_second <= 0


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """One bucket per key, all under the same limit."""

    def __init__(self, limit: Limit, clock: Clock, max_keys: int = 10_000) -> None:
        if not limit.unlimited and limit.burst < 1:
            raise ValueError("a limited bucket must hold at least one token (burst >= 1)")
        self.limit, self._clock, self._max_keys = limit, clock, max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _refilled(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self.limit.burst, now)
            self._buckets[key] = bucket
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket.at)  # a clock stepping back refills nothing
            bucket.tokens = min(self.limit.burst, bucket.tokens + elapsed * self.limit.per_second)
            bucket.at = max(bucket.at, now)
        return bucket

    def take(self, key: str) -> float:
        """0.0 when the request may go (one token taken); else the seconds until a token is there."""
        if self.limit.unlimited:
            return 0.0
        bucket = self._refilled(key)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.limit.per_second

    def has_token(self, key: str) -> bool:
        """Whether a request would go now, without taking anything."""
        return self.limit.unlimited or self._refilled(key).tokens >= 1

    def __len__(self) -> int:
        return len(self._buckets)


def rest_family(method: str) -> str:
    """Reads and writes are counted apart, so a script creating tasks does not stop its console
    from listing them."""
    return READ if method.upper() in ("GET", "HEAD", "OPTIONS") else WRITE


def mps_family(action: str) -> str:
    """MPS API 3.0: the Describe* actions read, every other action writes."""
    return READ if action.startswith("Describe") else WRITE


@dataclass(frozen=True)
class Limits:
    reads: Limit
    writes: Limit
    anonymous: Limit


class RateLimiter:
    """The buckets of every account per family, and of every client address for the requests that
    prove no account (public routes, missing or wrong credentials)."""

    def __init__(self, limits: Limits, clock: Clock, max_keys: int = 10_000) -> None:
        self.limits = limits
        self._families = {
            READ: TokenBuckets(limits.reads, clock, max_keys),
            WRITE: TokenBuckets(limits.writes, clock, max_keys),
        }
        self._anonymous = TokenBuckets(limits.anonymous, clock, max_keys)

    def take_account(self, account: str, family: str) -> float:
        return self._families[family].take(account)

    def take_address(self, address: str) -> float:
        return self._anonymous.take(address)

    def address_has_token(self, address: str) -> bool:
        return self._anonymous.has_token(address)

    def limit_of_account(self, family: str) -> Limit:
        return self._families[family].limit
