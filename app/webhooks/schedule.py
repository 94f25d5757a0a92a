"""When a failed delivery is tried again: exponential back-off, given up after a while."""

import datetime as dt


def retry_delay(failed_attempts: int, base_seconds: float) -> dt.timedelta:
    """After the n-th failure: base, 2 x base, 4 x base... (30 s, 1 min, 2 min... by
    default: the 12th retry comes about 17 hours after the first failure)."""
    return dt.timedelta(seconds=base_seconds * 2 ** (failed_attempts - 1))


def next_attempt(
    failed_attempts: int,
    first_attempt_at: dt.datetime,
    now: dt.datetime,
    *,
    base_seconds: float,
    give_up_after: dt.timedelta,
) -> dt.datetime | None:
    """When to try again, or None to give up: the next try would come after the
    delivery has been failing for ``give_up_after``."""
    due = now + retry_delay(failed_attempts, base_seconds)
    return None if due - first_attempt_at > give_up_after else due
