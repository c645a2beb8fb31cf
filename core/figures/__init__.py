"""Plotly figures and display images for the pages: pure functions of arrays, no Streamlit.

Import from the module that does the job:

- `core.figures.charts`: bar and line charts of the data, of scores against K and of inertia per step;
- `core.figures.evaluation_charts`: the confusion heatmap and the accuracy of each class;
- `core.figures.maps`: the 2D map of images with cluster centres, and thumbnails on it;
- `core.figures.images`: enlarging images and encoding them as PNG;
- `core.figures.hover_pictures`: images drawn in shade characters for hover labels;
- `core.figures.colours`: the colours every chart shares.

Titles and axis labels are written for people who do not program; hovering shows exact values.
"""
