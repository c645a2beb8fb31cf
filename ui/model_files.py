"""Model files: the "Use an imported model" box (Draw) and the model download (Centroids).

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
from ui.uploads import UNREADABLE, file_box, note_sent, sent_files_caption

LOGGER = logging.getLogger(__name__)
#: The model box's chat input; its value is the last submission, for one run only.
MODEL_FILE_KEY = "model_file"
NO_MODEL_FILE = "No file was sent: add a model .npz with the + button, then send."


def imported_model_ui() -> ImportedModel | None:
    """A "Use an imported model" box: send a model .npz exported by the lab; returns it, or None.

    The file box empties once sent (Streamlit then lets go of the file); the checked model stays in
    the session until another is sent or the user stops using it.
    """
    imported = st.session_state.get("imported_model")
    with st.expander("Use an imported model", icon=":material/file_open:", expanded=imported is not None):
        file_box(
            "A model .npz downloaded from the Centroids page: add it with **+**, then send.",
            help="Checked array by array before use; nothing in it is ever unpickled.",
            placeholder="Add a model file",
            key=MODEL_FILE_KEY,
            accept_file=True,
            file_type="npz",
            max_upload_size=MAX_MODEL_MB,
            on_submit=read_model_file,
            state_prefix="model_file",
        )
        if imported is not None:
            fitted_on = plain(imported.dataset_name or "unknown data")
            st.success(
                f"Using the imported model: K = {imported.k}, fitted on {fitted_on}.", icon=":material/check:"
            )
            st.button("Use the sidebar's model again", key="model_file_forget", on_click=forget_model_file)
    return imported


def read_model_file() -> None:
    """The model box's callback: keep the checked model, or the error."""
    sent = st.session_state.get(MODEL_FILE_KEY)
    files = list(sent.files) if sent else []
    forget_model_file()
    if not files:
        st.session_state["model_file_error"] = NO_MODEL_FILE
        return
    note_sent(files)
    st.session_state["model_file_sent_caption"] = sent_files_caption(files)
    file = files[0]  # the box takes one file
    try:
        st.session_state["imported_model"] = import_model(file.getvalue(), file.name)
    except KMeansLabError as exc:
        st.session_state["model_file_error"] = str(exc)
    except Exception:  # never a traceback: the server log keeps it
        LOGGER.exception("a model file could not be read")
        st.session_state["model_file_error"] = f"This model file {UNREADABLE}"


def forget_model_file() -> None:
    """Stop using the imported model (the sidebar's model is used again) and clear its messages."""
    for key in ("imported_model", "model_file_error", "model_file_sent_caption"):
        st.session_state.pop(key, None)


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
