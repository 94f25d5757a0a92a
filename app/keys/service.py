"""Issuing a key: from the API, the command line and the demo option alike."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.keys import repository, secrets
from app.keys.models import Role, Scope
from app.keys.schemas import KeyCreate, KeyCreated, KeyRead


async def issue(
    session: AsyncSession, values: KeyCreate, *, created_by: uuid.UUID | None
) -> KeyCreated:
    secret = secrets.new_secret()
    key = await repository.create(
        session,
        values,
        digest=secrets.digest(secret),
        prefix=secrets.display_prefix(secret),
        created_by=created_by,
    )
    return KeyCreated(**KeyRead.model_validate(key).model_dump(), secret=secret)


async def issue_in(url: str, values: KeyCreate) -> KeyCreated:
    """Issues a key in its own transaction on the database at ``url``."""
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            return await issue(session, values, created_by=None)
    finally:
        await engine.dispose()


DEMO_ADMIN = "demo admin"


async def issue_demo_admin_in(url: str) -> tuple[KeyCreated, int]:
    """A new demo admin key (a secret is never shown twice, so the key of an earlier
    ``serve --demo`` cannot be shown again), and how many earlier ones are still valid:
    they are left alone, since another instance may be using one."""
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            earlier = await repository.count_command_line_keys_named(
                session, DEMO_ADMIN, Role.admin
            )
            values = KeyCreate(name=DEMO_ADMIN, role=Role.admin, scopes=[Scope.read, Scope.write])
            return await issue(session, values, created_by=None), earlier
    finally:
        await engine.dispose()
