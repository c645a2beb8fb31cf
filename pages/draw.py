"""Draw: classify a digit (or a silhouette of an item) drawn with the mouse, with the sidebar's K."""

import hashlib

import numpy as np
import streamlit as st
import streamlit_drawable_canvas as drawable_canvas
from PIL import Image

from core.analysis.confidence import prediction_confidence
from core.analysis.pictures import centroid_images
from core.data.canvas import BACKGROUND_COLOR, STROKE_COLOR, BlankCanvasError, CanvasImageError, read_png
from core.data.drawing import DrawingSteps, drawing_steps
from core.figures.images import display_scale, enlarge
from ui import caches
from ui.charts import display_size
from ui.frame import Page, run_page
from ui.model_files import imported_model_ui
from ui.picture_grid import show_pictures
from ui.text import plain

CANVAS_SIZE = 280
#: What to draw, by the dataset's kind: clothes are pictured as solid shapes, not outlines.
BLANK_HINTS = {
    "digit": "Draw a digit in the black box to classify it.",
    "item": "Draw a filled silhouette of an item (a shirt, a shoe, a bag…) in the black box to classify it.",
}
#: The key that clears the canvas, for a presenter without a mouse at hand.
CLEAR_SHORTCUT = "Delete"
#: A multiplication sign between two no-break spaces: "28 × 28" never breaks over two lines.
TIMES = "\u00a0×\u00a0"
#: Black around the ink in the strip's first two pictures, as a share of their height: the pictures'
#: rounded corners would otherwise cut off ink that touches the crop's corners.
CROP_MARGIN = 0.12
#: Display height in pixels of the pictures in the strip of steps.
STEP_HEIGHT = 90


def render(page: Page) -> None:
    dataset = page.dataset
    # The canvas and the answer first; the nearest centres and the model import below them.
    top, nearest_place, import_place = st.container(), st.container(), st.container()
    with import_place:
        imported = imported_model_ui()
    model = imported.model if imported else page.model
    # Either one names the classes; a model file's names are shown as typed, never as markdown.
    names = [plain(name) for name in (imported or dataset).class_names]
    with top:
        # Wide enough for presenter mode's bigger canvas beside the answer.
        canvas_column, result_column = st.columns([5, 6], gap="large")
    with canvas_column:
        image, problem = drawing_canvas()
    with result_column:
        if problem is not None:
            st.error(f"{problem}", icon=":material/warning:")
            return
        steps = model_input(image, model, dataset)
        if steps is None:
            st.info(BLANK_HINTS[page.noun], icon=":material/draw:")
            return
        distances = model.transform(steps.centred[None])[0]
        show_prediction(distances, steps.centred.shape, model, names, page.noun)
        show_steps(steps, model)
    with nearest_place:
        show_nearest(distances, model, names)


def drawing_canvas():
    """The canvas, its stroke width and a clear button.

    Returns (the drawing as RGBA or None, None), or (None, the CanvasImageError) when the canvas
    sent image data that is not a PNG or is too large.
    """
    st.session_state.setdefault("draw_clears", 0)
    # The stroke width under the canvas: the canvas's toolbar shows above it on hover and would cover it.
    canvas_place, controls = st.container(key="draw_canvas_place"), st.container()
    with controls:
        stroke = st.slider("Stroke width", min_value=6, max_value=40, value=18, key="draw_stroke")
    clears = st.session_state["draw_clears"]
    with canvas_place:
        result = drawable_canvas.st_canvas(
            stroke_width=stroke,
            stroke_color=STROKE_COLOR,  # the ink map reads the drawing by these two colours
            background_color=BACKGROUND_COLOR,
            drawing_mode="freedraw",
            height=display_size(CANVAS_SIZE),
            width=display_size(CANVAS_SIZE),
            # A changed initial drawing makes the canvas reload it, i.e. clear, yet keep its key.
            initial_drawing={"objects": [], "clears": clears} if clears else None,
            return_image_data=True,
            update_streamlit=True,
            key="draw_canvas",
        )
    raw = result.image_bytes  # the drawing as a PNG file, as the browser sent it
    digest = hashlib.md5(raw).hexdigest() if raw is not None else None
    st.session_state["draw_digest"] = digest
    with controls:
        st.button(
            "Clear canvas",
            key="draw_clear",
            on_click=_clear,
            icon=":material/ink_eraser:",
            shortcut=CLEAR_SHORTCUT,
        )
        st.caption("Hover over the canvas for undo and redo.")
    # Until the canvas reports its cleared state, it still returns the drawing just cleared.
    if digest is not None and digest == st.session_state.get("draw_cleared_digest"):
        return None, None
    st.session_state["draw_cleared_digest"] = None
    try:
        # The bytes come from the browser: checked under a pixel limit, never handed to Pillow as they are.
        return (read_png(raw) if raw is not None else None), None
    except CanvasImageError as exc:
        return None, exc


def _clear() -> None:
    st.session_state["draw_clears"] += 1
    st.session_state["draw_cleared_digest"] = st.session_state.get("draw_digest")


def model_input(image, model, dataset) -> DrawingSteps | None:
    """Each step from the drawing to the model's input (its image shape, uint8), or None if blank."""
    if image is None:
        return None
    shape = model.image_shape_ or dataset.image_shape
    try:
        return drawing_steps(image, shape, box_fraction=caches.drawing_box_fraction(dataset))
    except BlankCanvasError:
        return None


def show_prediction(distances, shape, model, names, noun: str) -> None:
    """The predicted class, and in plain words how clearly it beat the nearest other class."""
    confidence = prediction_confidence(distances, model.cluster_labels_)
    predicted = names[confidence.label]
    st.metric(f"Predicted {noun}", predicted)
    badge = {"clear": ":green-badge[Clear answer]", "likely": ":orange-badge[Likely]"}
    st.markdown(
        f"{badge.get(confidence.level, ':red-badge[Close call]')} "
        f"{confidence.describe(lambda label: names[label])}"
    )
    st.caption(
        f"Your drawing, scaled down to {shape[0]}{TIMES}{shape[1]} pixels and centred like the "
        f"training images, is closest to the centre of cluster {confidence.cluster}, which stands for "
        f"{predicted}."
    )


def show_steps(steps: DrawingSteps, model) -> None:
    """A strip of the steps from the canvas to the model's input, for a presenter to walk through."""
    st.subheader("From your drawing to the model's input")
    frame = steps.centred.shape
    # One scale for the scaled and centred steps, so the 20-pixel box reads as part of the 28 frame.
    scale = display_scale(frame, target=STEP_HEIGHT)
    panels = [
        (_fit_height(with_margin(steps.cropped), scale * frame[0]), "1 · Cropped to the ink"),
        (
            enlarge(with_margin(steps.scaled), scale),
            f"2 · Scaled to {steps.scaled.shape[0]}{TIMES}{steps.scaled.shape[1]}",
        ),
        (enlarge(steps.centred, scale), f"3 · Centred in {frame[0]}{TIMES}{frame[1]}"),
    ]
    if model.preprocessing.deskew:
        panels.append((enlarge(straightened(steps.centred, model), scale), "4 · Straightened by the model"))
    # Captions as wide as their columns: under a narrow picture they would wrap.
    show_pictures([image for image, _ in panels], [caption for _, caption in panels], equal_columns=True)
    st.caption(
        "As the training images were made: the ink's bounding box is cut out, shrunk so its longest side "
        f"fills {max(steps.scaled.shape)} of {max(frame)} pixels (keeping its shape), and placed so "
        "its centre of mass sits in the middle of the frame. How big or where you draw does not matter."
    )


def straightened(image: np.ndarray, model) -> np.ndarray:
    """The image after the model's own first steps (its pixel scaler and its deskew), as uint8."""
    rows = model.pipeline["deskew"].transform(model.pipeline["scale"].transform(image[None]))
    return np.rint(np.clip(rows[0].reshape(image.shape), 0, 1) * 255).astype(np.uint8)


def with_margin(image: np.ndarray) -> np.ndarray:
    """The image inside a black margin (`CROP_MARGIN` of its height, at least 1 pixel, each side)."""
    margin = max(1, round(CROP_MARGIN * image.shape[0]))
    return np.pad(image, margin)


def _fit_height(image: np.ndarray, height: int) -> np.ndarray:
    """The image resized to `height` pixels tall, keeping its aspect ratio (at most 1.5 times as wide)."""
    width = min(3 * height // 2, max(1, round(image.shape[1] * height / image.shape[0])))
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS))


def show_nearest(distances, model, names) -> None:
    """The three nearest cluster centres, with the class each stands for and its distance."""
    nearest = np.argsort(distances, kind="stable")[:3]
    st.subheader("The three nearest cluster centres")
    centres = centroid_images(model)
    scale = display_scale(centres.shape[1:], target=112)
    show_pictures(
        [enlarge(centres[i], scale) for i in nearest],
        [f"{names[model.cluster_labels_[i]]} · distance {distances[i]:.2f}" for i in nearest],
    )
    st.caption(
        "Captions read: the class the cluster stands for · its distance from your drawing, as the model "
        "measures it (smaller is more alike)."
    )


run_page(
    render,
    title="Draw {a_noun}",
    description="Draw {a_noun} with the mouse: the model for K = {k} finds the nearest cluster centre "
    "and answers with the class that cluster stands for. It answers after every stroke.",
)
