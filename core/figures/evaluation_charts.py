"""Charts of a model's test results (Evaluate): which classes get mixed up, and how often each is right."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from core.figures.colours import TEST_COLOUR


def confusion_heatmap(
    confusion, class_names: Sequence[str], *, title: str = "Which classes get mixed up?"
) -> go.Figure:
    """True class (rows) against predicted class (columns), coloured by the share of each true class.

    Parameters
    ----------
    confusion : array-like of int, shape (n_classes, n_classes)
        ``confusion[t, p]`` test images of class t were predicted as class p.
    class_names : sequence of str
    title : str, default="Which classes get mixed up?"

    Each cell shows its count. An invisible marker sits on every cell and carries
    ``customdata = [true index, predicted index, count]``, so a click on a cell can be read back as
    a selection (Plotly reports no selections on heatmaps). There is no colour bar: the Evaluate
    page says in words what the colours mean. Drawing one cost the browser 9-17 ms on every K
    (A/B in Chromium, a new K 205 -> 188 ms), where the page's whole wait is about 0.15 s.
    """
    confusion = np.asarray(confusion, dtype=np.int64)
    n = len(class_names)
    if confusion.shape != (n, n):
        raise ValueError(f"confusion of shape {confusion.shape} should be ({n}, {n}) for {n} class names.")
    names = [str(name) for name in class_names]
    totals = confusion.sum(axis=1)
    share = np.divide(confusion, totals[:, None], out=np.zeros(confusion.shape), where=totals[:, None] > 0)
    heatmap = {
        "type": "heatmap",
        "z": share,
        "x": names,
        "y": names,
        "text": confusion,
        "texttemplate": "%{text:,}",
        # A fixed size: Plotly's automatic one shrinks the counts to 8 px when the fonts grow.
        "textfont": {"size": 16},
        "colorscale": "Blues",
        "zmin": 0,
        "zmax": 1,
        "showscale": False,
        "hoverinfo": "skip",
        "name": "",
    }
    # One constructor call with plain dicts: Plotly checks each value once. Adding the trace and then
    # updating the layout and each axis in turn took three times as long (5 ms against 1.5 ms).
    layout = {
        "title": {"text": title},
        "margin": {"t": 60},
        "clickmode": "event+select",
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
    return go.Figure(data=[heatmap, _clickable_cells(confusion, share, names)], layout=layout)


def _clickable_cells(confusion: np.ndarray, share: np.ndarray, names: list[str]) -> dict:
    """An invisible square marker on each cell, carrying the cell's hover text and its indices."""
    n = len(names)
    true_index, predicted_index = np.divmod(np.arange(n * n), n)
    return {
        "type": "scatter",
        "x": [names[p] for p in predicted_index],
        "y": [names[t] for t in true_index],
        "mode": "markers",
        "marker": {"symbol": "square", "size": 28, "color": "#000000", "opacity": 0},
        "selected": {"marker": {"opacity": 0.35}},
        "unselected": {"marker": {"opacity": 0}},
        # Plain lists: Plotly would send a numpy array as typed binary data, which the browser
        # does not hand back per point in a selection.
        "customdata": np.column_stack([true_index, predicted_index, confusion.ravel()]).tolist(),
        "hovertext": [
            _confusion_hover(names[t], names[p], confusion[t, p], share[t, p])
            for t, p in zip(true_index.tolist(), predicted_index.tolist(), strict=True)
        ],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "showlegend": False,
        "name": "cells",
    }


def _confusion_hover(true: str, predicted: str, count: int, share: float) -> str:
    noun = "image" if count == 1 else "images"
    if true == predicted:
        return f"{count:,} test {noun} of {true} classified correctly<br>({share:.1%} of all {true})"
    return f"{count:,} test {noun} of {true} read as {predicted}<br>({share:.1%} of all {true})"


def class_accuracy_bar(
    accuracy, class_names: Sequence[str], *, title: str = "Right answers per class"
) -> go.Figure:
    """One bar per class: the share of its test images classified correctly (0 to 100%).

    Parameters
    ----------
    accuracy : array-like of float, shape (n_classes,)
        Each class's accuracy, from 0 to 1.
    class_names : sequence of str
    title : str, default="Right answers per class"
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
    return go.Figure(data=[bars], layout=layout)
