"""The charts' Plotly.js is published for the browser, and figures reach it with the lab's own look."""

import base64
import datetime
import json
import os

import numpy as np
import plotly
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import streamlit  # noqa: F401  (sets Plotly's default template to Streamlit's, as in the app)
from PIL import Image

from core.figures.charts import steps_inertia_spec
from core.figures.maps import projection_map_spec
from ui.charts import dress_figure
from ui.plotly_component import (
    PLOTLY_JS,
    chart_spec,
    component_message,
    current_selection,
    drag_mode,
    figure_json,
    publish_plotly_js,
    whole_figure,
    with_kept_arrays,
)

PLOTLY_SOURCE = os.path.join(os.path.dirname(plotly.__file__), "package_data", PLOTLY_JS)


def test_plotly_js_is_published_whole_and_only_once(tmp_path):
    static = tmp_path / "static"
    assert publish_plotly_js(static)
    published = static / PLOTLY_JS
    with open(PLOTLY_SOURCE, "rb") as source:
        assert published.read_bytes() == source.read()
    stamp = published.stat().st_mtime_ns
    assert publish_plotly_js(static)
    assert published.stat().st_mtime_ns == stamp  # already there: not written again
    assert [p.name for p in static.iterdir()] == [PLOTLY_JS]  # no half-written file left behind


def test_an_unusable_static_path_falls_back_without_an_error(tmp_path):
    occupied = tmp_path / "static"
    occupied.write_text("a file where the folder should be")
    assert publish_plotly_js(occupied) is False


def test_a_chart_has_real_colours_and_a_revision_that_follows_its_figure():
    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]), layout={"height": 333})
    spec = chart_spec(fig)
    text = json.dumps(json.loads(spec.json)["layout"]["template"])
    # Streamlit's template carries placeholder colours (#000001...) that only its own chart replaces.
    assert "#000001" not in text and "#0068c9" in text
    assert spec.height == 333
    assert chart_spec(fig).revision == spec.revision
    fig.update_traces(y=[3, 5])
    assert chart_spec(fig).revision != spec.revision


def test_a_pick_counts_only_on_the_figure_it_was_made_on():
    pick = {"points": [{"customdata": [4]}], "revision": "abc"}
    assert current_selection(pick, "abc") == pick
    assert current_selection(pick, "def") is None
    assert current_selection(None, "abc") is None


def test_maps_drag_a_lasso_and_heatmaps_are_picked_by_a_click():
    assert drag_mode(("points", "box", "lasso"))["dragmode"] == "lasso"
    assert drag_mode(("points", "box"))["dragmode"] == "select"
    assert "dragmode" not in drag_mode("points")
    assert drag_mode("points")["clickmode"] == "event+select"


def map_spec(n_groups: int) -> dict:
    """A Map figure as the Map page builds it: a plain dict, with numpy arrays and hover pictures."""
    rng = np.random.default_rng(0)
    n, k = 300, 40
    return projection_map_spec(
        rng.normal(size=(n, 2)),
        rng.integers(0, n_groups, n),
        [f"Cluster {g}" for g in range(n_groups)],
        rng.normal(size=(k, 2)),
        [f"Centre of cluster {c}" for c in range(k)],
        point_text=[f"A {i % 10}, in cluster {i % k}" for i in range(n)],
        title="300 training images and 40 cluster centres",
        legend_title="Cluster",
        center_images=rng.integers(0, 256, (k, 28, 28), dtype=np.uint8),
        point_pictures=["" if i % 3 else "\u2588\u2588<br>\u2591\u2591" for i in range(n)],
    )


@pytest.mark.parametrize("n_groups", [40, 10], ids=["one trace, no legend", "a trace per group"])
@pytest.mark.parametrize("presenting", [False, True], ids=["normal", "presenter"])
def test_a_plain_figure_reaches_the_browser_as_the_figure_plotly_checks(n_groups, presenting):
    """The Map sends its figure built as a plain dict, unchecked by Plotly (20 ms sooner at 1,000 dots):
    the browser must get what the checked figure would have given it, typed arrays included."""
    spec = map_spec(n_groups)
    checked = dress_figure(go.Figure(spec), presenting, 500)  # raises if a property is wrong
    plain = dress_figure(spec, presenting, 500)
    assert whole_figure(chart_spec(plain)) == whole_figure(chart_spec(checked))
    x = whole_figure(chart_spec(plain))["data"][0]["x"]
    assert x["dtype"] == "f8" and len(base64.b64decode(x["bdata"])) == 8 * len(spec["data"][0]["x"])


@pytest.mark.parametrize("steps", [1, 12, 13, 31])
@pytest.mark.parametrize("shown", [None, 0, -1], ids=["playing", "first step", "last step"])
@pytest.mark.parametrize("presenting", [False, True], ids=["normal", "presenter"])
def test_step_by_step_s_plain_chart_reaches_the_browser_as_the_figure_plotly_checks(steps, shown, presenting):
    """Step by step's inertia chart is a plain dict too (Plotly's checks were half its server time
    beside K-means): the browser gets what the checked figure gives it."""
    inertia = np.linspace(100.0, 40.0, steps)
    spec = steps_inertia_spec(inertia, None if shown is None else shown % steps)
    checked = dress_figure(go.Figure(spec), presenting, 380)  # raises if a property is wrong
    assert whole_figure(chart_spec(dress_figure(spec, presenting, 380))) == whole_figure(chart_spec(checked))


def test_dressing_a_plain_figure_leaves_the_one_given_as_it_was():
    spec = map_spec(10)
    before = json.dumps(chart_spec(spec).json)
    dress_figure(spec, True, 777)
    assert json.dumps(chart_spec(spec).json) == before


def test_a_figure_s_json_keeps_its_html_as_it_is_and_reads_back_the_same():
    # Plotly's writer escapes <, > and / for an HTML page's <script>; a chart message is parsed, never
    # put in a page as HTML, so each <br> of the Map's hover texts went as 12 characters more.
    spec = map_spec(40)
    text = figure_json(spec)
    assert "<br>" in text and "\\u003c" not in text and "\\u002f" not in text
    escaped = pio.json.to_json_plotly(spec)
    assert json.loads(text) == json.loads(escaped)
    assert len(escaped) - len(text) == 5 * sum(text.count(c) for c in "<>/") > 5 * 300  # 6 characters each
    # Arrays orjson does not write as they are (a column, objects) and dates are written as Plotly would.
    odd = {"x": np.arange(6.0).reshape(3, 2)[:, 1], "y": np.array([1, "a"], dtype=object)}
    odd["date"] = datetime.date(2026, 11, 29)
    assert json.loads(figure_json(odd)) == json.loads(pio.json.to_json_plotly(odd))
    # What neither can write goes through Plotly's writer, which cleans it first (a picture as a data URI).
    pictured = {"source": Image.new("L", (2, 2))}
    assert json.loads(figure_json(pictured))["source"].startswith("data:image/png;base64,")


def test_a_chart_message_carries_its_figure_as_json_escaped_once():
    # The figure is JSON already: sent as a string inside Streamlit's JSON, every quote and shade
    # character was escaped again (a shade character took six bytes instead of three).
    spec = chart_spec(map_spec(40))
    fields = {"key": "map_chart", "revision": spec.revision, "overlay": None}
    message = component_message(fields, spec.json, spec.arrays)
    data = json.loads(message)
    assert {name: data[name] for name in fields} == fields
    arrays = {digest: json.dumps(array) for digest, array in data["arrays"].items()}
    assert with_kept_arrays(data["figure"], arrays) == whole_figure(spec)
    assert b'"figure":{"data":' in message  # an object, not a string of JSON
    assert "\u2588".encode() in message and b"\\u2588" not in message
    twice = json.dumps({**fields, "figure": spec.json, "arrays": spec.arrays}).encode()
    assert len(message) < 0.8 * len(twice)
    # A figure the page has already: none sent, and no arrays.
    assert json.loads(component_message(fields, None, {}))["figure"] is None
