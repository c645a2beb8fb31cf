"""The floor for bench_presenter.py: a page that redraws part of itself every 2 seconds, and nothing else.

A title, and a fragment run every `REFRESH_SECONDS` (as the lab's Audience page runs its two) that
shows a count and one small Plotly chart: what Streamlit itself costs a page left open on a projector.
"""

import time

import plotly.graph_objects as go
import streamlit as st

REFRESH_SECONDS = 2  # the lab's pages/audience.py refreshes as often

st.set_page_config(page_title="Reference refresh app", layout="wide")
st.title("Reference refresh app")


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    st.metric("Seconds since the epoch", f"{int(time.time()):,}")
    figure = go.Figure(go.Bar(x=list(range(10)), y=list(range(10))))
    figure.update_layout(title="A small chart that stays the same", height=300)
    st.plotly_chart(figure, key="chart")


live()
