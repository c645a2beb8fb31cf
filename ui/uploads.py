"""The session's own data: the "Use your own data" box, and the budget of files a session may send.

Files come through `st.chat_input(accept_file="multiple")`, not `st.file_uploader`: Streamlit lets
go of a chat input's files once the run that reads them ends, while an uploader's stay in memory
until the session ends (measured: 20 refused 50 MB files, +3 MB against +1,000 MB). The box then
empties, so the app shows what was sent and what became of it. Only the checked arrays of a good
upload stay; a refusal keeps only its message. Nothing a file holds is ever shown as markdown.
"""

from __future__ import annotations

import logging

import streamlit as st

from core.data import registry as datasets
from core.data.uploads import MAX_UPLOAD_FILES, MAX_UPLOAD_MB, check_session_budget, dataset_from_upload
from core.errors import KMeansLabError
from ui import caches
from ui.lazy_expander import lazy_expander
from ui.settings import UPLOAD
from ui.text import plain

LOGGER = logging.getLogger(__name__)
UNREADABLE = "could not be read. Check that it is a file the lab makes or describes, then try again."
#: A submission without files (typed text is not read).
NO_FILES = "No file was sent: add files with the + button, then send."
#: A session may send this much in all (each file is read and checked, which costs CPU); then its
#: file boxes close until it reloads.
MAX_SESSION_SENT_MB = 1000
SENT_KEY = "upload_sent_bytes"
#: The dataset box's chat input; its value is the last submission, for one run only.
UPLOAD_KEY = "upload_files"
#: The sidebar's box that holds the file box, closed until the user opens it or has uploaded.
UPLOAD_BOX_LABEL = "Use your own data"
UPLOAD_BOX_KEY = "upload_box_open"


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


def file_size_text(n_bytes: int) -> str:
    """A file's size for people: "48 KB" below a megabyte, else "1.2 MB"."""
    return f"{n_bytes / 2**10:,.0f} KB" if n_bytes < 2**20 else f"{n_bytes / 2**20:,.1f} MB"


def sent_files_caption(files) -> str:
    """ "Sent: a.npz (1.2 MB)": what the last submission held, as typed (the box empties on sending)."""
    shown = [f"{plain(file.name)} ({file_size_text(file.size)})" for file in files[:MAX_UPLOAD_FILES]]
    more = f" and {len(files) - MAX_UPLOAD_FILES:,} more" if len(files) > MAX_UPLOAD_FILES else ""
    return f"Sent: {', '.join(shown)}{more}."


def upload_ui() -> None:
    """The sidebar's "Use your own data" box: a file box, what was sent, then what became of it."""
    upload = caches.uploaded_dataset()
    box = lazy_expander(
        UPLOAD_BOX_LABEL, UPLOAD_BOX_KEY, icon=":material/upload_file:", open_at_first=upload is not None
    )
    if box is None:
        return
    with box:
        file_box(
            "One .npz, or the four IDX files: add them with **+**, then send.",
            help="An .npz holding `images` (n, height, width) uint8 and `labels` (n,), optionally "
            "`test_images` and `test_labels`; or train-images, train-labels, t10k-images and "
            "t10k-labels in IDX format (plain or .gz). It stays in this browser session only.",
            placeholder="Add files",
            key=UPLOAD_KEY,
            accept_file="multiple",
            max_upload_size=MAX_UPLOAD_MB,
            on_submit=read_upload,
            state_prefix="upload",
        )
        if upload is not None:
            st.success(
                f"{plain(upload.title)} is loaded: it is in the Dataset list above, for this session only.",
                icon=":material/check:",
            )
            st.button("Forget my upload", key="upload_forget", on_click=forget_upload)


def file_box(instructions: str, *, help: str, placeholder: str, state_prefix: str, **chat_input) -> None:
    """A file box: its instructions (st.chat_input has no label), the box, what was sent, and its error.

    `chat_input` goes to `st.chat_input` (key, accept_file, file_type, max_upload_size, on_submit);
    the caption and the error are read from ``{state_prefix}_sent_caption`` and ``{state_prefix}_error``.
    """
    st.markdown(instructions, help=help)
    st.chat_input(placeholder, disabled=uploads_closed(), submit_mode="disable", **chat_input)
    if sent := st.session_state.get(f"{state_prefix}_sent_caption"):
        st.caption(sent)
    if error := st.session_state.get(f"{state_prefix}_error"):
        st.error(plain(error), icon=":material/warning:")


def read_upload() -> None:
    """The file box's callback: check the files and make them the session's dataset, or keep the error."""
    sent = st.session_state.get(UPLOAD_KEY)
    files = list(sent.files) if sent else []
    st.session_state.pop("upload_error", None)
    st.session_state.pop("upload_sent_caption", None)
    if not files:
        st.session_state["upload_error"] = NO_FILES
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
    st.session_state["upload_sent_caption"] = sent_files_caption(files)


def forget_upload() -> None:
    """Drop the session's upload and everything computed from it; go back to the default dataset."""
    for key in ("upload_dataset", "upload_error", "upload_sent_caption"):
        st.session_state.pop(key, None)
    caches.forget_session_results()  # its fits, sweeps, pictures and preprocessed images
    if st.session_state.get("dataset") == UPLOAD:
        st.session_state["dataset"] = datasets.DEFAULT_DATASET
