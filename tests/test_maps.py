"""core.figures.maps: the 2D map of images, its hover pictures and thumbnails."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from core.figures.colours import GROUP_COLOURS
from core.figures.hover_pictures import INK_SHADES
from core.figures.images import TILE_OPACITY
from core.figures.maps import add_thumbnails, projection_map, tiles_picture

BLANK, FULL = INK_SHADES[0], INK_SHADES[-1]


def map_figure(n_groups, groups):
    points = np.arange(2 * len(groups), dtype=float).reshape(-1, 2)
    return projection_map(
        points,
        groups,
        [f"g{i}" for i in range(n_groups)],
        np.zeros((2, 2)),
        ["Centre of cluster 0", "Centre of cluster 1"],
        point_text=[f"point {i}" for i in range(len(groups))],
        title="Map",
        legend_title="Cluster",
    )


def test_projection_map_has_a_trace_per_group_and_centres_last():
    fig = map_figure(3, [0, 2, 0, 2])
    first, second, centres = fig.data
    assert (first.name, second.name, centres.name) == ("g0", "g2", "Cluster centres")
    assert list(first.customdata) == [0, 2] and list(second.customdata) == [1, 3]
    assert list(second.hovertext) == ["point 1", "point 3"]
    assert list(centres.customdata) == [-1, -2] and centres.marker.symbol == "x"
    # Lasso by default; clicks as Streamlit's chart sets them for the lasso, so it draws the map once.
    assert fig.layout.dragmode == "lasso" and fig.layout.clickmode == "event"
    assert "direction 1" in fig.layout.xaxis.title.text


def test_projection_map_with_many_groups_uses_one_trace_without_a_legend():
    groups = list(range(30))
    fig = map_figure(30, groups)
    points, centres = fig.data
    assert len(points.x) == 30 and not points.showlegend
    assert len(set(points.marker.color)) == 30


def test_projection_map_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="4 points need as many groups and texts"):
        projection_map(
            np.zeros((4, 2)),
            [0, 0],
            ["a"],
            np.zeros((1, 2)),
            ["c"],
            point_text=["x"] * 4,
            title="",
            legend_title="",
        )


def test_projection_map_hover_shows_each_picture_in_a_monospace_font():
    images = np.zeros((4, 28, 28), dtype=np.uint8)
    images[:, :, 10] = 255  # every point a vertical bar
    centres = np.zeros((2, 8, 8), dtype=np.uint8)
    centres[1] = 255
    fig = projection_map(
        np.arange(8, dtype=float).reshape(-1, 2),
        [0, 2, 0, 2],
        ["g0", "g1", "g2"],
        np.zeros((2, 2)),
        ["Centre of cluster 0", "Centre of cluster 1"],
        point_text=[f"A 1, in cluster {i}" for i in range(4)],
        title="Map",
        legend_title="Cluster",
        point_images=images,
        center_images=centres,
    )
    first, _, crosses = fig.data
    # The label shows the text, then the picture under it (a line of its own each).
    assert first.hovertemplate == "%{hovertext}%{text}<extra></extra>"
    _, *picture = first.text[1].split("<br>")
    assert first.hovertext[1] == "A 1, in cluster 2" and len(picture) == 14
    assert all(line == BLANK * 10 + FULL for line in picture)  # blanks ending a line are dropped
    assert crosses.hovertext[0].split("<br>") == ["Centre of cluster 0"] + [BLANK] * 8
    assert crosses.hovertext[1].split("<br>") == ["Centre of cluster 1"] + [FULL * 16] * 8
    assert "monospace" in fig.layout.hoverlabel.font.family and fig.layout.hoverlabel.align == "left"
    with pytest.raises(ValueError, match="2 hover texts need as many images, got 3"):
        projection_map(
            np.zeros((4, 2)),
            [0, 0, 0, 0],
            ["a"],
            np.zeros((2, 2)),
            ["c0", "c1"],
            point_text=["x"] * 4,
            title="",
            legend_title="",
            center_images=np.zeros((3, 8, 8)),
        )


def test_projection_map_without_images_keeps_the_default_hover_font():
    fig = map_figure(3, [0, 2, 0, 2])
    assert fig.data[0].hovertext[0] == "point 0" and fig.layout.hoverlabel.font.family is None


def picture_at(fig, x: float, y: float) -> tuple[int, int]:
    """The (grey, opacity) of the map's one layout picture at data point (x, y)."""
    (layer,) = fig.layout.images
    assert (layer.xref, layer.yref, layer.xanchor, layer.yanchor) == ("x", "y", "left", "top")
    png = Image.open(io.BytesIO(base64.b64decode(layer.source.split(",", 1)[1])))
    pixels = np.asarray(png.convert("LA"))
    column = int((x - layer.x) / layer.sizex * pixels.shape[1])
    row = int((layer.y - y) / layer.sizey * pixels.shape[0])
    return tuple(int(v) for v in pixels[row, column])


def test_add_thumbnails_places_each_image_at_its_centre_as_ink_on_a_tile():
    fig = map_figure(3, [0, 2, 0, 2])  # points and centres span x 0..6 and y 0..7
    images = np.zeros((2, 4, 4), dtype=np.uint8)
    images[0] = 255  # all ink
    images[1, 1:3, 1:3] = 255  # ink in the middle
    # Tiles of 3 x 3.5 data units: the first spans x -0.5..2.5, y 0.25..3.75; the second overlaps it.
    add_thumbnails(fig, images, [[1.0, 2.0], [3.0, 4.0]], size=0.5)
    assert picture_at(fig, 0.0, 1.0) == (0, TILE_OPACITY)  # black ink on the first tile
    assert picture_at(fig, 3.0, 4.0) == (0, TILE_OPACITY)  # the second's middle
    assert picture_at(fig, 4.2, 5.4) == (255, TILE_OPACITY)  # its corner: white
    grey, opacity = picture_at(fig, 2.0, 3.0)  # both tiles: the second's white over the first's ink
    assert grey > 200 and opacity > TILE_OPACITY
    assert picture_at(fig, 4.2, 0.6)[1] == 0  # outside both tiles: the map shows through
    assert fig.data[-1].name == "Cluster centres (the pictures)"


def test_tiles_picture_refuses_tiles_too_far_apart_to_paint():
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    with pytest.raises(ValueError, match="within a few hundred tile widths"):
        tiles_picture(images, np.array([[0.0, 0.0], [1000.0, 0.0]]), (1.0, 1.0))


def test_add_thumbnails_of_a_single_centre_and_of_none():
    fig = map_figure(3, [0, 2, 0, 2])
    add_thumbnails(fig, np.full((1, 4, 4), 255, dtype=np.uint8), [[3.0, 3.0]])
    assert picture_at(fig, 3.0, 3.0) == (0, TILE_OPACITY)
    assert (
        len(
            add_thumbnails(
                map_figure(3, [0, 2]), np.zeros((0, 4, 4), np.uint8), np.zeros((0, 2))
            ).layout.images
        )
        == 0
    )


@pytest.mark.parametrize(
    ("images", "positions", "message"),
    [
        (np.zeros((2, 4, 4)), np.zeros((2, 2)), "images should be uint8"),
        (np.zeros((2, 4, 4), np.uint8), np.zeros((1, 2)), "2 images need as many positions, got 1"),
    ],
)
def test_add_thumbnails_rejects_bad_input(images, positions, message):
    with pytest.raises(ValueError, match=message):
        add_thumbnails(map_figure(3, [0, 2, 0, 2]), images, positions)


def test_points_carry_their_rows_as_plain_lists():
    # Plotly sends numpy arrays as typed binary data, which a browser selection does not hand back.
    first, second, centres = json.loads(map_figure(3, [0, 2, 0, 2]).to_json())["data"]
    assert first["customdata"] == [0, 2] and second["customdata"] == [1, 3]
    assert centres["customdata"] == [-1, -2]


def test_many_groups_get_their_colours_from_a_stepped_scale():
    # Numbers on the scale stand for GROUP_COLOURS[group % len(GROUP_COLOURS)], as colour names did.
    n = len(GROUP_COLOURS)
    groups = [0, 1, n - 1, n, n + 5]
    (points, _) = map_figure(n + 6, groups).data
    scale = [(position, colour) for position, colour in points.marker.colorscale]
    for group, number in zip(groups, points.marker.color, strict=True):
        share = (number - points.marker.cmin) / (points.marker.cmax - points.marker.cmin)
        steps = zip(scale, scale[1:], strict=False)
        colour = next(c for (start, c), (end, _) in steps if start <= share < end)
        assert colour == GROUP_COLOURS[group % n]
    assert not points.marker.showscale
