"""Streamlit glue shared by the pages: the sidebar's settings, cached datasets, models and sweeps.

Pages stay thin: they call `sidebar_settings()` for what the user chose, `require_dataset()` and
`fitted_model()` for cached data, and `core.figures` for charts. Core stays free of Streamlit.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import sys
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass, replace

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.analysis.sweep import SweepRow, default_preprocessing, fit_model, sweep_k
from core.data import registry as datasets
from core.data.drawing import ink_box_fraction
from core.data.uploads import MAX_UPLOAD_MB, dataset_from_upload
from core.errors import KMeansLabError
from core.figures.images import png_bytes
from core.model.cache import ResultCache, default_cache_dir
from core.model.classifier import ALGORITHMS, KMeansDigitClassifier
from core.model.persistence import MAX_MODEL_MB, ImportedModel, export_model, import_model
from core.model.preprocess import Preprocessing

LOGGER = logging.getLogger(__name__)

#: Session-state keys of the sidebar and their defaults.
DEFAULTS = {
    "dataset": datasets.DEFAULT_DATASET,
    "k": 36,
    "algorithm": "minibatch",
    "seed": 0,
    "preprocessing": "auto",
}
MAX_K = 512
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
MAX_BLUR = 2.0
#: Presenter mode: its session-state key, the sidebar keys it hides, and how much it enlarges charts.
PRESENTER_KEY = "presenter"
TECHNICAL_KEYS = ("algorithm", "seed", "preprocessing", *CUSTOM_PREPROCESSING_KEYS)
CHART_HEIGHT = 450
PRESENTER_SCALE = 1.35
PRESENTER_FONT_SIZE = 18
#: The dataset picker's name for the data this session uploaded (it exists only in that session).
UPLOAD = "upload"
#: Results computed from an upload (fits, sweeps, means) kept per session; the oldest goes first.
UPLOAD_MEMO_ENTRIES = 8
#: Figures and PNG images made from an upload, kept per session apart from the (bigger) fits.
UPLOAD_DISPLAY_MEMO_ENTRIES = 64
UPLOAD_MEMOS = {"upload_memo": UPLOAD_MEMO_ENTRIES, "upload_display_memo": UPLOAD_DISPLAY_MEMO_ENTRIES}


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


# --- the sidebar -----------------------------------------------------------------------------


def init_settings() -> None:
    """Give each sidebar key its default, only when the session does not hold it yet."""
    for key, value in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value


def dataset_infos() -> dict[str, datasets.DatasetInfo]:
    """Every dataset by name, with whether it can be loaded here (a quick look at the disk).

    The session's own upload, if it has one, comes last as `UPLOAD`; no other session lists it.
    """
    infos = {info.name: info for info in datasets.list_datasets()}
    if (upload := uploaded_dataset()) is not None:
        infos[UPLOAD] = datasets.DatasetInfo(UPLOAD, upload.title, True)
    return infos


def dataset_label(info: datasets.DatasetInfo) -> str:
    """The picker's label: the title, and for a dataset that is not ready, why."""
    return info.title if info.available else f"{info.title} — {info.reason}"


def sidebar() -> Settings:
    """Draw the shared sidebar (dataset, K, algorithm, seed) and return the chosen settings."""
    init_settings()
    infos = dataset_infos()
    if st.session_state["dataset"] not in infos:
        st.session_state["dataset"] = datasets.DEFAULT_DATASET
    with st.sidebar:
        st.header("Settings")
        name = st.selectbox(
            "Dataset",
            list(infos),
            format_func=lambda n: dataset_label(infos[n]),
            key="dataset",
            help="The images to cluster. Datasets that are not downloaded yet are listed with the reason.",
        )
        max_k = _max_k(infos[name])
        # Always set: a new max_value makes a new slider, which would otherwise restart at its minimum.
        st.session_state["k"] = min(int(st.session_state["k"]), max_k)
        st.slider(
            "Number of clusters (K)",
            min_value=2,
            max_value=max_k,
            key="k",
            help="How many groups K-means splits the training images into.",
        )
        presenting = presenter_toggle()
        if presenting:
            keep_hidden_settings(TECHNICAL_KEYS)
        else:
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
                max_value=2**31 - 1,
                step=1,
                key="seed",
                help="The same seed gives the same clusters every time.",
            )
            preprocessing_ui(infos[name])
        upload_ui()
    return current_settings()


def preprocessing_ui(info: datasets.DatasetInfo) -> None:
    """The "Preprocessing" choice; Custom reveals one control per step, starting from the recommendation."""
    recommended = recommended_preprocessing(info)
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
    if st.session_state["preprocessing"] != "custom":
        keep_hidden_settings(CUSTOM_PREPROCESSING_KEYS)
        return
    n_pixels = math.prod(load_dataset(info.name).image_shape) if recommended is not None else 28 * 28
    # Always set: a smaller dataset may allow fewer components than the last one did.
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


def recommended_preprocessing(info: datasets.DatasetInfo) -> Preprocessing | None:
    """The dataset's measured best preprocessing, or None if the dataset is not available here."""
    if not info.available:
        return None
    try:
        return default_preprocessing(load_dataset(info.name))
    except (KMeansLabError, ValueError):
        return None  # the page reports the problem


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


def presenter_toggle() -> bool:
    """The "Presenter mode" switch: hides the technical controls and enlarges the figures."""
    if PRESENTER_KEY not in st.session_state:
        st.session_state[PRESENTER_KEY] = False
    return st.toggle(
        "Presenter mode",
        key=PRESENTER_KEY,
        help="For showing the lab to an audience: hides the algorithm, seed and preprocessing, and makes "
        "charts bigger.",
    )


def presenter_mode() -> bool:
    """Whether the sidebar's presenter mode is on."""
    return bool(st.session_state.get(PRESENTER_KEY, False))


def keep_hidden_settings(keys) -> None:
    """Keep the values of sidebar widgets that are not drawn this run.

    Streamlit forgets a widget's value in a run that does not draw it; writing the value back
    makes it plain session state, which the widget picks up again when it is drawn.
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def current_settings() -> Settings:
    """The settings the sidebar holds now, with the preprocessing resolved for the dataset."""
    init_settings()
    state = st.session_state
    settings = Settings(state["dataset"], int(state["k"]), state["algorithm"], int(state["seed"]))
    return replace(settings, preprocessing=chosen_preprocessing(settings.dataset))


def chosen_preprocessing(dataset_name: str) -> Preprocessing | None:
    """The sidebar's preprocessing as a `Preprocessing`; None for "recommended" on an unavailable dataset."""
    choice = st.session_state.get("preprocessing", "auto")
    if choice == "none":
        return Preprocessing()
    info = dataset_infos().get(dataset_name)
    recommended = recommended_preprocessing(info) if info else None
    if choice == "custom":
        init_custom_preprocessing(recommended or Preprocessing())
        return custom_preprocessing()
    return recommended


def _max_k(info: datasets.DatasetInfo) -> int:
    """K's upper limit: 512, or the number of training images if smaller (when that is known)."""
    if not info.available:
        return MAX_K
    try:
        return max(2, min(MAX_K, load_dataset(info.name).n_train))
    except (KMeansLabError, ValueError):
        return MAX_K  # the page reports the problem


# --- the session's own data: an uploaded dataset, an imported model -----------------------------


def uploaded_dataset() -> datasets.Dataset | None:
    """The dataset this session uploaded, or None. It lives in the session's state only."""
    return st.session_state.get("upload_dataset")


def upload_ui() -> None:
    """The sidebar's "Use your own data" box: an uploader, then what was loaded or what went wrong.

    A good upload becomes the chosen dataset and the uploader empties; Streamlit drops the
    file's bytes, and only the checked arrays stay in this session.
    """
    st.session_state.setdefault("upload_round", 0)
    upload = uploaded_dataset()
    with st.expander("Use your own data", icon=":material/upload_file:", expanded=upload is not None):
        st.file_uploader(
            "One .npz, or the four IDX files",
            accept_multiple_files=True,
            key=f"upload_files_{st.session_state['upload_round']}",
            on_change=_read_upload,
            max_upload_size=MAX_UPLOAD_MB,
            help="An .npz holding `images` (n, height, width) uint8 and `labels` (n,), optionally "
            "`test_images` and `test_labels`; or train-images, train-labels, t10k-images and "
            "t10k-labels in IDX format (plain or .gz). It stays in this browser session only.",
        )
        if error := st.session_state.get("upload_error"):
            st.error(error, icon=":material/warning:")
        if upload is not None:
            st.success(
                f"**{upload.title}** is loaded: it is in the Dataset list above, for this session only.",
                icon=":material/check:",
            )
            st.button("Forget my upload", key="upload_forget", on_click=forget_upload)


def _read_upload() -> None:
    """The uploader's callback: check the files and make them the session's dataset, or keep the error."""
    files = st.session_state.get(f"upload_files_{st.session_state['upload_round']}") or []
    st.session_state.pop("upload_error", None)
    if not files:
        return
    try:
        dataset = dataset_from_upload([(file.name, file.getvalue()) for file in files], name=UPLOAD)
    except KMeansLabError as exc:
        st.session_state["upload_error"] = str(exc)
        return
    st.session_state["upload_dataset"] = dataset
    for memo in UPLOAD_MEMOS:
        st.session_state.pop(memo, None)
    st.session_state["dataset"] = UPLOAD
    st.session_state["upload_round"] += 1  # a fresh, empty uploader for the next upload
    _release_uploaded_files(files)


def _release_uploaded_files(files) -> None:
    """Drop the files' bytes from Streamlit's upload store now, not when the session ends.

    Streamlit keeps an uploaded file until the user removes it in the widget or the session
    closes; the checked arrays are all the app needs. This is what Streamlit's own chat input
    does with its files; if a future Streamlit moves it, the files simply stay until the session ends.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    manager = getattr(ctx, "uploaded_file_mgr", None)
    if manager is None:
        return
    for file in files:
        with contextlib.suppress(AttributeError, KeyError):
            manager.remove_file(session_id=ctx.session_id, file_id=file.file_id)


def forget_upload() -> None:
    """Drop the session's upload and everything computed from it; go back to the default dataset."""
    for key in ("upload_dataset", "upload_error", *UPLOAD_MEMOS):
        st.session_state.pop(key, None)
    if st.session_state.get("dataset") == UPLOAD:
        st.session_state["dataset"] = datasets.DEFAULT_DATASET


def _session_memo(key: Hashable, compute: Callable[[], object], store: str = "upload_memo"):
    """A result computed from the upload, kept in this session (never in a cache other sessions share)."""
    memo = st.session_state.setdefault(store, {})
    if key not in memo:
        while len(memo) >= UPLOAD_MEMOS[store]:
            memo.pop(next(iter(memo)))
        memo[key] = compute()
    return memo[key]


def dataset_memo(dataset: datasets.Dataset, what: tuple, compute: Callable[[], object]):
    """`compute()` once per dataset and `what` (hashable): a figure or images a rerun can reuse as is.

    A named dataset's result is shared by every session, an upload's stays in its session. The
    result itself is returned, not a copy: treat it as read-only.
    """
    if dataset.name == UPLOAD:
        return _session_memo((*what, dataset.fingerprint), compute, store="upload_display_memo")
    return _shared_memo((dataset.name, *what), compute)


@st.cache_resource(max_entries=256, show_spinner=False)
def _shared_memo(key: tuple, _compute: Callable[[], object]):
    return _compute()


def png_images(dataset: datasets.Dataset, what: tuple, images: Callable[[], list]) -> list[bytes]:
    """The images as PNG bytes, encoded once per dataset and `what` (`st.image` takes them as they are)."""
    return dataset_memo(dataset, ("png", *what), lambda: [png_bytes(i) for i in images()])


def imported_model_ui() -> ImportedModel | None:
    """A "Use an imported model" box: upload a model .npz exported by the lab; returns it, or None."""
    imported = st.session_state.get("imported_model")
    with st.expander("Use an imported model", icon=":material/file_open:", expanded=imported is not None):
        st.file_uploader(
            "A model .npz downloaded from the Centroids page",
            type="npz",
            key="model_file",
            on_change=_read_model_file,
            max_upload_size=MAX_MODEL_MB,
            help="Checked array by array before use; nothing in it is ever unpickled.",
        )
        if error := st.session_state.get("model_file_error"):
            st.error(error, icon=":material/warning:")
        if imported is not None:
            fitted_on = imported.dataset_name or "unknown data"
            st.success(
                f"Using the imported model: K = {imported.k}, fitted on {fitted_on}. "
                "Remove the file above to go back to the sidebar's model.",
                icon=":material/check:",
            )
    return imported


def _read_model_file() -> None:
    file = st.session_state.get("model_file")
    st.session_state.pop("model_file_error", None)
    st.session_state.pop("imported_model", None)
    if file is None:
        return
    try:
        st.session_state["imported_model"] = import_model(file.getvalue(), file.name)
    except KMeansLabError as exc:
        st.session_state["model_file_error"] = str(exc)


def model_download(model: KMeansDigitClassifier, dataset: datasets.Dataset, settings: Settings) -> None:
    """A button that downloads the model as .npz (made only when clicked)."""
    st.download_button(
        "Download this model (.npz)",
        data=functools.partial(
            export_model, model, dataset_name=dataset.name, class_names=dataset.class_names
        ),
        file_name=f"kmeans-{dataset.name}-k{settings.k}-{settings.algorithm}-seed{settings.seed}"
        f"-{preprocessing_slug(settings.preprocessing)}.npz",
        mime="application/octet-stream",
        on_click="ignore",
        key="model_download",
        icon=":material/download:",
        help="The centroids, the class each stands for, the preprocessing, K, the dataset's name and the "
        "library versions. Load it again on the Draw page.",
    )


def preprocessing_slug(preprocessing: Preprocessing | None) -> str:
    """The preprocessing for a file name, e.g. "deskew-blur0.7-l2-normalise-pca50" or "none"."""
    text = preprocessing.describe() if preprocessing else "auto"
    return text.lower().replace(", ", "-").replace(" ", "")


# --- page frame and errors -------------------------------------------------------------------


def page_header(title: str, description: str, settings: Settings) -> None:
    """The page's title, the current settings (showing "K = ..."), and what the page shows."""
    st.title(title)
    info = dataset_infos().get(settings.dataset)
    technical = (
        ""
        if presenter_mode()
        else f"{settings.algorithm_label} · preprocessing: {settings.preprocessing_label} · "
        f"random seed {settings.seed} · "
    )
    st.caption(f"K = {settings.k} · {technical}dataset: {info.title if info else settings.dataset}")
    st.markdown(description)


def show_chart(fig, *, key: str, height: int | None = None, memo: tuple | None = None, **kwargs):
    """`st.plotly_chart` with the lab's settings: a PNG download button, no Plotly logo, and in
    presenter mode a taller chart with bigger text. Every page draws its charts through this.

    `fig` is a figure, or with `memo` a function that builds one: ``memo=(dataset, what)`` names
    what the figure shows (besides the dataset), and the finished figure is kept (`dataset_memo`)
    so a rerun that does not change it neither builds it again nor makes Plotly check it again.
    Extra keyword arguments (``on_select``, ``selection_mode``) go to `st.plotly_chart`; its
    return value (the selection, when ``on_select`` is set) is returned.
    """
    presenting = presenter_mode()
    if memo is None:
        fig = dress_figure(fig, presenting, height)
    else:
        dataset, what = memo
        build = fig
        fig = dataset_memo(
            dataset,
            ("chart", key, *what, presenting, height),
            lambda: dress_figure(build(), presenting, height),
        )
    return st.plotly_chart(fig, key=key, config=chart_config(key), **kwargs)


def dress_figure(fig, presenting: bool, height: int | None = None) -> go.Figure:
    """A copy of the figure at the chart height; in presenter mode taller, with bigger text."""
    fig = go.Figure(fig)  # a copy: the caller's figure (maybe cached) is left as it was
    base = height or fig.layout.height or CHART_HEIGHT
    if presenting:
        # Streamlit's chart theme sets each text size itself, so each is enlarged explicitly.
        size = PRESENTER_FONT_SIZE
        fig.update_layout(
            font_size=size,
            title_font_size=size + 6,
            legend_font_size=size,
            hoverlabel_font_size=size,
            height=round(base * PRESENTER_SCALE),
        )
        fig.update_xaxes(title_font_size=size, tickfont_size=size - 2)
        fig.update_yaxes(title_font_size=size, tickfont_size=size - 2)
    else:
        fig.update_layout(height=base)
    return fig


def display_size(pixels: int) -> int:
    """How big to show an image that is normally `pixels` wide: bigger in presenter mode."""
    return round(pixels * PRESENTER_SCALE) if presenter_mode() else pixels


def chart_config(name: str) -> dict:
    """Plotly's options for every chart: the camera button saves a PNG (made in the browser)."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": f"kmeans-lab-{name}", "scale": 2},
    }


def run_page(render: Callable[[], None]) -> None:
    """Run a page's body; a problem the user can fix becomes an `st.error` that says what to do."""
    leave_legacy_multipage_mode()
    try:
        render()
    except (KMeansLabError, ValueError) as exc:
        st.error(f"{exc}", icon=":material/warning:")
        st.stop()
    except Exception as exc:  # never show a traceback; log it for the developer instead
        LOGGER.exception("unexpected error on a page")
        st.error(
            f"Something went wrong ({type(exc).__name__}: {exc}). Try another setting or reload the "
            "page; if it keeps happening, report it with the server log.",
            icon=":material/error:",
        )
        st.stop()


def leave_legacy_multipage_mode() -> None:
    """Leave Streamlit's old multipage mode, rerunning if the script was started in it.

    Streamlit starts an app that has a ``pages/`` folder in its old multipage mode, and leaves it
    only when app.py calls `st.navigation`. Until then, a visit straight to a page's URL (say
    ``/draw`` on a fresh server) runs the page alone, without the sidebar, and even app.py runs
    as a page, so the sidebar's widgets get other ids and lose their values on the next run.
    Called first by app.py and by every page: the rerun goes through app.py in the new mode and
    lands on the same page (each page's url path is its file name).

    The mode is a server-wide flag, so with several users at once on a fresh server, another
    session may have cleared it while this run was already going in the old mode: a page run
    without app.py beneath it on the call stack is such a run, and reruns too.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the old mode
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
    elif not _run_by_app_frame():
        st.rerun()


_APP_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "app.py")


def _run_by_app_frame() -> bool:
    """Whether app.py is on the call stack, i.e. this run went through the app's frame."""
    frame = sys._getframe(1)
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename) == _APP_PATH:
            return True
        frame = frame.f_back
    return False


# --- cached data and models ------------------------------------------------------------------


def result_cache() -> ResultCache:
    """The on-disk cache of fitted models (``$KMEANS_LAB_CACHE_DIR`` or the user's cache folder)."""
    return ResultCache(default_cache_dir())


def load_dataset(name: str) -> datasets.Dataset:
    """A dataset by name: the session's upload for `UPLOAD`, else loaded once per server."""
    if name == UPLOAD:
        if (upload := uploaded_dataset()) is None:
            raise KMeansLabError("Your upload has gone (a new session?): upload it again in the sidebar.")
        return upload
    return _load_named_dataset(name)


@st.cache_resource(max_entries=4, show_spinner=False)
def _load_named_dataset(name: str) -> datasets.Dataset:
    """A named dataset, shared by every session (its arrays are read-only, so sharing is safe)."""
    return datasets.load_dataset(name)


def require_dataset(settings: Settings) -> datasets.Dataset:
    """The chosen dataset; if it is not available yet, explain and offer to download it, then stop."""
    info = dataset_infos().get(settings.dataset)
    if info is None:
        raise KMeansLabError(f"Unknown dataset {settings.dataset!r}: pick one in the sidebar.")
    if info.available:
        return load_dataset(settings.dataset)
    st.info(
        f"**{info.title}** is not ready: {info.reason} Press the button below to download it, "
        "or pick **MNIST sample** in the sidebar to keep working offline.",
        icon=":material/info:",
    )
    st.button(
        f"Download {info.title}",
        key="download_dataset",
        type="primary",
        on_click=_request_download,
        args=(settings.dataset,),
    )
    if st.session_state.pop("download_requested", None) != settings.dataset:
        st.stop()
    with st.status(f"Downloading {info.title}…", expanded=True) as status:
        status.write("Fetching the files and checking them against their published checksums…")
        try:
            dataset = load_dataset(settings.dataset)
        except KMeansLabError as exc:
            status.update(label="The download failed", state="error")
            problem = exc
        else:
            status.update(label=f"{dataset.title} is ready", state="complete")
            problem = None
    if problem is not None:
        st.error(f"{problem}", icon=":material/warning:")
        st.stop()
    st.rerun()


def _request_download(name: str) -> None:
    st.session_state["download_requested"] = name


@st.cache_resource(max_entries=24, show_spinner=False)
def _fit(
    dataset_name: str, k: int, algorithm: str, seed: int, preprocessing: Preprocessing
) -> tuple[KMeansDigitClassifier, SweepRow]:
    model, row = fit_model(
        load_dataset(dataset_name),
        k,
        algorithm=algorithm,
        random_state=seed,
        preprocessing=preprocessing,
        cache=result_cache(),
    )
    return _read_only(model), row


def _fit_upload(dataset: datasets.Dataset, k: int, algorithm: str, seed: int, preprocessing: Preprocessing):
    """`_fit` for the session's upload: kept in the session, never in the shared memory or disk caches."""

    def fit():
        model, row = fit_model(
            dataset, k, algorithm=algorithm, random_state=seed, preprocessing=preprocessing, cache=None
        )
        return _read_only(model), row

    return _session_memo(("fit", dataset.fingerprint, k, algorithm, seed, preprocessing), fit)


def _read_only(model: KMeansDigitClassifier) -> KMeansDigitClassifier:
    """Lock a shared model's learned arrays, so no page can change what other sessions see."""
    for value in vars(model).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return model


def fitted_model(settings: Settings, dataset: datasets.Dataset) -> tuple[KMeansDigitClassifier, SweepRow]:
    """The classifier for the current settings, fitted once (memory, then disk cache), and its scores.

    The model is shared by every session: treat it as read-only.
    """
    if settings.k > dataset.n_train:
        raise ValueError(
            f"K = {settings.k} is more than the {dataset.n_train:,} training images; "
            "choose a smaller K in the sidebar."
        )
    preprocessing = settings.preprocessing or default_preprocessing(dataset)
    with st.spinner(f"Clustering {dataset.n_train:,} images into K = {settings.k} groups…"):
        if settings.dataset == UPLOAD:
            return _fit_upload(dataset, settings.k, settings.algorithm, settings.seed, preprocessing)
        return _fit(settings.dataset, settings.k, settings.algorithm, settings.seed, preprocessing)


def sweep_rows(
    dataset_name: str, ks: tuple[int, ...], algorithm: str, seed: int, preprocessing: Preprocessing
) -> list[dict]:
    """Fit and score every K (with a progress bar while fitting); one dict per K, as `SweepRow`."""
    if dataset_name == UPLOAD:
        dataset = load_dataset(UPLOAD)
        rows = _session_memo(
            ("sweep", dataset.fingerprint, ks, algorithm, seed, preprocessing),
            lambda: _sweep_with_progress(dataset, ks, algorithm, seed, preprocessing, cache=None),
        )
        return [dict(row) for row in rows]
    return _sweep_rows_cached(dataset_name, ks, algorithm, seed, preprocessing)


@st.cache_data(max_entries=32, show_spinner=False)
def _sweep_rows_cached(
    dataset_name: str, ks: tuple[int, ...], algorithm: str, seed: int, preprocessing: Preprocessing
) -> list[dict]:
    # The progress bar is made inside the cached function so Streamlit can replay it on a cache hit
    # (a bar made outside could not be replayed).
    return _sweep_with_progress(
        load_dataset(dataset_name), ks, algorithm, seed, preprocessing, cache=result_cache()
    )


def _sweep_with_progress(dataset, ks, algorithm, seed, preprocessing, cache) -> list[dict]:
    bar = st.progress(0.0, text="Preparing the sweep…")

    def report(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    rows = sweep_k(
        dataset,
        ks,
        algorithm=algorithm,
        random_state=seed,
        preprocessing=preprocessing,
        cache=cache,
        progress=report,
    )
    bar.empty()
    return [asdict(row) for row in rows]


def parse_ks(text: str, n_train: int, max_values: int = 12) -> tuple[int, ...]:
    """K values typed by the user ("10, 16, 36"), sorted and without repeats; errors say what to type."""
    parts = text.replace(";", ",").replace(" ", ",").split(",")
    ks = []
    for part in filter(None, (p.strip() for p in parts)):
        if not part.isdigit():
            raise ValueError(
                f"{part!r} is not a whole number: type K values separated by commas, e.g. 10, 16, 36."
            )
        ks.append(int(part))
    if not ks:
        raise ValueError("Type at least one K value, e.g. 10, 16, 36.")
    ks = sorted(set(ks))
    if len(ks) > max_values:
        raise ValueError(f"{len(ks)} K values is a lot to fit; keep it to {max_values} or fewer.")
    for k in ks:
        if k < 2:
            raise ValueError(f"K = {k} is too small: every K must be at least 2.")
        if k > min(n_train, MAX_K):
            raise ValueError(f"K = {k} is too large: keep every K at most {min(n_train, MAX_K):,}.")
    return tuple(ks)


def class_means(dataset_name: str) -> np.ndarray:
    """The mean training image of each class, shape (n_classes, height, width), uint8."""
    if dataset_name == UPLOAD:
        dataset = load_dataset(UPLOAD)
        return _session_memo(("means", dataset.fingerprint), lambda: _class_means(dataset)).copy()
    return _class_means_cached(dataset_name)


@st.cache_data(max_entries=8, show_spinner=False)
def _class_means_cached(dataset_name: str) -> np.ndarray:
    return _class_means(load_dataset(dataset_name))


def _class_means(dataset: datasets.Dataset) -> np.ndarray:
    sums = np.zeros((dataset.n_classes, *dataset.image_shape))
    np.add.at(sums, dataset.train_labels, dataset.train_images)
    counts = np.bincount(dataset.train_labels, minlength=dataset.n_classes)
    means = sums / np.maximum(counts, 1)[:, None, None]
    return np.rint(means).astype(np.uint8)


def drawing_box_fraction(dataset_name: str) -> float:
    """How much of the frame the dataset's images fill, so drawings are scaled to match."""
    if dataset_name == UPLOAD:
        dataset = load_dataset(UPLOAD)
        return _session_memo(("box", dataset.fingerprint), lambda: ink_box_fraction(dataset.train_images))
    return _drawing_box_fraction_cached(dataset_name)


@st.cache_data(max_entries=8, show_spinner=False)
def _drawing_box_fraction_cached(dataset_name: str) -> float:
    return ink_box_fraction(load_dataset(dataset_name).train_images)


def centroid_images(model: KMeansDigitClassifier) -> np.ndarray:
    """The centroids as uint8 images, shape (K, height, width)."""
    shape = model.image_shape_ or _square_shape(model.cluster_centers_.shape[1])
    images = np.clip(model.cluster_centers_, 0, 1) * 255
    return np.rint(images).astype(np.uint8).reshape(len(images), *shape)


def _square_shape(n_features: int) -> tuple[int, int]:
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(f"cannot show {n_features} features as a square image.")
    return side, side


def class_name(dataset: datasets.Dataset | ImportedModel, label) -> str:
    """The name of a class value, e.g. 3 -> "3" or 9 -> "Ankle boot" (from a dataset or a model file)."""
    return dataset.class_names[int(label)]


def sample_indices(n: int, size: int, seed: int) -> np.ndarray:
    """Up to `size` distinct indices out of `n`, in a repeatable random order."""
    rng = np.random.default_rng(seed)
    return rng.permutation(n)[: min(size, n)]
