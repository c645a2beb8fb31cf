"""core.figures.evaluation_charts: the confusion heatmap and accuracy per class."""

import json

import numpy as np
import pytest

from core.figures.evaluation_charts import class_accuracy_bar, confusion_heatmap

CONFUSION = np.array([[3, 0, 1], [0, 2, 0], [2, 0, 1]])
NAMES3 = ["zero", "one", "two"]


def test_confusion_heatmap_shows_counts_shares_and_clickable_cells():
    fig = confusion_heatmap(CONFUSION, NAMES3)
    heat, cells = fig.data
    assert heat.type == "heatmap" and heat.hoverinfo == "skip"
    assert np.asarray(heat.text).tolist() == CONFUSION.tolist()
    assert np.asarray(heat.z)[0] == pytest.approx([0.75, 0, 0.25])
    assert list(heat.x) == NAMES3 and list(heat.y) == NAMES3
    # One invisible marker per cell carries (true, predicted, count) for a click to read back.
    assert len(cells.x) == 9 and cells.marker.opacity == 0
    data = np.asarray(cells.customdata)
    row = data.tolist().index([2, 0, 2])
    assert (cells.y[row], cells.x[row]) == ("two", "zero")
    assert cells.hovertext[row] == "2 test images of two read as zero<br>(66.7% of all two)"
    assert cells.hovertext[0] == "3 test images of zero classified correctly<br>(75.0% of all zero)"
    assert fig.layout.xaxis.title.text.startswith("Predicted class")
    assert fig.layout.yaxis.title.text.startswith("True class")
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.clickmode == "event+select"


def test_confusion_heatmap_rejects_a_shape_that_does_not_match_the_names():
    with pytest.raises(ValueError, match=r"confusion of shape \(3, 3\) should be \(2, 2\)"):
        confusion_heatmap(CONFUSION, ["a", "b"])


def test_class_accuracy_bar_is_in_percent():
    fig = class_accuracy_bar([0.75, 1.0, 1 / 3], NAMES3)
    (bars,) = fig.data
    assert list(bars.x) == NAMES3 and bars.y[2] == pytest.approx(1 / 3)
    assert fig.layout.yaxis.tickformat == ".0%"
    assert "classified correctly" in bars.hovertemplate
    with pytest.raises(ValueError, match="2 accuracies for 3 class names"):
        class_accuracy_bar([0.5, 0.5], NAMES3)


def test_cells_carry_their_indices_as_plain_lists():
    # Plotly sends numpy arrays as typed binary data, which a browser selection does not hand back.
    cells = json.loads(confusion_heatmap(CONFUSION, NAMES3).to_json())["data"][1]
    assert cells["customdata"][0] == [0, 0, 3]
    assert cells["customdata"][7] == [2, 1, 0]
