"""The floor for bench_app.py: Streamlit's own round trip, with nothing of the lab in it.

A K box, a caption saying "K = ...", and one small Plotly chart that follows K: the least a page
that reacts to K can do. bench_app.py starts it beside the lab and times both in the same run.
"""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Reference app", layout="wide")
st.title("Reference app")
k = st.number_input("Number of clusters (K)", min_value=2, max_value=512, value=36, step=1, key="k")
st.caption(f"K = {k} · the reference app")
figure = go.Figure(go.Bar(x=list(range(10)), y=[(i * k) % 17 for i in range(10)]))
figure.update_layout(title=f"A small chart for K = {k}", height=300)
st.plotly_chart(figure, key="chart")
