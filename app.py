"""K-Means Digit Lab: the home page, Explore, shows what the dataset holds before any clustering.

Run with ``streamlit run app.py``. The other pages are in pages/; every page draws the same
sidebar through `ui.frame.run_page`. Nothing here depends on K, so the charts and pictures are made
once per dataset (`ui.caches.dataset_memo`): a rerun after K moves sends the same elements again.
"""

import streamlit as st

from core.analysis.projection import sample_indices
from core.figures.charts import class_counts_bar, pixel_histogram
from core.figures.images import display_scale, enlarge
from ui import caches
from ui.charts import show_chart, tick_size
from ui.frame import Page, run_page
from ui.picture_grid import sprite, sprite_rows

#: Three full rows of ten at any screen width (`ui.picture_grid.sprite_rows`): no lone picture on a last row.
SAMPLE_SIZE = 30
GRID_COLUMNS = 10
ALL_CLASSES = "All classes"


def render(page: Page) -> None:
    dataset = page.dataset
    # The pictures first: at 1280x720 they are on the first screen, the facts just below.
    with st.container(key="key_visual"):
        sample_grid(dataset)
    dataset_facts(dataset)
    left, right = st.columns(2)
    with left:
        show_chart(
            lambda: class_counts_bar(dataset.train_labels, dataset.test_labels, dataset.class_names),
            key="explore_counts",
            memo=(dataset, ()),
        )
    with right:
        show_chart(
            lambda: pixel_histogram(dataset.train_images, tick_size=tick_size()),
            key="explore_histogram",
            memo=(dataset, ()),
        )
        st.caption(
            "Most pixels are pure black background (brightness 0), so the vertical axis is logarithmic: "
            "each step up is ten times more pixels."
        )
    mean_images(dataset)


def dataset_facts(dataset) -> None:
    st.subheader(dataset.title)
    height, width = dataset.image_shape
    # Keyed: presenter mode keeps these facts at their usual size (ui.presenter.PRESENTER_TEXT).
    cols = st.container(key="dataset_facts").columns(4)
    cols[0].metric("Training images", f"{dataset.n_train:,}")
    cols[1].metric("Test images", f"{dataset.n_test:,}")
    cols[2].metric("Image size", f"{height} × {width} px")
    cols[3].metric("Classes", dataset.n_classes)
    st.markdown(f"**Source:** {dataset.source}  \n**Credit:** {dataset.credit or 'not recorded'}")


def sample_grid(dataset) -> None:
    st.session_state.setdefault("explore_shuffle", 0)
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    choice = left.selectbox(
        "Sample images of",
        [ALL_CLASSES, *dataset.class_names],
        key="explore_class",
        persist_state="session",
    )
    right.button("Reshuffle", key="explore_reshuffle", icon=":material/shuffle:", on_click=_reshuffle)
    labels = dataset.train_labels
    pool = (
        range(len(labels))
        if choice == ALL_CLASSES
        else (labels == dataset.class_names.index(choice)).nonzero()[0]
    )
    shuffle = st.session_state["explore_shuffle"]
    picks = sample_indices(len(pool), SAMPLE_SIZE, seed=shuffle)
    indices = [pool[i] for i in picks]
    thumbnails(
        dataset,
        ("explore_samples", choice, shuffle),
        lambda: dataset.train_images[indices],
        [dataset.class_names[labels[i]] for i in indices],
    )


def _reshuffle() -> None:
    st.session_state["explore_shuffle"] += 1


def mean_images(dataset) -> None:
    st.subheader("The average image of each class")
    st.markdown(
        "Each picture averages every training image of one class: blurry where the images differ most."
    )
    thumbnails(dataset, ("explore_means",), lambda: caches.class_means(dataset), list(dataset.class_names))


def thumbnails(dataset, what: tuple, images, captions: list[str]) -> None:
    """`images()` (uint8, made once per dataset and `what`) about 64 px wide, in full rows of ten."""
    scale = display_scale(dataset.image_shape, target=64)
    sheet = caches.dataset_memo(
        dataset, ("thumbnails", *what, scale), lambda: sprite([enlarge(image, scale) for image in images()])
    )
    st.html(sprite_rows(sheet, captions, columns=GRID_COLUMNS))


run_page(
    render,
    title="Explore the images",
    description="This page shows the images K-means will cluster: how many there are, what they look "
    "like, and how bright their pixels are. Nothing is clustered here yet.",
)
