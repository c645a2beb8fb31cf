"""The Map page's figure: images as dots in 2D, coloured by group, with the cluster centres on top."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from core.figures.colours import GROUP_COLOURS
from core.figures.hover_pictures import MONOSPACE_FONTS, hover_pictures, texts_with_pictures
from core.figures.images import TILE_OPACITY, png_data_uri

#: Most groups the map gives a legend entry each; beyond this, colours repeat without a legend.
MAX_LEGEND_GROUPS = 20
#: The legend's name for the centres: crosses, or once `add_thumbnails` draws them, pictures.
CENTRES_NAME = "Cluster centres"
CENTRE_PICTURES_NAME = "Cluster centres (the pictures)"
#: Widest or tallest picture of tiles `tiles_picture` paints (a map's centres need a few hundred).
MAX_PICTURE_PIXELS = 8000
#: The axes' text size (Streamlit's charts use 12 px; presenter mode enlarges it).
TEXT_SIZE = 12
#: The dots and centres are drawn with WebGL: redrawing 1,000 SVG dots on a K change cost about 40 ms
#: more in Chromium here (bench/README.md, "Eighth pass"). The centres are WebGL too, so that they
#: stay on top of the dots. A browser without WebGL gets them as SVG ("scatter"): ui/plotly_chart.js.
MAP_TRACE_TYPE = "scattergl"


def projection_map(points_2d, groups, group_names, centers_2d, center_names, **options) -> go.Figure:
    """`projection_map_spec`'s map as a Plotly figure, checked by Plotly (a wrong property raises).

    The same parameters; a scatter map of images in 2D, coloured by group, with the cluster centres as
    black crosses.
    """
    return go.Figure(projection_map_spec(points_2d, groups, group_names, centers_2d, center_names, **options))


def projection_map_spec(
    points_2d,
    groups,
    group_names: Sequence[str],
    centers_2d,
    center_names: Sequence[str],
    *,
    point_text: Sequence[str],
    title: str,
    legend_title: str,
    axis_name: str = "PCA",
    point_images=None,
    center_images=None,
    point_pictures: Sequence[str] | None = None,
    text_size: int = TEXT_SIZE,
) -> dict:
    """A scatter map of images in 2D, as a plain figure dict (``{"data": [...], "layout": {...}}``).

    What the Map page sends on every K: Plotly checking and copying the figure's thousands of values
    (`projection_map`) cost about 20 ms of a new K's run at 1,000 dots. tests/test_plotly_component.py
    checks that the browser gets from it what it gets from the checked figure.

    Parameters
    ----------
    points_2d : array-like of shape (n_samples, 2)
    groups : array-like of int, shape (n_samples,)
        Each point's group (a cluster or a class), an index into `group_names`.
    group_names : sequence of str
        Legend entries (up to `MAX_LEGEND_GROUPS` get a legend; more groups share repeated colours).
    centers_2d : array-like of shape (n_clusters, 2)
    center_names : sequence of str
        Hover text of each centre, e.g. "Centre of cluster 3, which reads as 4".
    point_text : sequence of str
        Hover text of each point, e.g. "A 4, in cluster 3".
    title, legend_title : str
    axis_name : str, default="PCA"
        The projection's name, for the axis titles.
    point_images, center_images : array-like of shape (n, height, width), optional
        The images of the points and of the centres: hovering a dot then shows its picture drawn
        in characters (`core.figures.hover_pictures`) under its text, in a monospace hover label.
    point_pictures : sequence of str, optional
        Instead of `point_images`: each point's picture made beforehand (`hover_pictures`), or ""
        for none. A map keeps them between models, and pictures only some points to send less.
    text_size : int, default=12
        The size of the axes' text, which the margins leave room for (`map_margin`).

    Each point's ``customdata`` is its row in `points_2d`, whatever trace it is drawn in, so a
    selection can be read back; centres carry ``-1 - cluster``.
    """
    points_2d, centers_2d = np.asarray(points_2d, dtype=np.float64), np.asarray(centers_2d, dtype=np.float64)
    groups = np.asarray(groups, dtype=np.int64)
    _check_lengths(points_2d, groups, point_text, centers_2d, center_names)
    point_pictures = _point_pictures(point_text, point_images, point_pictures)
    with_legend = len(group_names) <= MAX_LEGEND_GROUPS
    names = group_names if with_legend else None
    traces = _point_traces(points_2d, groups, names, point_text, point_pictures)
    traces.append(_centre_trace(centers_2d, texts_with_pictures(center_names, center_images)))
    monospace = point_pictures is not None or center_images is not None
    layout = _map_layout(title, legend_title if with_legend else "", axis_name, text_size, monospace)
    return {"data": traces, "layout": layout}


def _check_lengths(points_2d, groups, point_text, centers_2d, center_names) -> None:
    n = len(points_2d)
    if len(groups) != n or len(point_text) != n:
        raise ValueError(
            f"{n} points need as many groups and texts, got {len(groups)} and {len(point_text)}."
        )
    if len(center_names) != len(centers_2d):
        raise ValueError(f"{len(centers_2d)} centres need as many names, got {len(center_names)}.")


def _point_pictures(point_text, point_images, point_pictures) -> Sequence[str] | None:
    """Each point's picture: `point_pictures` as given, or drawn from `point_images`; None for neither."""
    if point_pictures is None and point_images is not None:
        if len(point_images) != len(point_text):
            raise ValueError(f"{len(point_text)} hover texts need as many images, got {len(point_images)}.")
        point_pictures = hover_pictures(point_images)
    if point_pictures is not None and len(point_pictures) != len(point_text):
        raise ValueError(f"{len(point_text)} hover texts need as many pictures, got {len(point_pictures)}.")
    return point_pictures


def _point_traces(points_2d, groups, group_names, texts, pictures) -> list[dict]:
    """A trace per group present, named for the legend; without `group_names`, one trace of all the
    points, each in its group's colour (too many groups for a legend).

    Each point's hover label is its text, then its picture if it has one (`pictures`, "" for none).
    The pictures are the trace's ``text``, apart from the texts: they stay the same while K changes
    the texts, so the browser gets them once (`ui.plotly_component.KEPT_ARRAYS`).
    """
    texts = np.asarray(texts, dtype=object)
    shown = (
        None if pictures is None else np.asarray([f"<br>{p}" if p else "" for p in pictures], dtype=object)
    )
    if group_names is not None:
        batches = [
            (str(group_names[g]), groups == g, {"color": GROUP_COLOURS[g % len(GROUP_COLOURS)]})
            for g in np.unique(groups)
        ]
    else:
        # Colour numbers through a stepped scale, not a colour name per point: a K change sends
        # and checks a small array of numbers instead of thousands of strings.
        batches = [("Images", np.ones(len(groups), dtype=bool), group_colour_numbers(groups))]
    template = "%{hovertext}<extra></extra>" if shown is None else "%{hovertext}%{text}<extra></extra>"
    return [
        {
            "type": MAP_TRACE_TYPE,
            "x": points_2d[mask, 0],
            "y": points_2d[mask, 1],
            "mode": "markers",
            "marker": {"size": 6, "opacity": 0.75, **colour},
            "name": name,
            "customdata": np.flatnonzero(mask).tolist(),
            # Lists, not arrays of objects: Plotly's JSON writer then skips its slow cleaning pass.
            "hovertext": texts[mask].tolist(),
            "hovertemplate": template,
            "showlegend": group_names is not None,
            **({} if shown is None else {"text": shown[mask].tolist()}),
        }
        for name, mask, colour in batches
    ]


def group_colour_numbers(groups) -> dict:
    """Marker settings that colour each point by its group with `GROUP_COLOURS` (repeating), as
    numbers on a stepped colour scale: ``color`` is ``group % len(GROUP_COLOURS)``."""
    n = len(GROUP_COLOURS)
    steps = [[edge, colour] for i, colour in enumerate(GROUP_COLOURS) for edge in (i / n, (i + 1) / n)]
    return {
        "color": np.asarray(groups, dtype=np.int64) % n,
        "colorscale": steps,
        "cmin": -0.5,
        "cmax": n - 0.5,
        "showscale": False,
    }


def _centre_trace(centers_2d: np.ndarray, center_text: list[str]) -> dict:
    return {
        "type": MAP_TRACE_TYPE,
        "x": centers_2d[:, 0],
        "y": centers_2d[:, 1],
        "mode": "markers",
        "marker": {"size": 12, "symbol": "x", "color": "#000000", "line": {"width": 1, "color": "#ffffff"}},
        "name": CENTRES_NAME,
        "customdata": (-1 - np.arange(len(centers_2d))).tolist(),
        "hovertext": center_text,
        "hovertemplate": "%{hovertext}<extra></extra>",
    }


def map_margin(text_size: int = TEXT_SIZE) -> dict:
    """Margins (px) with room for the title and the axes' labels and titles at this text size.

    Streamlit's chart theme leaves no margin at the left and lets the axes widen it once their
    labels are measured, which makes the browser draw every dot a second time; margins already
    wide enough are drawn once.
    """
    return {"t": 60, "l": 42 + 2 * text_size, "b": 80}


def _map_layout(title: str, legend_title: str, axis_name: str, text_size: int, monospace: bool) -> dict:
    # Lasso by default: picking a region of the map is what the page's image list reads back. With
    # the lasso, Streamlit's chart sets clicks to "event" itself; asking for that already saves the
    # browser drawing the whole map a second time.
    layout = {
        "title": {"text": title},
        "legend": {"title": {"text": legend_title}},
        "dragmode": "lasso",
        "clickmode": "event",
        "margin": map_margin(text_size),
        "hovermode": "closest",
        "xaxis": {"title": {"text": f"{axis_name} direction 1 (the biggest difference between images)"}},
        "yaxis": {"title": {"text": f"{axis_name} direction 2 (the next biggest)"}},
    }
    if monospace:  # pictures drawn in characters need their columns lined up
        layout["hoverlabel"] = {"font": {"family": MONOSPACE_FONTS}, "align": "left"}
    return layout


def add_thumbnails(fig: go.Figure, images, positions, *, size: float = 0.09) -> go.Figure:
    """Draw each image at its position on a scatter map, as dark ink on a white tile.

    Parameters
    ----------
    fig : go.Figure
        A figure with data axes ``x`` and ``y`` (e.g. from `projection_map`); changed in place.
    images : ndarray of shape (n_images, height, width), uint8
        255 is full ink (drawn black), 0 is background (drawn white).
    positions : array-like of shape (n_images, 2)
        Where each image's centre goes, in data units.
    size : float, default=0.09
        Each image's width as a share of the data's extent.

    Returns the figure, for chaining. The tiles are painted in order, each over those before, into
    one picture laid over the map (`tiles_picture`): one image for Plotly to check and the browser
    to place instead of one per centre, a few times fewer bytes. It is an embedded PNG, so a
    downloaded PNG of the chart keeps it. The centres' legend entry, if any, then names the pictures
    (`CENTRE_PICTURES_NAME`), not crosses.
    """
    images, positions = np.asarray(images), np.asarray(positions, dtype=np.float64)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"images should be uint8 of shape (n, height, width), got {images.dtype} {images.shape}."
        )
    if len(images) != len(positions):
        raise ValueError(f"{len(images)} images need as many positions, got {len(positions)}.")
    fig.update_traces(name=CENTRE_PICTURES_NAME, marker_symbol="square-open", selector={"name": CENTRES_NAME})
    if not len(images):
        return fig
    xs = np.concatenate([np.asarray(trace.x, dtype=np.float64) for trace in fig.data if trace.x is not None])
    ys = np.concatenate([np.asarray(trace.y, dtype=np.float64) for trace in fig.data if trace.y is not None])
    tile_size = np.array([size * np.ptp(xs), size * np.ptp(ys)])
    picture, (left, top), extent = tiles_picture(images, positions, tile_size)
    layer = {"source": png_data_uri(picture), "x": left, "y": top, "sizex": extent[0], "sizey": extent[1]}
    fig.add_layout_image(
        **layer, xref="x", yref="y", xanchor="left", yanchor="top", sizing="stretch", layer="above"
    )
    return fig


def tiles_picture(images: np.ndarray, positions: np.ndarray, tile_size) -> tuple[np.ndarray, tuple, tuple]:
    """The images as ink on white tiles centred at their positions, painted in order into one picture.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width), uint8, n_images >= 1
    positions : ndarray of shape (n_images, 2)
        Each tile's centre, in data units.
    tile_size : array-like of (width, height)
        A tile's size in data units, drawn with a pixel per image pixel (the browser scales the
        whole picture, as it scaled each tile drawn on its own).

    Returns the picture as grey and opacity (shape (height, width, 2), uint8, transparent between
    tiles), its top-left corner (x, y) and its (width, height), both in data units. A tile painted
    later covers those before it.
    """
    n, height, width = images.shape
    pixels = np.array([width, height])
    size = np.asarray(tile_size, dtype=np.float64)
    unit = size / pixels  # data units per pixel
    step = np.where(unit > 0, unit, 1.0)  # all points on a line: tiles of no width, placed anyhow
    left, top = positions[:, 0].min() - size[0] / 2, positions[:, 1].max() + size[1] / 2
    offsets = np.column_stack([positions[:, 0] - size[0] / 2 - left, top - positions[:, 1] - size[1] / 2])
    corners = np.rint(offsets / step).astype(np.int64)
    canvas_size = corners.max(axis=0) + pixels
    if canvas_size.max() > MAX_PICTURE_PIXELS:
        raise ValueError(
            f"The tiles would span {canvas_size.max():,} pixels: their positions should lie within "
            "a few hundred tile widths of each other."
        )
    canvas = Image.new("RGBA", tuple(int(v) for v in canvas_size), (0, 0, 0, 0))
    tiles = np.empty((n, height, width, 4), dtype=np.uint8)
    tiles[..., :3] = (255 - images)[..., None]  # black ink on white
    tiles[..., 3] = TILE_OPACITY
    for tile, (x, y) in zip(tiles, corners, strict=True):
        canvas.alpha_composite(Image.fromarray(tile), dest=(int(x), int(y)))
    extent = (float(canvas.width * unit[0]), float(canvas.height * unit[1]))
    # Grey and opacity only: half the bytes of RGBA for the same picture.
    return np.asarray(canvas)[..., [0, 3]], (float(left), float(top)), extent
