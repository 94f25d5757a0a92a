import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.migrate import head_revision


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_schema_revision(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["schema_revision"] == head_revision()


async def test_readyz_is_503_when_the_schema_is_behind(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    await session.commit()
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert "jalon migrate" in response.json()["detail"]
    assert response.headers["retry-after"]
