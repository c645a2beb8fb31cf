"""Left margins with room for a y axis's numbers, so that Plotly draws a chart once.

The lab's charts start with no left margin and let Plotly widen it to fit the axis ("automargin"); Plotly
then draws the whole chart a second time. A margin wide enough to begin with is drawn once: Step by step's
chart took 24 ms to draw in a page of its own, 12 ms with its margin; the K sweep's three charts 21-27 ms
each, 11-13 ms. Plotly still widens a margin that is too narrow (another font, say); one too wide leaves a
few pixels empty. The widths are Source Sans', the font of Streamlit's charts, measured in Chromium.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: The size of the axes' numbers, as in Streamlit's charts (presenter mode enlarges it: ui.charts).
TICK_SIZE = 12
#: Room (px) a y axis's title, the gaps and the ticks take beside its numbers.
AXIS_TITLE_ROOM = 40
#: Characters' widths in Source Sans, as a share of the text size; any other character is taken as a digit's.
CHARACTER_WIDTHS = {",": 0.25, ".": 0.25, "-": 0.31, "\u2212": 0.31, "%": 0.82}


def number_axis_margin(largest: float, tick_size: int = TICK_SIZE) -> int:
    """A left margin (px) with room for a y axis's title and its numbers (``,.0f``) up to `largest`."""
    # The top tick: a round number, at most a tenth above the data.
    return labels_margin([f"{abs(largest) * 1.1:,.0f}"], tick_size)


def linear_axis_margin(values, tickformat: str, tick_size: int = TICK_SIZE) -> int:
    """A left margin (px) with room for a y axis's title and the numbers Plotly would put on it for `values`.

    The ticks are found as Plotly finds them (`plotly_ticks`), written in `tickformat` (d3's: ``",.4~f"``
    or ``".0%"`` here). Where Plotly may pick either of two steps, the finer one, whose numbers are longer.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return labels_margin(["0"], tick_size)
    return labels_margin(
        [d3_number(tick, tickformat) for tick in plotly_ticks(values.min(), values.max())], tick_size
    )


def labels_margin(labels: Sequence[str], tick_size: int = TICK_SIZE) -> int:
    """A left margin (px) with room for a y axis's title and the widest of its tick `labels`.

    Source Sans' digits are half its size wide, its commas, points and minus signs a quarter to a third,
    its % four fifths (`CHARACTER_WIDTHS`); the axis's title, gaps and ticks took 35-37 px more.
    """
    widest = max((sum(CHARACTER_WIDTHS.get(c, 0.5) for c in label) for label in labels), default=0.0)
    return math.ceil(AXIS_TITLE_ROOM + tick_size * widest)


def plotly_ticks(low: float, high: float, most: int = 10) -> np.ndarray:
    """The tick values Plotly puts on a linear axis over the data `low` to `high`, with at most `most`
    steps: its range padded by a twentieth each side, its step 1, 2 or 5 times a power of ten."""
    pad = 0.05 * (high - low) if high > low else max(abs(high) * 0.05, 0.05)
    low, high = low - pad, high + pad
    rough = (high - low) / most
    base = 10 ** math.floor(math.log10(rough))
    step = base * next(m for m in (1, 2, 5, 10) if m * base >= rough)
    return np.arange(math.ceil(low / step), math.floor(high / step) + 1) * step


def d3_number(value: float, tickformat: str) -> str:
    """`value` as d3-format writes it, for the lab's charts' formats: ``",.4~f"``, ``".0%"``, ``","``."""
    if tickformat.endswith("%"):
        return f"{value * 100:.{int(tickformat[1:-1] or 0)}f}%"
    if tickformat.endswith("~f"):
        text = f"{value:,.{int(tickformat.split('.')[1][:-2])}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{value:,.0f}" if tickformat == "," else f"{value:g}"
