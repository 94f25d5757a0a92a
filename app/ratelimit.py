"""Requests per API key: a token bucket for each key, kept in this process.

Each role has a budget of requests per minute (``JALON_RATE_LIMIT_PER_MINUTE``; 0: no
limit). A key's bucket holds that many tokens and refills at that rate: a client may
burst up to its budget, then goes at the budget's pace. The limit is per instance: with
N instances behind a load balancer, a key may make up to N times its budget.
"""

import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.keys.models import Role


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
    def __init__(
        self,
        per_minute: Mapping[Role, int],
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = dict(per_minute)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[uuid.UUID, _Bucket] = OrderedDict()

    def take(self, key_id: uuid.UUID, role: Role) -> Verdict | None:
        """Spends one token of the key's bucket; None when the role has no limit."""
        limit = self.per_minute.get(role, 0)
        if limit <= 0:
            return None
        per_second = limit / 60
        now = self.clock()
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = _Bucket(tokens=float(limit), updated=now)
            self._buckets[key_id] = bucket
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)  # the least recently seen key
        else:
            bucket.tokens = min(limit, bucket.tokens + (now - bucket.updated) * per_second)
            bucket.updated = now
            self._buckets.move_to_end(key_id)
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
