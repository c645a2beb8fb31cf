"""Step by step: watch K-means move its centres, one iteration at a time, on a sample of the dataset."""

import time

import numpy as np
import streamlit as st

from core.figures.charts import steps_inertia_chart
from core.figures.images import display_scale, enlarge
from core.model.stepwise import KMeansSteps
from ui import caches
from ui.charts import display_size, show_chart
from ui.frame import Page, run_page

SAMPLE_SIZE = 3000
MAX_STEP_K = 64
MAX_ITER = 60
#: The animation lasts about this long, with at most this long on each step.
PLAY_SECONDS = 8.0
MAX_FRAME_SECONDS = 0.4
#: Display width of one centre's picture (before presenter mode enlarges it).
PICTURE_PX = 44


def render(page: Page) -> None:
    settings, dataset = page.settings, page.dataset
    k = min(settings.k, MAX_STEP_K, dataset.n_train)
    controls, frame, notes_place = st.container(), st.empty(), st.container()
    # The spinner stands where the pictures will be, not over the page's text.
    with frame.container(), st.spinner(f"Running K-means step by step with K = {k}…"):
        steps, rows = caches.kmeans_steps(dataset, k, settings.seed, SAMPLE_SIZE, MAX_ITER)
    notes = [
        f"K-means runs here on the raw pixels of {len(rows):,} of the training images (no preprocessing), "
        "so each step is quick and every centre is a picture"
    ]
    if k < settings.k:
        notes.append(f"with K = {k} (at most {MAX_STEP_K} centres, so each stays big enough to see)")
    notes_place.caption(", ".join(notes) + ".")
    last = steps.n_steps
    if st.session_state.get("steps_step", 0) > last:
        st.session_state["steps_step"] = last
    # Wide enough for "Play all steps" on a tablet with the sidebar open.
    slider_col, play_col = controls.columns([2, 1], vertical_alignment="bottom")
    step = slider_col.slider(
        "Step",
        min_value=0,
        max_value=max(last, 1),
        key="steps_step",
        help="0 shows the starting centres; each step assigns every image and moves every centre once.",
    )
    play_col.button(
        "Play all steps", key="steps_play", icon=":material/play_arrow:", on_click=_play, args=(last,)
    )
    if st.session_state.pop("steps_playing", False):
        # An animation: redraw every step in place; the slider already points at the last one.
        pause = min(MAX_FRAME_SECONDS, PLAY_SECONDS / max(last, 1))
        for t in range(last + 1):
            with frame.container():
                show_step(steps, t, k, dataset, chart_key=f"steps_inertia_{t}")
            if t < last:
                time.sleep(pause)
    else:
        with frame.container():
            show_step(steps, min(step, last), k, dataset, chart_key="steps_inertia")


def _play(last: int) -> None:
    st.session_state["steps_step"] = last
    st.session_state["steps_playing"] = True


def show_step(steps: KMeansSteps, step: int, k: int, dataset, *, chart_key: str) -> None:
    """The centres at one step as pictures, and the inertia chart with that step marked."""
    last = steps.n_steps
    if steps.converged:
        status = f"K-means stops at step {last}, when no image changes centre any more"
    else:
        status = f"this run is cut off at step {MAX_ITER}; the centres barely move by then"
    pictures, chart = st.columns([3, 2], gap="large")
    # Which step this is, above the chart: the pictures start right under the slider.
    if step == 0:
        chart.markdown(f"**Step 0 of {last}**: the starting centres (k-means++ picks images spread apart).")
    else:
        chart.markdown(f"**Step {step} of {last}** ({status}).")
    with pictures:
        centres = steps.centers[step].reshape(k, *dataset.image_shape)
        images = np.rint(np.clip(centres, 0, 1) * 255).astype(np.uint8)
        # Small enough that 36 centres fit beside the chart on a 1280x720 screen.
        scale = display_scale(dataset.image_shape, target=display_size(PICTURE_PX))
        # A key each frame: an animation draws this once per step in one run.
        with st.container(key=f"key_visual_{chart_key}"):
            st.image(
                [enlarge(image, scale) for image in images],
                caption=[f"{size:,}" for size in steps.sizes[step]],
                width=images.shape[2] * scale,
                output_format="PNG",
            )
        st.caption("Each picture is one centre; under it, how many images are nearest to it at this step.")
    with chart:
        show_chart(steps_inertia_chart(steps.inertia, step), key=chart_key, height=380)
        first, now = steps.inertia[0], steps.inertia[step]
        st.metric(
            "Inertia at this step",
            f"{now:,.0f}",
            delta=f"{(now - first) / first:.1%} since the start" if step else None,
            delta_color="inverse",
        )


run_page(
    render,
    title="Step by step: how K-means settles",
    description="K-means starts from K centres picked among the images, then repeats two moves: every image "
    "joins its nearest centre, and every centre moves to the average of its images. Move the slider, "
    "or press Play, to watch the centres sharpen and the inertia fall.",
    needs_model=False,
)
