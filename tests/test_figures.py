"""core.figures: what the charts contain, checked without a server."""

import json

import numpy as np
import pytest

from core import figures

KS = [10, 16, 36, 64]


def test_class_counts_bar_shows_train_and_test_counts_per_class():
    fig = figures.class_counts_bar([0, 0, 1, 2, 2, 2], [1, 1], ["zero", "one", "two"])
    train, test = fig.data
    assert (train.name, test.name) == ("Training images", "Test images")
    assert list(train.x) == ["zero", "one", "two"]
    assert list(train.y) == [2, 1, 3] and list(test.y) == [0, 2, 0]
    assert fig.layout.title.text == "How many images of each class?"
    assert fig.layout.xaxis.title.text == "Class"
    assert fig.layout.yaxis.title.text == "Number of images"
    assert "%{y:,}" in train.hovertemplate


def test_pixel_histogram_counts_every_pixel_on_a_log_scale():
    images = np.array([[[0, 0], [255, 128]]], dtype=np.uint8)
    fig = figures.pixel_histogram(images)
    (bars,) = fig.data
    assert len(bars.x) == 256 and sum(bars.y) == 4
    assert bars.y[0] == 2 and bars.y[128] == 1 and bars.y[255] == 1
    assert fig.layout.yaxis.type == "log"
    assert "brightness" in fig.layout.xaxis.title.text.lower()
    assert "pixels" in fig.layout.yaxis.title.text.lower()


def test_pixel_histogram_rejects_floats():
    with pytest.raises(ValueError, match="uint8"):
        figures.pixel_histogram(np.zeros((1, 2, 2)))


def test_sweep_chart_marks_the_chosen_k():
    fig = figures.sweep_chart(KS, {"Score": [1, 2, 3, 4]}, title="T", y_title="Y", current_k=36)
    line, marker = fig.data
    assert list(line.x) == KS and list(line.y) == [1, 2, 3, 4]
    assert line.mode == "lines+markers"
    assert "K = %{x}" in line.hovertemplate
    assert marker.name == "Your K = 36" and list(marker.x) == [36, 36]
    assert marker.line.dash == "dash" and not marker.showlegend
    assert marker.y[0] < 1 and marker.y[1] > 4  # spans every value
    (label,) = fig.layout.annotations
    assert label.text == "Your K = 36"
    assert label.x == pytest.approx(np.log10(36))  # annotations on a log axis use log10 units
    assert fig.layout.xaxis.type == "log" and list(fig.layout.xaxis.tickvals) == KS
    assert fig.layout.xaxis.title.text == "Number of clusters K (log scale)"


def test_sweep_chart_without_a_chosen_k_has_no_marker():
    fig = figures.sweep_chart(KS, {"Score": [1, 2, 3, 4]}, title="T", y_title="Y")
    assert len(fig.data) == 1 and not fig.layout.annotations


def test_sweep_chart_checks_series_lengths():
    with pytest.raises(ValueError, match="'Score' has 2 values for 4 K values"):
        figures.sweep_chart(KS, {"Score": [1, 2]}, title="T", y_title="Y")
    with pytest.raises(ValueError, match="at least one K"):
        figures.sweep_chart([], {}, title="T", y_title="Y")


def test_accuracy_chart_has_train_and_test_as_percentages():
    fig = figures.accuracy_chart(KS, [0.5, 0.6, 0.7, 0.8], [0.4, 0.5, 0.6, 0.7], current_k=16)
    assert [trace.name for trace in fig.data] == ["Train accuracy", "Test accuracy", "Your K = 16"]
    assert fig.layout.yaxis.tickformat == ".0%"
    assert "%{y:.1%}" in fig.data[1].hovertemplate
    assert fig.layout.title.text.startswith("Accuracy")
    assert fig.layout.yaxis.title.text == "Share of images labelled correctly"
    assert list(fig.data[-1].x) == [16, 16] and fig.data[-1].y[0] < 0.4 < 0.8 < fig.data[-1].y[1]


@pytest.mark.parametrize(
    ("builder", "title", "y_title"),
    [
        (figures.inertia_chart, "Inertia", "Inertia (sum of squared distances)"),
        (figures.homogeneity_chart, "Homogeneity", "Homogeneity (0 to 1)"),
    ],
)
def test_single_metric_charts_are_titled_for_people(builder, title, y_title):
    fig = builder(KS, [4, 3, 2, 1], current_k=64)
    assert fig.layout.title.text.startswith(title) and "<sup>" in fig.layout.title.text
    assert fig.layout.yaxis.title.text == y_title
    assert fig.layout.annotations[0].text == "Your K = 64"
    assert fig.data[-1].name == "Your K = 64"
    assert not fig.layout.showlegend


def test_png_bytes_round_trip():
    import io

    from PIL import Image

    image = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    data = figures.png_bytes(image)
    assert data.startswith(b"\x89PNG")
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), image)
    assert figures.png_bytes(image) == data  # the same bytes each time, so the same URL in the app


def test_enlarge_repeats_pixels():
    out = figures.enlarge(np.array([[0, 255], [255, 0]], np.uint8), 3)
    assert out.shape == (6, 6) and out[2, 2] == 0 and out[0, 3] == 255
    with pytest.raises(ValueError, match="scale=0"):
        figures.enlarge(np.zeros((2, 2)), 0)


@pytest.mark.parametrize(("shape", "expected"), [((28, 28), 3), ((8, 8), 10), ((200, 200), 1)])
def test_display_scale(shape, expected):
    assert figures.display_scale(shape, target=84) == expected


# --- Evaluate, Map and Step by step ------------------------------------------------------------

CONFUSION = np.array([[3, 0, 1], [0, 2, 0], [2, 0, 1]])
NAMES3 = ["zero", "one", "two"]


def test_confusion_heatmap_shows_counts_shares_and_clickable_cells():
    fig = figures.confusion_heatmap(CONFUSION, NAMES3)
    heat, cells = fig.data
    assert heat.type == "heatmap" and heat.hoverinfo == "skip"
    assert np.asarray(heat.text).tolist() == CONFUSION.tolist()
    assert np.asarray(heat.z)[0] == pytest.approx([0.75, 0, 0.25])
    assert list(heat.x) == NAMES3 and list(heat.y) == NAMES3
    # One invisible marker per cell carries (true, predicted, count) for a click to read back.
    assert len(cells.x) == 9 and cells.marker.opacity == 0
    data = np.asarray(cells.customdata)
    row = data.tolist().index([2, 0, 2])
    assert (cells.y[row], cells.x[row]) == ("two", "zero")
    assert cells.hovertext[row] == "2 test images of two read as zero<br>(66.7% of all two)"
    assert cells.hovertext[0] == "3 test images of zero classified correctly<br>(75.0% of all zero)"
    assert fig.layout.xaxis.title.text.startswith("Predicted class")
    assert fig.layout.yaxis.title.text.startswith("True class")
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.clickmode == "event+select"


def test_confusion_heatmap_rejects_a_shape_that_does_not_match_the_names():
    with pytest.raises(ValueError, match=r"confusion of shape \(3, 3\) should be \(2, 2\)"):
        figures.confusion_heatmap(CONFUSION, ["a", "b"])


def test_class_accuracy_bar_is_in_percent():
    fig = figures.class_accuracy_bar([0.75, 1.0, 1 / 3], NAMES3)
    (bars,) = fig.data
    assert list(bars.x) == NAMES3 and bars.y[2] == pytest.approx(1 / 3)
    assert fig.layout.yaxis.tickformat == ".0%"
    assert "classified correctly" in bars.hovertemplate
    with pytest.raises(ValueError, match="2 accuracies for 3 class names"):
        figures.class_accuracy_bar([0.5, 0.5], NAMES3)


def map_figure(n_groups, groups):
    points = np.arange(2 * len(groups), dtype=float).reshape(-1, 2)
    return figures.projection_map(
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
    assert fig.layout.dragmode == "lasso" and fig.layout.clickmode == "event+select"
    assert "direction 1" in fig.layout.xaxis.title.text


def test_projection_map_with_many_groups_uses_one_trace_without_a_legend():
    groups = list(range(30))
    fig = map_figure(30, groups)
    points, centres = fig.data
    assert len(points.x) == 30 and not points.showlegend
    assert len(set(points.marker.color)) == 30


def test_projection_map_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="4 points need as many groups and texts"):
        figures.projection_map(
            np.zeros((4, 2)),
            [0, 0],
            ["a"],
            np.zeros((1, 2)),
            ["c"],
            point_text=["x"] * 4,
            title="",
            legend_title="",
        )


BLANK, FULL = figures.INK_SHADES[0], figures.INK_SHADES[-1]


def picture_lines(text):
    return text.split("<br>")


@pytest.mark.parametrize(
    ("shape", "max_columns", "rows", "columns"),
    [
        ((28, 28), 28, 14, 28),  # each character covers 1x2 pixels
        ((28, 28), 14, 7, 14),  # 2x4 pixels
        ((8, 8), 28, 8, 16),  # small: a pixel is two characters side by side
        ((64, 64), 28, 11, 22),  # 3x6 pixels, the last block padded with blank
        ((5, 3), 28, 5, 6),
        ((1, 1), 28, 1, 2),
    ],
)
def test_image_as_hover_text_has_rows_of_columns(shape, max_columns, rows, columns):
    lines = picture_lines(figures.image_as_hover_text(np.zeros(shape, dtype=np.uint8), max_columns))
    assert len(lines) == rows and {len(line) for line in lines} == {columns}
    assert columns <= max_columns


@pytest.mark.parametrize("shape", [(28, 28), (8, 8), (64, 50)])
def test_image_as_hover_text_of_a_blank_image_is_only_non_breaking_spaces(shape):
    # Plotly collapses runs of ordinary spaces, so blank pixels must be non-breaking spaces.
    text = figures.image_as_hover_text(np.zeros(shape))
    assert set(text.replace("<br>", "")) == {"\u00a0"}


def test_image_as_hover_text_draws_a_vertical_bar_as_a_column_of_full_blocks():
    image = np.zeros((28, 28), dtype=np.uint8)
    image[:, 10] = 255
    lines = picture_lines(figures.image_as_hover_text(image))
    assert [line[10] for line in lines] == [FULL] * 14
    assert {line[:10] + line[11:] for line in lines} == {BLANK * 27}


def test_image_as_hover_text_shades_grey_between_blank_and_full():
    column = np.repeat(np.array([0, 64, 128, 192, 255], dtype=np.uint8), 2)  # a character per 2 rows
    image = np.tile(column[:, None], (1, 15))  # 15 columns, too wide to double
    shades = [line[0] for line in picture_lines(figures.image_as_hover_text(image))]
    assert shades == list(figures.INK_SHADES)


@pytest.mark.parametrize(
    "image",
    [
        np.full((4, 4), 255, dtype=np.uint8),
        np.full((4, 4), 1.0),  # floats from 0 to 1
        np.full((4, 4), 255.0),  # floats from 0 to 255
        np.full((4, 4), 255, dtype=np.int64),
        np.ones((4, 4), dtype=bool),
        [[255] * 4] * 4,  # a nested list
    ],
)
def test_image_as_hover_text_reads_each_dtype_as_ink(image):
    assert set(figures.image_as_hover_text(image).replace("<br>", "")) == {FULL}


@pytest.mark.parametrize(
    ("image", "max_columns", "message"),
    [
        (np.zeros((2, 28, 28)), 28, r"should be 2D and not empty, got shape \(2, 28, 28\)"),
        (np.zeros((0, 5)), 28, r"should be 2D and not empty, got shape \(0, 5\)"),
        (np.array([["a", "b"]]), 28, "should hold numbers, got dtype <U1"),
        (np.zeros((8, 8)), 1, "max_columns=1 should be >= 2"),
    ],
)
def test_image_as_hover_text_rejects_bad_input(image, max_columns, message):
    with pytest.raises(ValueError, match=message):
        figures.image_as_hover_text(image, max_columns)


def test_projection_map_hover_shows_each_picture_in_a_monospace_font():
    images = np.zeros((4, 28, 28), dtype=np.uint8)
    images[:, :, 10] = 255  # every point a vertical bar
    centres = np.zeros((2, 8, 8), dtype=np.uint8)
    centres[1] = 255
    fig = figures.projection_map(
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
    text, *picture = first.hovertext[1].split("<br>")
    assert text == "A 1, in cluster 2" and len(picture) == 14
    assert all(line == BLANK * 10 + FULL for line in picture)  # blanks ending a line are dropped
    assert first.hovertemplate == "%{hovertext}<extra></extra>"
    assert crosses.hovertext[0].split("<br>") == ["Centre of cluster 0"] + [BLANK] * 8
    assert crosses.hovertext[1].split("<br>") == ["Centre of cluster 1"] + [FULL * 16] * 8
    assert "monospace" in fig.layout.hoverlabel.font.family and fig.layout.hoverlabel.align == "left"
    with pytest.raises(ValueError, match="2 hover texts need as many images, got 3"):
        figures.projection_map(
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


def test_add_thumbnails_places_each_image_at_its_centre_as_ink_on_a_tile():
    import base64
    import io

    from PIL import Image

    fig = map_figure(3, [0, 2, 0, 2])  # points and centres span x 0..6 and y 0..7
    images = np.zeros((2, 4, 4), dtype=np.uint8)
    images[0, 1:3, 1:3] = 255
    figures.add_thumbnails(fig, images, [[1.0, 2.0], [3.0, 4.0]], size=0.5)
    first, second = fig.layout.images
    assert (first.x, first.y, second.x, second.y) == (1.0, 2.0, 3.0, 4.0)
    assert first.sizex == pytest.approx(3.0) and first.sizey == pytest.approx(3.5)
    assert (first.xref, first.yref, first.xanchor, first.yanchor) == ("x", "y", "center", "middle")
    png = Image.open(io.BytesIO(base64.b64decode(first.source.split(",", 1)[1])))
    pixels = np.asarray(png)
    assert png.mode == "RGBA" and pixels.shape == (4, 4, 4)
    assert (pixels[..., 3] == figures.TILE_OPACITY).all()
    assert (pixels[1:3, 1:3, :3] == 0).all() and (pixels[0, 0, :3] == 255).all()  # black ink on white


@pytest.mark.parametrize(
    ("images", "positions", "message"),
    [
        (np.zeros((2, 4, 4)), np.zeros((2, 2)), "images should be uint8"),
        (np.zeros((2, 4, 4), np.uint8), np.zeros((1, 2)), "2 images need as many positions, got 1"),
    ],
)
def test_add_thumbnails_rejects_bad_input(images, positions, message):
    with pytest.raises(ValueError, match=message):
        figures.add_thumbnails(map_figure(3, [0, 2, 0, 2]), images, positions)


def test_selected_rows_reads_customdata_and_skips_centres():
    selection = {
        "points": [{"customdata": 3}, {"customdata": [5]}, {"customdata": -1}, {"customdata": 3}, {"x": 1}]
    }
    assert figures.selected_rows(selection) == [3, 5]
    assert figures.selected_rows(None) == []


def test_clicked_cell_reads_the_first_point_with_a_cell():
    assert figures.clicked_cell({"points": [{"x": "a"}, {"customdata": [2, 0, 7]}]}) == (2, 0)
    assert figures.clicked_cell({"points": []}) is None
    assert figures.clicked_cell(None) is None


def test_selection_data_is_sent_as_plain_lists():
    # Plotly sends numpy arrays as typed binary data, which a browser selection does not hand back.
    cells = json.loads(figures.confusion_heatmap(CONFUSION, NAMES3).to_json())["data"][1]
    assert cells["customdata"][0] == [0, 0, 3]
    points = json.loads(map_figure(3, [0, 2, 0, 2]).to_json())["data"][0]
    assert points["customdata"] == [0, 2]


def test_steps_inertia_chart_marks_the_shown_step():
    fig = figures.steps_inertia_chart([10.0, 6.0, 5.5], current_step=1)
    line, marker = fig.data
    assert list(line.x) == [0, 1, 2] and list(line.y) == [10.0, 6.0, 5.5]
    assert list(marker.x) == [1] and list(marker.y) == [6.0]
    assert fig.layout.xaxis.title.text.startswith("Step")
    with pytest.raises(ValueError, match="current_step=3 should be from 0 to 2"):
        figures.steps_inertia_chart([10.0, 6.0, 5.5], current_step=3)
