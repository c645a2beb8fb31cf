"""Plotly figures and display images for the pages: pure functions of arrays, no Streamlit.

Titles and axis labels are written for people who do not program; hovering shows exact values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

TRAIN_COLOUR = "#1f77b4"
TEST_COLOUR = "#ff7f0e"
MARKER_COLOUR = "#d62728"


def class_counts_bar(
    train_labels,
    test_labels,
    class_names: Sequence[str],
    *,
    title: str = "How many images of each class?",
) -> go.Figure:
    """Grouped bars: the number of training and test images of each class."""
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


def pixel_histogram(images, *, title: str = "How bright are the pixels?") -> go.Figure:
    """How many pixels have each brightness from 0 to 255, on a log scale (background dominates)."""
    values = np.asarray(images)
    if values.dtype != np.uint8:
        raise ValueError(f"images should be uint8 pixels (0-255), got {values.dtype}.")
    counts = np.bincount(values.ravel(), minlength=256)
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
    fig.update_layout(title=title, bargap=0, showlegend=False, margin={"t": 60})
    fig.update_xaxes(title_text="Pixel brightness (0 = black background, 255 = full ink)", range=[-1, 256])
    fig.update_yaxes(title_text="Number of pixels (log scale)", type="log")
    return fig


def sweep_chart(
    ks: Sequence[int],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    y_title: str,
    current_k: int | None = None,
    percent: bool = False,
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
    """
    ks = [int(k) for k in ks]
    if not ks:
        raise ValueError("sweep_chart needs at least one K.")
    colours = [TRAIN_COLOUR, TEST_COLOUR, "#2ca02c", "#9467bd"]
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
            line_color=colours[i % len(colours)],
            hovertemplate=f"K = %{{x}}<br>{name}: %{{y:{value_format}}}<extra></extra>",
        )
    fig.update_layout(
        title=title,
        hovermode="closest",
        showlegend=len(series) > 1,
        legend={"orientation": "h", "y": -0.3},
        margin={"t": 60},
    )
    fig.update_xaxes(title_text="Number of clusters K (log scale)", type="log", tickvals=ks)
    fig.update_yaxes(title_text=y_title, tickformat=".0%" if percent else None)
    if current_k is not None:
        _mark_k(fig, current_k, [v for values in series.values() for v in values])
    return fig


def _mark_k(fig: go.Figure, k: int, values: Sequence[float]) -> None:
    """A dashed vertical line at K, drawn as a trace: shapes and annotations on log axes are fragile."""
    low, high = float(min(values)), float(max(values))
    pad = 0.04 * (high - low) if high > low else max(abs(high) * 0.05, 0.05)
    fig.add_scatter(
        x=[k, k],
        y=[low - pad, high + pad],
        mode="lines",
        name=f"Your K = {k}",
        line={"color": MARKER_COLOUR, "dash": "dash", "width": 2},
        hovertemplate=f"Your K = {k} (set in the sidebar)<extra></extra>",
        showlegend=False,
    )
    # Annotation positions on a log axis are given in log10 units.
    fig.add_annotation(
        x=math.log10(k),
        y=high + pad,
        text=f"Your K = {k}",
        showarrow=False,
        yanchor="bottom",
        font={"color": MARKER_COLOUR},
    )


def inertia_chart(ks, inertia, current_k=None) -> go.Figure:
    return sweep_chart(
        ks,
        {"Inertia": inertia},
        title="Inertia<br><sup>How tight the clusters are: lower is tighter</sup>",
        y_title="Inertia (sum of squared distances)",
        current_k=current_k,
    )


def homogeneity_chart(ks, homogeneity, current_k=None) -> go.Figure:
    return sweep_chart(
        ks,
        {"Homogeneity": homogeneity},
        title="Homogeneity<br><sup>Does each cluster hold a single class? 1 = yes</sup>",
        y_title="Homogeneity (0 to 1)",
        current_k=current_k,
    )


def accuracy_chart(ks, train_accuracy, test_accuracy, current_k=None) -> go.Figure:
    return sweep_chart(
        ks,
        {"Train accuracy": train_accuracy, "Test accuracy": test_accuracy},
        title="Accuracy<br><sup>How often the cluster's class is the right answer</sup>",
        y_title="Share of images labelled correctly",
        current_k=current_k,
        percent=True,
    )


def enlarge(image, scale: int) -> np.ndarray:
    """Blow up an image by an integer factor with square pixels, so small images stay crisp."""
    image = np.asarray(image)
    if scale < 1:
        raise ValueError(f"scale={scale} should be an integer >= 1.")
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


def display_scale(image_shape: Sequence[int], target: int = 84) -> int:
    """The integer factor that brings an image's longest side close to `target` display pixels."""
    return max(1, round(target / max(image_shape)))
