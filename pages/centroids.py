"""Centroids: the centre of every cluster, what it predicts, and what fell into it."""

import html

import numpy as np
import streamlit as st

from core.analysis.metrics import METRIC_EXPLANATIONS
from core.analysis.pictures import centroid_images
from core.analysis.projection import sample_indices
from core.figures.images import display_scale, png_data_uri
from ui import caches
from ui.charts import display_size
from ui.frame import Page, run_page
from ui.lazy_expander import lazy_expander
from ui.model_files import model_download
from ui.picture_grid import (
    figure,
    show_beside,
    show_picture_groups,
    show_sprite,
    sprite,
    sprite_figures,
    sprite_style,
)
from ui.settings import presenter_mode

GROUPED = "Grouped by inferred class"
BY_NUMBER = "In cluster order"
MEMBER_SAMPLE = 24
#: Session State keys of the cluster picked under "Look inside a cluster", and of the K it was picked at.
PICK_KEY, PICK_FOR_K_KEY = "centroid_pick", "centroid_pick_for_k"
MEMBERS_LABEL, MEMBERS_KEY = "Look inside a cluster", "centroid_members_open"


def render(page: Page) -> None:
    settings, dataset = page.settings, page.dataset
    # The grid first, so its first rows are on the first screen; its controls and key below it. These go
    # to the browser before the model is fitted (`Page.model`); the grid, or a slow fit's progress
    # bar in its place, after.
    grid = st.container(key="key_visual")
    st.caption(
        "Under each centre: how many training images its cluster holds, and how pure it is (in cluster "
        "order, first the class it stands for). " + METRIC_EXPLANATIONS["purity"]
    )
    order = st.radio(
        "Order", [GROUPED, BY_NUMBER], key="centroid_order", horizontal=True, persist_state="session"
    )
    with grid:
        model = page.model
    images = centroid_images(model)
    # Read aloud as words; the class leads, except under a heading that names it already.
    counts = [
        f"{size:,} {'image' if size == 1 else 'images'}, {purity:.0%} pure"
        for size, purity in zip(model.cluster_sizes_, model.cluster_purity_, strict=True)
    ]
    captions = [
        f"{dataset.class_names[label]} — {count}"
        for label, count in zip(model.cluster_labels_, counts, strict=True)
    ]
    if not presenter_mode():
        model_download(model, dataset, settings)
    with grid:
        centre_grid(
            dataset, model, images, captions if order == BY_NUMBER else counts, grouped=order == GROUPED
        )
    cluster_members(dataset, model, images, captions)


def centre_grid(dataset, model, images, captions, *, grouped: bool) -> None:
    """Every centre as a picture, in cluster order or grouped by the class each stands for.

    One `st.html` block and one picture, the centres side by side (`ui.picture_grid`): at K = 300 on
    Fashion-MNIST, a fifth less of the browser's work on a new K than one `<img>` per centre, and a
    third less on a K seen before.
    """
    # The browser enlarges each centre to a fixed width, smoothly (a centre is an average, smooth
    # anyway): sent at its own size, a picture is a ninth of the pixels to encode, send and decode.
    scale = display_scale(images.shape[1:], target=display_size(84))
    # Made once per model: moving K back to a model seen before sends the same sheet at once.
    sheet = caches.dataset_memo(dataset, ("centroid sheet", caches.model_key(model)), lambda: sprite(images))
    if not grouped:
        show_sprite(sheet, captions, scale=scale)
        return
    style = sprite_style(sheet, scale=scale)
    groups = []
    for label in np.unique(model.cluster_labels_):
        members = np.flatnonzero(model.cluster_labels_ == label)
        members = members[np.argsort(-model.cluster_purity_[members], kind="stable")]
        noun = "cluster" if len(members) == 1 else "clusters"
        shown = sprite_figures(sheet, members, [captions[i] for i in members], scale=scale)
        groups.append((dataset.class_names[label], f"{len(members)} {noun}", shown))
    show_picture_groups(groups, head=style)
    missing = [name for i, name in enumerate(dataset.class_names) if i not in set(model.cluster_labels_)]
    if missing:
        st.warning(
            f"No cluster predicts {', '.join(missing)}: those images are always labelled wrong. "
            "A larger K usually gives every class a cluster."
        )


def cluster_members(dataset, model, images, captions) -> None:
    """ "Look inside a cluster", a box closed at first: a cluster's centre beside a sample of its images.

    Drawn only while open (`ui.lazy_expander`): a new K then redraws the centres alone (A/B in one
    browser at K = 107-136: 165 -> 144 ms a new K; bench/README.md, twelfth pass).
    """
    box = lazy_expander(MEMBERS_LABEL, MEMBERS_KEY, icon=":material/zoom_in:")
    if box is None:
        return
    with box:
        chosen_cluster(dataset, model, images, captions)


def chosen_cluster(dataset, model, images, captions) -> None:
    """The cluster picker, and the picked cluster's centre beside a sample of its images."""
    k = len(images)
    # A new K starts at cluster 0: its clusters are not the last K's. The box itself stays (one key),
    # so the browser updates its choices instead of building a new box on every K.
    state = st.session_state
    if state.get(PICK_FOR_K_KEY) != k:
        state[PICK_KEY], state[PICK_FOR_K_KEY] = 0, k
    pick = st.selectbox(
        "Cluster", range(k), format_func=lambda i: f"Cluster {i}: {captions[i]}", key=PICK_KEY
    )
    members = np.flatnonzero(model.labels_ == pick)
    label = model.cluster_labels_[pick]
    right = int((dataset.train_labels[members] == label).sum())
    centre = figure(
        png_data_uri(images[pick]),
        f"Centre of cluster {pick}",
        width=images.shape[2] * display_scale(images.shape[1:], target=display_size(140)),
    )
    text = (
        f"Cluster {pick} holds <strong>{len(members):,}</strong> training images; <strong>{right:,}</strong> "
        f"of them are <strong>{html.escape(dataset.class_names[label])}</strong>, the class it predicts."
    )
    if len(members) == 0:
        show_beside(centre, f"<p>{text}</p>")
        st.info("This cluster is empty: no training image is closest to its centre.")
        return
    sample = members[sample_indices(len(members), MEMBER_SAMPLE, seed=pick)]
    sheet = sprite(dataset.train_images[sample])
    scale = display_scale(images.shape[1:], target=64)
    names = [dataset.class_names[dataset.train_labels[i]] for i in sample]
    # Side by side, as `st.image` shows a list.
    shown = sprite_figures(sheet, range(len(sample)), names, scale=scale, gap="1rem 0")
    show_beside(
        centre,
        f"<p>{text} A sample, captioned with each image's true class:</p>{shown}",
        head=sprite_style(sheet, scale=scale),
    )


run_page(
    render,
    title="Centroids: the centre of each cluster",
    description="Each picture is the centre of one of the K = {k} clusters: the average of the training "
    "images K-means put in it. Each cluster predicts the class most of its images carry.",
)
