"""The audience tables and their version: created or upgraded by one function, safe for two servers.

Stored per drawing: the 28x28 pixels (784 bytes), the digit meant, the model's answer, the room, the
time, and the random send id that makes a send count once. No names, addresses or participant ids.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
    update,
)

from core.audience.database import transaction
from core.audience.errors import AudienceError

#: Bump with an entry in `UPGRADES` whenever a table changes.
SCHEMA_VERSION = 1
#: Any fixed number: PostgreSQL's advisory lock that lets one server at a time create or upgrade.
SCHEMA_LOCK_ID = 7_240_614_001


class UtcDateTime(TypeDecorator):
    """A UTC time stored without a zone (SQLite has none) and read back as an aware datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

schema_version = Table(
    "audience_schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
)

rooms = Table(
    "audience_rooms",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("key_hash", String(64), nullable=False),
    Column("settings", Text, nullable=False),  # the model settings the room was opened with, as JSON
    Column("class_count", SmallInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)

drawings = Table(
    "audience_drawings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room_code", String(32), ForeignKey("audience_rooms.code", ondelete="CASCADE"), nullable=False),
    Column("send_id", String(64), nullable=False),
    Column("pixels", LargeBinary(784), nullable=False),
    Column("meant", SmallInteger, nullable=False),
    Column("read_as", SmallInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("room_code", "send_id", name="uq_audience_drawings_send"),
    Index("ix_audience_drawings_room_id", "room_code", "id"),
)

#: version -> the step that turns a database at that version into the next one.
UPGRADES: dict[int, Callable[[Connection], None]] = {}


def ensure_schema(engine: Engine) -> int:
    """Create the tables, or upgrade them to `SCHEMA_VERSION`, in one transaction; returns the version.

    Two servers starting at once take turns: PostgreSQL through an advisory lock, SQLite through its
    write lock. A database made by a newer version of the app raises `AudienceError`.
    """
    with transaction(engine, write=True) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": SCHEMA_LOCK_ID})
        metadata.create_all(conn)
        version = conn.scalar(select(func.max(schema_version.c.version)))
        if version is None:
            conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
            return SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise AudienceError(
                f"The audience database was made by a newer version of the lab (schema {version}, "
                f"this one knows {SCHEMA_VERSION}): upgrade the lab on this server."
            )
        for step in range(version, SCHEMA_VERSION):
            UPGRADES[step](conn)
        conn.execute(update(schema_version).values(version=SCHEMA_VERSION))
        return SCHEMA_VERSION


def utc_now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)
