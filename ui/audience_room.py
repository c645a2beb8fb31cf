"""Audience mode's glue shared by both its pages: the store, the room's model, the join address and QR code.

The presenter's page (pages/audience.py) opens a room and saves the model settings with it; the
participants' page (pages/join.py) reads them back and classifies each drawing with that model.
Rooms live in the store of `core.audience.store` (SQLite, or PostgreSQL when
``KMEANS_LAB_DATABASE_URL`` is set); nothing here keeps a room in memory.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

import numpy as np
import segno
import streamlit as st

from core.audience.store import RoomStore, open_store
from core.data import registry as datasets
from core.data.canvas import BlankCanvasError, read_png
from core.data.dataset import DIGIT_NAMES
from core.data.drawing import drawing_steps
from core.errors import KMeansLabError
from core.model.settings import Preprocessing
from ui import caches
from ui.settings import DEFAULTS, UPLOAD, Settings

if TYPE_CHECKING:
    from core.model.pipeline import FittedModel

#: A fixed room (the same code every time, e.g. printed on a slide): in st.secrets or the environment.
ROOM_CODE_SETTING = "KMEANS_LAB_ROOM_CODE"
PRESENTER_KEY_SETTING = "KMEANS_LAB_PRESENTER_KEY"
#: The address phones open, when the presenter's own (say http://localhost:8501) is not reachable
#: from the room: e.g. ``http://192.168.1.20:8501``. The join page's path is added to it.
PUBLIC_URL_SETTING = "KMEANS_LAB_PUBLIC_URL"
JOIN_PATH = "join"
#: What the store keeps of a drawing, as the model saw it.
DRAWING_SHAPE = (28, 28)
#: The model participants get when the presenter's settings cannot be shared (an upload, or not digits).
DEFAULT_ROOM_SETTINGS = {
    "dataset": datasets.DEFAULT_DATASET,
    "k": DEFAULTS["k"],
    "algorithm": DEFAULTS["algorithm"],
    "seed": DEFAULTS["seed"],
    "preprocessing": None,  # the dataset's recommended preprocessing
}


def room_store() -> RoomStore:
    """The rooms' store (one per database address in the process; see `core.audience.store.open_store`)."""
    return open_store()


def setting(name: str) -> str | None:
    """A deployment setting from st.secrets, else the environment; None when set in neither."""
    try:
        value = st.secrets.get(name)
    except FileNotFoundError:  # no secrets.toml: the environment alone
        value = None
    return str(value) if value else os.environ.get(name) or None


def fixed_room() -> tuple[str, str] | None:
    """The fixed room's (code, presenter key) if both are set, else None."""
    code, key = setting(ROOM_CODE_SETTING), setting(PRESENTER_KEY_SETTING)
    return (code, key) if code and key else None


def new_send_id() -> str:
    """A random id for one drawing: sending it twice stores it once."""
    return secrets.token_hex(16)


def drawing_send_id(base: str, pixels: np.ndarray, meant: int) -> str:
    """The send id of this drawing and digit under `base` (a `new_send_id`): the same drawing sent again
    gets the same id, so it is stored once; a changed drawing or digit (after Clear) gets a new one."""
    digest = hashlib.sha256(f"{base}:{int(meant)}:".encode() + np.ascontiguousarray(pixels).tobytes())
    return digest.hexdigest()[:32]


# --- the room's model ------------------------------------------------------------------------


def room_model_settings(settings: Settings) -> tuple[dict, bool]:
    """The model settings a new room keeps, and whether they are the presenter's own.

    A named dataset of 28 x 28 handwritten digits 0-9 shares the presenter's settings; anything else (an
    upload, clothes) gives participants the default model, which reads digits.
    """
    if settings.dataset == UPLOAD or settings.preprocessing is None:
        return dict(DEFAULT_ROOM_SETTINGS), False
    dataset = caches.load_dataset(settings.dataset)
    if dataset.class_names != DIGIT_NAMES or dataset.image_shape != DRAWING_SHAPE:
        return dict(DEFAULT_ROOM_SETTINGS), False
    return {
        "dataset": settings.dataset,
        "k": settings.k,
        "algorithm": settings.algorithm,
        "seed": settings.seed,
        "preprocessing": asdict(settings.preprocessing),
    }, True


@dataclass(frozen=True)
class RoomModel:
    """The model a room reads drawings with, and the dataset it was fitted on."""

    dataset: datasets.Dataset
    model: FittedModel


def room_model(model_settings: dict) -> RoomModel:
    """The fitted model the room's settings name (fitted once per server, then cached)."""
    try:
        name = str(model_settings["dataset"])
        prep = model_settings.get("preprocessing")
        preprocessing = Preprocessing(**prep) if prep else None
        k, algorithm, seed = (
            int(model_settings["k"]),
            str(model_settings["algorithm"]),
            int(model_settings["seed"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise KMeansLabError(
            "This room's model settings are damaged: ask the presenter to open a new room."
        ) from exc
    info = caches.dataset_infos().get(name)
    if info is None or not info.available:
        raise KMeansLabError(
            f"This server does not have the room's dataset ({name}) ready: ask the presenter to download "
            "it on the server, or to open a room with MNIST sample."
        )
    dataset = caches.load_dataset(name)
    preprocessing = preprocessing or caches.recommended_preprocessing(info)
    with st.spinner("Getting the room's model ready…"):
        model, _ = caches.fit(dataset, min(k, dataset.n_train), algorithm, seed, preprocessing)
    return RoomModel(dataset, model)


def model_pixels(image_rgba: np.ndarray | None, room: RoomModel) -> np.ndarray | None:
    """The drawing as the model sees it (28 x 28 uint8, cropped, scaled and centred), or None if blank."""
    if image_rgba is None:
        return None
    shape = room.model.image_shape_ or room.dataset.image_shape
    try:
        steps = drawing_steps(image_rgba, shape, box_fraction=caches.drawing_box_fraction(room.dataset))
    except BlankCanvasError:
        return None
    return steps.centred


def canvas_pixels(png: bytes | None, room: RoomModel) -> np.ndarray | None:
    """The canvas's PNG bytes, checked as on the Draw page, turned into the model's 28 x 28 input."""
    return model_pixels(read_png(png) if png is not None else None, room)


def read_drawing(pixels: np.ndarray, room: RoomModel) -> tuple[int, np.ndarray]:
    """What the model reads the drawing as (a class index), and its distance to every cluster centre."""
    distances = room.model.transform(pixels[None])[0]
    return int(room.model.predict(pixels[None])[0]), distances


# --- the join address ------------------------------------------------------------------------


def join_url(code: str) -> str:
    """The address participants open: this app's /join page with ``?room=CODE``.

    From `PUBLIC_URL_SETTING` if set, else from the address the presenter's browser shows.
    """
    base = setting(PUBLIC_URL_SETTING) or st.context.url or ""
    parts = urlsplit(base)
    path = parts.path.rstrip("/")
    if not setting(PUBLIC_URL_SETTING):  # the presenter's page address: drop its own page name
        path = path.rsplit("/", 1)[0] if path else ""
    return urlunsplit((parts.scheme, parts.netloc, f"{path}/{JOIN_PATH}", f"room={quote(code)}", ""))


def only_this_computer(url: str) -> bool:
    """Whether the address names this computer only (phones in the room cannot open it)."""
    host = urlsplit(url).hostname or ""
    return host in {"", "localhost", "127.0.0.1", "::1", "0.0.0.0"}


def qr_png(url: str, scale: int = 8) -> bytes:
    """A QR code of `url` as PNG bytes, black on white, with the standard quiet zone."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
