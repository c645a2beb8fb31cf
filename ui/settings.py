"""What the sidebar holds: the `Settings` a page reads, their defaults, and presenter mode."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.data import registry as datasets
from core.model.settings import Preprocessing

#: The dataset picker's name for the data this session uploaded (it exists only in that session).
UPLOAD = "upload"
#: Session-state keys of the sidebar and their defaults.
DEFAULTS = {
    "dataset": datasets.DEFAULT_DATASET,
    "k": 36,
    "algorithm": "minibatch",
    "seed": 0,
    "preprocessing": "auto",
}
MAX_K = 512
#: The web app's seeds: each one fits (and caches) new models, so a shared server offers a bounded set.
MAX_SEED = 9999
ALGORITHM_LABELS = {
    "minibatch": "Mini-batch K-means (fast)",
    "lloyd": "Full K-means (Lloyd, slower)",
}
#: The sidebar's preprocessing choices: "auto" is `default_preprocessing(dataset)`, as on the CLI.
PREPROCESSING_LABELS = {
    "auto": "Recommended for this dataset",
    "none": "None — the tutorial's recipe",
    "custom": "Custom",
}
#: The Custom choice's four controls: session-state key -> `Preprocessing` field.
CUSTOM_PREPROCESSING_KEYS = {
    "prep_deskew": "deskew",
    "prep_blur": "blur",
    "prep_normalize": "normalize",
    "prep_pca": "pca_components",
}
PRESENTER_KEY = "presenter"
#: Drawn by the sidebar on every run, so written back only on a page's first run: a value the script
#: writes is sent to the browser and replaces what the user is doing with the widget (arrow presses
#: on the K slider while a run is going). `ui.sidebar.k_slider` writes K when it must.
DRAWN_EVERY_RUN = ("k",)
#: Plain copies of the `DRAWN_EVERY_RUN` values, for a page whose first run finds them dropped.
KEPT_KEY = "settings_kept"
#: The page drawn in the last run (its title), to tell a page's first run.
PAGE_KEY = "settings_page"
#: Set when, in this rerun, a chart asked for its figure again (`rerun_asked_by_chart` reads it).
CHART_ASKED_KEY = "settings_chart_asked"
#: The number boxes that show K beside the slider and, in presenter mode, beside the title.
K_COPIES = ("k_box", "k_main")
#: The K box whose K the user typed for this run (`note_k_typed`), if any.
K_TYPED_KEY = "settings_k_typed"


@dataclass(frozen=True)
class Settings:
    """What the sidebar holds: the dataset's name, K, the algorithm, the random seed and the preprocessing.

    ``preprocessing`` is the sidebar's choice resolved for the dataset ("Recommended" becomes the
    dataset's default), or None while the dataset is not available to resolve it against.
    """

    dataset: str
    k: int
    algorithm: str
    seed: int
    preprocessing: Preprocessing | None = None

    @property
    def algorithm_label(self) -> str:
        return ALGORITHM_LABELS[self.algorithm]

    @property
    def preprocessing_label(self) -> str:
        """E.g. "deskew, blur 0.7, L2-normalise, PCA 50", or "none"."""
        return self.preprocessing.describe() if self.preprocessing else "recommended for the dataset"

    @property
    def preprocessing_slug(self) -> str:
        """The preprocessing for a file name, e.g. "deskew-blur0.7-l2-normalise-pca50" or "none"."""
        text = self.preprocessing.describe() if self.preprocessing else "auto"
        return text.lower().replace(", ", "-").replace(" ", "")


def init_settings(page: str | None = None) -> None:
    """Give each sidebar key its default when missing, and keep the values of widgets not drawn.

    Streamlit forgets a widget's value in a run that does not draw it (another page, or presenter
    mode hiding it); writing the value back makes it plain session state, which the widget picks
    up again when it is drawn. `page` names the page being drawn: on a page's first run every
    value is written back, since each page's widgets are new widgets.
    """
    state = st.session_state
    new_page = page is not None and state.get(PAGE_KEY) != page
    if new_page:
        state[PAGE_KEY] = page
        for key in K_COPIES:  # their widgets are new too: ui.sidebar.k_slider gives them K again
            state.pop(key, None)
    kept = state.setdefault(KEPT_KEY, {})  # plain copies, which no page change drops
    for key, value in {**DEFAULTS, PRESENTER_KEY: False}.items():
        if key not in state:
            state[key] = kept.get(key, value)
        elif new_page or key not in DRAWN_EVERY_RUN:
            state[key] = state[key]
        if key in DRAWN_EVERY_RUN:
            kept[key] = state[key]
    if not 0 <= state["seed"] <= MAX_SEED:  # a seed the box cannot show would break the sidebar
        state["seed"] = DEFAULTS["seed"]
    for key in CUSTOM_PREPROCESSING_KEYS:
        if key in state:
            state[key] = state[key]


def note_k_typed(box: str) -> None:
    """Widget callback of a K box: its K becomes the sidebar's K, and the box keeps what was typed."""
    st.session_state["k"] = st.session_state[box]
    st.session_state[K_TYPED_KEY] = box


def show_k_in_box(box: str, k: int) -> None:
    """Give the K box under session-state key `box`, drawn next in this run, the value `k`.

    Written on every run but one whose K the user typed in this very box (the browser's box holds it,
    and may hold a newer one by now). Written only when K changed, a box could keep showing an old K:
    a click while a run is going stops that run, and the browser drops what is left of it, the box with
    its new K too; the next run, finding K already written, would not send it again. Presenter mode's
    box, new to the page, then showed 2, its minimum, beside "K = 36".
    """
    state = st.session_state
    typed_here = state.get(K_TYPED_KEY) == box
    if typed_here:
        del state[K_TYPED_KEY]
    if not typed_here or state.get(box) != k:
        state[box] = k


def note_chart_asked() -> None:
    """Widget callback of every chart's ``missing`` state (`ui.plotly_component`): a chart, not the
    user, asked for this rerun."""
    st.session_state[CHART_ASKED_KEY] = True


def rerun_asked_by_chart() -> bool:
    """Whether a chart, not the user, asked for this rerun (read once per run: the answer is reset).

    A chart asks from inside the browser's drawing of a run, and its request carries every widget's
    value as the browser holds it then: one the server has just set (a K typed in the box moves the
    slider) may still be the old one in it. `ui.sidebar.k_slider` reads this to keep the new K.
    """
    return bool(st.session_state.pop(CHART_ASKED_KEY, False))


def presenter_mode() -> bool:
    """Whether the sidebar's presenter mode is on."""
    return bool(st.session_state.get(PRESENTER_KEY, False))


def init_custom_preprocessing(start: Preprocessing) -> None:
    """Give the Custom controls their starting values (the recommendation), only when missing."""
    for key, field in CUSTOM_PREPROCESSING_KEYS.items():
        if key not in st.session_state:
            value = getattr(start, field)
            st.session_state[key] = (value or 0) if field == "pca_components" else value


def custom_preprocessing() -> Preprocessing:
    """The Custom controls' values as a `Preprocessing`."""
    state = st.session_state
    return Preprocessing(
        deskew=bool(state["prep_deskew"]),
        blur=round(float(state["prep_blur"]), 2),  # a slider step can leave 0.7000000000000001
        normalize=bool(state["prep_normalize"]),
        pca_components=int(state["prep_pca"]) or None,
    )


def chosen_preprocessing(recommended: Preprocessing | None) -> Preprocessing | None:
    """The sidebar's preprocessing as a `Preprocessing`; None for "recommended" when unknown."""
    choice = st.session_state.get("preprocessing", "auto")
    if choice == "none":
        return Preprocessing()
    if choice == "custom":
        init_custom_preprocessing(recommended or Preprocessing())
        return custom_preprocessing()
    return recommended
