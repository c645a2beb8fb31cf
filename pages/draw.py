"""Draw: classify a digit drawn with the mouse, using the model for the sidebar's K."""

import hashlib

import numpy as np
import streamlit as st
import streamlit_drawable_canvas as drawable_canvas

import ui
from core import figures
from core.drawing import BlankCanvasError, canvas_to_digit

CANVAS_SIZE = 280
BLANK_HINT = "Draw a digit in the black box to classify it."


def render() -> None:
    settings = ui.current_settings()
    ui.page_header(
        "Draw a digit",
        f"Draw a digit with the mouse: the model for K = {settings.k} finds the nearest cluster centre "
        "and answers with the class that cluster stands for. It answers after every stroke.",
        settings,
    )
    dataset = ui.require_dataset(settings)
    model, _ = ui.fitted_model(settings, dataset)
    canvas_column, result_column = st.columns([2, 3], gap="large")
    with canvas_column:
        image = drawing_canvas()
    with result_column:
        digit = model_input(image, model, dataset)
        if digit is None:
            st.info(BLANK_HINT, icon=":material/draw:")
            return
        show_prediction(digit, model, dataset)


def drawing_canvas():
    """The canvas, its stroke width and a clear button; returns the drawing as RGBA, or None."""
    st.session_state.setdefault("draw_clears", 0)
    stroke = st.slider("Stroke width", min_value=6, max_value=40, value=18, key="draw_stroke")
    clears = st.session_state["draw_clears"]
    result = drawable_canvas.st_canvas(
        stroke_width=stroke,
        stroke_color="#FFFFFF",
        background_color="#000000",
        drawing_mode="freedraw",
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        # A changed initial drawing makes the canvas reload it, i.e. clear, yet keep its key.
        initial_drawing={"objects": [], "clears": clears} if clears else None,
        return_image_data=True,
        update_streamlit=True,
        key="draw_canvas",
    )
    image = getattr(result, "image_data", None)
    digest = hashlib.md5(np.ascontiguousarray(image).tobytes()).hexdigest() if image is not None else None
    st.session_state["draw_digest"] = digest
    st.button("Clear canvas", key="draw_clear", on_click=_clear, icon=":material/ink_eraser:")
    st.caption("Hover over the canvas for undo and redo.")
    # Until the canvas reports its cleared state, it still returns the drawing just cleared.
    if digest is not None and digest == st.session_state.get("draw_cleared_digest"):
        return None
    st.session_state["draw_cleared_digest"] = None
    return image


def _clear() -> None:
    st.session_state["draw_clears"] += 1
    st.session_state["draw_cleared_digest"] = st.session_state.get("draw_digest")


def model_input(image, model, dataset):
    """The drawing as the model sees it (uint8, the model's image shape), or None if blank."""
    if image is None:
        return None
    shape = model.image_shape_ or dataset.image_shape
    try:
        return canvas_to_digit(image, shape, box_fraction=ui.drawing_box_fraction(dataset.name))
    except BlankCanvasError:
        return None


def show_prediction(digit, model, dataset) -> None:
    distances = model.transform(digit[None])[0]
    nearest = np.argsort(distances, kind="stable")[:3]
    predicted = ui.class_name(dataset, model.cluster_labels_[nearest[0]])
    saw, verdict = st.columns([1, 2])
    with saw:
        scale = figures.display_scale(digit.shape, target=140)
        st.image(figures.enlarge(digit, scale), caption="What the model saw", output_format="PNG")
    with verdict:
        st.metric("Predicted digit", predicted)
        st.caption(
            f"Your drawing, scaled down to {digit.shape[0]} × {digit.shape[1]} pixels and centred like the "
            "training images, is closest to the centre of cluster "
            f"{nearest[0]}, which stands for {predicted}."
        )
    st.subheader("The three nearest cluster centres")
    centres = ui.centroid_images(model)
    scale = figures.display_scale(centres.shape[1:], target=112)
    st.image(
        [figures.enlarge(centres[i], scale) for i in nearest],
        caption=[
            f"{ui.class_name(dataset, model.cluster_labels_[i])} · distance {distances[i]:.2f}"
            for i in nearest
        ],
        output_format="PNG",
    )
    st.caption(
        "Captions read: the class the cluster stands for · its distance from your drawing, as the model "
        "measures it (smaller is more alike)."
    )


ui.run_page(render)
