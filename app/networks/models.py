import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Versioned, created_at, uuid_pk


class Network(Versioned, Base):
    """A fédération or territorial body. Its scope is its member structures plus every
    structure in its régions and départements, computed when read, so that it
    follows structures joining, leaving or moving."""

    __tablename__ = "networks"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region_codes: Mapped[list[str]] = mapped_column(ARRAY(String(2)), server_default="{}")
    departement_codes: Mapped[list[str]] = mapped_column(ARRAY(String(3)), server_default="{}")


class NetworkMember(Base):
    __tablename__ = "network_members"

    network_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    structure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[created_at]
