"""An expander whose contents are drawn only while it is open.

Streamlit sends, and the browser redraws, every element of a page on every run, those in a closed
expander too. The sidebar's settings box and file box, Centroids' "Look inside a cluster" and
Evaluate's "Look closer" are closed most of the time: drawing their contents only while open took
about 9 ms off a new K on Evaluate and the Map, and 21 ms on Centroids (A/B in one browser;
bench/README.md, twelfth pass), and Evaluate's box about 25-35 ms more (thirteenth pass). A
sidebar widget not drawn keeps its value (`ui.settings.init_settings`).
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.settings import PAGE_KEY

#: Session-state key prefix of each box's open-or-closed copy, which a change of page keeps.
KEPT_PREFIX = "lazy_expander_open_"


def lazy_expander(
    label: str, key: str, *, icon: str | None = None, open_at_first: bool = False
) -> DeltaGenerator | None:
    """An `st.expander` labelled `label` under session-state `key`: the container to fill while it is
    open, or None while it is closed (opening or closing it reruns the page).

    It opens at first if `open_at_first`, and stays as the user left it on every page (each page's
    widgets are new widgets, so the state is also kept in a plain copy).
    """
    state = st.session_state
    kept, drawn_on = f"{KEPT_PREFIX}{key}", f"{KEPT_PREFIX}{key}_page"
    if key not in state or state.get(drawn_on) != state.get(PAGE_KEY):
        # A new widget (each page's widgets are new, and one not drawn in the last run is forgotten):
        # as the user left it.
        state[key] = state.get(kept, open_at_first)
        state[drawn_on] = state.get(PAGE_KEY)
    # `expanded` stays the same: a different one would make a different widget, which starts anew.
    box = st.expander(label, key=key, icon=icon, on_change="rerun")
    state[kept] = bool(box.open)
    return box if box.open else None


def open_lazy_expander(key: str) -> None:
    """Open the box under session-state `key` on the next run, as a click on it does: for a widget's
    callback (Evaluate opens its images when a cell of the table is clicked)."""
    st.session_state[key] = True
    st.session_state[f"{KEPT_PREFIX}{key}"] = True
