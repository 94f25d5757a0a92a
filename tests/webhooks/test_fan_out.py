"""The fan-out against events committed while it runs: an event is marked fanned out
only with its deliveries, whatever commits between the fan-out's statements."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.keys import service as keys
from app.keys.models import ApiKey, Role, Scope
from app.keys.schemas import KeyCreate
from app.webhooks import repository
from app.webhooks.models import Delivery, Event, Subscription


class Interleaved:
    """A session whose every statement is followed by ``between``: another
    transaction committing while the fan-out's own is still open."""

    def __init__(self, session: AsyncSession, between: Callable[[], Awaitable[None]]) -> None:
        self.session = session
        self.between = between

    async def execute(self, statement: Any) -> Any:
        result = await self.session.execute(statement)
        await self.between()
        return result


@dataclass
class Committed:
    """Sessions that commit for real, and what the test wrote with them."""

    sessions: async_sessionmaker[AsyncSession]
    marker: str = field(default_factory=lambda: uuid.uuid4().hex)
    key_ids: list[uuid.UUID] = field(default_factory=list)

    def events(self) -> Any:
        return Event.data["marker"].astext == self.marker

    async def event(self) -> int:
        async with self.sessions() as session, session.begin():
            event_id: int | None = await session.scalar(
                insert(Event)
                .values(type="mission.created", data={"marker": self.marker})
                .returning(Event.id)
            )
            assert event_id is not None
            return event_id


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[Committed]:
    """What the test committed is removed afterwards."""
    written = Committed(async_sessionmaker(engine, expire_on_commit=False))
    yield written
    async with written.sessions() as session, session.begin():
        subscriptions = select(Subscription.id).where(Subscription.key_id.in_(written.key_ids))
        await session.execute(delete(Delivery).where(Delivery.subscription_id.in_(subscriptions)))
        await session.execute(delete(Event).where(written.events()))
        await session.execute(delete(Subscription).where(Subscription.id.in_(subscriptions)))
        await session.execute(delete(ApiKey).where(ApiKey.id.in_(written.key_ids)))


async def test_an_event_committed_between_the_fan_outs_statements_is_not_lost(
    committed: Committed,
) -> None:
    async with committed.sessions() as session, session.begin():
        values = KeyCreate(name="fan-out", role=Role.admin, scopes=[Scope.read])
        key = await keys.issue(session, values, created_by=None)
        committed.key_ids.append(key.id)
        subscription = Subscription(
            key_id=key.id,
            url="https://hooks.example/x",
            event_types=["mission.created"],
            secret="whsec_test",
        )
        session.add(subscription)
    first = await committed.event()
    late: list[int] = []

    async def commit_one_more() -> None:
        if not late:
            late.append(await committed.event())

    async with committed.sessions() as session, session.begin():
        interleaved = cast(AsyncSession, Interleaved(session, commit_one_more))
        await repository.fan_out(interleaved, batch=1000)

    async with committed.sessions() as session:
        events = (
            await session.execute(select(Event.id, Event.fanned_out).where(committed.events()))
        ).all()
        delivered = set(
            await session.scalars(
                select(Delivery.event_id).where(Delivery.subscription_id == subscription.id)
            )
        )
    assert {event_id for event_id, _ in events} == {first, *late}
    assert first in delivered
    # the late event is either fanned out with its delivery, or left for the next pass
    for event_id, fanned_out in events:
        assert not fanned_out or event_id in delivered, (event_id, delivered)
