"""K-Means Digit Lab: the frame of the app (page config, shared sidebar, navigation).

Run with ``streamlit run app.py``.
"""

import streamlit as st

import ui

ui.leave_legacy_multipage_mode()
st.set_page_config(page_title="K-Means Digit Lab", page_icon="🔢", layout="wide")

ui.sidebar()

explore = st.Page("pages/explore.py", title="Explore", icon=":material/image_search:", url_path="explore")


def _start() -> None:
    """The app's root URL: open Explore at its own address, so every page has one (/explore too)."""
    st.switch_page(explore)


pages = [
    st.Page(_start, title="Explore", url_path="start", default=True, visibility="hidden"),
    explore,
    st.Page("pages/sweep.py", title="K sweep", icon=":material/show_chart:", url_path="sweep"),
    st.Page("pages/centroids.py", title="Centroids", icon=":material/grid_view:", url_path="centroids"),
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:", url_path="draw"),
    st.Page("pages/evaluate.py", title="Evaluate", icon=":material/fact_check:", url_path="evaluate"),
    st.Page("pages/map.py", title="Map", icon=":material/scatter_plot:", url_path="map"),
    st.Page("pages/steps.py", title="Step by step", icon=":material/timeline:", url_path="steps"),
]
st.navigation(pages).run()
