"""Charts of a model's test results (Evaluate): which classes get mixed up, and how often each is right."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import make_colorscale, sequential

from core.figures.colours import MARKER_COLOUR, TEST_COLOUR

#: The table's colours, from white (none of a row's images) to dark blue (all of them), spelt out:
#: Plotly.js reads the name "Blues" the other way round from Plotly's Python side, which spells it out.
SHARE_COLOURS = make_colorscale(sequential.Blues)


def confusion_heatmap(
    confusion, class_names: Sequence[str], *, title: str = "Which classes get mixed up?"
) -> go.Figure:
    """`confusion_heatmap_spec`'s table as a Plotly figure, checked by Plotly (a wrong property raises)."""
    return go.Figure(confusion_heatmap_spec(confusion, class_names, title=title))


def confusion_heatmap_spec(
    confusion, class_names: Sequence[str], *, title: str = "Which classes get mixed up?"
) -> dict:
    """True class (rows) against predicted class (columns), coloured by the share of each true class.

    Parameters
    ----------
    confusion : array-like of int, shape (n_classes, n_classes)
        ``confusion[t, p]`` test images of class t were predicted as class p.
    class_names : sequence of str
    title : str, default="Which classes get mixed up?"

    Returns the figure as a plain dict (Plotly's figure format, unchecked: the Evaluate page draws it
    on every new K, and Plotly's checks and copies took 5-8 of the page's milliseconds). Each cell
    shows its count, says in words what it holds when hovered, and carries
    ``customdata = [true index, predicted index, count]``, which a click on it hands back
    (`ui.selection.clicked_cell`). There is no colour bar: the Evaluate page says in words what the
    colours mean. Drawing one cost the browser 9-17 ms on every K (A/B in Chromium, a new K
    205 -> 188 ms), where the page's whole wait is about 0.15 s.
    """
    confusion = np.asarray(confusion, dtype=np.int64)
    n = len(class_names)
    if confusion.shape != (n, n):
        raise ValueError(f"confusion of shape {confusion.shape} should be ({n}, {n}) for {n} class names.")
    names = [str(name) for name in class_names]
    totals = confusion.sum(axis=1)
    share = np.divide(confusion, totals[:, None], out=np.zeros(confusion.shape), where=totals[:, None] > 0)
    counts = confusion.tolist()
    heatmap = {
        "type": "heatmap",
        "z": share.tolist(),
        "x": names,
        "y": names,
        "text": counts,
        "texttemplate": "%{text:,}",
        # A fixed size: Plotly's automatic one shrinks the counts to 8 px when the fonts grow.
        "textfont": {"size": 16},
        "colorscale": SHARE_COLOURS,
        "zmin": 0,
        "zmax": 1,
        "showscale": False,
        # Plain lists: a click hands a cell's customdata back as it was sent.
        "customdata": [[[t, p, counts[t][p]] for p in range(n)] for t in range(n)],
        "hovertext": [
            [_confusion_hover(names[t], names[p], counts[t][p], share[t, p]) for p in range(n)]
            for t in range(n)
        ],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "name": "",
    }
    return {"data": [heatmap], "layout": _confusion_layout(title)}


def _confusion_layout(title: str) -> dict:
    """The table's title and axes: true classes down the side from the top, predicted along the bottom."""
    return {
        "title": {"text": title},
        "margin": {"t": 60},
        "clickmode": "event",
        "dragmode": False,
        "xaxis": {
            "title": {"text": "Predicted class (what the model said)"},
            "type": "category",
            "side": "bottom",
        },
        "yaxis": {
            "title": {"text": "True class (what the image really is)"},
            "type": "category",
            "autorange": "reversed",
        },
    }


def picked_cell_outline(true: int, predicted: int, *, width: float = 3) -> dict:
    """An overlay for `confusion_heatmap` (`ui.charts.show_chart`'s `overlay`): a red frame round
    the cell (true, predicted), the one whose images the page shows."""
    frame = {
        "type": "rect",
        "xref": "x",
        "yref": "y",
        # Category axes place class i at i: the cell spans half a step either side of it.
        "x0": predicted - 0.5,
        "x1": predicted + 0.5,
        "y0": true - 0.5,
        "y1": true + 0.5,
        "line": {"color": MARKER_COLOUR, "width": width},
        "name": "picked cell",
    }
    return {"shapes": [frame]}


def _confusion_hover(true: str, predicted: str, count: int, share: float) -> str:
    noun = "image" if count == 1 else "images"
    if true == predicted:
        return f"{count:,} test {noun} of {true} classified correctly<br>({share:.1%} of all {true})"
    return f"{count:,} test {noun} of {true} read as {predicted}<br>({share:.1%} of all {true})"


def class_accuracy_bar(
    accuracy, class_names: Sequence[str], *, title: str = "Right answers per class"
) -> go.Figure:
    """`class_accuracy_bar_spec`'s bars as a Plotly figure, checked by Plotly (a wrong property raises)."""
    return go.Figure(class_accuracy_bar_spec(accuracy, class_names, title=title))


def class_accuracy_bar_spec(
    accuracy, class_names: Sequence[str], *, title: str = "Right answers per class"
) -> dict:
    """One bar per class: the share of its test images classified correctly (0 to 100%).

    Parameters
    ----------
    accuracy : array-like of float, shape (n_classes,)
        Each class's accuracy, from 0 to 1.
    class_names : sequence of str
    title : str, default="Right answers per class"

    Returns the figure as a plain dict (Plotly's figure format, unchecked), as `confusion_heatmap_spec`.
    """
    accuracy = np.asarray(accuracy, dtype=np.float64)
    if len(accuracy) != len(class_names):
        raise ValueError(f"{len(accuracy)} accuracies for {len(class_names)} class names.")
    names = [str(name) for name in class_names]
    bars = {
        "type": "bar",
        "x": names,
        "y": accuracy,
        "marker": {"color": TEST_COLOUR},
        "hovertemplate": "%{x}: %{y:.1%} of its test images classified correctly<extra></extra>",
        "name": "Accuracy",
    }
    layout = {
        "title": {"text": title},
        "showlegend": False,
        "margin": {"t": 60},
        "xaxis": {"title": {"text": "Class"}, "type": "category"},
        "yaxis": {"title": {"text": "Test images labelled right"}, "tickformat": ".0%", "range": [0, 1.02]},
    }
    return {"data": [bars], "layout": layout}
