"""Plotly charts with the lab's settings: a PNG download button, no logo, bigger in presenter mode."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.figures.axis_margins import TICK_SIZE
from core.figures.images import png_data_uri
from ui.caches import chart_memo
from ui.plotly_component import PUBLISHED, chart_spec, drag_mode, plotly_component, whole_figure
from ui.settings import presenter_mode

#: Session State's {chart key: (inputs, finished chart)} of `show_chart(..., changes_with=...)`.
LAST_CHARTS_KEY = "kmeans_lab_last_charts"

CHART_HEIGHT = 450
#: Pictures grow by this much in presenter mode; charts keep their height (a 720 px screen has no
#: room for taller ones) and grow their text instead.
PRESENTER_SCALE = 1.35
PRESENTER_FONT_SIZE = 18
#: The axes' numbers in presenter mode (a little smaller than the rest of its text).
PRESENTER_TICK_SIZE = PRESENTER_FONT_SIZE - 2


def show_chart(
    fig,
    *,
    key: str,
    height: int | None = None,
    memo: tuple | None = None,
    on_select=None,
    selection_mode="points",
    overlay: dict | None = None,
    changes_with=None,
):
    """A Plotly chart with the lab's settings, kept in the page under `key`. Every chart goes through this.

    `fig` is a figure (a Plotly figure, or a plain figure dict: `dress_figure`), or with `memo` or
    `changes_with` a function that builds one. ``memo=(dataset, what)`` names
    what the figure shows (besides the dataset), and the finished chart is kept (the last 32 per
    dataset, `ui.caches.chart_memo`), so a rerun that does not change it neither builds it again nor
    sends the browser anything to redraw. ``changes_with=value`` keeps only this session's last chart
    under `key`, built again when `value` differs from the last run's: for a chart nobody else sees,
    redrawn every few seconds (the Audience page's).
    `on_select` lets the user pick points: "rerun", or a callback run when they do; `selection_mode`
    is "points" (a click) or a tuple that also has "box" and "lasso". `overlay` is drawn on top,
    ``{"shapes": [...], "annotations": [...]}`` (`core.figures.charts.k_marker`): it changes without
    the figure being built or sent again. Returns the pick, a mapping ``{"points": [...]}`` that
    `ui.selection` reads, or None.
    """
    presenting = presenter_mode()
    picking = drag_mode(selection_mode) if on_select else {}

    def finished(figure, copy):
        return chart_spec(dress_figure(figure, presenting, height, copy=copy, layout=picking))

    if changes_with is not None:
        spec = last_chart(key, (changes_with, presenting, height), lambda: finished(fig(), False))
    elif memo is None:
        spec = finished(fig, True)
    else:
        dataset, what = memo
        spec = chart_memo(
            dataset,
            ("chart", key, *what, presenting, height, bool(on_select)),
            lambda: finished(fig(), False),
        )
    if not PUBLISHED:  # no static folder to serve plotly.js from: Streamlit's own chart
        kwargs = {"on_select": on_select, "selection_mode": selection_mode} if on_select else {}
        figure = heatmap_cells_as_points(svg_traces(with_overlay(whole_figure(spec), overlay)))
        event = st.plotly_chart(figure, key=key, config=chart_config(key), **kwargs)
        return event.selection if on_select else None
    events = None if not on_select else ("click" if selection_mode == "points" else "select")
    return plotly_component(
        spec,
        key=key,
        config=chart_config(key),
        events=events,
        on_change=on_select if callable(on_select) else None,
        overlay=overlay,
    )


def last_chart(key: str, inputs, build):
    """``build()``, or this session's chart under `key` if it was built from the same `inputs` last time."""
    kept = st.session_state.setdefault(LAST_CHARTS_KEY, {})
    last = kept.get(key)
    if last is None or last[0] != inputs:
        kept[key] = last = (inputs, build())
    return last[1]


def with_overlay(figure: dict, overlay: dict | None) -> dict:
    """The figure with `overlay`'s shapes and annotations added (in place), as the browser draws it."""
    layout = figure["layout"]
    for name, items in (overlay or {}).items():
        layout[name] = layout.get(name, []) + items
    return figure


def svg_traces(figure: dict) -> dict:
    """The figure with its WebGL traces drawn as SVG: Streamlit's own chart cannot check, as
    ui/plotly_chart.js does, whether the browser has WebGL, and SVG draws everywhere."""
    for trace in figure.get("data", []):
        if trace.get("type") == "scattergl":
            trace["type"] = "scatter"
    return figure


def heatmap_cells_as_points(figure: dict) -> dict:
    """The figure with an invisible square marker on each cell of a heatmap that carries customdata
    (in place): Streamlit's own chart hands back picked points, never heatmap cells, so a click on
    a cell (Evaluate's table) picks its marker, which carries the cell's customdata and hover text."""
    for trace in list(figure.get("data", [])):
        if trace.get("type") != "heatmap" or trace.get("customdata") is None:
            continue
        columns, rows = trace["x"], trace["y"]
        cells = [(row, column) for row in range(len(rows)) for column in range(len(columns))]
        hover = trace.get("hovertext")
        figure["data"].append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [columns[column] for _, column in cells],
                "y": [rows[row] for row, _ in cells],
                "marker": {"symbol": "square", "size": 28, "color": "#000000", "opacity": 0},
                "customdata": [trace["customdata"][row][column] for row, column in cells],
                "hovertext": [hover[row][column] for row, column in cells] if hover else None,
                "hovertemplate": trace.get("hovertemplate"),
                "showlegend": False,
                "name": "cells",
            }
        )
        trace["hoverinfo"] = "skip"  # the markers say it
    return figure


def dress_figure(
    fig, presenting: bool, height: int | None = None, *, copy: bool = True, layout: dict | None = None
):
    """The figure at the chart height; in presenter mode with bigger text and counts; `layout`'s
    settings (say, what a drag does) set last.

    A copy, so the caller's figure (maybe cached) is left as it was, unless `copy` is False: a
    figure just built for this call is changed in place (a copy checks every value again in Plotly).
    A plain figure dict (`core.figures.maps.projection_map_spec`) is dressed as a dict, unchecked.
    """
    if isinstance(fig, dict):
        spec = _dress_spec(copy_spec(fig) if copy else fig, presenting, height)
        merge_into(spec["layout"], layout or {})
        return spec
    if copy or not isinstance(fig, go.Figure):
        fig = go.Figure(fig)
    if presenting:
        # Streamlit's chart theme sets each text size itself, so each is enlarged explicitly.
        layout, axes, heatmaps = presenter_text()
        fig.update_layout(layout)
        fig.update_xaxes(axes)
        fig.update_yaxes(axes)
        fig.update_traces(heatmaps, selector={"type": "heatmap"})
    fig.update_layout(height=height or fig.layout.height or CHART_HEIGHT)
    if layout:
        fig.update_layout(layout)
    return fig


def presenter_text() -> tuple[dict, dict, dict]:
    """The text sizes of presenter mode: for the layout, for each axis, for a heatmap's cells."""
    size = PRESENTER_FONT_SIZE
    layout = {
        "font": {"size": size},
        "title": {"font": {"size": size + 2}},
        "legend": {"font": {"size": size}},
        "hoverlabel": {"font": {"size": size}},
    }
    axis = {"title": {"font": {"size": size}}, "tickfont": {"size": PRESENTER_TICK_SIZE}}
    return layout, axis, {"textfont": {"size": size}}


def _dress_spec(spec: dict, presenting: bool, height: int | None) -> dict:
    layout = spec.setdefault("layout", {})
    if presenting:
        sizes, axes, heatmaps = presenter_text()
        merge_into(layout, sizes)
        for name in [name for name in layout if name.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]:
            merge_into(layout.setdefault(name, {}), axes)
        for trace in spec.get("data", []):
            if trace.get("type") == "heatmap":
                merge_into(trace, heatmaps)
    layout["height"] = height or layout.get("height") or CHART_HEIGHT
    return spec


def merge_into(target: dict, changes: dict) -> None:
    """Set `changes` in `target`, nested dicts merged key by key (a title given as text becomes
    ``{"text": ...}``, as Plotly reads it)."""
    for key, value in changes.items():
        if isinstance(value, dict):
            inner = target.get(key)
            if isinstance(inner, str):
                inner = {"text": inner}
            target[key] = inner if isinstance(inner, dict) else {}
            merge_into(target[key], value)
        else:
            target[key] = value


def copy_spec(spec: dict) -> dict:
    """A copy of a figure dict that can be dressed without changing `spec`: its dicts are copied, its
    arrays shared."""
    if isinstance(spec, dict):
        return {key: copy_spec(value) for key, value in spec.items()}
    if isinstance(spec, list):
        return [copy_spec(value) for value in spec]
    return spec


def tick_size() -> int:
    """The size of the charts' axis numbers now: bigger in presenter mode (`presenter_text`)."""
    return PRESENTER_TICK_SIZE if presenter_mode() else TICK_SIZE


def display_size(pixels: int) -> int:
    """How big to show an image that is normally `pixels` wide: bigger in presenter mode."""
    return round(pixels * PRESENTER_SCALE) if presenter_mode() else pixels


def show_images(images, *, place=None, **kwargs) -> None:
    """`st.image` (in `place`, else the page) for pictures made here: arrays, or PNG data URIs.

    Arrays are sent as PNG data URIs (`core.figures.images.png_data_uri`), inside the page's own
    message: Streamlit neither re-reads them nor keeps them in its media store, and the browser
    fetches nothing more. On the Centroids page at K = 150 that was 150 requests on every K change.
    Keyword arguments (``caption``, ``width``) go to `st.image`.
    """
    urls = [_url(i) for i in images] if isinstance(images, list) else _url(images)
    (place or st).image(urls, **kwargs)


def _url(image) -> str:
    return image if isinstance(image, str) else png_data_uri(np.asarray(image))


def chart_config(name: str) -> dict:
    """Plotly's options for every chart: the camera button saves a PNG (made in the browser).

    No "Share chart" button: plotly.js 3 shows one by default, and it uploads the chart, data and
    all, to Plotly's cloud; a chart here may show a user's own upload, which never leaves the app.
    `ui/plotly_chart.js` draws the PNG on white, in a font the picture can use.
    """
    return {
        "displaylogo": False,
        "showSendToCloud": False,
        "toImageButtonOptions": {"format": "png", "filename": f"kmeans-lab-{name}", "scale": 2},
    }
