"""Delivers the outbox in the background of each jalon process.

Three loops: the fan-out turns new events into deliveries (one instance at a time,
under an advisory lock, so that each subscription's deliveries follow event order);
workers deliver, each holding its subscription's row lock while it sends, so that a
subscription gets one event at a time, in order, from one instance; the scan emits the
time-based events once a period (under another lock, and deduplicated by key).
Delivery is at least once: a process that dies after the receiver answered but
before recording it sends that event again, with the same webhook-id.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.alerts import repository as alerts
from app.settings import Settings
from app.webhooks import repository, schedule, signing, targets
from app.webhooks.events import EventType, payload
from app.webhooks.repository import Due

log = logging.getLogger("jalon.webhooks")
T = TypeVar("T")

FAN_OUT_BATCH = 1000
ALERT_EVENTS = {
    "contract_ending": (EventType.contract_ending_soon, "contract_id"),
    "pass_iae_expiring": (EventType.pass_iae_expiring, "pass_iae_id"),
    "derogation_expiring": (EventType.derogation_expiring, "derogation_id"),
}


def _time_based_event(row: Any) -> dict[str, Any] | None:
    """The event an alert makes, emitted once per record and due date (a prolonged end
    is a new event, a month still open one per structure and month); None: no event."""
    if row.kind == "month_still_open":
        event_type = EventType.month_still_open
        data = {
            "structure_id": str(row.structure_id),
            "month": row.month,
            "due_date": row.due_date.isoformat(),
        }
        key = f"{event_type.value}:{row.record_id}:{row.month}"
    elif row.kind in ALERT_EVENTS:
        event_type, id_name = ALERT_EVENTS[row.kind]
        data = {
            id_name: str(row.record_id),
            "parcours_id": str(row.parcours_id),
            "salarie_id": str(row.salarie_id),
            "structure_id": str(row.structure_id),
            "end_date": row.due_date.isoformat(),
        }
        key = f"{event_type.value}:{row.record_id}:{row.due_date}"
    else:
        return None
    return {
        "type": event_type.value,
        "structure_id": row.structure_id,
        "data": data,
        "dedup_key": key,
    }


# of a receiver's answer, only the status counts: the rest is read this far, then dropped
ANSWER_BYTES = 4096


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.webhook_timeout_seconds),
            follow_redirects=False,
            trust_env=False,
        )
        self.allowed = list(settings.webhook_allowed_networks)
        self.give_up_after = dt.timedelta(hours=settings.webhook_give_up_hours)

    async def run(self) -> None:
        """Every loop, until cancelled."""
        loops = [self._fan_out_loop(), self._scan_loop()]
        loops += [self._delivery_loop() for _ in range(self.settings.webhook_workers)]
        try:
            await asyncio.gather(*loops)
        finally:
            await self.client.aclose()

    async def fan_out_once(self) -> int:
        async with self.sessions() as session, session.begin():
            if not await repository.take_lock(session, repository.FAN_OUT_LOCK):
                return 0
            return await repository.fan_out(session, FAN_OUT_BATCH)

    async def deliver_once(self) -> bool:
        """Tries the next due delivery of one subscription; False when none is due."""
        async with self.sessions() as session, session.begin():
            due = await repository.next_due(session)
            if due is None:
                return False
            await self._attempt(session, due)
            return True

    async def scan_once(self, today: dt.date) -> int:
        """Emits the time-based events due from ``today``; returns how many were new."""
        async with self.sessions() as session, session.begin():
            if not await repository.take_lock(session, repository.SCAN_LOCK):
                return 0
            rows = await alerts.due_within(
                session,
                today=today,
                within_days=self.settings.webhook_due_within_days,
                cddi_limit_months=self.settings.rules.cddi_max_months,
                month_close_by_day=self.settings.rules.month_close_by_day,
            )
            events = [event for row in rows if (event := _time_based_event(row)) is not None]
            return await repository.add_time_based(session, events)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POSTs to the checked address; reads at most ANSWER_BYTES of the answer, of
        which only the status counts."""
        target = await targets.resolve(url, self.allowed)
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
        request = self.client.build_request(
            "POST",
            target.url,
            content=body,
            headers=headers | {"host": target.host_header},
            extensions=extensions,
        )
        response = await self.client.send(request, stream=True)
        try:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= ANSWER_BYTES:
                    break
            return response.status_code
        finally:
            await response.aclose()

    async def _attempt(self, session: AsyncSession, due: Due) -> None:
        event = due.event
        body = orjson.dumps(
            payload(event.type, event.occurred_at, event.data), option=orjson.OPT_UTC_Z
        )
        message = signing.message_id(event.id)
        headers = signing.headers(due.subscription.secret, message, int(time.time()), body)
        status_code: int | None = None
        error: str | None = None
        attempted_at = await repository.now(session)
        started = time.perf_counter()
        try:
            # one deadline for the whole attempt: resolving, connecting, sending, and an
            # answer that trickles in byte by byte
            async with asyncio.timeout(self.settings.webhook_timeout_seconds):
                status_code = await self._post(due.subscription.url, body, headers)
        except targets.UnsafeTarget as refused:
            error = str(refused)
        except (TimeoutError, httpx.TimeoutException):
            error = "timeout"
        except httpx.HTTPError as failed:
            error = type(failed).__name__
        duration_ms = round((time.perf_counter() - started) * 1000)
        delivered = status_code is not None and 200 <= status_code < 300
        next_attempt_at = None
        if not delivered:
            now = await repository.now(session)
            next_attempt_at = schedule.next_attempt(
                due.delivery.attempts + 1,
                due.delivery.first_attempt_at or now,
                now,
                base_seconds=self.settings.webhook_retry_base_seconds,
                give_up_after=self.give_up_after,
            )
        await repository.record_attempt(
            session,
            due,
            attempted_at=attempted_at,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
            next_attempt_at=next_attempt_at,
            delivered=delivered,
        )

    async def _fan_out_loop(self) -> None:
        while True:
            taken = await self._guarded(self.fan_out_once, 0)
            if taken < FAN_OUT_BATCH:
                await asyncio.sleep(self.settings.webhook_poll_seconds)

    async def _delivery_loop(self) -> None:
        while True:
            if not await self._guarded(self.deliver_once, False):
                await asyncio.sleep(self.settings.webhook_poll_seconds)

    async def _scan_loop(self) -> None:
        while True:
            await self._guarded(lambda: self.scan_once(dt.date.today()), 0)
            await asyncio.sleep(self.settings.webhook_scan_seconds)

    async def _guarded(self, step: Callable[[], Awaitable[T]], otherwise: T) -> T:
        """A step whose failure (the database away, say) is logged and waited out."""
        try:
            return await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("webhook dispatch step failed; retrying", exc_info=True)
            await asyncio.sleep(self.settings.webhook_poll_seconds)
            return otherwise


@contextlib.asynccontextmanager
async def running(dispatcher: Dispatcher) -> AsyncIterator[None]:
    """The dispatcher in a background task for the block's duration."""
    task = asyncio.create_task(dispatcher.run(), name="jalon-webhooks")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def prune_webhooks_in(url: str, retention_days: int) -> tuple[int, int]:
    """:func:`repository.prune` of what is older than the retention, in one transaction
    on the database at ``url``."""
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            before = await repository.now(session) - dt.timedelta(days=retention_days)
            return await repository.prune(session, before)
    finally:
        await engine.dispose()
