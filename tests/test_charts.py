"""core.figures.charts: what the data, sweep and step charts show, checked without a server."""

import numpy as np
import pytest

from core.figures.charts import (
    accuracy_chart,
    class_counts_bar,
    homogeneity_chart,
    inertia_chart,
    pixel_histogram,
    steps_inertia_chart,
    steps_inertia_spec,
    sweep_chart,
)

KS = [10, 16, 36, 64]


def test_class_counts_bar_shows_train_and_test_counts_per_class():
    fig = class_counts_bar([0, 0, 1, 2, 2, 2], [1, 1], ["zero", "one", "two"])
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
    fig = pixel_histogram(images)
    (bars,) = fig.data
    assert len(bars.x) == 256 and sum(bars.y) == 4
    assert bars.y[0] == 2 and bars.y[128] == 1 and bars.y[255] == 1
    assert fig.layout.yaxis.type == "log"
    assert "brightness" in fig.layout.xaxis.title.text.lower()
    assert "pixels" in fig.layout.yaxis.title.text.lower()


def test_pixel_histogram_rejects_floats():
    with pytest.raises(ValueError, match="uint8"):
        pixel_histogram(np.zeros((1, 2, 2)))


def test_sweep_chart_marks_the_chosen_k():
    fig = sweep_chart(KS, {"Score": [1, 2, 3, 4]}, title="T", y_title="Y", current_k=36)
    (line,) = fig.data
    assert list(line.x) == KS and list(line.y) == [1, 2, 3, 4]
    assert line.mode == "lines+markers"
    assert "K = %{x}" in line.hovertemplate
    (marker,) = fig.layout.shapes
    assert marker.type == "line" and (marker.x0, marker.x1) == (36, 36)  # a shape takes K itself
    assert marker.line.dash == "dash"
    assert marker.y0 < 1 and marker.y1 > 4  # spans every value
    (label,) = fig.layout.annotations
    assert label.text == "Your K = 36"
    assert label.x == pytest.approx(np.log10(36))  # annotations on a log axis use log10 units
    assert fig.layout.xaxis.type == "log" and list(fig.layout.xaxis.tickvals) == KS
    assert fig.layout.xaxis.title.text == "Number of clusters K"


def test_sweep_chart_without_a_chosen_k_has_no_marker():
    fig = sweep_chart(KS, {"Score": [1, 2, 3, 4]}, title="T", y_title="Y")
    assert len(fig.data) == 1 and not fig.layout.annotations and not fig.layout.shapes


def test_sweep_chart_checks_series_lengths():
    with pytest.raises(ValueError, match="'Score' has 2 values for 4 K values"):
        sweep_chart(KS, {"Score": [1, 2]}, title="T", y_title="Y")
    with pytest.raises(ValueError, match="at least one K"):
        sweep_chart([], {}, title="T", y_title="Y")


def test_accuracy_chart_has_train_and_test_as_percentages():
    fig = accuracy_chart(KS, [0.5, 0.6, 0.7, 0.8], [0.4, 0.5, 0.6, 0.7], current_k=16)
    assert [trace.name for trace in fig.data] == ["Train accuracy", "Test accuracy"]
    assert fig.layout.yaxis.tickformat == ".0%"
    assert "%{y:.1%}" in fig.data[1].hovertemplate
    assert fig.layout.title.text.startswith("Accuracy")
    assert fig.layout.yaxis.title.text == "Labelled correctly"
    (marker,) = fig.layout.shapes
    assert marker.x0 == 16 and marker.y0 < 0.4 < 0.8 < marker.y1


@pytest.mark.parametrize(
    ("builder", "title", "y_title"),
    [
        (inertia_chart, "Inertia", "Sum of squared distances"),
        (homogeneity_chart, "Homogeneity", "Homogeneity (0 to 1)"),
    ],
)
def test_single_metric_charts_are_titled_for_people(builder, title, y_title):
    fig = builder(KS, [4, 3, 2, 1], current_k=64)
    assert fig.layout.title.text.startswith(title) and "<sup>" in fig.layout.title.text
    assert fig.layout.yaxis.title.text == y_title
    assert fig.layout.annotations[0].text == "Your K = 64"
    assert fig.layout.shapes[0].x0 == 64
    assert not fig.layout.showlegend


@pytest.mark.parametrize(
    ("largest", "tick_size", "needed"),
    # The left margin Plotly widened the chart to in Chromium (Source Sans), by the top number and size.
    [(900, 12, 53), (9_500, 12, 62), (97_000, 12, 74), (990_000, 12, 83), (12e6, 12, 89),
     (900, 16, 61), (97_000, 16, 89), (12e6, 16, 109)],
)  # fmt: skip
def test_the_step_chart_s_left_margin_has_room_for_its_numbers_and_little_more(largest, tick_size, needed):
    spec = steps_inertia_spec([largest, largest / 2], tick_size=tick_size)
    assert needed <= spec["layout"]["margin"]["l"] <= needed + 12


def test_steps_inertia_chart_marks_the_shown_step():
    fig = steps_inertia_chart([10.0, 6.0, 5.5], current_step=1)
    line, marker = fig.data
    assert list(line.x) == [0, 1, 2] and list(line.y) == [10.0, 6.0, 5.5]
    assert list(marker.x) == [1] and list(marker.y) == [6.0]
    assert fig.layout.xaxis.title.text.startswith("Step")
    assert fig.layout.xaxis.range[0] > -1  # no step "-1" on the axis
    with pytest.raises(ValueError, match="current_step=3 should be from 0 to 2"):
        steps_inertia_chart([10.0, 6.0, 5.5], current_step=3)
