"""The page frame: page config, the sidebar, the header, the dataset and model, and error handling.

A page is a function ``render(page: Page)``; ``run_page(render, title=..., description=...)``
does everything pages share, once, and turns any problem into a plain message, never a traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ParamSpec

import streamlit as st

from core.data import registry as datasets
from core.errors import KMeansLabError
from core.model.settings import default_preprocessing
from ui import caches
from ui.presenter import page_style
from ui.settings import K_COPIES, MAX_K, UPLOAD, Settings, init_settings, presenter_mode, show_k_in_box
from ui.sidebar import k_box, sidebar
from ui.text import plain
from ui.warm_up import import_before_charts, warm_up_in_background

if TYPE_CHECKING:  # the model modules load when a page first needs a model (see ui.caches)
    from core.analysis.sweep import SweepRow
    from core.model.pipeline import FittedModel

LOGGER = logging.getLogger(__name__)
P = ParamSpec("P")
APP_TITLE = "K-Means Digit Lab"
#: The browser tab's icon. A Material icon, not an emoji: an emoji makes Streamlit load its emoji
#: catalogue (about 80 ms) before the first page shows.
PAGE_ICON = ":material/123:"
#: The K box at the top of the page in presenter mode: K within reach with the sidebar closed.
MAIN_K_KEY = K_COPIES[1]
#: Keys that step K down and up in presenter mode (documented in the README's "Presenting").
K_SHORTCUTS = {-1: "Shift+K", 1: "K"}
MIN_K = 2


@dataclass(frozen=True)
class Page:
    """What a page renders from: the settings, the dataset, and the fitted model when it first asks."""

    settings: Settings
    dataset: datasets.Dataset

    @functools.cached_property
    def model(self) -> FittedModel:
        """The classifier for the settings (`fitted_model`), fitted or loaded where the page first reads it.

        A page draws what does not need the model before it reads this: the browser shows those
        elements while the model is fitted, and a slow fit's progress bar stands where the page reads
        it (the Map, say, in the chart's place). On the Map, its four controls drawn before the fit took
        a new K about 4 ms sooner (bench/README.md, "Fifteenth pass"). A fit that fails says why in
        that place too, not under what was drawn before it, and ends the page (`ProblemShown`).
        """
        try:
            return fitted_model(self.settings, self.dataset)[0]
        except Exception as exc:
            show_error(exc)
            raise ProblemShown from exc

    def class_name(self, label) -> str:
        """The name of a class value, e.g. 3 -> "3" or 9 -> "Ankle boot"."""
        return self.dataset.class_names[int(label)]

    @property
    def noun(self) -> str:
        """What one image shows, for sentences: "digit" for handwriting, else "item"."""
        return item_noun(self.dataset.kind)


class ProblemShown(Exception):
    """A problem already told to the user where it happened: the page ends, with nothing more to say."""


def dataset_kind(name: str) -> str | None:
    """The kind ("handwriting" or "other") of the dataset called `name`, without loading it.

    A named dataset has its registry's kind, the session's upload its own; an unknown one has None.
    """
    if name == UPLOAD:
        upload = caches.uploaded_dataset()
        return upload.kind if upload is not None else None
    entry = datasets.REGISTRY.get(name)
    return entry.kind if entry else None


def item_noun(kind: str | None) -> str:
    """The word every page uses for what an image shows: "digit" for handwriting, "item" otherwise."""
    return "digit" if kind == "handwriting" else "item"


def run_page(render: Callable[[Page], None], *, title: str, description: str) -> None:
    """Draw the frame around `render`: sidebar, header, dataset; then `render(page)`, whose
    ``page.model`` is fitted when the page first reads it.

    `title` and `description` may use ``{noun}`` ("digit" or "item", see `item_noun`), ``{a_noun}``
    ("a digit", "an item") and `description` ``{k}``, K from the sidebar. In presenter mode the
    description comes after the page. A problem the user can fix becomes an
    `st.error` that says what to do; anything else is logged on the server and told in one sentence.
    """
    st.set_page_config(page_title=f"{title.split(':')[0]} · {APP_TITLE}", page_icon=PAGE_ICON, layout="wide")
    try:
        init_settings(page=title)
        presenting = presenter_mode()
        noun = item_noun(dataset_kind(st.session_state["dataset"]))
        words = {"noun": noun, "a_noun": f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"}
        title = title.format(**words)
        page_style(presenting)
        if not presenting:
            # First on screen: the browser draws the heading before the sidebar's many widgets, and a
            # new server shows it before loading a dataset or fitting a model.
            st.title(title)
        settings = sidebar()
        page_header(title, settings)
        description = description.format(k=settings.k, **words)
        if not presenting:
            st.markdown(description)
        import_before_charts()
        dataset = require_dataset(settings)
        render(Page(settings, dataset))
        warm_up_in_background()
        if presenting:  # the presenter says it: at the end it leaves the screen to the key visual
            st.markdown(description)
    except ProblemShown:
        pass
    except Exception as exc:  # never show a traceback; log it for the developer instead
        show_error(exc)


def show_error(exc: Exception) -> None:
    """One sentence for the user: the lab's own message, or a generic one (the log keeps the rest)."""
    if isinstance(exc, KMeansLabError):
        st.error(plain(str(exc)), icon=":material/warning:")
        return
    LOGGER.error("unexpected error on a page", exc_info=exc)
    st.error(
        "Something went wrong on this page. Try another setting, or reload the page; if it keeps "
        "happening, report it with the server log.",
        icon=":material/error:",
    )


def catch_errors(draw: Callable[P, None]) -> Callable[P, None]:
    """`draw`, showing any error as `run_page` does: for fragments, whose reruns run outside the page."""

    @functools.wraps(draw)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            draw(*args, **kwargs)
        except ProblemShown:
            pass
        except Exception as exc:
            show_error(exc)

    return drawn


def page_header(title: str, settings: Settings) -> None:
    """The current settings under the title (showing "K = ..."); in presenter mode, the title too.

    In presenter mode the technical settings are left out, and a K box sits beside the title, so
    K can be changed with the sidebar closed (on a tablet or a projector the sidebar is closed).
    """
    info = caches.dataset_infos().get(settings.dataset)
    dataset = info.title if info else settings.dataset
    if not presenter_mode():  # the title is on the page already (`run_page`)
        st.caption(
            f"K = {settings.k} · {settings.algorithm_label} · preprocessing: "
            f"{settings.preprocessing_label} · random seed {settings.seed} · dataset: {dataset}"
        )
        return
    title_column, k_column, step_column = st.columns([12, 2, 1.4], vertical_alignment="bottom")
    title_column.title(title)
    title_column.caption(f"K = {settings.k} · dataset: {dataset}")
    main_k_box(k_column, settings.k)
    k_step_buttons(step_column, settings.k)


def main_k_box(column, k: int) -> None:
    """A number box for K in the main area, in step with the sidebar's K."""
    show_k_in_box(MAIN_K_KEY, k)
    k_box(column, MAIN_K_KEY, MAX_K)  # a K above the dataset's limit comes down to it in the sidebar


def k_step_buttons(column, k: int) -> None:
    """K - 1 and K + 1 buttons, also pressed by the keys in `K_SHORTCUTS`: K without the mouse."""
    with column.container(horizontal=True, gap="small"):
        for step, label in ((-1, "K − 1"), (1, "K + 1")):
            st.button(
                label,
                key=f"k_step_{'down' if step < 0 else 'up'}",
                on_click=step_k,
                args=(k + step,),
                shortcut=K_SHORTCUTS[step],
                help=f"Or press {K_SHORTCUTS[step]} (outside a text box).",
                type="tertiary",
                disabled=not MIN_K <= k + step <= MAX_K,
            )


def step_k(k: int) -> None:
    """Set the sidebar's K (the page's boxes follow it on the next run)."""
    st.session_state["k"] = k


def require_dataset(settings: Settings) -> datasets.Dataset:
    """The chosen dataset; if it is not available yet, explain and offer to download it, then stop."""
    info = caches.dataset_infos().get(settings.dataset)
    if info is None:
        raise KMeansLabError(f"Unknown dataset {settings.dataset!r}: pick one in the sidebar.")
    if info.available:
        return caches.load_dataset(settings.dataset)
    st.info(
        f"{info.title} is not ready: {info.reason} Press the button below to download it, "
        "or pick MNIST sample in the sidebar to keep working offline.",
        icon=":material/info:",
    )
    if not st.button(f"Download {info.title}", key="download_dataset", type="primary"):
        st.stop()
    with st.status(f"Downloading {info.title}…", expanded=True) as status:
        status.write("Fetching the files and checking them against their published checksums…")
        try:
            dataset = caches.load_dataset(settings.dataset)
        except KMeansLabError:
            status.update(label="The download failed", state="error")
            raise
        status.update(label=f"{dataset.title} is ready", state="complete")
    caches.forget_dataset_list()
    st.rerun()


def fitted_model(settings: Settings, dataset: datasets.Dataset) -> tuple[FittedModel, SweepRow]:
    """The classifier for the current settings, fitted once (memory, then disk cache), and its scores.

    The model may be shared by every session: treat it as read-only.
    """
    if settings.k > dataset.n_train:
        raise KMeansLabError(
            f"K = {settings.k} is more than the {dataset.n_train:,} training images; "
            "choose a smaller K in the sidebar."
        )
    preprocessing = settings.preprocessing or default_preprocessing(dataset)
    # A fit that takes more than a moment shows a progress bar (`ui.caches.fit`).
    return caches.fit(dataset, settings.k, settings.algorithm, settings.seed, preprocessing)
