"""The colours the charts share, so training data, test data and markers look alike on every page."""

from plotly.colors import qualitative

TRAIN_COLOUR = "#1f77b4"
TEST_COLOUR = "#ff7f0e"
#: What the user chose (their K, the step shown): red, to stand out from the data.
MARKER_COLOUR = "#d62728"
#: Colours of the lines on one chart, in order, repeated when there are more lines.
SERIES_COLOURS = (TRAIN_COLOUR, TEST_COLOUR, "#2ca02c", "#9467bd")
#: Colours for groups on the map: D3's ten, then Dark24's 24, repeated when there are more groups.
GROUP_COLOURS = tuple(qualitative.D3 + qualitative.Dark24)
