"""core.figures.evaluation_charts: the confusion heatmap and accuracy per class."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from core.figures.evaluation_charts import (
    confusion_and_accuracy,
    confusion_heatmap,
    confusion_heatmap_spec,
    picked_cell_outline,
)

CONFUSION = np.array([[3, 0, 1], [0, 2, 0], [2, 0, 1]])
NAMES3 = ["zero", "one", "two"]


def test_confusion_heatmap_shows_counts_shares_and_clickable_cells():
    fig = confusion_heatmap(CONFUSION, NAMES3)  # checked by Plotly: a wrong property raises
    (heat,) = fig.data
    assert heat.type == "heatmap"
    assert np.asarray(heat.text).tolist() == CONFUSION.tolist()
    assert np.asarray(heat.z)[0] == pytest.approx([0.75, 0, 0.25])
    assert list(heat.x) == NAMES3 and list(heat.y) == NAMES3
    # Each cell carries (true, predicted, count) for a click to read back, and says what it holds.
    assert heat.customdata[2][0] == [2, 0, 2]
    assert heat.hovertext[2][0] == "2 test images of two read as zero<br>(66.7% of all two)"
    assert heat.hovertext[0][0] == "3 test images of zero classified correctly<br>(75.0% of all zero)"
    assert "%{hovertext}" in heat.hovertemplate
    assert fig.layout.xaxis.title.text.startswith("Predicted class")
    assert fig.layout.yaxis.title.text.startswith("True class")
    assert fig.layout.yaxis.autorange == "reversed"


def test_an_empty_cell_is_white_and_a_whole_row_dark_blue_in_the_browser_too():
    # The figure goes to the browser as built, unchecked: a colour scale's name would reach Plotly.js,
    # which reads "Blues" from dark to light, and the table would come out inverted.
    (heat,) = confusion_heatmap_spec(CONFUSION, NAMES3)["data"]
    assert heat["zmin"] == 0 and heat["zmax"] == 1
    assert heat["colorscale"][0] == [0.0, "rgb(247,251,255)"]
    assert heat["colorscale"][-1] == [1.0, "rgb(8,48,107)"]


def test_the_picked_cell_is_framed_where_the_table_draws_it():
    (frame,) = go.Layout(picked_cell_outline(2, 0)).shapes  # checked by Plotly
    # Row "two" (class index 2), column "zero" (index 0): category axes put class i at i.
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (-0.5, 0.5, 1.5, 2.5)
    assert (frame.xref, frame.yref) == ("x", "y")


def test_confusion_heatmap_rejects_a_shape_that_does_not_match_the_names():
    with pytest.raises(ValueError, match=r"confusion of shape \(3, 3\) should be \(2, 2\)"):
        confusion_heatmap(CONFUSION, ["a", "b"])


def test_each_row_has_its_share_of_right_answers_as_a_bar_beside_it():
    fig = confusion_and_accuracy(CONFUSION, NAMES3)  # checked by Plotly: a wrong property raises
    heat, bars = fig.data
    assert heat.type == "heatmap" and bars.type == "bar" and bars.orientation == "h"
    # Beside each row of the table (the same y axis), that class's right answers: 3 of 4, 2 of 2, 1 of 3.
    assert bars.yaxis == "y" and heat.yaxis in (None, "y") and bars.xaxis == "x2"
    assert list(bars.y) == NAMES3
    assert list(bars.x) == pytest.approx([0.75, 1.0, 1 / 3])
    assert fig.layout.xaxis2.tickformat == ".0%" and tuple(fig.layout.xaxis2.range) == (0, 1)
    # Side by side, not on top of each other.
    assert fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0]
    assert "classified correctly" in bars.hovertemplate


def test_cells_carry_their_indices_as_plain_lists():
    # Plotly sends numpy arrays as typed binary data, which a click does not hand back per cell.
    heat = json.loads(confusion_heatmap(CONFUSION, NAMES3).to_json())["data"][0]
    assert heat["customdata"][0][0] == [0, 0, 3]
    assert heat["customdata"][2][1] == [2, 1, 0]
