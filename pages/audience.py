"""Audience: the room draws. Open a room, show its QR code, and watch the phones' drawings come in live.

Participants open the join page (pages/join.py) on their phones. The live part is a fragment that
reads the store every 2 seconds, so the rest of the app does not run again.
"""

import streamlit as st

from core.audience.errors import AudienceError, DatabaseUnavailable, RoomNotFound
from core.errors import KMeansLabError
from ui import audience_live as live
from ui.audience_room import (
    DEFAULT_ROOM_SETTINGS,
    PUBLIC_URL_SETTING,
    RoomModel,
    fixed_room,
    join_url,
    only_this_computer,
    qr_png,
    room_model,
    room_model_settings,
    room_store,
)
from ui.frame import Page, catch_errors, run_page
from ui.settings import Settings
from ui.text import plain

ROOM_KEY = "audience_room"
NEW_KEY = "audience_new_key"
MESSAGE_KEY = "audience_message"
#: Seconds between two looks at the store.
REFRESH_SECONDS = 2
QR_WIDTH = 210
PAGE_STYLE = """
.st-key-audience_url code { font-size: 20px; white-space: pre-wrap; word-break: break-all; }
"""


def render(page: Page) -> None:
    st.html(f"<style>{PAGE_STYLE}</style>")
    state = st.session_state
    if message := state.pop(MESSAGE_KEY, None):
        st.info(plain(message), icon=":material/info:")
    room = state.get(ROOM_KEY)
    if room is None:
        open_room_ui(page.settings)
        return
    code, key = room["code"], room["key"]
    try:
        settings = room_store().room_settings(code)
    except RoomNotFound:
        state.pop(ROOM_KEY, None)
        st.warning(
            "Your room has closed (rooms close after 24 hours): open a new one.", icon=":material/timer_off:"
        )
        open_room_ui(page.settings)
        return
    except DatabaseUnavailable as exc:
        st.error(plain(str(exc)), icon=":material/cloud_off:")
        st.button("Try again", key="audience_retry", type="primary", icon=":material/refresh:")
        return
    room_header(code, key, room_model(settings))


def open_room_ui(settings: Settings) -> None:
    """What a room is, which model the phones will use, and the "Open a room" button."""
    st.markdown(
        "Open a room and show its QR code: everyone in the room draws a digit on their phone, says which "
        "digit they meant, and sends it. Their drawings appear here as they arrive, with what the model read."
    )
    _, shared = room_model_settings(settings)
    if shared:
        st.markdown(f"The phones will use your current model: **K = {settings.k}** on this dataset.")
    else:
        default = DEFAULT_ROOM_SETTINGS
        st.markdown(
            "Your current dataset is not a named dataset of digits, so the phones will use the default "
            f"model: **K = {default['k']}** on MNIST sample, with its recommended preprocessing."
        )
    fixed = fixed_room()
    if fixed:
        st.caption(
            f"This server has a fixed room, {plain(fixed[0])}: the button opens it again with its drawings."
        )
    manage_earlier_room()
    st.button(
        "Open a room",
        key="audience_open",
        type="primary",
        icon=":material/qr_code_2:",
        on_click=open_room,
        args=(settings,),
    )


def manage_earlier_room() -> None:
    """A room opened before (this page reloaded, or another browser): its code and presenter key."""
    with st.expander("Manage a room opened earlier", icon=":material/key:"):
        st.text_input("Room code", key="audience_earlier_code", max_chars=32)
        st.text_input("Presenter key", key="audience_earlier_key", type="password", max_chars=128)
        st.button("Manage this room", key="audience_earlier_go", on_click=take_over_room)


def take_over_room() -> None:
    """The callback of "Manage this room": the code and key must open the room."""
    state = st.session_state
    code = state.get("audience_earlier_code", "").strip().upper()
    key = state.get("audience_earlier_key", "").strip()
    try:
        room_store().all_drawings(code, key)  # RoomNotFound or NotAllowed unless both are right
    except KMeansLabError as exc:
        state[MESSAGE_KEY] = str(exc)
        return
    state[ROOM_KEY] = {"code": code, "key": key}


def open_room(settings: Settings) -> None:
    """Open a room (a fixed one if the server has one) with the model settings; keep its code and key."""
    state = st.session_state
    model_settings, _ = room_model_settings(settings)
    fixed = fixed_room()
    try:
        if fixed:
            opened = room_store().open_room(model_settings, code=fixed[0], presenter_key=fixed[1])
        else:
            opened = room_store().open_room(model_settings)
    except KMeansLabError as exc:
        state[MESSAGE_KEY] = str(exc)
        return
    state[ROOM_KEY] = {"code": opened.code, "key": opened.presenter_key}
    if not fixed:
        state[NEW_KEY] = opened.presenter_key


def room_header(code: str, key: str, room: RoomModel) -> None:
    """The QR code, the room code and address, the live counts; then the live wall and charts."""
    url = join_url(code)
    with st.container(key="key_visual"):
        qr_column, info_column, count_column = st.columns([1.2, 2, 1.6], gap="medium")
        qr_column.image(qr_png(url), width=QR_WIDTH, output_format="PNG")
        with info_column:
            st.metric("Room code", code)
            with st.container(key="audience_url"):
                st.code(url, language=None, wrap_lines=True)
            if only_this_computer(url):
                st.caption(f"Phones cannot open this address: set {PUBLIC_URL_SETTING} (see the README).")
            if new_key := st.session_state.get(NEW_KEY):
                presenter_key_note(new_key)
        with count_column:
            live_counts(code, key, room)
    live_room(code, key, room)
    room_buttons(code, key)


def presenter_key_note(key: str) -> None:
    """The room's presenter key, until the presenter hides it; it is never shown again."""
    st.success(f"Presenter key: {plain(key)}", icon=":material/key:")
    st.button(
        "I have noted the key: hide it",
        key="audience_hide_key",
        on_click=st.session_state.pop,
        args=(NEW_KEY,),
        help="It is never shown again. With the room code it lets you manage this room after a reload, "
        "or from another browser: Manage a room opened earlier, on this page.",
    )


def room_buttons(code: str, key: str) -> None:
    with st.container(horizontal=True, gap="small"):
        st.button(
            "Use the room's drawings as a dataset",
            key="audience_use",
            icon=":material/dataset:",
            on_click=take_drawings,
            args=(code, key),
        )
        st.button(
            "Close the room",
            key="audience_close",
            icon=":material/door_front:",
            on_click=close_room,
            args=(code, key),
        )


def take_drawings(code: str, key: str) -> None:
    """The callback of "Use the room's drawings as a dataset"."""
    try:
        drawings = room_store().all_drawings(code, key)
        if len(drawings) < live.MIN_DATASET_DRAWINGS:
            raise KMeansLabError(
                f"The room has {len(drawings)} drawings; a dataset needs at least "
                f"{live.MIN_DATASET_DRAWINGS} (a fifth are kept for testing). Wait for more, then try again."
            )
        live.use_as_dataset(code, drawings)
    except KMeansLabError as exc:
        st.session_state[MESSAGE_KEY] = str(exc)
        return
    st.session_state[MESSAGE_KEY] = (
        f"The room's {len(drawings)} drawings are now your dataset (in the sidebar, for this session only): "
        "open Explore, K sweep or Map to cluster them. The room stays open."
    )


def close_room(code: str, key: str) -> None:
    """The callback of "Close the room": the room and its drawings are deleted."""
    try:
        room_store().close_room(code, key)
    except RoomNotFound:
        pass  # already closed or expired: nothing left to delete
    except KMeansLabError as exc:
        st.session_state[MESSAGE_KEY] = str(exc)
        return
    st.session_state.pop(ROOM_KEY, None)
    st.session_state[MESSAGE_KEY] = f"Room {code} is closed and its drawings are deleted."


@st.fragment(run_every=REFRESH_SECONDS)
@catch_errors
def live_counts(code: str, key: str, room: RoomModel) -> None:
    """ "Drawings received" and the room's accuracy beside the test set's, every few seconds."""
    try:
        count = room_store().count_drawings(code)
        drawings = room_store().all_drawings(code, key)
    except AudienceError as exc:
        st.error(plain(str(exc)), icon=":material/cloud_off:")
        return
    st.metric("Drawings received", f"{count:,}")
    live.accuracy_metrics(drawings, room)


@st.fragment(run_every=REFRESH_SECONDS)
@catch_errors
def live_room(code: str, key: str, room: RoomModel) -> None:
    """The wall of the latest drawings, a delete control, the room's confusions and the map."""
    try:
        latest = room_store().latest_drawings(code, limit=live.WALL_SIZE)
        everything = room_store().all_drawings(code, key)
    except AudienceError as exc:
        st.error(f"{plain(str(exc))} This page keeps trying.", icon=":material/cloud_off:")
        return
    names = room.dataset.class_names
    with st.container(key="audience_wall"):
        live.drawing_wall(latest, names)
    if latest:
        delete_control(code, key, latest, names)
    left, right = st.columns(2, gap="medium")
    with left:
        live.confusion_chart(everything, room)
    with right:
        live.map_chart(everything, room)


def delete_control(code: str, key: str, latest, names) -> None:
    """Pick one of the latest drawings and delete it (someone will draw something rude)."""
    by_id = {d.id: d for d in latest}
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        st.selectbox(
            "Delete a drawing",
            list(by_id),
            format_func=lambda i: f"#{i} · {live.mark(by_id[i], names)}",
            key="audience_delete_pick",
            help="The newest drawing comes first.",
            width=360,
        )
        st.button(
            "Delete",
            key="audience_delete",
            icon=":material/delete:",
            on_click=delete_drawing,
            args=(code, key),
        )
    if problem := st.session_state.pop("audience_delete_error", None):
        st.error(plain(problem), icon=":material/warning:")


def delete_drawing(code: str, key: str) -> None:
    """The callback of "Delete": the chosen drawing goes from the room."""
    chosen = st.session_state.get("audience_delete_pick")
    if chosen is None:
        return
    try:
        room_store().delete_drawing(code, key, int(chosen))
    except AudienceError as exc:
        st.session_state["audience_delete_error"] = str(exc)


run_page(
    render,
    title="Audience: the room draws",
    description="Everyone draws a digit on their phone; the model for the room reads each one, and this page "
    "fills up with the room's handwriting: how it was read, how often right, and where it lands on the map.",
)
