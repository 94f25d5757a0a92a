"""Every query on webhooks: subscriptions, the outbox's fan-out, deliveries and their log."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, exists, func, insert, or_, select, true, update
from sqlalchemy import delete as sa_delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Caller
from app.db import insert_record, save_changes
from app.keys.models import ApiKey, Role
from app.networks.repository import covers
from app.pagination import keyset
from app.structures.models import Structure
from app.webhooks.events import MISSION_EVENTS
from app.webhooks.models import Attempt, Delivery, Event, Subscription

SUBSCRIPTIONS = "webhooks"
DELIVERIES = "webhook-deliveries"
FAN_OUT_LOCK = 0x6A616C6F6E01  # one instance fans out at a time: deliveries keep event order
SCAN_LOCK = 0x6A616C6F6E02  # one instance scans for time-based events at a time


def owned_by(caller: Caller) -> Any:
    """A key manages its own subscriptions; admin keys every one."""
    return true() if caller.role is Role.admin else Subscription.key_id == caller.key_id


async def create(session: AsyncSession, subscription: Subscription) -> Subscription:
    return await insert_record(session, subscription)


async def get(
    session: AsyncSession, caller: Caller, subscription_id: uuid.UUID, *, for_change: bool = False
) -> Subscription | None:
    statement = select(Subscription).where(Subscription.id == subscription_id, owned_by(caller))
    if for_change:  # not FOR UPDATE: the fan-out's foreign-key checks go on meanwhile
        statement = statement.with_for_update(key_share=True)
    return await session.scalar(statement)


async def page(
    session: AsyncSession, caller: Caller, *, after: Sequence[object] | None, limit: int
) -> Sequence[Subscription]:
    statement = select(Subscription).where(owned_by(caller))
    sort_key = (Subscription.created_at, Subscription.id)
    return (await session.scalars(keyset(statement, sort_key, after, limit))).all()


async def update_subscription(
    session: AsyncSession, subscription: Subscription, changes: dict[str, Any]
) -> Subscription:
    await save_changes(session, subscription, changes)
    return subscription


async def delete(session: AsyncSession, subscription: Subscription) -> None:
    await session.delete(subscription)
    await session.flush()


@dataclass(frozen=True)
class DeliveryView:
    delivery: Delivery
    event: Event
    attempts: Sequence[Attempt]


async def deliveries(
    session: AsyncSession,
    subscription_id: uuid.UUID,
    *,
    state: str | None,
    after: Sequence[object] | None,
    limit: int,
) -> list[DeliveryView]:
    statement = (
        select(Delivery, Event)
        .join(Event, Event.id == Delivery.event_id)
        .where(Delivery.subscription_id == subscription_id)
    )
    if state is not None:
        statement = statement.where(Delivery.state == state)
    rows = (await session.execute(keyset(statement, (Delivery.id,), after, limit))).all()
    logs = await _attempts(session, [delivery.id for delivery, _ in rows])
    return [DeliveryView(d, e, logs.get(d.id, [])) for d, e in rows]


async def delivery(
    session: AsyncSession, subscription_id: uuid.UUID, delivery_id: int
) -> DeliveryView | None:
    row = (
        await session.execute(
            select(Delivery, Event)
            .join(Event, Event.id == Delivery.event_id)
            .where(Delivery.id == delivery_id, Delivery.subscription_id == subscription_id)
            .with_for_update(of=Delivery)
        )
    ).first()
    if row is None:
        return None
    logs = await _attempts(session, [row[0].id])
    return DeliveryView(row[0], row[1], logs.get(row[0].id, []))


async def _attempts(session: AsyncSession, delivery_ids: list[int]) -> dict[int, list[Attempt]]:
    found: dict[int, list[Attempt]] = {}
    if delivery_ids:
        statement = (
            select(Attempt)
            .where(Attempt.delivery_id.in_(delivery_ids))
            .order_by(Attempt.delivery_id, Attempt.number)
        )
        for attempt in await session.scalars(statement):
            found.setdefault(attempt.delivery_id, []).append(attempt)
    return found


async def requeue(session: AsyncSession, delivery: Delivery) -> None:
    """Sends the event again as soon as its subscription's earlier events are out."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id)
        .values(state="pending", next_attempt_at=func.statement_timestamp(), first_attempt_at=None)
    )
    await session.refresh(delivery)


# the dispatcher's side


async def take_lock(session: AsyncSession, lock: int) -> bool:
    """A transaction-level advisory lock, if no other instance holds it."""
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(lock))))


def _may_receive(claimed: Any) -> Any:
    """Whether the subscription's key may read the record an event is about: the same
    rules as the API's (personal events only to admin and the structure's keys)."""
    mission_event = claimed.c.type.in_([event.value for event in MISSION_EVENTS])
    network_id = cast(ColumnElement[uuid.UUID], ApiKey.network_id)
    covered = exists().where(Structure.id == claimed.c.structure_id, covers(network_id))
    return or_(
        ApiKey.role == Role.admin,
        and_(ApiKey.role == Role.structure, ApiKey.structure_id == claimed.c.structure_id),
        and_(
            ApiKey.role == Role.company,
            mission_event,
            ApiKey.company_id == claimed.c.company_id,
        ),
        and_(ApiKey.role == Role.network, mission_event, covered),
    )


async def fan_out(session: AsyncSession, batch: int) -> int:
    """Turns up to ``batch`` new events into deliveries for the subscriptions that want
    them; returns how many events it took."""
    claimed = (
        select(Event.id, Event.type, Event.structure_id, Event.company_id, Event.occurred_at)
        .where(~Event.fanned_out)
        .order_by(Event.id)
        .limit(batch)
        .with_for_update(skip_locked=True, key_share=True)
        .cte("claimed")
    )
    recipients = (
        select(Subscription.id, claimed.c.id)
        .select_from(claimed)
        .join(
            Subscription,
            and_(
                claimed.c.type == func.any(Subscription.event_types),
                Subscription.created_at <= claimed.c.occurred_at,
            ),
        )
        .join(ApiKey, and_(ApiKey.id == Subscription.key_id, ApiKey.revoked_at.is_(None)))
        .where(_may_receive(claimed))
        .order_by(claimed.c.id)
    )
    delivered = (
        pg_insert(Delivery)
        .from_select(["subscription_id", "event_id"], recipients)
        .on_conflict_do_nothing()
        .cte("delivered")
    )
    # one statement, so one snapshot: the events marked are exactly those given their
    # deliveries (two statements would each claim the events committed by then)
    taken = await session.execute(
        update(Event)
        .add_cte(delivered)
        .where(Event.id.in_(select(claimed.c.id)))
        .values(fanned_out=True)
        .returning(Event.id)
        .execution_options(synchronize_session=False)
    )
    return len(taken.all())


@dataclass(frozen=True)
class Due:
    subscription: Subscription
    delivery: Delivery
    event: Event


async def next_due(session: AsyncSession) -> Due | None:
    """Locks a subscription whose oldest pending delivery is due, skipping those another
    worker holds, and returns that delivery, read after the lock (so that it is never
    one another worker has just delivered)."""
    head = (
        select(Delivery.next_attempt_at)
        .where(Delivery.subscription_id == Subscription.id, Delivery.state == "pending")
        .order_by(Delivery.event_id)
        .limit(1)
        .scalar_subquery()
    )
    locked = await session.scalar(
        select(Subscription)
        .join(ApiKey, and_(ApiKey.id == Subscription.key_id, ApiKey.revoked_at.is_(None)))
        .where(Subscription.state == "active", head <= func.statement_timestamp())
        .order_by(head)
        .limit(1)
        # FOR NO KEY UPDATE: the fan-out may still add deliveries (a foreign-key check)
        .with_for_update(of=Subscription, skip_locked=True, key_share=True)
    )
    if locked is None:
        return None
    row = (
        await session.execute(
            select(Delivery, Event)
            .join(Event, Event.id == Delivery.event_id)
            .where(Delivery.subscription_id == locked.id, Delivery.state == "pending")
            .order_by(Delivery.event_id)
            .limit(1)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None or row[0].next_attempt_at > await now(session):
        return None
    return Due(locked, row[0], row[1])


async def record_attempt(
    session: AsyncSession,
    due: Due,
    *,
    attempted_at: dt.datetime,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    next_attempt_at: dt.datetime | None,
    delivered: bool,
) -> None:
    delivery = due.delivery
    number = delivery.attempts + 1
    await session.execute(
        insert(Attempt).values(
            delivery_id=delivery.id,
            number=number,
            attempted_at=attempted_at,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
            next_attempt_at=next_attempt_at,
        )
    )
    values: dict[str, Any] = {
        "attempts": number,
        "last_status": status_code,
        "first_attempt_at": func.coalesce(Delivery.first_attempt_at, attempted_at),
    }
    if delivered:
        values |= {"state": "delivered", "delivered_at": func.statement_timestamp()}
    elif next_attempt_at is None:
        values |= {"state": "failed"}
        await session.execute(
            update(Subscription)
            .where(Subscription.id == due.subscription.id)
            .values(
                state="failing",
                updated_at=func.statement_timestamp(),
                version=Subscription.version + 1,
            )
        )
    else:
        values |= {"next_attempt_at": next_attempt_at}
    await session.execute(update(Delivery).where(Delivery.id == delivery.id).values(values))


async def now(session: AsyncSession) -> dt.datetime:
    """The transaction's clock (the database's, which every instance shares)."""
    value: dt.datetime | None = await session.scalar(select(func.statement_timestamp()))
    assert value is not None
    return value


async def add_time_based(session: AsyncSession, events: Sequence[dict[str, Any]]) -> int:
    """Adds the events not emitted before (by their dedup key); returns how many."""
    if not events:
        return 0
    added = await session.execute(
        pg_insert(Event)
        .values(list(events))
        .on_conflict_do_nothing(index_elements=[Event.dedup_key])
        .returning(Event.id)
    )
    return len(added.all())


async def prune(session: AsyncSession, before: dt.datetime) -> tuple[int, int]:
    """Forgets what was delivered or given up, for events before ``before``: their
    deliveries (and log), then the events no delivery waits for. Returns both counts."""
    old_events = select(Event.id).where(Event.occurred_at < before)
    deliveries = await session.execute(
        sa_delete(Delivery)
        .where(Delivery.state.in_(["delivered", "failed"]), Delivery.event_id.in_(old_events))
        .returning(Delivery.id)
    )
    waiting = exists().where(Delivery.event_id == Event.id)
    events = await session.execute(
        sa_delete(Event)
        .where(Event.occurred_at < before, Event.fanned_out, ~waiting)
        .returning(Event.id)
    )
    return len(deliveries.all()), len(events.all())
