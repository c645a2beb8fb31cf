"""Map: the training images flattened onto a 2D map, coloured by cluster or true class, centres on top."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.analysis import projection
from core.analysis.pictures import centroid_images
from core.figures.images import display_scale, enlarge
from core.figures.maps import TEXT_SIZE, add_thumbnails, projection_map_spec
from ui import caches, samples
from ui.charts import PRESENTER_FONT_SIZE, display_size, show_chart, show_images
from ui.frame import Page, run_page
from ui.selection import selected_rows
from ui.settings import presenter_mode

BY_CLUSTER = "Cluster"
BY_CLASS = "True class"
SAMPLE_SIZES = (1000, 2000, 4000)
#: Every K change recolours every dot and sends their colours and texts again; 1,000 dots still
#: show every cluster's shape, for half the cost of 2,000.
DEFAULT_SAMPLE_SIZE = 1000
#: The map's height: under the page's header it fits a 1280x720 screen.
MAP_HEIGHT = 500
MAX_SHOWN = 40
#: The selected pictures' box beside the map, under its controls.
SELECTION_HEIGHT = 260
#: How many dots show their picture when hovered. Each picture is about 0.8 kB of the figure; the
#: page gets them once, not on every K change (`ui.plotly_component.KEPT_ARRAYS`), but all 4,000
#: would still be 3 MB on the first visit.
HOVER_PICTURES = 300


def render(page: Page) -> None:
    dataset = page.dataset
    # The map first, its controls beside it: map and controls share the first screen at 1280x720. The
    # controls go to the browser before the model is fitted (`Page.model`), the map after.
    map_column, controls = st.columns([3, 1], gap="medium")
    colour, method, size, pictures = map_controls(controls)
    with map_column, st.container(key="key_visual"):
        model = page.model
        with st.spinner(f"Placing {size:,} images on the map…"):
            rows, placed, hover = samples.map_sample(
                dataset, model.preprocessing, size, method, HOVER_PICTURES, caches.Unhashed(model)
            )

        def build():
            centers_2d = placed.place(model.cluster_centers_model_space_)
            fig = map_figure(model, dataset, rows, placed.points_2d, centers_2d, colour, method, hover)
            if pictures:  # drawn into the figure by Plotly's own calls
                return add_thumbnails(go.Figure(fig), centroid_images(model), centers_2d)
            return fig

        selection = show_chart(
            build,
            # A K seen before, by this session or another, comes back without building its map.
            memo=(dataset, (caches.model_key(model), colour, method, size, pictures, HOVER_PICTURES)),
            key="map_chart",
            height=MAP_HEIGHT,
            on_select="rerun",
            selection_mode=("points", "box", "lasso"),
        )
        st.caption(
            f"Hover a dot to read what it is; {min(HOVER_PICTURES, len(rows)):,} of the {len(rows):,} dots "
            "also show their picture. Every centre does."
        )
    # The selection beside the map, under its controls: on the same screen as the dots picked.
    with controls:
        selected_images(selection, model, dataset, rows)


def map_controls(column) -> tuple[str, str, int, bool]:
    """The colouring, method, sample size and pictures choices; presenter mode keeps only the plain ones."""
    with column:
        colour = st.radio("Colour the dots by", [BY_CLUSTER, BY_CLASS], key="map_colour")
        pictures = st.checkbox(
            "Centres as pictures",
            key="map_pictures",
            help="Draws each centre as its picture: what each cluster looks like, right where it sits. "
            "With many clusters they overlap.",
        )
        if presenter_mode():  # jargon for an audience: the defaults serve
            return colour, "pca", DEFAULT_SAMPLE_SIZE, pictures
        method = st.radio(
            "Map method",
            projection.METHODS,
            format_func=projection.METHOD_LABELS.get,
            key="map_method",
            help="PCA lays the images along their two biggest differences. UMAP keeps neighbours together "
            "but needs the optional package umap-learn.",
        )
        if method == "umap" and not projection.umap_available():
            st.warning(
                f"UMAP is not installed here: run `{projection.UMAP_INSTALL_HINT}` and restart the app. "
                "Showing the PCA map instead.",
                icon=":material/extension:",
            )
            method = "pca"
        size = st.selectbox(
            "Images on the map", SAMPLE_SIZES, index=SAMPLE_SIZES.index(DEFAULT_SAMPLE_SIZE), key="map_size"
        )
    return colour, method, size, pictures


def map_figure(model, dataset, rows, points_2d, centers_2d, colour, method, pictures):
    clusters = model.labels_[rows]
    labels = dataset.train_labels[rows]
    reads = [dataset.class_names[label] for label in model.cluster_labels_]
    point_text = [
        f"A {dataset.class_names[t]}, in cluster {c} (which reads as {reads[c]})"
        for t, c in zip(labels, clusters, strict=True)
    ]
    center_names = [
        f"Centre of cluster {c}, which reads as {reads[c]}<br>{size:,} training images"
        for c, size in enumerate(model.cluster_sizes_)
    ]
    if colour == BY_CLUSTER:
        groups, names, legend = clusters, [f"Cluster {c} ({reads[c]})" for c in range(len(reads))], "Cluster"
    else:
        groups, names, legend = labels, list(dataset.class_names), "True class"
    return projection_map_spec(
        points_2d,
        groups,
        names,
        centers_2d,
        center_names,
        point_text=point_text,
        title=f"{len(rows):,} training images and {len(reads)} cluster centres, by {legend.lower()}",
        legend_title=legend,
        axis_name=method.upper(),
        point_pictures=pictures,
        center_images=centroid_images(model),
        text_size=PRESENTER_FONT_SIZE if presenter_mode() else TEXT_SIZE,
    )


def selected_images(selection, model, dataset, rows) -> None:
    picked = selected_rows(selection)
    if not picked:
        st.info(
            "Draw round some dots on the map (hold the mouse button down) to see their images here. "
            "For a single dot, pick the pan tool (the crossed arrows, top right of the map) "
            "and click the dot.",
            icon=":material/touch_app:",
        )
        return
    images = rows[np.asarray(picked)]
    shown = images[:MAX_SHOWN]
    more = f" Showing the first {len(shown)}." if len(images) > len(shown) else ""
    noun = "image" if len(images) == 1 else "images"
    st.markdown(f"**{len(images):,}** {noun} selected.{more} Captions: true class · cluster.")
    scale = display_scale(dataset.image_shape, target=display_size(56))
    # A box of fixed height: many pictures scroll inside it, and the page stays on the map.
    with st.container(height=SELECTION_HEIGHT, border=False, key="map_selection"):
        show_images(
            [enlarge(dataset.train_images[i], scale) for i in shown],
            caption=[
                f"{dataset.class_names[dataset.train_labels[i]]} · cluster {model.labels_[i]}" for i in shown
            ],
        )


run_page(
    render,
    title="Map: where the clusters lie",
    description="Every dot is a training image, placed so that similar images sit close together; the black "
    "crosses (or, if you choose, their pictures) are the cluster centres. Colour the dots by cluster or by "
    "what they really are, then draw round a group of dots with the mouse to see their images.",
)
