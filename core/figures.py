"""Plotly figures and display images for the pages: pure functions of arrays, no Streamlit.

Titles and axis labels are written for people who do not program; hovering shows exact values.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import qualitative

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


def png_bytes(image) -> bytes:
    """An image (uint8, grey or RGB(A)) as PNG bytes: what `st.image` sends, so it can be cached."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image)).save(buffer, format="PNG")
    return buffer.getvalue()


def display_scale(image_shape: Sequence[int], target: int = 84) -> int:
    """The integer factor that brings an image's longest side close to `target` display pixels."""
    return max(1, round(target / max(image_shape)))


# --- Evaluate, Map and Step by step ------------------------------------------------------------

#: Colours for groups on the map: D3's ten, then Dark24's 24, repeated when there are more groups.
GROUP_COLOURS = tuple(qualitative.D3 + qualitative.Dark24)
#: Opacity (0-255) of the white tiles behind the centre pictures on the map.
TILE_OPACITY = 225
#: Most groups the map gives a legend entry each; beyond this, colours repeat without a legend.
MAX_LEGEND_GROUPS = 20


#: Characters for ink from none to full, lightest first; blank is a non-breaking space, because
#: Plotly collapses runs of ordinary spaces in hover text.
INK_SHADES = ("\u00a0", "\u2591", "\u2592", "\u2593", "\u2588")  # " ░▒▓█"
#: Monospace fonts for hover labels that draw a picture as text, so its columns line up.
MONOSPACE_FONTS = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace"


def image_as_hover_text(image, max_columns: int = 28) -> str:
    """A grayscale image drawn as lines of shade characters, for a Plotly hover label.

    Parameters
    ----------
    image : array-like of shape (height, width)
        Integer pixels are read as 0 (no ink) to 255 (full ink); float pixels as 0 to 1, or as 0 to
        255 when any is above 1; booleans as no ink or full ink.
    max_columns : int, default=28
        Most characters on a line. A character is about twice as tall as it is wide, so each covers
        a block of pixels twice as tall as wide: a 28x28 image gives 14 lines of 28 characters. An
        image at most half as wide as `max_columns` gets two characters per pixel and a line per
        pixel row (8x8 gives 8 lines of 16); a wider one is averaged down to at most `max_columns`.

    Returns the lines joined with ``"<br>"``; show it in a monospace font (`MONOSPACE_FONTS`).
    """
    image = np.asarray(image)
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"image should be 2D and not empty, got shape {image.shape}.")
    if not (np.issubdtype(image.dtype, np.number) or image.dtype == bool):
        raise ValueError(f"image should hold numbers, got dtype {image.dtype}.")
    if max_columns < 2:
        raise ValueError(f"max_columns={max_columns} should be >= 2.")
    return _shade_lines(_ink_share(image), max_columns)


def _ink_share(image: np.ndarray) -> np.ndarray:
    """Pixels as ink shares from 0 to 1 (see `image_as_hover_text` for how each dtype is read)."""
    values = image.astype(np.float64)
    if image.dtype != bool and (np.issubdtype(image.dtype, np.integer) or values.max(initial=0) > 1):
        values = values / 255
    return np.clip(np.nan_to_num(values), 0, 1)


def _shade_lines(ink: np.ndarray, max_columns: int) -> str:
    height, width = ink.shape
    if 2 * width <= max_columns:  # small: each pixel becomes two characters side by side
        blocks = np.repeat(ink, 2, axis=1)
    else:  # each character is the mean of a block `step` pixels wide and `2 * step` tall
        step = math.ceil(width / max_columns)
        padded = np.zeros((math.ceil(height / (2 * step)) * 2 * step, math.ceil(width / step) * step))
        padded[:height, :width] = ink
        rows, columns = padded.shape[0] // (2 * step), padded.shape[1] // step
        blocks = padded.reshape(rows, 2 * step, columns, step).mean(axis=(1, 3))
    levels = np.minimum((blocks * len(INK_SHADES)).astype(np.int64), len(INK_SHADES) - 1)
    return "<br>".join("".join(INK_SHADES[level] for level in row) for row in levels)


def confusion_heatmap(
    confusion, class_names: Sequence[str], *, title: str = "Which classes get mixed up?"
) -> go.Figure:
    """True class (rows) against predicted class (columns), coloured by the share of each true class.

    Each cell shows its count. An invisible marker sits on every cell and carries
    ``customdata = [true index, predicted index, count]``, so a click on a cell can be read back as
    a selection (Plotly reports no selections on heatmaps).
    """
    confusion = np.asarray(confusion, dtype=np.int64)
    n = len(class_names)
    if confusion.shape != (n, n):
        raise ValueError(f"confusion of shape {confusion.shape} should be ({n}, {n}) for {n} class names.")
    names = [str(name) for name in class_names]
    totals = confusion.sum(axis=1)
    share = np.divide(confusion, totals[:, None], out=np.zeros(confusion.shape), where=totals[:, None] > 0)
    hover = [
        [_confusion_hover(names[t], names[p], confusion[t, p], share[t, p]) for p in range(n)]
        for t in range(n)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=names,
            y=names,
            text=confusion,
            texttemplate="%{text:,}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar={"title": {"text": "Share of<br>the true class"}, "tickformat": ".0%"},
            hoverinfo="skip",
            name="",
        )
    )
    true_index, predicted_index = np.divmod(np.arange(n * n), n)
    fig.add_scatter(
        x=[names[p] for p in predicted_index],
        y=[names[t] for t in true_index],
        mode="markers",
        marker={"symbol": "square", "size": 28, "color": "#000000", "opacity": 0},
        selected={"marker": {"opacity": 0.35}},
        unselected={"marker": {"opacity": 0}},
        # Plain lists: Plotly would send a numpy array as typed binary data, which the browser
        # does not hand back per point in a selection.
        customdata=np.column_stack([true_index, predicted_index, confusion.ravel()]).tolist(),
        hovertext=[hover[t][p] for t, p in zip(true_index, predicted_index, strict=True)],
        hovertemplate="%{hovertext}<extra></extra>",
        showlegend=False,
        name="cells",
    )
    fig.update_layout(title=title, margin={"t": 60}, clickmode="event+select", dragmode=False)
    fig.update_xaxes(title_text="Predicted class (what the model said)", type="category", side="bottom")
    fig.update_yaxes(
        title_text="True class (what the image really is)", type="category", autorange="reversed"
    )
    return fig


def _confusion_hover(true: str, predicted: str, count: int, share: float) -> str:
    noun = "image" if count == 1 else "images"
    if true == predicted:
        return f"{count:,} test {noun} of {true} classified correctly<br>({share:.1%} of all {true})"
    return f"{count:,} test {noun} of {true} read as {predicted}<br>({share:.1%} of all {true})"


def class_accuracy_bar(
    accuracy, class_names: Sequence[str], *, title: str = "How often is each class right?"
) -> go.Figure:
    """One bar per class: the share of its test images classified correctly (0 to 100%)."""
    accuracy = np.asarray(accuracy, dtype=np.float64)
    if len(accuracy) != len(class_names):
        raise ValueError(f"{len(accuracy)} accuracies for {len(class_names)} class names.")
    names = [str(name) for name in class_names]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=accuracy,
            marker_color=TEST_COLOUR,
            hovertemplate="%{x}: %{y:.1%} of its test images classified correctly<extra></extra>",
            name="Accuracy",
        )
    )
    fig.update_layout(title=title, showlegend=False, margin={"t": 60})
    fig.update_xaxes(title_text="Class", type="category")
    fig.update_yaxes(title_text="Test images classified correctly", tickformat=".0%", range=[0, 1.02])
    return fig


def projection_map(
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
) -> go.Figure:
    """A scatter map of images in 2D, coloured by group, with the cluster centres as black crosses.

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
        in characters (`image_as_hover_text`) under its text, in a monospace hover label.

    Each point's ``customdata`` is its row in `points_2d`, whatever trace it is drawn in, so a
    selection can be read back; centres carry ``-1 - cluster``.
    """
    points_2d, centers_2d = np.asarray(points_2d, dtype=np.float64), np.asarray(centers_2d, dtype=np.float64)
    groups = np.asarray(groups, dtype=np.int64)
    n = len(points_2d)
    if len(groups) != n or len(point_text) != n:
        raise ValueError(
            f"{n} points need as many groups and texts, got {len(groups)} and {len(point_text)}."
        )
    if len(center_names) != len(centers_2d):
        raise ValueError(f"{len(centers_2d)} centres need as many names, got {len(center_names)}.")
    text = np.asarray(_with_pictures(point_text, point_images), dtype=object)
    center_text = _with_pictures(center_names, center_images)
    fig = go.Figure()
    with_legend = len(group_names) <= MAX_LEGEND_GROUPS
    present = np.unique(groups)
    batches = [(g, groups == g) for g in present] if with_legend else [(None, np.ones(n, dtype=bool))]
    for g, mask in batches:
        colour = (
            GROUP_COLOURS[g % len(GROUP_COLOURS)]
            if g is not None
            else [GROUP_COLOURS[v % len(GROUP_COLOURS)] for v in groups]
        )
        fig.add_scatter(
            x=points_2d[mask, 0],
            y=points_2d[mask, 1],
            mode="markers",
            marker={"size": 6, "color": colour, "opacity": 0.75},
            name=str(group_names[g]) if g is not None else "Images",
            customdata=np.flatnonzero(mask).tolist(),
            hovertext=text[mask],
            hovertemplate="%{hovertext}<extra></extra>",
            showlegend=g is not None,
        )
    fig.add_scatter(
        x=centers_2d[:, 0],
        y=centers_2d[:, 1],
        mode="markers",
        marker={"size": 12, "symbol": "x", "color": "#000000", "line": {"width": 1, "color": "#ffffff"}},
        name="Cluster centres",
        customdata=(-1 - np.arange(len(centers_2d))).tolist(),
        hovertext=center_text,
        hovertemplate="%{hovertext}<extra></extra>",
    )
    fig.update_layout(
        title=title,
        legend_title_text=legend_title if with_legend else "",
        dragmode="lasso",
        clickmode="event+select",
        margin={"t": 60},
        hovermode="closest",
    )
    if point_images is not None or center_images is not None:
        fig.update_layout(hoverlabel={"font": {"family": MONOSPACE_FONTS}, "align": "left"})
    fig.update_xaxes(title_text=f"{axis_name} direction 1 (the biggest difference between images)")
    fig.update_yaxes(title_text=f"{axis_name} direction 2 (the next biggest)")
    return fig


def _with_pictures(texts: Sequence[str], images) -> list[str]:
    """Each hover text with its image drawn in characters underneath (the texts alone if no images)."""
    if images is None:
        return list(texts)
    if len(images) != len(texts):
        raise ValueError(f"{len(texts)} hover texts need as many images, got {len(images)}.")
    return [f"{text}<br>{_trimmed_picture(image)}" for text, image in zip(texts, images, strict=True)]


def _trimmed_picture(image) -> str:
    """`image_as_hover_text` without the blanks that end each line (the label is left-aligned), to
    keep a map of thousands of points small."""
    lines = image_as_hover_text(image).split("<br>")
    return "<br>".join(line.rstrip(INK_SHADES[0]) or INK_SHADES[0] for line in lines)


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

    Returns the figure, for chaining. The pictures are embedded PNGs, so a downloaded PNG keeps them.
    """
    images, positions = np.asarray(images), np.asarray(positions, dtype=np.float64)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"images should be uint8 of shape (n, height, width), got {images.dtype} {images.shape}."
        )
    if len(images) != len(positions):
        raise ValueError(f"{len(images)} images need as many positions, got {len(positions)}.")
    xs = np.concatenate([np.asarray(trace.x, dtype=np.float64) for trace in fig.data if trace.x is not None])
    ys = np.concatenate([np.asarray(trace.y, dtype=np.float64) for trace in fig.data if trace.y is not None])
    width, height = size * np.ptp(xs), size * np.ptp(ys)
    for image, (x, y) in zip(images, positions, strict=True):
        fig.add_layout_image(
            source=_ink_png(image),
            x=x,
            y=y,
            xref="x",
            yref="y",
            sizex=width,
            sizey=height,
            xanchor="center",
            yanchor="middle",
            sizing="stretch",
            layer="above",
        )
    return fig


def _ink_png(image: np.ndarray) -> str:
    """A PNG data URI of the image as black ink on a nearly opaque white tile, readable over dots."""
    rgba = np.empty((*image.shape, 4), dtype=np.uint8)
    rgba[..., :3] = (255 - image)[..., None]
    rgba[..., 3] = TILE_OPACITY
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def selected_rows(selection) -> list[int]:
    """Rows of `projection_map`'s points in a Streamlit selection (centres and repeats left out)."""
    rows = []
    for point in (selection or {}).get("points", []):
        value = point.get("customdata")
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, (int, float)) and value >= 0 and int(value) not in rows:
            rows.append(int(value))
    return rows


def clicked_cell(selection) -> tuple[int, int] | None:
    """The (true, predicted) class indices of the `confusion_heatmap` cell in a Streamlit selection."""
    for point in (selection or {}).get("points", []):
        value = point.get("customdata")
        if isinstance(value, list) and len(value) >= 2:
            return int(value[0]), int(value[1])
    return None


def steps_inertia_chart(
    inertia, current_step: int | None = None, *, title: str = "Inertia after each step"
) -> go.Figure:
    """Inertia against iteration (0 = the starting centres), with the shown step marked in red."""
    inertia = np.asarray(inertia, dtype=np.float64)
    if len(inertia) == 0:
        raise ValueError("steps_inertia_chart needs at least one inertia value.")
    steps = np.arange(len(inertia))
    fig = go.Figure(
        go.Scatter(
            x=steps,
            y=inertia,
            mode="lines+markers",
            line_color=TRAIN_COLOUR,
            name="Inertia",
            hovertemplate="Step %{x}: inertia %{y:,.0f}<extra></extra>",
        )
    )
    if current_step is not None:
        if not 0 <= current_step < len(inertia):
            raise ValueError(f"current_step={current_step} should be from 0 to {len(inertia) - 1}.")
        fig.add_scatter(
            x=[current_step],
            y=[inertia[current_step]],
            mode="markers",
            marker={"size": 14, "color": MARKER_COLOUR},
            name=f"Step {current_step}",
            hovertemplate="Shown: step %{x}, inertia %{y:,.0f}<extra></extra>",
        )
    fig.update_layout(
        title=f"{title}<br><sup>How far images are from their centre, added up: lower is tighter</sup>",
        showlegend=False,
        margin={"t": 60},
    )
    fig.update_xaxes(title_text="Step (0 = the starting centres)", dtick=1 if len(inertia) <= 20 else None)
    fig.update_yaxes(title_text="Inertia (sum of squared distances)")
    return fig
