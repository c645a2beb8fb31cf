"""The floor of a page that fits a model: the reference app plus the lab's own fit of a new K.

bench_app.py times it beside the reference app (bench/reference_app) to show what fitting costs a
page by itself: the same K box, caption and small chart, and on every new K the lab's default model
fitted on the bundled sample (`core.analysis.sweep.fit_model`, as the pages fit it), with nothing
else of the lab. Like the lab (`core.memory.freeze_loaded_objects`), it freezes what it has loaded,
so that Streamlit's collection after each run does not walk scikit-learn's objects every time.
"""

import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project, for `core`

from core.analysis.prepared import PreparedCache  # noqa: E402
from core.analysis.sweep import fit_model  # noqa: E402
from core.data.registry import load_dataset  # noqa: E402
from core.memory import freeze_loaded_objects  # noqa: E402


@st.cache_resource
def sample():
    """The bundled sample and a store of its preprocessed images, loaded once; then freeze the heap."""
    dataset, prepared = load_dataset("mnist-sample"), PreparedCache()
    fit_model(dataset, 36, prepared=prepared)  # imports scikit-learn and SciPy before the freeze
    freeze_loaded_objects()
    return dataset, prepared


@st.cache_resource
def accuracy(k: int) -> float:
    dataset, prepared = sample()
    return fit_model(dataset, k, prepared=prepared)[1].test_accuracy


st.set_page_config(page_title="Reference app", layout="wide")
st.title("Reference app")
k = st.number_input("Number of clusters (K)", min_value=2, max_value=512, value=36, step=1, key="k")
st.caption(f"K = {k} · the reference app, fitting · test accuracy {accuracy(int(k)):.3f}")
figure = go.Figure(go.Bar(x=list(range(10)), y=[(i * k) % 17 for i in range(10)]))
figure.update_layout(title=f"A small chart for K = {k}", height=300)
st.plotly_chart(figure, key="chart")
