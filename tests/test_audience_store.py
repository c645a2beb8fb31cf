"""The audience store against a real SQLite file and a real PostgreSQL server: what a room keeps.

Every test runs on both databases. PostgreSQL comes from the `postgres_url` fixture (tests/conftest.py):
a throw-away server from Debian's binaries, or $KMEANS_LAB_TEST_POSTGRES_URL.
"""

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from audience_worker import shared_send
from postgres_support import create_database, create_schema, drop_database, drop_schema
from sqlalchemy import func, insert, inspect, select

from core.audience.codes import ROOM_CODE_ALPHABET, new_send_id
from core.audience.database import database_url, make_engine
from core.audience.errors import (
    DatabaseUnavailable,
    InvalidInput,
    LimitReached,
    NotAllowed,
    RoomNotFound,
)
from core.audience.schema import SCHEMA_VERSION, drawings, rooms, schema_version
from core.audience.store import MAX_DRAWINGS_PER_ROOM, RoomStore, open_store

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "audience_worker.py"
SETTINGS = {"dataset": "mnist", "k": 36, "seed": 0}


class Clock:
    """A clock the test moves by hand (UTC). It starts at the real time: a worker process in another
    test reads the real clock, and a room opened at a fixed date would have closed for it by now."""

    def __init__(self):
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self):
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database of each kind: a SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audience.sqlite3'}"
        return
    url = create_schema(request.getfixturevalue("postgres_url"))
    yield url
    drop_schema(url)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(db_url, clock):
    store = RoomStore(make_engine(database_url(db_url)), clock=clock)
    yield store
    store.engine.dispose()


def digit(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(28, 28), dtype=np.uint8)


def rows(store, table, **where) -> int:
    """How many rows of `table` match, counted in the database itself."""
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with store.engine.connect() as conn:
        return conn.scalar(query)


def run_workers(*argument_lists: list[str]) -> list:
    """Start one worker process per argument list at once; their printed results, in order."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        for args in argument_lists
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        results.append(json.loads(out))
    return results


# --- a drawing's round trip --------------------------------------------------------------------------


def test_a_drawing_comes_back_as_the_model_saw_it(store, clock):
    room = store.open_room(SETTINGS)
    assert len(room.code) == 8 and set(room.code) <= set(ROOM_CODE_ALPHABET)
    sent = store.add_drawing(room.code.lower(), digit(1), 3, 8, new_send_id())  # codes ignore case
    [back] = store.latest_drawings(room.code)
    assert back.id == sent.id and back.room_code == room.code
    np.testing.assert_array_equal(back.pixels, digit(1))
    assert back.pixels.dtype == np.uint8 and back.pixels.shape == (28, 28)
    assert (back.meant, back.read_as) == (3, 8)
    assert back.created_at == clock.now and back.created_at.tzinfo is not None
    assert store.room_settings(room.code) == SETTINGS
    assert store.count_drawings(room.code) == 1


def test_latest_drawings_are_newest_first_and_all_drawings_oldest_first(store):
    room = store.open_room(SETTINGS)
    ids = [store.add_drawing(room.code, digit(i), i, i, new_send_id()).id for i in range(5)]
    assert [d.id for d in store.latest_drawings(room.code, limit=3)] == ids[::-1][:3]
    assert [d.id for d in store.all_drawings(room.code, room.presenter_key)] == ids


# --- exactly once ------------------------------------------------------------------------------------


def test_send_pressed_twice_stores_the_drawing_once(store):
    room = store.open_room(SETTINGS)
    send_id = new_send_id()
    first = store.add_drawing(room.code, digit(1), 3, 3, send_id)
    again = store.add_drawing(room.code, digit(2), 5, 5, send_id)  # even if the page sent something else
    assert again.id == first.id and again.meant == 3
    np.testing.assert_array_equal(again.pixels, digit(1))
    assert rows(store, drawings, room_code=room.code) == 1


def test_two_threads_sending_the_same_drawings_store_each_once(store):
    room = store.open_room(SETTINGS)
    n = 40
    results = [[], []]
    start = threading.Barrier(2)

    def send(into):
        start.wait()
        into.extend(store.add_drawing(room.code, *shared_send(i)).id for i in range(n))

    threads = [threading.Thread(target=send, args=(into,)) for into in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results[0] == results[1] and len(set(results[0])) == n
    assert rows(store, drawings, room_code=room.code) == n


def test_two_processes_sending_the_same_drawings_store_each_once(store, db_url):
    room = store.open_room(SETTINGS)
    n = 60
    start_at = str(time.time() + 3)  # both processes have imported everything by then
    first, second = run_workers(*[["send", db_url, room.code, start_at, str(n)]] * 2)
    assert first == second and len(set(first)) == n
    assert rows(store, drawings, room_code=room.code) == n
    assert [d.meant for d in store.all_drawings(room.code, room.presenter_key)] == [i % 10 for i in range(n)]


def test_three_processes_creating_the_tables_at_once_all_open_a_room(db_url):
    start_at = str(time.time() + 3)
    codes = run_workers(*[["open", db_url, start_at]] * 3)
    store = RoomStore(make_engine(database_url(db_url)))
    assert all(store.room_settings(code) == {"k": 10} for code in codes)
    with store.engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version)).scalars().all() == [SCHEMA_VERSION]
    store.engine.dispose()


# --- the room's cap ----------------------------------------------------------------------------------


def fill(store, code, n, clock):
    """Put n drawings straight into the room's table, as n earlier sends would have."""
    values = [
        {
            "room_code": code,
            "send_id": f"earlier-send-{i:06d}",
            "pixels": bytes(784),
            "meant": 1,
            "read_as": 1,
        }
        for i in range(n)
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(drawings).values(created_at=clock.now), values)


def test_a_room_holds_5000_drawings_even_when_sends_race_for_the_last_places(store, clock):
    room = store.open_room(SETTINGS)
    fill(store, room.code, MAX_DRAWINGS_PER_ROOM - 10, clock)
    stored, refused = [], []

    def send(worker):
        for i in range(10):
            try:
                stored.append(store.add_drawing(room.code, digit(i), 1, 1, f"racer-{worker}-send-{i:04d}"))
            except LimitReached as error:
                refused.append(str(error))

    threads = [threading.Thread(target=send, args=(worker,)) for worker in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stored) == 10 and len(refused) == 20
    assert refused[0] == "This room is full (5,000 drawings): ask the presenter to open a new one."
    assert rows(store, drawings, room_code=room.code) == MAX_DRAWINGS_PER_ROOM == 5000
    # A send that was stored before the room filled still gets its drawing back, not "full".
    assert store.add_drawing(
        room.code, digit(0), 1, 1, stored[0].send_id if False else "earlier-send-000000"
    ).id


# --- the presenter -----------------------------------------------------------------------------------


def test_the_presenter_deletes_one_drawing_and_nobody_else_can(store):
    room = store.open_room(SETTINGS)
    kept, rude = (store.add_drawing(room.code, digit(i), i, i, new_send_id()) for i in range(2))
    with pytest.raises(NotAllowed, match="That presenter key does not open this room"):
        store.delete_drawing(room.code, "not-the-key-at-all-guessing", rude.id)
    with pytest.raises(NotAllowed):
        store.all_drawings(room.code, "")
    store.delete_drawing(room.code, room.presenter_key, rude.id)
    assert [d.id for d in store.latest_drawings(room.code)] == [kept.id]
    other = store.open_room(SETTINGS)  # a drawing id of this room cannot be deleted through another room
    store.delete_drawing(other.code, other.presenter_key, kept.id)
    assert store.count_drawings(room.code) == 1


def test_closing_a_room_deletes_it_and_every_drawing_in_it(store):
    room, other = store.open_room(SETTINGS), store.open_room(SETTINGS)
    for i in range(3):
        store.add_drawing(room.code, digit(i), i, i, new_send_id())
    store.add_drawing(other.code, digit(9), 9, 9, new_send_id())
    with pytest.raises(NotAllowed):
        store.close_room(room.code, other.presenter_key)
    store.close_room(room.code, room.presenter_key)
    assert rows(store, drawings, room_code=room.code) == 0 and rows(store, rooms, code=room.code) == 0
    assert rows(store, drawings) == 1 and store.count_drawings(other.code) == 1
    with pytest.raises(RoomNotFound):
        store.add_drawing(room.code, digit(1), 1, 1, new_send_id())


def test_a_fixed_room_reopens_with_its_key_and_keeps_its_drawings(store):
    key = "a-long-secret-presenter-key"
    room = store.open_room(SETTINGS, code="Park-42-Event", presenter_key=key)
    assert room.code == "PARK42EVENT" and room.presenter_key == key
    store.add_drawing(room.code, digit(0), 0, 0, new_send_id())
    again = store.open_room({"k": 64}, code="PARK42EVENT", presenter_key=key)
    assert again.code == room.code and store.count_drawings(room.code) == 1
    assert store.room_settings(room.code) == {"k": 64}
    with pytest.raises(NotAllowed):
        store.open_room(SETTINGS, code="PARK42EVENT", presenter_key="someone-elses-long-key")
    with pytest.raises(InvalidInput, match="at least 16 characters"):
        store.open_room(SETTINGS, code="PARK42EVENT", presenter_key="short")
    with pytest.raises(InvalidInput, match="'Room-1' should be 6 to 32 characters from 2345"):
        store.open_room(SETTINGS, code="Room-1", presenter_key=key)  # O, 1 look like 0, I
    with pytest.raises(InvalidInput, match="both its code and its presenter key"):
        store.open_room(SETTINGS, code="PARK42EVENT")


# --- expiry and codes that open nothing ---------------------------------------------------------------


def test_rooms_and_their_drawings_are_gone_24_hours_after_opening(store, clock):
    room = store.open_room(SETTINGS)
    store.add_drawing(room.code, digit(0), 0, 0, new_send_id())
    clock.now += timedelta(hours=23, minutes=59)
    assert store.count_drawings(room.code) == 1
    clock.now += timedelta(minutes=1)
    with pytest.raises(RoomNotFound):
        store.count_drawings(room.code)
    assert rows(store, drawings) == 1  # still on disk until purged...
    store.open_room(SETTINGS)  # ...which opening any room does
    assert rows(store, drawings) == 0 and rows(store, rooms, code=room.code) == 0
    assert store.purge_expired(clock.now + timedelta(hours=25)) == 1  # the room just opened


def test_wrong_closed_and_expired_codes_get_the_same_message(store, clock):
    closed, expired, live = (store.open_room(SETTINGS) for _ in range(3))
    store.close_room(closed.code, closed.presenter_key)
    clock.now += timedelta(hours=12)
    live = store.open_room(SETTINGS)
    clock.now += timedelta(hours=12)
    wrong = "ABCDEFGH" if live.code != "ABCDEFGH" else "HGFEDCBA"
    messages = set()
    for code in (wrong, closed.code, expired.code, "", "no such room!", None):
        for ask in (
            lambda c: store.room_settings(c),
            lambda c: store.count_drawings(c),
            lambda c: store.latest_drawings(c),
            lambda c: store.add_drawing(c, digit(0), 1, 1, new_send_id()),
            lambda c: store.close_room(c, "whatever-key-it-might-be"),
        ):
            with pytest.raises(RoomNotFound) as raised:
                ask(code)
            messages.add(str(raised.value))
    assert messages == {
        "There is no open room with that code: check the code with the presenter, "
        "or ask them to open a new room."
    }
    assert store.count_drawings(live.code) == 0


# --- what is stored, and what is refused ----------------------------------------------------------------


def test_only_the_drawing_the_digits_the_room_and_the_time_are_stored(store):
    room = store.open_room(SETTINGS)
    store.add_drawing(room.code, digit(0), 0, 0, new_send_id())
    with store.engine.connect() as conn:
        found = inspect(conn)
        columns = {table: {c["name"] for c in found.get_columns(table)} for table in found.get_table_names()}
        [stored_hash] = conn.execute(select(rooms.c.key_hash)).scalars().all()
    assert columns == {
        "audience_drawings": {"id", "room_code", "send_id", "pixels", "meant", "read_as", "created_at"},
        "audience_rooms": {"code", "key_hash", "settings", "class_count", "created_at"},
        "audience_schema_version": {"version"},
    }
    assert room.presenter_key not in stored_hash and len(stored_hash) == 64


@pytest.mark.parametrize(
    ("pixels", "meant", "read_as", "send_id", "message"),
    [
        (np.zeros((28, 28)), 1, 1, "a" * 32, "pixels should be a 28x28 uint8 array .* not a float64 array"),
        (np.zeros((32, 32), np.uint8), 1, 1, "a" * 32, r"not a uint8 array of shape \(32, 32\)"),
        ([[0] * 28] * 28, 1, 1, "a" * 32, "not a list"),
        (digit(), 10, 1, "a" * 32, "meant=10 should be a whole number from 0 to 9"),
        (digit(), 1, -1, "a" * 32, "read_as=-1 should be a whole number from 0 to 9"),
        (digit(), True, 1, "a" * 32, "meant=True should be a whole number"),
        (digit(), 1, 1, "short", "send_id='short' should be 16 to 64 letters"),
        (digit(), 1, 1, "a" * 20 + "; DROP TABLE", "send_id=.* should be 16 to 64 letters"),
    ],
)
def test_a_bad_drawing_is_refused_with_a_message_saying_what_is_wrong(
    store, pixels, meant, read_as, send_id, message
):
    room = store.open_room(SETTINGS)
    with pytest.raises(InvalidInput, match=message):
        store.add_drawing(room.code, pixels, meant, read_as, send_id)
    assert store.count_drawings(room.code) == 0


def test_a_room_of_another_dataset_takes_its_own_class_count(store):
    room = store.open_room(SETTINGS, class_count=26)
    assert store.add_drawing(room.code, digit(), 25, 12, new_send_id()).meant == 25
    with pytest.raises(InvalidInput, match="meant=26 should be a whole number from 0 to 25"):
        store.add_drawing(room.code, digit(), 26, 1, new_send_id())
    with pytest.raises(InvalidInput, match="model_settings should hold only numbers"):
        store.open_room({"model": object()})


# --- the database going away ------------------------------------------------------------------------


def test_a_stopped_postgresql_says_try_again_then_works_after_restart(postgres_url):
    from postgres_support import start_postgres

    server = start_postgres()  # its own server, to stop and start
    try:
        store = open_store(server.url)
        room = store.open_room(SETTINGS)
        server.stop()
        for ask in (
            lambda: store.open_room(SETTINGS),
            lambda: store.add_drawing(room.code, digit(), 1, 1, new_send_id()),
            lambda: store.count_drawings(room.code),
        ):
            with pytest.raises(DatabaseUnavailable, match="cannot be reached right now: try again"):
                ask()
        server.start()
        store.add_drawing(room.code, digit(), 1, 1, new_send_id())
        assert store.count_drawings(room.code) == 1
        store.engine.dispose()
    finally:
        server.remove()


def test_a_sqlite_file_that_cannot_be_opened_says_try_again_then_works(tmp_path):
    path = tmp_path / "audience.sqlite3"
    path.mkdir()  # a folder where the file should be: SQLite cannot open it
    store = open_store(f"sqlite:///{path}")
    with pytest.raises(DatabaseUnavailable, match="try again in a moment"):
        store.open_room(SETTINGS)
    path.rmdir()
    room = store.open_room(SETTINGS)
    assert store.count_drawings(room.code) == 0


# --- which database ----------------------------------------------------------------------------------


def test_without_a_url_rooms_live_in_a_sqlite_file_in_the_cache_folder(monkeypatch, isolated_cache):
    monkeypatch.delenv("KMEANS_LAB_DATABASE_URL", raising=False)
    store = open_store()
    room = store.open_room(SETTINGS)
    assert (isolated_cache / "results" / "audience.sqlite3").is_file()
    assert open_store().count_drawings(room.code) == 0  # one store per URL in the process
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_postgresql_url_in_the_environment_is_used_with_psycopg(monkeypatch, postgres_url):
    url = create_database(postgres_url)
    try:
        monkeypatch.setenv("KMEANS_LAB_DATABASE_URL", url.replace("postgresql://", "postgres://"))
        store = open_store()
        assert store.engine.dialect.name == "postgresql" and store.engine.dialect.driver == "psycopg"
        room = store.open_room(SETTINGS)
        assert open_store(url).room_settings(room.code) == SETTINGS
        store.engine.dispose()
        open_store(url).engine.dispose()
    finally:
        drop_database(url)


def test_an_unusable_database_url_is_refused_with_what_to_do(monkeypatch):
    monkeypatch.setenv("KMEANS_LAB_DATABASE_URL", "mysql://someone@db/lab")
    with pytest.raises(
        InvalidInput, match="starts with mysql://, which the lab cannot use: give a postgresql"
    ):
        open_store()
