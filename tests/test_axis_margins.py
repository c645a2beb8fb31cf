"""core.figures.axis_margins: a chart's left margin has room for the numbers Plotly puts on its y axis.

The widths Plotly needed were read in Chromium (Source Sans); tests/test_presenter_screens.py checks in
the browser that the K sweep's, Explore's and Step by step's charts are drawn with the margin given.
"""

import numpy as np
import pytest

from core.figures.axis_margins import d3_number, labels_margin, linear_axis_margin, plotly_ticks


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0.52, 0.86, [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85]),
        (150_000, 400_000, [150_000, 200_000, 250_000, 300_000, 350_000, 400_000]),
        (3_500, 8_000, [3_500, 4_000, 4_500, 5_000, 5_500, 6_000, 6_500, 7_000, 7_500, 8_000]),
    ],
)
def test_ticks_are_round_numbers_spread_over_the_data(low, high, ticks):
    assert plotly_ticks(low, high) == pytest.approx(ticks)


@pytest.mark.parametrize(
    ("value", "tickformat", "text"),
    [(0.6000000000000001, ",.4~f", "0.6"), (400_000.0, ",.4~f", "400,000"), (0.125, ",.4~f", "0.125"),
     (0.75, ".0%", "75%"), (1_000_000, ",", "1,000,000")],
)  # fmt: skip
def test_numbers_are_written_as_d3_format_writes_them(value, tickformat, text):
    assert d3_number(value, tickformat) == text


def test_longer_or_bigger_numbers_get_more_room():
    assert labels_margin(["0.6"]) < labels_margin(["0.65"]) < labels_margin(["100,000"])
    assert labels_margin(["60%"], 12) < labels_margin(["60%"], 16)
    # Percentages: "80%" is wider than "0.8".
    assert linear_axis_margin([0.6, 0.8], ".0%") > linear_axis_margin([0.6, 0.8], ",.4~f")


def test_no_numbers_still_leave_room_for_the_axis_title():
    assert linear_axis_margin([np.nan], ",.4~f") == labels_margin(["0"]) > 40
