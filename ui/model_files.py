"""Model files: the "Use an imported model" uploader (Draw) and the model download (Centroids).

Separate from `ui.uploads` because reading and writing a model needs the engine's model modules
(scikit-learn), which the other pages, Explore first, need not wait for.
"""

from __future__ import annotations

import functools
import logging

import streamlit as st

from core.data import registry as datasets
from core.errors import KMeansLabError
from core.model.persistence import MAX_MODEL_MB, ImportedModel, export_model, import_model
from core.model.pipeline import FittedModel
from ui.settings import Settings
from ui.text import plain
from ui.uploads import UNREADABLE, note_sent, uploads_closed

LOGGER = logging.getLogger(__name__)


def imported_model_ui() -> ImportedModel | None:
    """A "Use an imported model" box: upload a model .npz exported by the lab; returns it, or None."""
    imported = st.session_state.get("imported_model")
    st.session_state.setdefault("model_file_round", 0)
    with st.expander("Use an imported model", icon=":material/file_open:", expanded=imported is not None):
        st.file_uploader(
            "A model .npz downloaded from the Centroids page",
            type="npz",
            disabled=uploads_closed(),
            key=f"model_file_{st.session_state['model_file_round']}",
            on_change=read_model_file,
            max_upload_size=MAX_MODEL_MB,
            help="Checked array by array before use; nothing in it is ever unpickled.",
        )
        if error := st.session_state.get("model_file_error"):
            st.error(plain(error), icon=":material/warning:")
        if imported is not None:
            fitted_on = plain(imported.dataset_name or "unknown data")
            st.success(
                f"Using the imported model: K = {imported.k}, fitted on {fitted_on}. "
                "Remove the file above to go back to the sidebar's model.",
                icon=":material/check:",
            )
    return imported


def read_model_file() -> None:
    """The model uploader's callback: keep the checked model, or the error (and empty the uploader)."""
    file = st.session_state.get(f"model_file_{st.session_state['model_file_round']}")
    st.session_state.pop("model_file_error", None)
    st.session_state.pop("imported_model", None)
    if file is None:
        return
    note_sent([file])
    try:
        st.session_state["imported_model"] = import_model(file.getvalue(), file.name)
    except KMeansLabError as exc:
        st.session_state["model_file_error"] = str(exc)
    except Exception:  # never a traceback: the server log keeps it
        LOGGER.exception("a model file could not be read")
        st.session_state["model_file_error"] = f"This model file {UNREADABLE}"
    if "model_file_error" in st.session_state:
        st.session_state["model_file_round"] += 1  # a fresh, empty uploader: the session lets go of it


def model_download(model: FittedModel, dataset: datasets.Dataset, settings: Settings) -> None:
    """A button that downloads the model as .npz (made only when clicked)."""
    st.download_button(
        "Download this model (.npz)",
        data=functools.partial(
            export_model, model, dataset_name=dataset.name, class_names=dataset.class_names
        ),
        file_name=f"kmeans-{dataset.name}-k{settings.k}-{settings.algorithm}-seed{settings.seed}"
        f"-{settings.preprocessing_slug}.npz",
        mime="application/octet-stream",
        on_click="ignore",
        key="model_download",
        icon=":material/download:",
        help="The centroids, the class each stands for, the preprocessing, K, the dataset's name and the "
        "library versions. Load it again on the Draw page.",
    )
