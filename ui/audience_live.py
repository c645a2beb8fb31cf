"""The presenter's live view of a room: the wall of drawings, the room's accuracy and confusions, the map.

Everything here is drawn from the store on each refresh of the Audience page's fragment; the
pictures are 28 x 28, exactly as the model saw them, framed green (read right) or red (read wrong).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.audience.store import Drawing
from core.data.dataset import DIGIT_NAMES, Dataset
from core.data.uploads import MIN_TRAIN_IMAGES, TEST_SHARE, check_session_budget
from core.figures.evaluation_charts import confusion_heatmap
from core.figures.images import png_data_uri
from core.figures.maps import MAP_TRACE_TYPE, projection_map
from ui import caches, samples
from ui.audience_room import RoomModel
from ui.charts import show_chart, show_images
from ui.settings import UPLOAD
from ui.uploads import forget_upload

#: The wall's pictures: 28 x 28 shown 3 times bigger, inside a 3-pixel frame.
WALL_SCALE = 3
FRAME = 3
RIGHT_RGB = (22, 163, 74)
WRONG_RGB = (220, 38, 38)
WALL_SIZE = 24
MAP_SAMPLE = 2000
#: The fewest drawings that make a dataset: a fifth are kept for testing, and K-means needs 10 to train on.
MIN_DATASET_DRAWINGS = next(n for n in range(1, 100) if n - max(1, round(n * TEST_SHARE)) >= MIN_TRAIN_IMAGES)


def framed(pixels: np.ndarray, right: bool) -> np.ndarray:
    """The drawing enlarged `WALL_SCALE` times, white ink on black, in a green (right) or red frame."""
    big = np.kron(pixels, np.ones((WALL_SCALE, WALL_SCALE), dtype=np.uint8))
    rgb = np.repeat(big[:, :, None], 3, axis=2)
    colour = np.array(RIGHT_RGB if right else WRONG_RGB, dtype=np.uint8)
    out = np.empty((rgb.shape[0] + 2 * FRAME, rgb.shape[1] + 2 * FRAME, 3), dtype=np.uint8)
    out[:] = colour
    out[FRAME:-FRAME, FRAME:-FRAME] = rgb
    return out


@functools.lru_cache(maxsize=4 * WALL_SIZE)
def wall_picture(pixels: bytes, shape: tuple[int, int], right: bool) -> str:
    """A drawing's `framed` picture as a PNG data URI, made once: the wall shows it again every refresh."""
    return png_data_uri(framed(np.frombuffer(pixels, dtype=np.uint8).reshape(shape), right))


def mark(drawing: Drawing, names: Sequence[str]) -> str:
    """A picture's caption, e.g. "meant 7 · read 7 ✓" or "meant 4 · read 9 ✗"."""
    tick = "✓" if drawing.meant == drawing.read_as else "✗"
    return f"meant {names[drawing.meant]} · read {names[drawing.read_as]} {tick}"


def drawing_wall(drawings: Sequence[Drawing], names: Sequence[str]) -> None:
    """The latest drawings, newest first, each captioned with what was meant and what was read."""
    if not drawings:
        st.info(
            "No drawings yet: they appear here as soon as the first phones send theirs.",
            icon=":material/draw:",
        )
        return
    shown = drawings[:WALL_SIZE]
    show_images(
        [wall_picture(d.pixels.tobytes(), d.pixels.shape, d.meant == d.read_as) for d in shown],
        caption=[f"#{d.id} · {mark(d, names)}" for d in shown],
        width=28 * WALL_SCALE + 2 * FRAME,
    )


def room_confusion(drawings: Sequence[Drawing], n_classes: int) -> np.ndarray:
    """Counts of (digit meant, digit read) over the room's drawings, shape (n_classes, n_classes)."""
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    if drawings:
        meant = np.array([d.meant for d in drawings])
        read = np.array([d.read_as for d in drawings])
        np.add.at(confusion, (meant, read), 1)
    return confusion


def room_accuracy(drawings: Sequence[Drawing]) -> float | None:
    """Share of the room's drawings the model read as what was meant; None before the first."""
    if not drawings:
        return None
    return sum(d.meant == d.read_as for d in drawings) / len(drawings)


def model_test_accuracy(room: RoomModel) -> float:
    """The room's model's accuracy on its dataset's test images (computed once, then cached)."""
    model = room.model
    return caches.test_evaluation(room.dataset, caches.model_key(model), caches.Unhashed(model)).accuracy


def accuracy_metrics(drawings: Sequence[Drawing], room: RoomModel) -> None:
    """The share of the room's drawings read right, and below it the model's share on the test set."""
    room_share = room_accuracy(drawings)
    st.metric("Read right in the room", "–" if room_share is None else f"{room_share:.0%}")
    st.markdown(
        f"On the test set: **{model_test_accuracy(room):.0%}** · K = {room.model.n_clusters}",
        help=f"The share of the {room.dataset.title} test images the room's model reads right. The room "
        "keeps the model it was opened with, whatever K the sidebar shows now.",
    )


def room_state(drawings: Sequence[Drawing], room: RoomModel) -> tuple:
    """What the room's charts are drawn from: its model, and its drawings (each stored once, never changed).

    Between two refreshes with no drawing sent or deleted, it is the same, and the charts are not built
    again: they took 50-60 ms of the server's CPU a refresh (bench/README.md, "Seventeenth pass").
    """
    return room.dataset.name, caches.model_key(room.model), tuple(d.id for d in drawings)


def confusion_chart(drawings: Sequence[Drawing], room: RoomModel) -> None:
    """The room's confusions: the digit meant (rows) against what the model read (columns)."""

    def build():
        names = room.dataset.class_names
        fig = confusion_heatmap(
            room_confusion(drawings, len(names)),
            names,
            title="The room: meant (rows), read (columns)",
        )
        fig.update_yaxes(title_text="The digit meant")
        fig.update_xaxes(title_text="What the model read")
        return fig

    show_chart(build, key="audience_confusion", height=430, changes_with=room_state(drawings, room))


def map_chart(drawings: Sequence[Drawing], room: RoomModel) -> None:
    """The Map's 2-D view of the training images and centres, with the room's drawings as stars."""
    show_chart(
        lambda: room_map(drawings, room),
        key="audience_map",
        height=430,
        changes_with=room_state(drawings, room),
    )


def room_map(drawings: Sequence[Drawing], room: RoomModel) -> go.Figure:
    """The map of `map_chart`: a sample of the training images by true class, the centres, the stars."""
    dataset, model = room.dataset, room.model
    rows, placed, _ = samples.map_sample(
        dataset, model.preprocessing, MAP_SAMPLE, "pca", 0, caches.Unhashed(model)
    )
    points_2d, centers_2d = placed.points_2d, placed.place(model.cluster_centers_model_space_)
    labels = dataset.train_labels[rows]
    names = dataset.class_names
    reads = [names[label] for label in model.cluster_labels_]
    fig = projection_map(
        points_2d,
        labels,
        list(names),
        centers_2d,
        [f"Centre of cluster {c}, which reads as {reads[c]}" for c in range(len(reads))],
        point_text=[f"A training {names[t]}" for t in labels],
        title="The room's drawings (stars) on the map",
        legend_title="Digit",
    )
    if drawings:
        stars = placed.place(model.features(np.stack([d.pixels for d in drawings])))
        add_stars(fig, stars, [mark(d, names) for d in drawings])
    fig.update_layout(dragmode="pan")
    fig.update_xaxes(title_text="PCA direction 1")  # short: the chart is half the page wide
    fig.update_yaxes(title_text="PCA direction 2")
    return fig


def add_stars(fig: go.Figure, placed: np.ndarray, text: list[str]) -> None:
    # The map's own trace type (WebGL): an SVG trace would be drawn under the map's WebGL dots.
    fig.add_trace(
        {
            "type": MAP_TRACE_TYPE,
            "x": placed[:, 0],
            "y": placed[:, 1],
            "mode": "markers",
            "marker": {
                "symbol": "star",
                "size": 16,
                "color": "#facc15",
                "line": {"width": 1.5, "color": "#111827"},
            },
            "name": "The room's drawings",
            "hovertext": text,
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
    )


# --- the room's drawings as a dataset ----------------------------------------------------------


def drawings_dataset(code: str, drawings: Sequence[Drawing]) -> Dataset:
    """The room's drawings as a dataset of digits, the newest fifth kept for testing (like an upload)."""
    n = len(drawings)
    n_test = max(1, round(n * TEST_SHARE))
    images = np.stack([d.pixels for d in drawings]).astype(np.uint8)
    labels = np.array([d.meant for d in drawings], dtype=np.int64)
    return Dataset(
        name=UPLOAD,
        title=f"Room {code}'s drawings ({n:,})",
        train_images=images[:-n_test],
        train_labels=labels[:-n_test],
        test_images=images[-n_test:],
        test_labels=labels[-n_test:],
        class_names=DIGIT_NAMES,
        source=f"drawn on phones in room {code}, in this session",
        credit="Drawn by the room; it stays in this browser session.",
        kind="handwriting",
    )


def use_as_dataset(code: str, drawings: Sequence[Drawing]) -> None:
    """Make the drawings this session's dataset, as an upload is (a callback: before the sidebar is drawn)."""
    dataset = drawings_dataset(code, drawings)
    check_session_budget(dataset)
    forget_upload()
    st.session_state["upload_dataset"] = dataset
    st.session_state["dataset"] = UPLOAD
