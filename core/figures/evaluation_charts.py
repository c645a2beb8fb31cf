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
#: The table's share of `confusion_and_accuracy`'s width; the bars of right answers have the rest.
TABLE_WIDTH = 0.66


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


def confusion_and_accuracy(confusion, class_names: Sequence[str], **options) -> go.Figure:
    """`confusion_and_accuracy_spec`'s chart as a Plotly figure, checked by Plotly (a wrong property
    raises)."""
    return go.Figure(confusion_and_accuracy_spec(confusion, class_names, **options))


def confusion_and_accuracy_spec(
    confusion, class_names: Sequence[str], *, title: str = "Which classes get mixed up?"
) -> dict:
    """`confusion_heatmap_spec`'s table, with each true class's share of right answers as a bar
    beside its row (0 to 100%): one chart, so the browser draws one figure on each K.

    Parameters
    ----------
    confusion : array-like of int, shape (n_classes, n_classes)
        ``confusion[t, p]`` test images of class t were predicted as class p.
    class_names : sequence of str
    title : str, default="Which classes get mixed up?"

    Returns a plain figure dict. Drawn as two charts, the table and a bar chart, a new K took the
    browser 33 ms to draw both; as one, 25 ms (Chromium, Evaluate's own figures).
    """
    spec = confusion_heatmap_spec(confusion, class_names, title=title)
    (heatmap,) = spec["data"]
    shares = heatmap["z"]  # each cell's share of its row: the diagonal's are the rows' right answers
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": [shares[t][t] for t in range(len(shares))],
        "y": heatmap["y"],
        "xaxis": "x2",
        "yaxis": "y",
        "marker": {"color": TEST_COLOUR},
        "texttemplate": "%{x:.0%}",
        "textposition": "inside",
        "insidetextanchor": "end",
        "hovertemplate": "%{y}: %{x:.1%} of its test images classified correctly<extra></extra>",
        "name": "Right answers",
        "showlegend": False,
    }
    layout = spec["layout"]
    layout["xaxis"]["domain"] = [0, TABLE_WIDTH]
    layout["xaxis2"] = {
        "domain": [TABLE_WIDTH + 0.08, 1],
        "anchor": "y",
        "range": [0, 1],
        "tickformat": ".0%",
        "tickvals": [0, 0.5, 1],
        "title": {"text": "Right answers per class"},
    }
    layout["showlegend"] = False
    layout["margin"]["r"] = 30  # room for the last tick's label, "100%"
    spec["data"].append(bars)
    return spec
