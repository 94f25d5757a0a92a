from sqlalchemy.ext.asyncio import AsyncSession

from app.keys import service
from app.keys.models import Role, Scope
from app.keys.schemas import KeyCreate


class KeyMaker:
    """Issues keys straight through the service, inside the test's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def __call__(
        self,
        role: Role = Role.admin,
        scopes: tuple[Scope, ...] = (Scope.read, Scope.write),
        **binding: object,
    ) -> str:
        values = KeyCreate.model_validate(
            {"name": f"test {role.value}", "role": role, "scopes": list(scopes), **binding}
        )
        created = await service.issue(self.session, values, created_by=None)
        await self.session.commit()
        return created.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
