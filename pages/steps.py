"""Step by step: watch K-means move its centres, one iteration at a time, on a sample of the dataset."""

import numpy as np
import streamlit as st

from core.figures.charts import steps_inertia_spec
from core.figures.images import display_scale
from core.model.stepwise import KMeansSteps
from ui import samples
from ui.charts import show_chart, tick_size
from ui.frame import Page, run_page
from ui.picture_grid import show_sprite, sprite

SAMPLE_SIZE = 3000
MAX_STEP_K = 64
MAX_ITER = 60
#: The animation lasts about this long, with at most this long on each step.
PLAY_SECONDS = 8.0
MAX_FRAME_SECONDS = 0.4
#: Display width of one centre's picture: 16 centres at the large size, or 36 at the small one, fit
#: in 4 to 5 rows beside the inertia chart on a 1280x720 screen, in presenter mode too.
LARGE_PICTURE_PX = 84
PICTURE_PX = 56
FEW_CENTRES = 16
FIT_K = 36
#: The grid's box: as tall as the chart beside it; a larger K scrolls inside it, not the page.
GRID_HEIGHT = 430


def render(page: Page) -> None:
    settings, dataset = page.settings, page.dataset
    k = min(settings.k, MAX_STEP_K, dataset.n_train)
    controls, frame, notes_place = st.container(), st.container(), st.container()
    # The spinner stands where the pictures will be, not over the page's text.
    with frame, st.spinner(f"Running K-means step by step with K = {k}…"):
        steps, rows = samples.kmeans_steps(dataset, k, settings.seed, SAMPLE_SIZE, MAX_ITER, MAX_STEP_K)
    notes = [
        f"K-means runs here on the raw pixels of {len(rows):,} of the training images (no preprocessing), "
        "so each step is quick and every centre is a picture"
    ]
    if k < settings.k:
        notes.append(f"with K = {k} (at most {MAX_STEP_K} centres, so each stays big enough to see)")
    notes_place.caption(", ".join(notes) + ".")
    last = steps.n_steps
    state = st.session_state
    if "steps_goto" in state:  # a finished animation leaves the slider on its last step
        state["steps_step"] = state.pop("steps_goto")
    if state.get("steps_step", 0) > last:
        state["steps_step"] = last
    # Wide enough for "Play all steps" on a tablet with the sidebar open.
    slider_col, play_col = controls.columns([2, 1], vertical_alignment="bottom")
    step = slider_col.slider(
        "Step",
        min_value=0,
        max_value=max(last, 1),
        key="steps_step",
        on_change=_stop,
        help="0 shows the starting centres; each step assigns every image and moves every centre once.",
    )
    play_col.button("Play all steps", key="steps_play", icon=":material/play_arrow:", on_click=_play)
    playing = state.get("steps_playing", False)
    # While playing, only this fragment reruns, once a frame: the slider, the header and the rest of
    # the page stay as they are, and the chart is updated in place instead of drawn anew.
    pause = min(MAX_FRAME_SECONDS, PLAY_SECONDS / max(last, 1))
    with frame:
        st.fragment(steps_player, run_every=pause if playing else None)(steps, min(step, last), k, dataset)


def _play() -> None:
    st.session_state["steps_playing"] = True
    st.session_state["steps_frame"] = 0


def _stop() -> None:
    st.session_state["steps_playing"] = False


def steps_player(steps: KMeansSteps, step: int, k: int, dataset) -> None:
    """The step the slider shows; while playing, the next frame of the animation on each run.

    After the last frame the whole page runs once more, without the timer, with the slider on the
    last step.
    """
    state = st.session_state
    if not state.get("steps_playing", False):
        show_step(steps, step, k, dataset)
        return
    frame = min(state.get("steps_frame", 0), steps.n_steps)
    # The chart keeps one figure while playing: a changed figure is a new chart that blinks in.
    show_step(steps, frame, k, dataset, marked=False)
    state["steps_frame"] = frame + 1
    if frame == steps.n_steps:  # drawn first: the page keeps the last frame while it runs again
        state["steps_playing"] = False
        state["steps_goto"] = steps.n_steps
        st.rerun()


def show_step(steps: KMeansSteps, step: int, k: int, dataset, *, marked: bool = True) -> None:
    """The centres at one step as pictures, and the inertia chart, with that step marked if `marked`."""
    last = steps.n_steps
    if steps.converged:
        status = f"K-means stops at step {last}, when no image changes centre any more"
    else:
        status = f"this run is cut off at step {MAX_ITER}; the centres barely move by then"
    pictures, chart = st.columns([3, 2], gap="medium")
    # Which step this is, above the chart: the pictures start right under the slider.
    if step == 0:
        chart.markdown(f"**Step 0 of {last}**: the starting centres (k-means++ picks images spread apart).")
    else:
        chart.markdown(f"**Step {step} of {last}** ({status}).")
    with pictures:
        centres = steps.centers[step].reshape(k, *dataset.image_shape)
        images = np.rint(np.clip(centres, 0, 1) * 255).astype(np.uint8)
        scale = display_scale(dataset.image_shape, target=picture_px(k))
        # A box of fixed height beside the chart: up to FIT_K centres fit in it, more scroll inside it.
        # The centres are tiles of one picture sent at their own size, in one block (`ui.picture_grid`):
        # one picture for the browser to decode and one element to draw on each step and each frame.
        sheet = sprite(images)
        captions = [f"{size:,}" for size in steps.sizes[step]]
        with st.container(key="key_visual", height=GRID_HEIGHT, border=False):
            show_sprite(sheet, captions, scale=scale, gap="0.25rem 0")
        st.caption("Each picture is one centre; under it, how many images are nearest to it at this step.")
    with chart:
        shown = step if marked else None
        show_chart(
            lambda: steps_inertia_spec(steps.inertia, shown, tick_size=tick_size()),
            # Built once for each run of steps (known by its inertia) and step: a step shown before, and
            # every frame of Play, comes back without being built again.
            memo=(dataset, ("steps inertia", tuple(steps.inertia.tolist()), shown)),
            key="steps_inertia",
            height=380,
        )
        first, now = steps.inertia[0], steps.inertia[step]
        st.metric(
            "Inertia at this step",
            f"{now:,.0f}",
            delta=f"{(now - first) / first:.1%} since the start" if step else None,
            delta_color="inverse",
        )


def picture_px(k: int) -> int:
    """How wide to show each centre: big for a few, smaller for many, so up to FIT_K fit the box."""
    return LARGE_PICTURE_PX if k <= FEW_CENTRES else PICTURE_PX


run_page(
    render,
    title="Step by step: how K-means settles",
    description="K-means starts from K centres picked among the images, then repeats two moves: every image "
    "joins its nearest centre, and every centre moves to the average of its images. Move the slider, "
    "or press Play, to watch the centres sharpen and the inertia fall.",
)
