"""Token buckets kept in this process: one per API key (its role's budget), and one per
client address for failed authentications (their own budget).

Each role has a budget of requests per minute (``JALON_RATE_LIMIT_PER_MINUTE``; 0: no
limit); so do an address's requests that fail authentication
(``JALON_AUTH_FAILURES_PER_MINUTE``). A bucket holds that many tokens and refills at that
rate: a client may burst up to its budget, then goes at the budget's pace. The limit is
per instance: with N instances behind a load balancer, a key may make up to N times its
budget.
"""

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after_seconds: int  # until the next request may pass (0 when this one did)

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Buckets by key (an API key's id, a client address), each spent against the
    budget per minute it is given."""

    def __init__(
        self, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    def can_take(self, key: Hashable, limit: int) -> bool:
        """Whether :meth:`take` would allow a request now, spending nothing."""
        if limit <= 0:
            return True
        bucket = self._buckets.get(key)
        return bucket is None or self._refilled(bucket, limit) >= 1

    def take(self, key: Hashable, limit: int) -> Verdict | None:
        """Spends one token of the key's bucket; None when there is no limit (0)."""
        if limit <= 0:
            return None
        per_second = limit / 60
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(limit), updated=self.clock())
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)  # the least recently seen key
        else:
            bucket.tokens = self._refilled(bucket, limit)
            bucket.updated = self.clock()
            self._buckets.move_to_end(key)
        allowed = bucket.tokens >= 1
        if allowed:
            bucket.tokens -= 1
        return Verdict(
            allowed=allowed,
            limit=limit,
            remaining=int(bucket.tokens),
            reset_seconds=math.ceil((limit - bucket.tokens) / per_second),
            retry_after_seconds=0 if allowed else math.ceil((1 - bucket.tokens) / per_second),
        )

    def _refilled(self, bucket: _Bucket, limit: int) -> float:
        return min(limit, bucket.tokens + (self.clock() - bucket.updated) * limit / 60)
