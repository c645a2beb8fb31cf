"""The session's own data: the "Use your own data" uploader, and the budget of files a session may send.

After each upload, good or refused, the uploader is replaced by an empty one (a new key), so the
session's state drops the files after the run: only the checked arrays of a good upload stay, and a
refusal keeps only its message. (Streamlit's upload store itself frees a file's bytes when the user
removes it or the session ends; no documented API frees them sooner.) A refused model file goes the
same way; an accepted one stays in its uploader, to be removed by the user. Nothing a file holds is
ever shown as markdown.
"""

from __future__ import annotations

import logging

import streamlit as st

from core.data import registry as datasets
from core.data.uploads import MAX_UPLOAD_MB, check_session_budget, dataset_from_upload
from core.errors import KMeansLabError
from ui import caches
from ui.settings import UPLOAD
from ui.text import plain

LOGGER = logging.getLogger(__name__)
UNREADABLE = "could not be read. Check that it is a file the lab makes or describes, then try again."
#: Streamlit keeps every file a session sends until the session ends (a fresh uploader does not free
#: them), so a session may send this much in all; then its uploaders close until it reloads.
MAX_SESSION_SENT_MB = 1000
SENT_KEY = "upload_sent_bytes"


def sent_mb() -> float:
    """How many MB of files this session has sent so far (uploads and model files)."""
    return st.session_state.get(SENT_KEY, 0) / 2**20


def note_sent(files) -> None:
    """Count the files' bytes against the session's `MAX_SESSION_SENT_MB`."""
    st.session_state[SENT_KEY] = st.session_state.get(SENT_KEY, 0) + sum(file.size for file in files)


def uploads_closed() -> bool:
    """Whether this session has sent all it may; says so where the uploader was."""
    if sent_mb() < MAX_SESSION_SENT_MB:
        return False
    st.info(
        f"This session has sent {sent_mb():,.0f} MB of files, the most one session may. Reload the page "
        "to start a new session and upload again.",
        icon=":material/block:",
    )
    return True


def upload_ui() -> None:
    """The sidebar's "Use your own data" box: an uploader, then what was loaded or what went wrong."""
    st.session_state.setdefault("upload_round", 0)
    upload = caches.uploaded_dataset()
    with st.expander("Use your own data", icon=":material/upload_file:", expanded=upload is not None):
        st.file_uploader(
            "One .npz, or the four IDX files",
            accept_multiple_files=True,
            disabled=uploads_closed(),
            key=f"upload_files_{st.session_state['upload_round']}",
            on_change=read_upload,
            max_upload_size=MAX_UPLOAD_MB,
            help="An .npz holding `images` (n, height, width) uint8 and `labels` (n,), optionally "
            "`test_images` and `test_labels`; or train-images, train-labels, t10k-images and "
            "t10k-labels in IDX format (plain or .gz). It stays in this browser session only.",
        )
        if error := st.session_state.get("upload_error"):
            st.error(plain(error), icon=":material/warning:")
        if upload is not None:
            st.success(
                f"{plain(upload.title)} is loaded: it is in the Dataset list above, for this session only.",
                icon=":material/check:",
            )
            st.button("Forget my upload", key="upload_forget", on_click=forget_upload)


def read_upload() -> None:
    """The uploader's callback: check the files and make them the session's dataset, or keep the error."""
    files = st.session_state.get(f"upload_files_{st.session_state['upload_round']}") or []
    st.session_state.pop("upload_error", None)
    if not files:
        return
    note_sent(files)
    try:
        dataset = dataset_from_upload([(file.name, file.getvalue()) for file in files], name=UPLOAD)
        check_session_budget(dataset)  # it replaces the session's last upload, if any
    except KMeansLabError as exc:
        st.session_state["upload_error"] = str(exc)
    except Exception:  # never a traceback: the server log keeps it
        LOGGER.exception("an upload could not be read")
        st.session_state["upload_error"] = f"These files {UNREADABLE}"
    else:
        forget_upload()
        st.session_state["upload_dataset"] = dataset
        st.session_state["dataset"] = UPLOAD
    st.session_state["upload_round"] += 1  # a fresh, empty uploader for the next upload


def forget_upload() -> None:
    """Drop the session's upload and everything computed from it; go back to the default dataset."""
    st.session_state.pop("upload_dataset", None)
    st.session_state.pop("upload_error", None)
    caches.forget_session_results()  # its fits, sweeps, pictures and preprocessed images
    if st.session_state.get("dataset") == UPLOAD:
        st.session_state["dataset"] = datasets.DEFAULT_DATASET
