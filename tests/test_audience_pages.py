"""Audience mode's two pages in AppTest: the presenter's Audience page and the phone's join page.

Each test has its own SQLite database (the cache folder is a fresh temporary one, see conftest.py),
and talks to it through the real store. The phone's canvas is replaced as in test_pages.py: AppTest
cannot run custom components.
"""

import time
from pathlib import Path

import numpy as np
import pytest
from chart_support import charts
from picture_support import pictures
from streamlit.testing.v1 import AppTest
from test_pages import FakeCanvas, assert_clean, drawn, patched_canvas, texts

from core.audience.errors import ROOM_NOT_FOUND
from core.audience.store import open_store
from core.data.registry import load_mnist_sample
from ui.audience_live import MIN_DATASET_DRAWINGS

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
JOIN = str(ROOT / "pages" / "join.py")
DEFAULT_MODEL = {
    "dataset": "mnist-sample",
    "k": 36,
    "algorithm": "minibatch",
    "seed": 0,
    "preprocessing": None,
}
#: Test digits the default K = 36 model reads right (see test_pages.py).
READ_RIGHT = {50: "0", 42: "1", 37: "3", 14: "7"}
#: A PostgreSQL address where nothing listens: the database is "down".
DEAD_DATABASE = "postgresql://lab:lab@127.0.0.1:9/rooms"


@pytest.fixture(autouse=True)
def sqlite_rooms(monkeypatch):
    """Rooms in the test's own SQLite file (conftest gives each test a fresh cache folder)."""
    for name in (
        "KMEANS_LAB_DATABASE_URL",
        "KMEANS_LAB_ROOM_CODE",
        "KMEANS_LAB_PRESENTER_KEY",
        "KMEANS_LAB_PUBLIC_URL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def mnist():
    return load_mnist_sample()


def presenter() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    return at.switch_page("pages/audience.py").run()


def opened(at: AppTest) -> AppTest:
    at.button(key="audience_open").click().run()
    assert_clean(at)
    return at


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert len(values) == 1, [m.label for m in at.metric]
    return values[0]


def phone(code: str | None) -> AppTest:
    """A participant's session on /join?room=CODE (run inside `patched_canvas`)."""
    at = AppTest.from_file(JOIN, default_timeout=180)
    if code is not None:
        at.query_params["room"] = code
    return at.run()


def has_button(at: AppTest, key: str) -> bool:
    return any(button.key == key for button in at.button)


def draw_and_send(at: AppTest, digit: str) -> AppTest:
    at.button(key=f"join_digit_{digit}").click().run()
    return at.button(key="join_send_button").click().run()


def test_opening_a_room_shows_its_code_qr_address_and_the_key_once():
    at = presenter()
    assert_clean(at)
    assert at.title[0].value == "Audience: the room draws"
    assert any("current model: **K = 36**" in text for text in texts(at.markdown))
    at = opened(at)
    code = metric(at, "Room code")
    assert len(code) >= 6 and code.isalnum()
    assert metric(at, "Drawings received") == "0"
    assert at.code[0].value.endswith(f"/join?room={code}")
    assert len(at.image) == 1, "the QR code (no drawings yet)"
    key_notes = [s for s in texts(at.success) if "Presenter key" in s]
    assert len(key_notes) == 1
    assert open_store().count_drawings(code) == 0  # a real room in the database
    at.run()
    assert len([s for s in texts(at.success) if "Presenter key" in s]) == 1, "until it is hidden"
    at.button(key="audience_hide_key").click().run()
    assert not [s for s in texts(at.success) if "Presenter key" in s], "never again"
    assert metric(at, "Room code") == code


def test_a_phone_draws_sends_and_sees_what_the_model_read(mnist):
    room = open_store().open_room(DEFAULT_MODEL)
    with patched_canvas(FakeCanvas(drawn(mnist.test_images[14]))):
        at = phone(room.code)
        assert_clean(at)
        assert len(at.sidebar) == 0, "no sidebar on the phone"
        assert [b.label for b in at.button][1:11] == [str(d) for d in range(10)]
        at.button(key="join_send_button").click().run()
        assert 'Tap the digit you drew, under "I drew", then Send.' in texts(at.warning)
        at = draw_and_send(at, "7")
    assert_clean(at)
    assert metric(at, "The model read") == "7"
    assert any("read it right" in text for text in texts(at.success))
    (nearest,) = [pictures(block.value) for block in at.get("html") if "<figcaption" in block.value]
    assert [caption[:9] for _, caption in nearest] == ["reads as "] * 3, "the three nearest centres"
    assert nearest[0][1] == "reads as 7"  # the nearest centre decides: the model read 7
    assert all(picture.shape[:2] == nearest[0][0].shape[:2] for picture, _ in nearest)
    drawings = open_store().latest_drawings(room.code)
    assert [(d.meant, d.read_as) for d in drawings] == [(7, 7)]
    assert drawings[0].pixels.shape == (28, 28)
    at.button(key="join_again").click().run()
    assert has_button(at, "join_send_button") and at.button(key="join_digit_7").proto.type == "secondary"


def test_the_selected_digit_is_marked():
    room = open_store().open_room(DEFAULT_MODEL)
    with patched_canvas(FakeCanvas(None)):
        at = phone(room.code)
        at.button(key="join_digit_4").click().run()
    types = {b.label: b.proto.type for b in at.button if b.key.startswith("join_digit_")}
    assert types.pop("4") == "primary" and set(types.values()) == {"secondary"}


def test_a_blank_canvas_is_not_sent():
    room = open_store().open_room(DEFAULT_MODEL)
    blank = np.dstack([np.zeros((336, 336, 3), np.uint8), np.full((336, 336), 255, np.uint8)])
    with patched_canvas(FakeCanvas(blank)):
        at = draw_and_send(phone(room.code), "3")
    assert "Draw a digit on the black square first." in texts(at.warning)
    assert open_store().count_drawings(room.code) == 0


@pytest.mark.parametrize("code", ["WRONGCODE", "closed"])
def test_a_wrong_or_closed_code_gets_one_plain_message(code):
    store = open_store()
    if code == "closed":
        room = store.open_room(DEFAULT_MODEL)
        store.close_room(room.code, room.presenter_key)
        code = room.code
    with patched_canvas(FakeCanvas(None)):
        at = phone(code)
    assert not at.exception
    assert texts(at.error) == [ROOM_NOT_FOUND]
    assert not has_button(at, "join_send_button")


def test_repeated_wrong_codes_are_slowed():
    with patched_canvas(FakeCanvas(None)):
        at = phone("WRONGCODE")
        for _ in range(3):
            at.query_params["room"] = "WRONGCODE"
            at.run()
    assert any("Too many wrong room codes" in text for text in texts(at.warning))
    assert not at.error, "a slowed guess is not even looked up"


def test_database_down_keeps_the_drawing_and_try_again_stores_it_once(mnist, monkeypatch):
    room = open_store().open_room(DEFAULT_MODEL)
    with patched_canvas(FakeCanvas(drawn(mnist.test_images[42]))):
        at = phone(room.code)
        monkeypatch.setenv("KMEANS_LAB_DATABASE_URL", DEAD_DATABASE)
        at = draw_and_send(at, "1")
        assert not at.exception
        assert any("try again" in text.lower() for text in texts(at.error))
        assert has_button(at, "join_retry")
        assert has_button(at, "join_send_button"), "the canvas and its drawing stay"
        monkeypatch.delenv("KMEANS_LAB_DATABASE_URL")
        at.button(key="join_retry").click().run()
        assert_clean(at)
        assert metric(at, "The model read") == "1"
        at.run()  # another run sends nothing again
    assert open_store().count_drawings(room.code) == 1


def test_the_presenter_sees_drawings_and_deletes_one(mnist):
    at = opened(presenter())
    code = metric(at, "Room code")
    for index, digit in READ_RIGHT.items():
        with patched_canvas(FakeCanvas(drawn(mnist.test_images[index]))):
            draw_and_send(phone(code), digit)
    at.run()
    assert_clean(at)
    assert metric(at, "Drawings received") == "4"
    assert metric(at, "Read right in the room") == "100%"
    qr, wall = at.image
    assert len(wall.captions) == 4 and wall.captions[0].endswith("meant 7 · read 7 ✓")
    assert len(charts(at)) == 2, "the room's confusions and the map"
    newest = at.selectbox(key="audience_delete_pick")
    assert newest.options[0].startswith("#") and "meant 7" in newest.options[0]
    at.button(key="audience_delete").click().run()
    assert_clean(at)
    assert metric(at, "Drawings received") == "3"
    assert open_store().count_drawings(code) == 3


def room_stars(at: AppTest) -> list[str]:
    """The hover texts of the stars on the room's map (one per drawing), [] if it has none."""
    (room_map,) = [chart for chart in charts(at) if chart.key == "audience_map"]
    stars = [trace for trace in room_map.figure["data"] if trace.get("name") == "The room's drawings"]
    return stars[0]["hovertext"] if stars else []


def test_the_rooms_charts_follow_its_drawings_and_are_built_only_when_they_change(mnist, monkeypatch):
    import ui.audience_live as live

    built = []
    room_map = live.room_map
    monkeypatch.setattr(live, "room_map", lambda *args: built.append(1) or room_map(*args))
    at = opened(presenter())
    code = metric(at, "Room code")
    assert room_stars(at) == [] and len(built) == 1
    with patched_canvas(FakeCanvas(drawn(mnist.test_images[14]))):
        draw_and_send(phone(code), "7")
    at.run()
    assert room_stars(at) == ["meant 7 · read 7 ✓"] and len(built) == 2
    at.run()  # the page's refresh with nothing new: the same charts, neither built nor sent again
    assert len(built) == 2 and not any(chart.figure_sent for chart in charts(at))
    assert room_stars(at) == ["meant 7 · read 7 ✓"]
    with patched_canvas(FakeCanvas(drawn(mnist.test_images[42]))):
        draw_and_send(phone(code), "1")
    at.run()
    assert sorted(room_stars(at)) == ["meant 1 · read 1 ✓", "meant 7 · read 7 ✓"]
    at.selectbox(key="audience_delete_pick").select_index(0).run()  # the newest, the 1
    at.button(key="audience_delete").click().run()
    assert room_stars(at) == ["meant 7 · read 7 ✓"] and len(built) == 4
    assert_clean(at)


def test_closing_the_room_ends_it_for_the_phones():
    at = opened(presenter())
    code = metric(at, "Room code")
    at.button(key="audience_close").click().run()
    assert_clean(at)
    assert any(f"Room {code} is closed" in text for text in texts(at.info))
    assert has_button(at, "audience_open")
    with patched_canvas(FakeCanvas(None)):
        assert phone(code).error


def test_the_rooms_drawings_become_the_sessions_dataset(mnist):
    at = opened(presenter())
    code = metric(at, "Room code")
    store = open_store()
    for i in range(MIN_DATASET_DRAWINGS - 1):
        store.add_drawing(code, mnist.test_images[i], int(mnist.test_labels[i]), 0, f"send-id-{i:08d}-test")
    at.button(key="audience_use").click().run()
    assert any(f"a dataset needs at least {MIN_DATASET_DRAWINGS}" in text for text in texts(at.info))
    last = MIN_DATASET_DRAWINGS - 1
    store.add_drawing(code, mnist.test_images[last], int(mnist.test_labels[last]), 0, "send-id-the-last-one")
    at.button(key="audience_use").click().run()
    assert_clean(at)
    assert at.selectbox(key="dataset").value == "upload"
    at.switch_page("app.py").run()
    assert_clean(at)
    assert any(f"Room {code}'s drawings ({MIN_DATASET_DRAWINGS})" in text for text in texts(at.subheader))


def test_a_fixed_room_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("KMEANS_LAB_ROOM_CODE", "DRAWTHE7")
    monkeypatch.setenv("KMEANS_LAB_PRESENTER_KEY", "a-long-presenter-key-for-tests")
    at = presenter()
    assert any("fixed room, DRAWTHE7" in text for text in texts(at.caption))
    at = opened(at)
    assert metric(at, "Room code") == "DRAWTHE7"
    assert not [s for s in texts(at.success) if "Presenter key" in s], "its key is already known"


def test_a_dataset_that_is_not_28x28_digits_gives_the_phones_the_default_model():
    at = presenter()
    at.selectbox(key="dataset").set_value("digits").run()  # 8x8 digits: the phones' drawings are 28x28
    assert_clean(at)
    assert any("the phones will use the default model" in text for text in texts(at.markdown))
    at = opened(at)
    assert open_store().room_settings(metric(at, "Room code"))["dataset"] == "mnist-sample"


def test_the_public_address_goes_into_the_join_link(monkeypatch):
    monkeypatch.setenv("KMEANS_LAB_PUBLIC_URL", "http://192.168.1.20:8501/")
    at = opened(presenter())
    code = metric(at, "Room code")
    assert at.code[0].value == f"http://192.168.1.20:8501/join?room={code}"
    assert not any("Phones cannot open" in text for text in texts(at.caption))


def test_a_room_whose_model_this_server_lacks_gets_a_plain_message():
    room = open_store().open_room(
        {**DEFAULT_MODEL, "dataset": "mnist"}
    )  # the full MNIST: not downloaded here
    with patched_canvas(FakeCanvas(None)):
        at = phone(room.code)
    assert not at.exception
    assert any("does not have the room's dataset" in text for text in texts(at.error))


def test_a_reloaded_presenter_manages_the_room_again_with_its_key():
    room = open_store().open_room(DEFAULT_MODEL)
    at = presenter()  # a new session: it knows no room
    at.text_input(key="audience_earlier_code").input(room.code.lower())
    at.text_input(key="audience_earlier_key").input("not-the-key-at-all-0000")
    at.button(key="audience_earlier_go").click().run()
    assert any("presenter key does not open this room" in text for text in texts(at.info))
    at.text_input(key="audience_earlier_key").input(room.presenter_key)
    at.button(key="audience_earlier_go").click().run()
    assert_clean(at)
    assert metric(at, "Room code") == room.code
    assert has_button(at, "audience_close")


def test_a_send_within_two_seconds_waits_and_keeps_the_drawing_and_digit(mnist):
    room = open_store().open_room(DEFAULT_MODEL)
    with patched_canvas(FakeCanvas(drawn(mnist.test_images[14]))):
        at = draw_and_send(phone(room.code), "7")
        assert metric(at, "The model read") == "7"
        at.button(key="join_again").click().run()
        at = draw_and_send(at, "1")  # well within 2 seconds of the first
        waits = [text for text in texts(at.warning) if "Please wait" in text]
        assert len(waits) == 1 and "Your drawing and digit are kept: tap Send again then." in waits[0]
        assert has_button(at, "join_send_button"), "the canvas stays"
        assert at.button(key="join_digit_1").proto.type == "primary", "the digit stays chosen"
        assert open_store().count_drawings(room.code) == 1
        time.sleep(2.1)
        at.button(key="join_send_button").click().run()
    assert_clean(at)
    assert metric(at, "The model read") == "7"  # the same test image drawn again, now meant as 1
    assert [d.meant for d in open_store().latest_drawings(room.code)] == [1, 7]
