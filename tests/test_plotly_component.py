"""The charts' Plotly.js is published for the browser, and figures reach it with the lab's own look."""

import json
import os

import plotly
import plotly.graph_objects as go
import streamlit  # noqa: F401  (sets Plotly's default template to Streamlit's, as in the app)

from ui.plotly_component import PLOTLY_JS, chart_spec, current_selection, drag_mode, publish_plotly_js

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
