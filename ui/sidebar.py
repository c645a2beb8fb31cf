"""The shared sidebar: links to every page, then the settings (dataset, K, algorithm, seed, preprocessing).

Every page draws it through `ui.frame.run_page`. Its widgets keep their values across pages and
while presenter mode hides them: `ui.settings.init_settings` hands each value back to session state.
"""

from __future__ import annotations

import math

import streamlit as st

from core.data import registry as datasets
from core.errors import KMeansLabError
from core.model.settings import ALGORITHMS, MAX_BLUR, MAX_PCA_COMPONENTS, Preprocessing
from ui import caches
from ui.lazy_expander import lazy_expander
from ui.settings import (
    ALGORITHM_LABELS,
    K_COPIES,
    MAX_K,
    MAX_SEED,
    PREPROCESSING_LABELS,
    PRESENTER_KEY,
    UPLOAD,
    Settings,
    chosen_preprocessing,
    init_custom_preprocessing,
    init_settings,
    note_k_typed,
    rerun_asked_by_chart,
    show_k_in_box,
)
from ui.uploads import upload_ui

#: The app's pages in the order the sidebar lists them: file, title, icon. app.py is the home page.
PAGES = (
    ("app.py", "Explore", ":material/image_search:"),
    ("pages/sweep.py", "K sweep", ":material/show_chart:"),
    ("pages/centroids.py", "Centroids", ":material/grid_view:"),
    ("pages/draw.py", "Draw", ":material/draw:"),
    ("pages/evaluate.py", "Evaluate", ":material/fact_check:"),
    ("pages/map.py", "Map", ":material/scatter_plot:"),
    ("pages/steps.py", "Step by step", ":material/timeline:"),
    ("pages/audience.py", "Audience", ":material/groups:"),
)
K_LABEL = "Number of clusters (K)"
#: The number box beside the K slider, for typing an exact K.
K_BOX_KEY = K_COPIES[0]
#: The K slider's upper limit in the last run.
K_RANGE_KEY = "k_range"
#: The box that holds the algorithm, the seed and the preprocessing, closed at first.
TECHNICAL_LABEL = "Algorithm, seed and preprocessing"
TECHNICAL_KEY = "technical_settings_open"
#: K as the last run ended, and the K it replaced (`keep_k_through_stale_rerun` reads them).
K_LAST_KEY = "k_last"
K_BEFORE_KEY = "k_before"


def sidebar() -> Settings:
    """Draw the shared sidebar and return the chosen settings."""
    init_settings()
    infos = caches.dataset_infos()
    if st.session_state["dataset"] not in infos:
        st.session_state["dataset"] = datasets.DEFAULT_DATASET
    with st.sidebar:
        for page, title, icon in PAGES:
            st.page_link(page, label=title, icon=icon)
        st.header("Settings")
        name = st.selectbox(
            "Dataset",
            list(infos),
            format_func=lambda n: dataset_label(infos[n]),
            key="dataset",
            help="The images to cluster. Datasets that are not downloaded yet are listed with the reason.",
        )
        k_slider(max_k(infos[name]))
        presenting = st.toggle(
            "Presenter mode",
            key=PRESENTER_KEY,
            help="For showing the lab to an audience: hides the algorithm, seed and preprocessing, and "
            "makes charts bigger.",
        )
        recommended = caches.recommended_preprocessing(infos[name])
        if not presenting:  # presenter mode hides the jargon and the file controls
            technical_settings(infos[name], recommended)
            upload_ui()
    state = st.session_state
    return Settings(
        state["dataset"],
        int(state["k"]),
        state["algorithm"],
        int(state["seed"]),
        chosen_preprocessing(recommended),
    )


def dataset_label(info: datasets.DatasetInfo) -> str:
    """The picker's label: the title, and for a dataset that is not ready, why."""
    return info.title if info.available else f"{info.title} — {info.reason}"


def max_k(info: datasets.DatasetInfo) -> int:
    """K's upper limit: 512, or the number of training images if smaller (when that is known)."""
    if not info.available:
        return MAX_K
    try:
        return max(2, min(MAX_K, caches.load_dataset(info.name).n_train))
    except KMeansLabError:
        return MAX_K  # the page reports the problem


def k_slider(largest: int) -> None:
    """K as a slider and, beside it, a number box for typing an exact K; the two stay in step.

    A K beyond a new dataset's limit comes down to it.
    """
    state = st.session_state
    keep_k_through_stale_rerun()
    # Written only when needed (see ui.settings.DRAWN_EVERY_RUN): when K must come down, or when the
    # slider's range changed, which makes it a new widget that takes its value from session state.
    if state["k"] > largest or state.get(K_RANGE_KEY) != largest:
        state["k"] = min(int(state["k"]), largest)
        state[K_RANGE_KEY] = largest
    if state.get(K_LAST_KEY) != state["k"]:
        state[K_BEFORE_KEY] = state.get(K_LAST_KEY)
        state[K_LAST_KEY] = state["k"]
    show_k_in_box(K_BOX_KEY, state["k"])
    slider_column, box_column = st.columns([5, 3], vertical_alignment="bottom")
    slider_column.slider(
        K_LABEL,
        min_value=2,
        max_value=largest,
        key="k",
        on_change=copy_state,
        args=("k", K_BOX_KEY),
        help="How many groups K-means splits the training images into.",
    )
    k_box(box_column, K_BOX_KEY, largest)


def keep_k_through_stale_rerun() -> None:
    """Undo a change of K that only a rerun asked by a chart reports, back to the K it replaced.

    When the server moves one of K's inputs (a K typed in the box moves the slider), the browser
    shows the new value a moment later. A chart that asks for its figure again in that moment sends
    the input's old value with its request (see `ui.settings.rerun_asked_by_chart`), which
    would read as the user taking K back: the K they chose would jump back to the one before.
    """
    state = st.session_state
    asked_by_chart = rerun_asked_by_chart()  # read on every run: reading it resets it
    if asked_by_chart and state["k"] != state.get(K_LAST_KEY) and state["k"] == state.get(K_BEFORE_KEY):
        state["k"] = state[K_LAST_KEY]


def k_box(place, key: str, largest: int) -> None:
    """A number box (in `place`, under session-state `key`) for typing K; Enter sets the sidebar's K."""
    place.number_input(
        "K",
        min_value=2,
        max_value=largest,
        step=1,
        key=key,
        on_change=note_k_typed,
        args=(key,),
        help="Type the K you want and press Enter.",
    )


def copy_state(source: str, target: str) -> None:
    """Give the widget `target` the value the widget `source` now holds (keeps K's two inputs in step)."""
    st.session_state[target] = st.session_state[source]


def technical_settings(info: datasets.DatasetInfo, recommended: Preprocessing | None) -> None:
    """The algorithm, the seed and the preprocessing, in a box closed at first: hidden in presenter mode."""
    box = lazy_expander(TECHNICAL_LABEL, TECHNICAL_KEY, icon=":material/tune:")
    if box is None:
        return
    with box:
        algorithm_seed_and_preprocessing(info, recommended)


def algorithm_seed_and_preprocessing(info: datasets.DatasetInfo, recommended: Preprocessing | None) -> None:
    """The technical settings' widgets."""
    st.radio(
        "Algorithm",
        list(ALGORITHMS),
        format_func=ALGORITHM_LABELS.get,
        key="algorithm",
        help="Mini-batch K-means looks at small batches of images at a time, like the tutorial; "
        "full K-means uses every image at every step.",
    )
    st.number_input(
        "Random seed",
        min_value=0,
        max_value=MAX_SEED,
        step=1,
        key="seed",
        help=f"The same seed gives the same clusters every time. From 0 to {MAX_SEED:,}.",
    )
    preprocessing_ui(info, recommended)


def preprocessing_ui(info: datasets.DatasetInfo, recommended: Preprocessing | None) -> None:
    """The "Preprocessing" choice; Custom reveals one control per step, starting from the recommendation."""
    # Under each choice, what it does to the images (a caption wraps better than a long label).
    captions = [recommended.describe() if recommended else "", "raw pixels", "choose each step"]
    st.radio(
        "Preprocessing",
        list(PREPROCESSING_LABELS),
        format_func=PREPROCESSING_LABELS.get,
        captions=captions,
        key="preprocessing",
        help="What is done to every image before clustering. The recommendation was measured to give "
        "the best clusters for this kind of image; the tutorial clusters the raw pixels.",
    )
    init_custom_preprocessing(recommended or Preprocessing())
    if st.session_state["preprocessing"] == "custom":
        n_pixels = math.prod(caches.load_dataset(info.name).image_shape) if recommended else 28 * 28
        custom_preprocessing_ui(n_pixels)


def custom_preprocessing_ui(n_pixels: int) -> None:
    """One control per preprocessing step."""
    # Always set: a smaller dataset may allow fewer components than the last one did.
    n_pixels = min(n_pixels, MAX_PCA_COMPONENTS)
    st.session_state["prep_pca"] = min(int(st.session_state["prep_pca"]), n_pixels)
    with st.container(border=True):
        st.checkbox(
            "Straighten slanted images (deskew)",
            key="prep_deskew",
            help="Turns each image so its strokes stand upright: helps handwriting, not clothes.",
        )
        st.slider(
            "Blur (pixels)",
            min_value=0.0,
            max_value=MAX_BLUR,
            step=0.1,
            format="%.1f",
            key="prep_blur",
            help="Softens each image a little, so strokes a pixel apart still overlap. 0 turns it off.",
        )
        st.checkbox(
            "Normalise ink",
            key="prep_normalize",
            help="Scales each image to the same total brightness, so a thick and a thin 7 look alike "
            "(L2 normalisation).",
        )
        st.number_input(
            "PCA components (0 = off)",
            min_value=0,
            max_value=n_pixels,
            step=10,
            key="prep_pca",
            help="Keeps only the main patterns of the images (principal components): K-means runs much "
            "faster and often groups better. 0 keeps every pixel.",
        )


def is_upload(settings: Settings) -> bool:
    """Whether the settings point at the session's own upload."""
    return settings.dataset == UPLOAD
