"""core.figures.takeaway: the session's results as one self-contained HTML file."""

import re

import numpy as np
import plotly.graph_objects as go
import pytest

from core.figures.takeaway import takeaway_html

COLUMNS = {"k": ("K", "d"), "test_accuracy": ("Right on new images", ".1%")}


def page(**changes) -> str:
    inputs = {
        "title": "K-means on <Digits>",
        "settings_line": "K = 3",
        "summary": "Most are right & a few are not.",
        "sweep_figures": [go.Figure(go.Scatter(x=[2, 3], y=[1, 0.5])), go.Figure(go.Bar(x=[1], y=[2]))],
        "sweep_rows": [{"k": 2, "test_accuracy": 0.5}, {"k": 3, "test_accuracy": 0.875}],
        "sweep_columns": COLUMNS,
        "gallery": [
            (np.full((4, 4), 255, np.uint8), "Cluster 0: <b>7</b>"),
            (np.zeros((4, 4), np.uint8), ""),
        ],
        "confusion": go.Figure(go.Heatmap(z=[[3, 1], [0, 4]])),
    }
    return takeaway_html(**(inputs | changes))


def test_the_page_embeds_plotly_once_and_every_chart_and_picture():
    html = page()
    assert html.count("Plotly.newPlot") == 3  # two sweep charts and the confusion matrix
    assert len(re.findall(r"plotly\.js v\d", html)) == 1  # the library itself, once
    assert not re.search(r'<script[^>]+src="http', html)  # nothing fetched from the network
    assert html.count('<img src="data:image/png;base64,') == 2


def test_the_table_is_formatted_and_text_escaped():
    html = page()
    assert "<td>87.5%</td>" in html and "<td>3</td>" in html
    assert "&lt;Digits&gt;" in html and "&lt;b&gt;7&lt;/b&gt;" in html and "&amp; a few" in html
    assert "<b>7</b>" not in html


def test_no_sweep_chart_is_refused_with_the_parameter_named():
    with pytest.raises(ValueError, match="sweep_figures is empty"):
        page(sweep_figures=[])
