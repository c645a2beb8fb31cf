"""Rooms and the drawings sent to them, in SQLite or PostgreSQL (see `core.audience.database`).

Every drawing is stored once per (room, send id), whoever sends it how often; a room holds at most
`MAX_DRAWINGS_PER_ROOM`; rooms and their drawings are deleted when closed or after `ROOM_LIFETIME`.
A wrong, closed or expired code all raise the same `RoomNotFound`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import Connection, Engine, delete, exc, func, insert, select, update

from core.audience import checks, codes
from core.audience.database import database_errors, database_url, make_engine, transaction
from core.audience.errors import InvalidInput, LimitReached, NotAllowed, RoomNotFound
from core.audience.schema import drawings, ensure_schema, rooms, utc_now

MAX_DRAWINGS_PER_ROOM = 5_000
ROOM_LIFETIME = timedelta(hours=24)
DIGIT_CLASSES = 10


@dataclass(frozen=True)
class OpenedRoom:
    """A room just opened: its code, and the presenter key, shown once and stored only as a hash."""

    code: str
    presenter_key: str


@dataclass(frozen=True, eq=False)
class Drawing:
    """One drawing as stored: `pixels` is (28, 28) uint8, as the model saw it; `created_at` is UTC."""

    id: int
    room_code: str
    pixels: np.ndarray
    meant: int
    read_as: int
    created_at: datetime


class RoomStore:
    """Rooms and drawings in one database. Thread-safe; several processes may share the database.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        From `core.audience.database.make_engine`.
    clock : callable, optional
        Returns the current UTC time; tests pass their own to see a room expire.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now):
        self.engine = engine
        self._clock = clock
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    # --- the presenter ------------------------------------------------------------------------------

    def open_room(
        self,
        model_settings: dict,
        *,
        code: str | None = None,
        presenter_key: str | None = None,
        class_count: int = DIGIT_CLASSES,
    ) -> OpenedRoom:
        """A new room with a random code and key; with `code` and `presenter_key`, that fixed room
        (reopened with the new settings if it is open, else created). NotAllowed if the key is wrong."""
        settings = checks.settings_to_json(model_settings)
        class_count = checks.check_class_count(class_count)
        if (code is None) != (presenter_key is None):
            raise InvalidInput(
                "A fixed room needs both its code and its presenter key: set both, or neither."
            )
        fixed_code = None if code is None else codes.check_fixed_room(code, presenter_key)
        self.purge_expired()
        if fixed_code is None:
            return self._open_random_room(settings, class_count)
        return self._open_fixed_room(fixed_code, presenter_key.strip(), settings, class_count)

    def _open_random_room(self, settings: str, class_count: int) -> OpenedRoom:
        key = codes.new_presenter_key()
        for _ in range(5):  # a clash among 850 billion codes is rare; five in a row is impossible
            code = codes.new_room_code()
            row = self._room_row(code, key, settings, class_count)
            try:
                with self._transaction(write=True) as conn:
                    conn.execute(insert(rooms).values(**row))
                return OpenedRoom(code, key)
            except exc.IntegrityError:
                continue
        raise RuntimeError("five random room codes in a row were taken")

    def _open_fixed_room(self, code: str, key: str, settings: str, class_count: int) -> OpenedRoom:
        for attempt in range(2):  # a second try if another server created the same room just now
            try:
                with self._transaction(write=True) as conn:
                    found = self._live_room(conn, code, lock=True, missing_ok=True)
                    if found is None:
                        # An expired room of that code not yet purged: it goes, with its drawings.
                        conn.execute(delete(drawings).where(drawings.c.room_code == code))
                        conn.execute(delete(rooms).where(rooms.c.code == code))
                        conn.execute(insert(rooms).values(**self._room_row(code, key, settings, class_count)))
                    elif codes.presenter_key_matches(code, key, found.key_hash):
                        new = {"settings": settings, "class_count": class_count}
                        conn.execute(update(rooms).where(rooms.c.code == code).values(**new))
                    else:
                        raise _wrong_key()
                return OpenedRoom(code, key)
            except exc.IntegrityError:
                if attempt:
                    raise

    def _room_row(self, code: str, key: str, settings: str, class_count: int) -> dict:
        return {
            "code": code,
            "key_hash": codes.hash_presenter_key(code, key),
            "settings": settings,
            "class_count": class_count,
            "created_at": self._clock(),
        }

    def all_drawings(self, code: str, presenter_key: str) -> list[Drawing]:
        """Every drawing in the room, oldest first; NotAllowed without the room's presenter key."""
        with self._transaction() as conn:
            room = self._presenter_room(conn, code, presenter_key)
            query = select(drawings).where(drawings.c.room_code == room.code).order_by(drawings.c.id)
            return [_drawing(row) for row in conn.execute(query).mappings()]

    def delete_drawing(self, code: str, presenter_key: str, drawing_id: int) -> None:
        """Delete one drawing from the room (nothing happens if it is already gone)."""
        with self._transaction(write=True) as conn:
            room = self._presenter_room(conn, code, presenter_key)
            conn.execute(
                delete(drawings).where(drawings.c.room_code == room.code, drawings.c.id == drawing_id)
            )

    def close_room(self, code: str, presenter_key: str) -> None:
        """Delete the room and every drawing in it; its code then finds nothing."""
        with self._transaction(write=True) as conn:
            room = self._presenter_room(conn, code, presenter_key, lock=True)
            conn.execute(delete(drawings).where(drawings.c.room_code == room.code))
            conn.execute(delete(rooms).where(rooms.c.code == room.code))

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete rooms opened `ROOM_LIFETIME` or more before `now`, with their drawings; returns how many.

        Cheap when there is nothing to delete: one indexed read, no write lock.
        """
        cutoff = (now or self._clock()) - ROOM_LIFETIME
        expired = select(rooms.c.code).where(rooms.c.created_at <= cutoff)
        with self._transaction() as conn:
            if conn.scalar(expired.limit(1)) is None:
                return 0
        with self._transaction(write=True) as conn:
            conn.execute(delete(drawings).where(drawings.c.room_code.in_(expired)))
            return conn.execute(delete(rooms).where(rooms.c.created_at <= cutoff)).rowcount

    # --- participants and the presenter's wall ------------------------------------------------------

    def room_settings(self, code: str) -> dict:
        """The model settings the room was opened with; RoomNotFound if the code opens no room."""
        with self._transaction() as conn:
            return json.loads(self._live_room(conn, code).settings)

    def add_drawing(self, code: str, pixels, meant: int, read_as: int, send_id: str) -> Drawing:
        """Store a drawing once: the same `send_id` again (at once, or from another server) returns the
        first one. RoomNotFound, LimitReached when the room is full, DatabaseUnavailable."""
        data = checks.check_pixels(pixels)
        codes.check_send_id(send_id)
        for label, name in ((meant, "meant"), (read_as, "read_as")):
            checks.check_label(label, name, checks.MAX_CLASS_COUNT)
        try:
            return self._insert_drawing(code, data, int(meant), int(read_as), send_id)
        except exc.IntegrityError:
            # Only a writer that bypassed the room lock could get here; the first drawing is the answer.
            with self._transaction() as conn:
                room = self._live_room(conn, code)
                if (found := _find_sent(conn, room.code, send_id)) is None:
                    raise
                return found

    def _insert_drawing(self, code: str, data: bytes, meant: int, read_as: int, send_id: str) -> Drawing:
        with self._transaction(write=True) as conn:
            room = self._live_room(conn, code, lock=True)  # one writer per room: the cap holds
            if (found := _find_sent(conn, room.code, send_id)) is not None:
                return found
            checks.check_label(meant, "meant", room.class_count)
            checks.check_label(read_as, "read_as", room.class_count)
            count = conn.scalar(select(func.count()).where(drawings.c.room_code == room.code))
            if count >= MAX_DRAWINGS_PER_ROOM:
                raise LimitReached(
                    f"This room is full ({MAX_DRAWINGS_PER_ROOM:,} drawings): "
                    "ask the presenter to open a new one."
                )
            values = {
                "room_code": room.code,
                "send_id": send_id,
                "pixels": data,
                "meant": meant,
                "read_as": read_as,
                "created_at": self._clock(),
            }
            new_id = conn.execute(insert(drawings).values(**values).returning(drawings.c.id)).scalar_one()
            return _drawing({"id": new_id, **values})

    def count_drawings(self, code: str) -> int:
        """How many drawings the room holds; RoomNotFound if the code opens no room."""
        with self._transaction() as conn:
            room = self._live_room(conn, code)
            return conn.scalar(select(func.count()).where(drawings.c.room_code == room.code))

    def latest_drawings(self, code: str, limit: int = 60) -> list[Drawing]:
        """The room's newest drawings, newest first, at most `limit` (1 to the room's cap)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_DRAWINGS_PER_ROOM:
            raise InvalidInput(
                f"limit={limit!r} should be a whole number from 1 to {MAX_DRAWINGS_PER_ROOM:,}."
            )
        with self._transaction() as conn:
            room = self._live_room(conn, code)
            query = select(drawings).where(drawings.c.room_code == room.code)
            return [
                _drawing(row)
                for row in conn.execute(query.order_by(drawings.c.id.desc()).limit(limit)).mappings()
            ]

    # --- helpers ------------------------------------------------------------------------------------

    def _transaction(self, *, write: bool = False):
        if not self._schema_ready:
            with self._schema_lock, database_errors():
                if not self._schema_ready:
                    ensure_schema(self.engine)
                    self._schema_ready = True
        return transaction(self.engine, write=write)

    def _live_room(self, conn: Connection, code: str, *, lock: bool = False, missing_ok: bool = False):
        """The room's row if the code opens a room that has not expired; else RoomNotFound (or None)."""
        normal = codes.normalise_room_code(code)
        row = None
        if normal is not None:
            query = select(rooms).where(
                rooms.c.code == normal, rooms.c.created_at > self._clock() - ROOM_LIFETIME
            )
            row = conn.execute(query.with_for_update() if lock else query).one_or_none()
        if row is None and not missing_ok:
            raise RoomNotFound()
        return row

    def _presenter_room(self, conn: Connection, code: str, presenter_key: str, *, lock: bool = False):
        room = self._live_room(conn, code, lock=lock)
        if not codes.presenter_key_matches(room.code, presenter_key, room.key_hash):
            raise _wrong_key()
        return room


def _wrong_key() -> NotAllowed:
    return NotAllowed("That presenter key does not open this room: use the key shown when it was opened.")


def _find_sent(conn: Connection, room_code: str, send_id: str) -> Drawing | None:
    query = select(drawings).where(drawings.c.room_code == room_code, drawings.c.send_id == send_id)
    row = conn.execute(query).mappings().one_or_none()
    return None if row is None else _drawing(row)


def _drawing(values: Mapping) -> Drawing:
    pixels = np.frombuffer(values["pixels"], dtype=np.uint8).reshape(checks.IMAGE_SHAPE).copy()
    return Drawing(
        id=values["id"],
        room_code=values["room_code"],
        pixels=pixels,
        meant=values["meant"],
        read_as=values["read_as"],
        created_at=values["created_at"],
    )


_stores: dict[str, RoomStore] = {}
_stores_lock = threading.Lock()


def open_store(url: str | None = None) -> RoomStore:
    """The store for `url`, else ``$KMEANS_LAB_DATABASE_URL`` (PostgreSQL), else the SQLite file
    ``audience.sqlite3`` in the cache folder. One per URL in a process, shared by its sessions."""
    resolved = database_url(url)
    with _stores_lock:
        if resolved not in _stores:
            _stores[resolved] = RoomStore(make_engine(resolved))
        return _stores[resolved]
