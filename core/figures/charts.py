"""Bar and line charts: the dataset (Explore), scores against K (K sweep), inertia per step (Step by step)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from core.figures.axis_margins import TICK_SIZE, labels_margin, linear_axis_margin, number_axis_margin
from core.figures.colours import MARKER_COLOUR, SERIES_COLOURS, TEST_COLOUR, TRAIN_COLOUR

#: Title and vertical axis label of each score's chart against K; a title's second line says what
#: the score means to someone who has not met it.
SWEEP_LABELS = {
    "inertia": {
        "title": "Inertia<br><sup>lower = tighter clusters</sup>",
        "y_title": "Sum of squared distances",
    },
    "homogeneity": {
        "title": "Homogeneity<br><sup>1 = one class per cluster</sup>",
        "y_title": "Homogeneity (0 to 1)",
    },
    "accuracy": {
        "title": "Accuracy<br><sup>how often the vote is right</sup>",
        "y_title": "Labelled correctly",
        "percent": True,
    },
}
#: The same charts named in plain words, for presenter mode: (title, vertical axis title).
SWEEP_PLAIN_LABELS = {
    "inertia": ("How tight the clusters are<br><sup>lower = tighter</sup>", "Total distance to centres"),
    "homogeneity": ("How pure the clusters are<br><sup>1 = one class per cluster</sup>", "Purity (0 to 1)"),
    "accuracy": ("How often the vote is right<br><sup>on seen and new images</sup>", "Labelled correctly"),
}
#: Titles short enough for a third of a 1280 px screen at presenter size (20 px), and plain ticks:
#: a log axis's own labels ("2", "5", "1M") read as noise to an audience.
K_AXIS_TITLE = "Number of clusters K"


def class_counts_bar(
    train_labels,
    test_labels,
    class_names: Sequence[str],
    *,
    title: str = "How many images of each class?",
) -> go.Figure:
    """Grouped bars: the number of training and test images of each class.

    Parameters
    ----------
    train_labels, test_labels : array-like of int
        Each image's class, an index into `class_names`.
    class_names : sequence of str
    title : str, default="How many images of each class?"
    """
    n = len(class_names)
    fig = go.Figure()
    for name, labels, colour in (
        ("Training images", train_labels, TRAIN_COLOUR),
        ("Test images", test_labels, TEST_COLOUR),
    ):
        counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n)[:n]
        fig.add_bar(
            x=list(class_names),
            y=counts,
            name=name,
            marker_color=colour,
            hovertemplate=f"%{{x}}: %{{y:,}} {name.lower()}<extra></extra>",
        )
    fig.update_layout(title=title, barmode="group", legend_title_text="", margin={"t": 60})
    fig.update_xaxes(title_text="Class", type="category")
    fig.update_yaxes(title_text="Number of images")
    return fig


def brightness_counts(pixels: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
    """How many of the uint8 `pixels` have each value 0-255, shape (256,).

    In chunks: `np.bincount` copies its input to 64-bit integers, 376 MB (and seconds) for Fashion-MNIST.
    """
    flat = pixels.reshape(-1)
    counts = np.zeros(256, dtype=np.int64)
    for start in range(0, len(flat), chunk):
        counts += np.bincount(flat[start : start + chunk], minlength=256)
    return counts


def pixel_histogram(
    images, *, title: str = "How bright are the pixels?", tick_size: int = TICK_SIZE
) -> go.Figure:
    """How many pixels have each brightness from 0 to 255, on a log scale (background dominates).

    Parameters
    ----------
    images : array-like of uint8, any shape
    title : str, default="How bright are the pixels?"
    tick_size : int, default=12
        The size of the axes' numbers, which the left margin leaves room for.
    """
    values = np.asarray(images)
    if values.dtype != np.uint8:
        raise ValueError(f"images should be uint8 pixels (0-255), got {values.dtype}.")
    counts = brightness_counts(values)
    fig = go.Figure(
        go.Bar(
            x=np.arange(256),
            y=counts,
            marker_color=TRAIN_COLOUR,
            marker_line_width=0,
            hovertemplate="Brightness %{x}: %{y:,} pixels<extra></extra>",
            name="Pixels",
        )
    )
    # Its numbers are the powers of ten up to the biggest count: 1, 10, ..., 1,000,000.
    top = f"{10 ** math.floor(math.log10(max(int(counts.max()), 1))):,}"
    margin = {"t": 60, "l": labels_margin([top], tick_size)}
    fig.update_layout(title=title, bargap=0, showlegend=False, margin=margin)
    fig.update_xaxes(title_text="Brightness (0 = background, 255 = ink)", range=[-1, 256])
    fig.update_yaxes(title_text="Pixels (log scale)", type="log", dtick=1, tickformat=",")
    return fig


def sweep_chart(
    ks: Sequence[int],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    y_title: str,
    current_k: int | None = None,
    percent: bool = False,
    tick_size: int = TICK_SIZE,
) -> go.Figure:
    """Lines of one or more scores against K (log scale), with the chosen K marked by a dashed line.

    Parameters
    ----------
    ks : sequence of int
        The K values on the horizontal axis.
    series : mapping of str to sequence of float
        One line per entry: its legend name and one value per K.
    title, y_title : str
    current_k : int, optional
        The K chosen in the sidebar, marked with a vertical line labelled "Your K = ...".
    percent : bool, default=False
        Show values (0-1) as percentages.
    tick_size : int, default=12
        The size of the axes' numbers, which the left margin leaves room for (`linear_axis_margin`).
    """
    ks = [int(k) for k in ks]
    if not ks:
        raise ValueError("sweep_chart needs at least one K.")
    value_format = ".1%" if percent else ",.4~f"
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        if len(values) != len(ks):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(ks)} K values.")
        fig.add_scatter(
            x=ks,
            y=list(values),
            name=name,
            mode="lines+markers",
            line_color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
            hovertemplate=f"K = %{{x}}<br>{name}: %{{y:{value_format}}}<extra></extra>",
        )
    fig.update_layout(
        title=title,
        hovermode="closest",
        showlegend=len(series) > 1,
        legend={"orientation": "h", "y": -0.3},
    )
    tickformat = ".0%" if percent else ",.4~f"
    every_value = [v for values in series.values() for v in values]
    fig.update_layout(margin={"t": 70, "l": linear_axis_margin(every_value, tickformat, tick_size)})
    fig.update_xaxes(title_text=K_AXIS_TITLE, type="log", tickvals=ks)
    fig.update_yaxes(title_text=y_title, tickformat=tickformat)
    if current_k is not None:
        mark_k(fig, current_k, every_value)
    return fig


def mark_k(fig: go.Figure, k: int, values: Sequence[float]) -> None:
    """A dashed vertical line at K spanning `values`, labelled "Your K = ..."; changes `fig` in place.

    A shape and an annotation, not a trace: moving them changes only the layout, which Plotly redraws
    in about 3 ms instead of 12 for a trace (measured in Chromium). On the log K axis a shape takes K
    itself and an annotation its log10. `sweep_chart` uses it for its ``current_k``.
    """
    low, high = float(min(values)), float(max(values))
    pad = 0.04 * (high - low) if high > low else max(abs(high) * 0.05, 0.05)
    fig.add_shape(
        type="line",
        x0=k,
        x1=k,
        y0=low - pad,
        y1=high + pad,
        line={"color": MARKER_COLOUR, "dash": "dash", "width": 2},
    )
    fig.add_annotation(
        x=math.log10(k),
        y=high + pad,
        text=f"Your K = {k}",
        showarrow=False,
        yanchor="bottom",
        font={"color": MARKER_COLOUR},
    )


def k_marker(k: int, values: Sequence[float]) -> dict:
    """`mark_k`'s line and label as plain Plotly layout items, to draw over a chart that stays as it
    is: ``{"shapes": [the line], "annotations": [the label]}``."""
    fig = go.Figure()
    mark_k(fig, k, values)
    layout = fig.to_plotly_json()["layout"]
    return {
        "shapes": [dict(s) for s in layout["shapes"]],
        "annotations": [dict(a) for a in layout["annotations"]],
    }


def inertia_chart(ks, inertia, current_k=None, *, tick_size: int = TICK_SIZE) -> go.Figure:
    """Inertia against K: `sweep_chart` with the labels in ``SWEEP_LABELS["inertia"]``."""
    return sweep_chart(
        ks, {"Inertia": inertia}, current_k=current_k, tick_size=tick_size, **SWEEP_LABELS["inertia"]
    )


def homogeneity_chart(ks, homogeneity, current_k=None, *, tick_size: int = TICK_SIZE) -> go.Figure:
    """Homogeneity against K: `sweep_chart` with the labels in ``SWEEP_LABELS["homogeneity"]``."""
    return sweep_chart(
        ks,
        {"Homogeneity": homogeneity},
        current_k=current_k,
        tick_size=tick_size,
        **SWEEP_LABELS["homogeneity"],
    )


def accuracy_chart(
    ks, train_accuracy, test_accuracy, current_k=None, *, tick_size: int = TICK_SIZE
) -> go.Figure:
    """Training and test accuracy against K in percent: `sweep_chart` with ``SWEEP_LABELS["accuracy"]``."""
    series = {"Train accuracy": train_accuracy, "Test accuracy": test_accuracy}
    return sweep_chart(ks, series, current_k=current_k, tick_size=tick_size, **SWEEP_LABELS["accuracy"])


def steps_inertia_chart(
    inertia, current_step: int | None = None, *, title: str = "Inertia after each step"
) -> go.Figure:
    """`steps_inertia_spec`'s chart as a Plotly figure, checked by Plotly (a wrong property raises)."""
    return go.Figure(steps_inertia_spec(inertia, current_step, title=title))


def steps_inertia_spec(
    inertia,
    current_step: int | None = None,
    *,
    title: str = "Inertia after each step",
    tick_size: int = TICK_SIZE,
) -> dict:
    """Inertia against iteration (0 = the starting centres), with the shown step marked in red, as a
    plain figure dict: what Step by step draws, without Plotly checking its every value (a figure's
    checks and its template's copies took about half of the page's server time beside its K-means).

    Parameters
    ----------
    inertia : array-like of float, shape (n_steps,)
        The inertia after each step, the starting centres first.
    current_step : int, optional
        The step shown on the page, from 0 to ``n_steps - 1``.
    title : str, default="Inertia after each step"
    tick_size : int, default=12
        The size of the axes' numbers (bigger in presenter mode): the left margin leaves room for them
        (`number_axis_margin`).
    """
    inertia = np.asarray(inertia, dtype=np.float64)
    if len(inertia) == 0:
        raise ValueError("inertia should hold at least one value, got none.")
    if current_step is not None and not 0 <= current_step < len(inertia):
        raise ValueError(f"current_step={current_step} should be from 0 to {len(inertia) - 1}.")
    traces = [
        {
            "type": "scatter",
            "x": np.arange(len(inertia)),
            "y": inertia,
            "mode": "lines+markers",
            "line": {"color": TRAIN_COLOUR},
            "name": "Inertia",
            "hovertemplate": "Step %{x}: inertia %{y:,.0f}<extra></extra>",
        }
    ]
    if current_step is not None:
        traces.append(_shown_step_marker(current_step, float(inertia[current_step])))
    # From step 0: no "-1" at the edge. A label per step while they fit, then every other one.
    steps = len(inertia)
    xaxis = {"title": {"text": "Step (0 = the start)"}, "range": [-0.5, steps - 0.5], "tick0": 0}
    if steps <= 30:
        xaxis["dtick"] = 1 if steps <= 12 else 2
    layout = {
        "title": {"text": f"{title}<br><sup>lower = images closer to their centres</sup>"},
        "showlegend": False,
        "margin": {"t": 70, "l": number_axis_margin(float(inertia.max()), tick_size)},
        "xaxis": xaxis,
        "yaxis": {"title": {"text": "Sum of squared distances"}, "tickformat": ",.0f"},
    }
    return {"data": traces, "layout": layout}


def _shown_step_marker(step: int, inertia: float) -> dict:
    """`steps_inertia_spec`'s red dot on the step the page shows."""
    return {
        "type": "scatter",
        "x": [step],
        "y": [inertia],
        "mode": "markers",
        "marker": {"size": 14, "color": MARKER_COLOUR},
        "cliponaxis": False,  # whole at step 0, at the axis's edge
        "name": f"Step {step}",
        "hovertemplate": "Shown: step %{x}, inertia %{y:,.0f}<extra></extra>",
    }
