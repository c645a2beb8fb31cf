"""The take-away: one self-contained HTML file of a session's results, for an audience to keep.

It holds the K sweep (charts and table), the gallery of cluster centres, the confusion matrix and a
summary in words. Everything is inside the file: plotly.js once (so the charts stay interactive
offline), and the pictures as PNG data URIs. Built from plain inputs; no Streamlit here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from core.figures.images import png_data_uri

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem;
       color: #1f2328; line-height: 1.5; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 1rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { padding: 0.3rem 0.8rem; border-bottom: 1px solid #d0d7de; text-align: right; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)); gap: 0.8rem; }
figure { margin: 0; text-align: center; font-size: 0.85rem; }
figure img { image-rendering: pixelated; width: 84px; height: auto; }
"""


def takeaway_html(
    *,
    title: str,
    settings_line: str,
    summary: str,
    sweep_figures: Sequence[go.Figure],
    sweep_rows: Sequence[Mapping[str, object]],
    sweep_columns: Mapping[str, tuple[str, str]],
    gallery: Sequence[tuple[np.ndarray, str]],
    confusion: go.Figure,
) -> str:
    """The whole page as one HTML string.

    Parameters
    ----------
    title : str
        The page's heading and ``<title>``.
    settings_line : str
        The settings the results are for, e.g. "K = 36 · MNIST sample".
    summary : str
        A paragraph in plain words on the current settings' results.
    sweep_figures : sequence of go.Figure
        The K sweep's charts; the first embeds plotly.js for every chart.
    sweep_rows : sequence of mapping
        One row per K of the sweep's table.
    sweep_columns : mapping of str to (str, str)
        The table's columns: row key -> (heading, format spec, e.g. ".1%").
    gallery : sequence of (ndarray, str)
        Each cluster centre as a uint8 picture (already enlarged as wanted), and its caption.
    confusion : go.Figure
        The confusion matrix for the current settings.

    All text is escaped: names from a dataset or a model file are shown as typed, never as HTML.
    """
    if not sweep_figures:
        raise ValueError("sweep_figures is empty: the take-away needs at least one sweep chart.")
    charts = [chart_html(fig, with_plotly_js=i == 0) for i, fig in enumerate(sweep_figures)]
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p><em>{html.escape(settings_line)}</em></p>",
        f"<p>{html.escape(summary)}</p>",
        "<h2>How the scores change with K</h2>",
        f'<div class="charts">{"".join(charts)}</div>',
        table_html(sweep_rows, sweep_columns),
        "<h2>The centre of each cluster</h2>",
        gallery_html(gallery),
        "<h2>Which classes get mixed up</h2>",
        chart_html(confusion, with_plotly_js=False),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def chart_html(fig: go.Figure, *, with_plotly_js: bool) -> str:
    """One chart as an HTML fragment; with `with_plotly_js`, plotly.js itself comes first."""
    return fig.to_html(
        include_plotlyjs=with_plotly_js, full_html=False, config={"displaylogo": False, "responsive": True}
    )


def table_html(rows: Sequence[Mapping[str, object]], columns: Mapping[str, tuple[str, str]]) -> str:
    """The rows as an HTML table, each value formatted by its column's format spec."""
    head = "".join(f"<th>{html.escape(heading)}</th>" for heading, _ in columns.values())
    body = "".join(
        "<tr>" + "".join(f"<td>{format(row[key], spec)}</td>" for key, (_, spec) in columns.items()) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def gallery_html(gallery: Sequence[tuple[np.ndarray, str]]) -> str:
    """The pictures as a grid of ``<figure>``s, each picture a PNG data URI with its caption."""
    figures = "".join(
        f'<figure><img src="{png_data_uri(image)}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for image, caption in gallery
    )
    return f'<div class="gallery">{figures}</div>'
