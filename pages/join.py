"""Join: a participant's phone page in audience mode (/join?room=CODE): draw a digit, say which, send.

Not in the sidebar, and no sidebar at all: the page holds the canvas, the digit buttons and Send.
The model is the one the room was opened with (see ui.audience_room). Nothing the person drew is
lost when the database is down: the drawing waits in the session for "Try again".
"""

import logging
import time

import numpy as np
import streamlit as st
import streamlit_drawable_canvas as drawable_canvas

from core.analysis.pictures import centroid_images
from core.audience.errors import AudienceError, DatabaseUnavailable, LimitReached, RoomNotFound
from core.audience.limits import GuessThrottle, SendQuota
from core.data.canvas import BACKGROUND_COLOR, STROKE_COLOR, CanvasImageError
from core.errors import KMeansLabError
from core.figures.images import display_scale, enlarge
from ui.audience_room import (
    RoomModel,
    canvas_pixels,
    drawing_send_id,
    new_send_id,
    read_drawing,
    room_model,
    room_store,
)
from ui.picture_grid import show_pictures
from ui.text import plain

LOGGER = logging.getLogger(__name__)
#: Fits a 360-pixel-wide phone held upright, with the page's 12-pixel margins.
CANVAS_SIZE = 336
STROKE_WIDTH = 22
#: Phones: thin margins, ten big digit buttons, the canvas centred.
PHONE_STYLE = """
[data-testid="stMainBlockContainer"] { padding: 2.5rem 0.75rem 2rem 0.75rem; max-width: 30rem; }
.st-key-join_digits button { min-height: 3.4rem; }
.st-key-join_digits button p { font-size: 1.6rem; font-weight: 600; }
.st-key-join_send button { min-height: 3.2rem; }
.st-key-join_send button p { font-size: 1.3rem; }
"""
STATE_DEFAULTS = {
    "join_round": 0,
    "join_meant": None,
    "join_result": None,
    "join_pending": None,
    "join_send_tapped": False,
}


def main() -> None:
    st.set_page_config(
        page_title="Draw a digit · K-Means Digit Lab",
        page_icon="🔢",
        layout="centered",
        initial_sidebar_state="collapsed",
    )
    st.html(f"<style>{PHONE_STYLE}</style>")
    try:
        join_page()
    except KMeansLabError as exc:
        st.error(plain(str(exc)), icon=":material/warning:")
    except Exception:  # never a traceback on a stranger's phone; the server log keeps it
        LOGGER.exception("unexpected error on the join page")
        st.error("Something went wrong on this page. Reload it to try again.", icon=":material/error:")


def join_page() -> None:
    state = st.session_state
    for key, value in STATE_DEFAULTS.items():
        state.setdefault(key, value)
    state.setdefault("join_quota", SendQuota())
    state.setdefault("join_throttle", GuessThrottle())
    state.setdefault("join_send_id", new_send_id())
    state.setdefault("join_stored", set())  # the send ids stored (and counted) in this session
    code = room_from_address()
    if code is None:
        return
    settings = room_settings_or_message(code)
    if settings is None:
        return
    room = room_model(settings)
    st.markdown(f"**Room {plain(code)}** · draw a digit with your finger, say which one, and send it.")
    if state["join_result"] is not None:
        show_result(state["join_result"], room)
        return
    drawing_form(code, room)


def room_from_address() -> str | None:
    """The room code in the address (``?room=CODE``); without one, a box to type it in."""
    code = st.query_params.get("room", "").strip()
    if code:
        return code
    st.subheader("Join a room")
    typed = st.text_input(
        "Room code", max_chars=32, key="join_code_box", help="The code on the presenter's screen."
    )
    if st.button("Join", key="join_code_go", type="primary") and typed.strip():
        st.query_params["room"] = typed.strip()
        st.rerun()
    return None


def room_settings_or_message(code: str) -> dict | None:
    """The room's model settings; or a plain message (wrong or closed code, database down) and None.

    Once found they are kept in the session, so the canvas stays on the page (with the drawing on it)
    while the database is out of reach; a room closed since then is told at Send.
    """
    known = st.session_state.setdefault("join_rooms", {})
    if code in known:
        return known[code]
    throttle: GuessThrottle = st.session_state["join_throttle"]
    wait = throttle.wait_seconds(time.monotonic())
    if wait > 0:  # many wrong codes from this phone: codes cannot be tried one after another
        st.warning(
            f"Too many wrong room codes: wait {wait:.0f} seconds, then reload the page.",
            icon=":material/timer:",
        )
        return None
    try:
        settings = room_store().room_settings(code)
    except RoomNotFound as exc:
        throttle.record_wrong(time.monotonic())
        st.error(plain(str(exc)), icon=":material/meeting_room:")
        return None
    except DatabaseUnavailable as exc:
        database_down(exc)
        return None
    throttle.record_right()
    known[code] = settings
    return settings


def database_down(exc: AudienceError) -> None:
    """Say the database is out of reach, with a button that tries again (the drawing waits in the session)."""
    st.error(plain(str(exc)), icon=":material/cloud_off:")
    st.button("Try again", key="join_retry", type="primary", icon=":material/refresh:")


def drawing_form(code: str, room: RoomModel) -> None:
    """The canvas, "I drew" with the ten digits, and Send."""
    state = st.session_state
    with st.container(horizontal_alignment="center", key="join_canvas_place"):
        result = canvas(state["join_round"])
    st.button("Clear", key="join_clear", icon=":material/ink_eraser:", type="tertiary", on_click=clear_canvas)
    st.subheader("I drew")
    with st.container(horizontal=True, gap="small", key="join_digits"):
        for digit in range(10):
            st.button(
                str(digit),
                key=f"join_digit_{digit}",
                type="primary" if state["join_meant"] == digit else "secondary",
                on_click=pick_digit,
                args=(digit,),
                width=56,
            )
    with st.container(key="join_send"):
        st.button(
            "Send",
            key="join_send_button",
            type="primary",
            icon=":material/send:",
            width="stretch",
            on_click=tap_send,
        )
    tapped = state["join_send_tapped"]
    if tapped or state["join_pending"] is not None:
        send(code, room, result.image_bytes if tapped else None)


def canvas(round_: int):
    """The drawing canvas; a new round (Clear, Draw another) is a new, empty canvas."""
    return drawable_canvas.st_canvas(
        stroke_width=STROKE_WIDTH,
        stroke_color=STROKE_COLOR,
        background_color=BACKGROUND_COLOR,
        drawing_mode="freedraw",
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        return_image_data=True,
        update_streamlit=True,
        key=f"join_canvas_{round_}",
    )


def pick_digit(digit: int) -> None:
    st.session_state["join_meant"] = digit


def tap_send() -> None:
    """Note the tap in the session, where it outlives the run it started.

    A run can be stopped before it reads a button (the canvas sends the drawing 0.2 s after the last
    stroke, and that starts a new run): a tap read from the button's value would then be lost. The
    note stays until the drawing is kept as the one to send, or a message says why it was not.
    """
    st.session_state["join_send_tapped"] = True


def clear_canvas() -> None:
    """A new, empty canvas (a new key); what is drawn next gets its own send id (see drawing_send_id)."""
    st.session_state["join_round"] += 1
    st.session_state["join_pending"] = None
    st.session_state["join_send_tapped"] = False


def send(code: str, room: RoomModel, png: bytes | None) -> None:
    """Check the drawing and the digit, read it with the model, and store it once (its send id).

    With `png` None, the drawing waiting since the database was last out of reach is sent again.
    Every read or write of st.session_state is a point where a second tap stops this run and starts
    the next one. So the state is read before storing, the store and the count go through objects held
    here (a stored send id is counted in `join_stored` at once), and the answer is written last: a run
    cut short anywhere is finished by the next one, which finds the send id stored and needs no quota.
    """
    state = st.session_state
    if png is not None and not keep_new_drawing(png, room):
        return
    pending = state["join_pending"]
    send_id = pending["send_id"]
    quota: SendQuota = state["join_quota"]
    stored: set[str] = state["join_stored"]
    if not may_send(quota, stored, send_id):
        state["join_pending"] = None  # the canvas and the digit stay as they are
        return
    read_as, distances = read_drawing(pending["pixels"], room)
    try:
        store_once(code, pending, read_as, send_id, quota, stored)
    except DatabaseUnavailable as exc:
        database_down(exc)
        return
    except LimitReached as exc:  # the room is full
        state["join_pending"] = None
        st.warning(plain(str(exc)), icon=":material/block:")
        return
    except RoomNotFound as exc:  # closed while the drawing was made
        state["join_pending"] = None
        state["join_rooms"].pop(code, None)
        st.error(plain(str(exc)), icon=":material/meeting_room:")
        return
    answer = {
        "pixels": pending["pixels"],
        "meant": pending["meant"],
        "read_as": read_as,
        "distances": distances,
    }
    state["join_result"] = answer  # one write: the answer is there whole, or not yet
    state["join_pending"] = None
    st.rerun()


def may_send(quota: SendQuota, stored: set, send_id: str) -> bool:
    """Whether this drawing may be sent now; if not, say why (50 sent, or wait: the drawing is kept).

    A send id already stored (by a run a second tap stopped, maybe this very moment) was counted then.
    """
    try:
        if send_id not in stored:
            quota.check(time.monotonic())
    except LimitReached as exc:
        if send_id in stored:  # stored and counted by the run this one replaced, just now (see store_once)
            return True
        if quota.sent >= quota.max_sends:
            st.warning(plain(str(exc)), icon=":material/block:")
        else:
            st.warning(
                f"{plain(str(exc))} Your drawing and digit are kept: tap Send again then.",
                icon=":material/timer:",
            )
        return False
    return True


def keep_new_drawing(png: bytes, room: RoomModel) -> bool:
    """Check the canvas and the chosen digit; keep them as the drawing to send (False: a message said why)."""
    state = st.session_state
    try:
        pixels = canvas_pixels(png, room)
    except CanvasImageError as exc:
        state["join_send_tapped"] = False
        st.error(plain(str(exc)), icon=":material/warning:")
        return False
    if pixels is None:
        state["join_send_tapped"] = False
        st.warning("Draw a digit on the black square first.", icon=":material/draw:")
        return False
    if state["join_meant"] is None:
        state["join_send_tapped"] = False
        st.warning('Tap the digit you drew, under "I drew", then Send.', icon=":material/touch_app:")
        return False
    meant = state["join_meant"]
    send_id = drawing_send_id(state["join_send_id"], pixels, meant)
    state["join_pending"] = {"pixels": pixels, "meant": meant, "send_id": send_id}
    state["join_send_tapped"] = False  # stopped before this line, the next run keeps the same drawing again
    return True


def store_once(code: str, pending: dict, read_as: int, send_id: str, quota: SendQuota, stored: set) -> None:
    """Store the drawing under its send id and count it once (a send id already stored is not counted).

    No st.session_state here: nothing can stop this between the row's commit and its count.
    """
    room_store().add_drawing(code, pending["pixels"], pending["meant"], read_as, send_id)
    if send_id not in stored:
        stored.add(send_id)  # before the count: a run that sees the count also sees the id (see may_send)
        quota.record(time.monotonic())


def show_result(result: dict, room: RoomModel) -> None:
    """What the model read, the three nearest centres, and "Draw another"."""
    names = room.dataset.class_names
    meant, read_as = result["meant"], result["read_as"]
    st.metric("The model read", names[read_as])
    if meant == read_as:
        st.success(f"You drew {names[meant]}, and the model read it right. It is on the big screen now.")
    else:
        st.info(f"You drew {names[meant]}; the model read {names[read_as]}. It is on the big screen now.")
    st.subheader("The three nearest cluster centres")
    distances = result["distances"]
    nearest = np.argsort(distances, kind="stable")[:3]
    centres = centroid_images(room.model)
    scale = display_scale(centres.shape[1:], target=96)
    # One block, as on the Draw page (`ui.picture_grid.show_pictures`): three equal columns that stay
    # side by side on a phone, each picture shrinking to its share.
    show_pictures(
        [enlarge(centres[i], scale) for i in nearest],
        [f"reads as {names[room.model.cluster_labels_[i]]}" for i in nearest],
        equal_columns=True,
    )
    st.caption("Your drawing was closest to these centres; the nearest one decides the answer.")
    st.button(
        "Draw another",
        key="join_again",
        type="primary",
        icon=":material/draw:",
        on_click=draw_another,
        width="stretch",
    )


def draw_another() -> None:
    """A fresh canvas, no digit chosen, and a new send id for the next drawing.

    A callback can be stopped between two writes (a new tap): each prefix of these is harmless, as the
    send id also depends on the drawing (see drawing_send_id), and the form shows once the answer goes.
    """
    state = st.session_state
    state["join_round"] += 1
    state["join_result"] = None
    state["join_pending"] = None
    state["join_meant"] = None
    state["join_send_tapped"] = False
    state["join_send_id"] = new_send_id()


main()
