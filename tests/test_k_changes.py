"""What a K change costs on the pages (issue 12): no fit where only a marker moves, a small Map figure.

AppTest runs the pages in this process; the models are the engine's own, on the bundled sample.
"""

import json
from pathlib import Path

import pytest
import streamlit as st
from chart_support import charts
from streamlit.testing.v1 import AppTest

from core.analysis.sweep import model_params
from core.data.registry import load_mnist_sample
from core.errors import KMeansLabError
from core.figures.hover_pictures import INK_SHADES
from core.model.cache import cache_key
from core.model.settings import default_preprocessing
from ui import caches
from ui.caches import result_cache
from ui.settings import CHART_ASKED_KEY
from ui.text import plain

APP = str(Path(__file__).resolve().parent.parent / "app.py")
#: A figure of 2,000 dots with a picture under every hover text was 1.6 MB on every K change. The
#: dots' positions and pictures now go once; a K change sends their colours and texts and the centres.
MAX_MAP_BYTES = 150_000
#: The Map's dots by default.
MAP_DOTS = 1000


def page_at(page: str, k: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.slider(key="k").set_value(k)
    at.run()
    at = at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def with_k(at: AppTest, k: int) -> AppTest:
    at.slider(key="k").set_value(k)
    at = at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def is_saved(k: int) -> bool:
    """Whether the default model for K is in the on-disk cache, where every fit of the sample goes."""
    dataset = load_mnist_sample()
    params = model_params(k, preprocessing=default_preprocessing(dataset))
    return result_cache().contains(cache_key(dataset=dataset.fingerprint, **params))


def test_moving_k_on_the_sweep_page_fits_no_model_while_the_centroids_page_does():
    # Nothing kept from another test in this process: every fit here goes to this test's disk cache.
    st.cache_data.clear()
    st.cache_resource.clear()
    at = page_at("pages/sweep.py", 10)
    assert is_saved(10)  # the sweep's own K values are fitted (and saved) once
    at = with_k(at, 13)
    assert any("Your K = 13" in json.dumps(chart.figure) for chart in charts(at))
    assert not is_saved(13)
    with_k(at.switch_page("pages/centroids.py"), 13)
    assert is_saved(13)


def test_moving_k_on_the_sweep_page_sends_only_the_marker_not_its_charts():
    at = page_at("pages/sweep.py", 10)
    first = charts(at)
    assert len(first) == 3 and all(chart.figure_sent for chart in first)
    at = with_k(at, 14)
    moved = charts(at)
    assert not any(chart.figure_sent for chart in moved), "the browser has these charts already"
    for before, after in zip(first, moved, strict=True):
        assert "Your K = 14" in json.dumps(after.figure) and "Your K = 10" not in json.dumps(after.figure)
        assert after.figure["data"] == before.figure["data"]  # the same series, only K moved
    # Another session's page has none of them: it gets every chart.
    assert all(chart.figure_sent for chart in charts(page_at("pages/sweep.py", 14)))


@pytest.mark.parametrize(
    ("page", "control", "first"),
    [
        ("pages/map.py", "map_colour", "Cluster"),
        ("pages/centroids.py", "centroid_order", "Grouped by inferred class"),
    ],
)
def test_a_page_draws_its_controls_before_it_fits_the_model(monkeypatch, page, control, first):
    """The browser gets the Map's and Centroids' controls before the model is fitted (`Page.model`),
    so it draws them while the fit runs. A fit that stops shows what had gone out before it: the
    controls, and its reason in the map's or the grid's place, above the controls."""
    at = page_at(page, 12)

    def stopped_fit(*args, **kwargs):
        raise KMeansLabError("The fit stopped here.")

    monkeypatch.setattr(caches, "fit", stopped_fit)
    at.slider(key="k").set_value(14)
    at = at.run()
    assert [error.value for error in at.error] == [plain("The fit stopped here.")]
    assert at.radio(key=control).value == first
    assert in_page_order(at, "error", "radio")[0] == "error"


def in_page_order(at: AppTest, *types: str) -> list[str]:
    """The main area's elements of `types`, by type, in the order the page shows them."""
    return [node.type for node in at.main if node.type in types]


def test_evaluate_draws_its_caption_and_closed_box_before_it_fits_the_model(monkeypatch):
    """Evaluate's caption under the table and its "Look closer" box need no model: they go to the
    browser before the fit, in their places under the table. A fit that stops leaves them there, with
    its reason in the table's place and no summary."""
    at = page_at("pages/evaluate.py", 12)
    box = "Look closer: one cell's images, and the most mixed clusters"
    assert [info.icon for info in at.main.info] == [":material/lightbulb:"]  # the summary

    def stopped_fit(*args, **kwargs):
        raise KMeansLabError("The fit stopped here.")

    monkeypatch.setattr(caches, "fit", stopped_fit)
    at = at.slider(key="k").set_value(14).run()
    assert [error.value for error in at.error] == [plain("The fit stopped here.")]
    assert any("Each row is the true class" in caption.value for caption in at.caption)
    assert box in [expander.label for expander in at.main.expander]
    assert at.main.info.values == []  # the summary needs the model
    # The reason stands where the table would be: between the page's header and the table's caption.
    captions = [node.value for node in at.main if node.type in ("error", "caption")]
    reason = captions.index(plain("The fit stopped here."))
    assert "Each row is the true class" in captions[reason + 1]


def map_spec(at: AppTest) -> tuple[dict, int]:
    (chart,) = charts(at)
    return chart.figure, chart.figure_bytes


def test_a_map_k_change_keeps_the_dots_in_place_and_sends_a_small_figure():
    at = page_at("pages/map.py", 30)
    before, _ = map_spec(at)
    after, size = map_spec(with_k(at, 31))
    dots = [trace for trace in after["data"] if trace["name"] == "Images"]
    assert len(dots) == 1  # more clusters than legend entries: one trace, a colour per dot
    (previous,) = [trace for trace in before["data"] if trace["name"] == "Images"]
    assert dots[0]["x"] == previous["x"] and dots[0]["y"] == previous["y"]
    assert dots[0]["marker"]["color"] != previous["marker"]["color"]
    assert size < MAX_MAP_BYTES < len(json.dumps(after))  # the page kept the rest: not sent again
    pictured = [text for text in dots[0]["text"] if INK_SHADES[-1] in text or "<br>" in text]
    assert 100 <= len(pictured) < len(dots[0]["hovertext"]) == MAP_DOTS
    (centres,) = [trace for trace in after["data"] if trace["name"] == "Cluster centres"]
    assert len(centres["hovertext"]) == 31 and all("<br>" in text for text in centres["hovertext"])


def test_map_centres_as_pictures_follow_k():
    at = page_at("pages/map.py", 30)
    at.checkbox(key="map_pictures").check().run()
    before, _ = map_spec(at)
    spec, _ = map_spec(with_k(at, 32))
    (picture,) = spec["layout"]["images"]  # the centres' tiles, painted into one picture
    (centres,) = [trace for trace in spec["data"] if trace["name"] == "Cluster centres (the pictures)"]
    assert len(centres["customdata"]) == 32
    assert picture["source"] != before["layout"]["images"][0]["source"]


def k_shown(at: AppTest) -> tuple[int, int, bool]:
    """K in the sidebar's slider and box, and whether the K sweep's marker is at that K."""
    k = at.slider(key="k").value
    return (
        k,
        at.number_input(key="k_box").value,
        any(f"Your K = {k}" in json.dumps(c.figure) for c in charts(at)),
    )


def test_a_typed_k_survives_a_chart_asking_again_while_the_slider_still_shows_the_old_k():
    at = page_at("pages/sweep.py", 10)
    at.number_input(key="k_box").set_value(12)
    at = at.run()
    assert k_shown(at) == (12, 12, True)
    # A chart asks for its figure again (its callback runs) before the browser has moved the slider
    # to 12: the request carries the slider's old K, which is not the user taking K back.
    at.session_state[CHART_ASKED_KEY] = True
    at.slider(key="k").set_value(10)
    at = at.run()
    assert not at.exception
    assert k_shown(at) == (12, 12, True)


def test_moving_the_slider_back_to_the_k_before_is_honoured():
    at = page_at("pages/sweep.py", 10)
    at.number_input(key="k_box").set_value(12)
    at = at.run()
    at.slider(key="k").set_value(10)  # the user's own move: no chart asked for this run
    at = at.run()
    assert k_shown(at) == (10, 10, True)
