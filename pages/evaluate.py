"""Evaluate: how the model does on test images it never saw, which classes it mixes up, and why."""

import numpy as np
import streamlit as st

from core.analysis import evaluation
from core.analysis.metrics import METRIC_EXPLANATIONS
from core.analysis.pictures import centroid_images
from core.figures.evaluation_charts import confusion_and_accuracy_spec, picked_cell_outline
from core.figures.images import display_scale
from ui import caches
from ui.charts import display_size, show_chart
from ui.frame import Page, run_page
from ui.lazy_expander import lazy_expander, open_lazy_expander
from ui.picture_grid import show_sprite, sprite
from ui.plotly_component import stored_selection
from ui.selection import clicked_cell

MAX_SHOWN = 24
#: The images behind a cell and the most mixed clusters, under the table: in a box closed at first and
#: drawn only while open (`ui.lazy_expander`), which a click on a cell opens. Drawn on every K, they
#: took 25-35 ms of a new K's wait (A/B in one browser; bench/README.md, thirteenth pass).
DETAIL_LABEL = "Look closer: one cell's images, and the most mixed clusters"
DETAIL_KEY = "evaluate_detail_open"
#: The picked cell (true, predicted), kept while the box is closed (its two class boxes are not drawn),
#: and whether the boxes were drawn in the last run.
CELL_KEY, BOXES_DRAWN_KEY = "eval_cell", "eval_cell_boxes_drawn"
#: Low enough that the whole confusion table fits under the page's header at 1280x720.
CHART_HEIGHT = 480
LEAST_PURE = 6


def render(page: Page) -> None:
    dataset = page.dataset
    # The table first, whole on a 1280x720 screen; the summary in words just below it. What does not
    # need the model (the table's caption, the closed box's label) goes to the browser before the fit
    # (`Page.model`), in its place under the table, and is drawn while the model is fitted: a new K
    # 9-11 ms sooner at K = 400, 2-6 ms at K = 130 (bench/README.md, "Eighteenth pass"). A slow fit's
    # progress bar stands in the table's place.
    visual = st.container(key="key_visual")
    table = visual.container()
    visual.caption(
        "Each row is the true class, each column what the model said: the diagonal counts the right "
        "answers, every other cell a mix-up. The darker the blue, the bigger the cell's share of its "
        "row (white: none of the row's images, darkest: all of them). Click a cell to see its images "
        "in the box below; the red frame marks the cell picked. The bar beside each row is that "
        "class's share of right answers. " + METRIC_EXPLANATIONS["test_accuracy"]
    )
    summary = st.empty()
    box = lazy_expander(DETAIL_LABEL, DETAIL_KEY, icon=":material/zoom_in:")
    with table:
        model = page.model
        with st.spinner("Classifying the test images…"):
            model_key = caches.model_key(model)
            result = caches.test_evaluation(dataset, model_key, caches.Unhashed(model))
    init_cell(result)
    with table:
        show_chart(
            lambda: confusion_and_accuracy_spec(result.confusion, dataset.class_names),
            memo=(dataset, model_key),  # a K visited before comes back without building its chart
            key="eval_confusion",
            height=CHART_HEIGHT,
            on_select=_pick_clicked_cell,
            selection_mode="points",
            # The cell shown below, framed: drawn over the table, so picking another cell does not
            # send the table again.
            overlay=picked_cell_outline(st.session_state["eval_true"], st.session_state["eval_pred"]),
        )
    summary.info(evaluation.summary(result), icon=":material/lightbulb:")
    if box is not None:
        with box:
            cell_images(result, model, dataset)
            least_pure(model, dataset)


def init_cell(result: evaluation.Evaluation) -> None:
    """Start on the most common mix-up, then keep the cell picked; reset a class that this dataset
    does not have.

    The picked cell is kept apart from its two class boxes (`CELL_KEY`): while the box is closed they
    are not drawn, and Streamlit then forgets what they held.
    """
    state, n = st.session_state, len(result.class_names)
    top = evaluation.top_confusions(result.confusion, 1)
    cell = state.get(CELL_KEY) or (top[0][:2] if top else (0, 0))
    if state.pop(BOXES_DRAWN_KEY, False):  # the boxes were on the page: they hold the latest pick
        cell = (state.get("eval_true", cell[0]), state.get("eval_pred", cell[1]))
    cell = tuple(c if 0 <= c < n else 0 for c in cell)
    state["eval_true"], state["eval_pred"] = state[CELL_KEY] = cell


def _pick_clicked_cell() -> None:
    """A click on the heatmap picks that cell in the two selectboxes (which also work by keyboard),
    and opens the box that shows its images."""
    cell = clicked_cell(stored_selection("eval_confusion"))
    if cell is not None:
        st.session_state["eval_true"], st.session_state["eval_pred"] = cell
        st.session_state[CELL_KEY] = cell
        open_lazy_expander(DETAIL_KEY)


def cell_images(result: evaluation.Evaluation, model, dataset) -> None:
    st.subheader("Look at one cell of the table")
    names = result.class_names
    true_col, pred_col = st.columns(2)
    true = true_col.selectbox("True class", range(len(names)), format_func=names.__getitem__, key="eval_true")
    predicted = pred_col.selectbox(
        "Predicted as", range(len(names)), format_func=names.__getitem__, key="eval_pred"
    )
    st.session_state[BOXES_DRAWN_KEY] = True
    rows = evaluation.mistakes(result, true, predicted)
    if len(rows) == 0:
        st.info(f"No test image of {names[true]} was predicted as {names[predicted]}.")
        return
    verdict = "classified correctly" if true == predicted else f"read as {names[predicted]}"
    shown = rows[:MAX_SHOWN]
    more = f" Showing the first {len(shown)}." if len(rows) > len(shown) else ""
    st.markdown(
        f"**{len(rows):,}** test images of **{names[true]}** were {verdict}.{more} Each is shown on the "
        "left, beside the centre of the cluster it was nearest to (right), which gave it its label."
    )
    centres = centroid_images(model)
    scale = display_scale(dataset.image_shape, target=display_size(72))
    # One sheet of every pair in one block (`ui.picture_grid`): one picture for the browser to decode
    # on each K, not 24 pictures and 24 captions.
    pairs = [_pair(dataset.test_images[i], centres[result.nearest_cluster[i]]) for i in shown]
    sheet = sprite(np.stack(pairs))
    show_sprite(sheet, [f"{names[true]} · cluster {result.nearest_cluster[i]}" for i in shown], scale=scale)


def _pair(image: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """The image and a centre side by side, split by a thin grey bar."""
    bar = np.full((image.shape[0], 1), 128, dtype=np.uint8)
    return np.hstack([image, bar, centre])


def least_pure(model, dataset) -> None:
    st.subheader("The most mixed clusters")
    st.markdown(
        "These clusters hold the most mixed images: their centres look like a blend of classes. "
        + METRIC_EXPLANATIONS["purity"]
    )
    picks = evaluation.least_pure_clusters(model.cluster_purity_, model.cluster_sizes_, LEAST_PURE)
    counts = model.cluster_class_counts_
    captions = []
    for c in picks:
        top = np.argsort(-counts[c], kind="stable")[:2]
        shares = ", ".join(
            f"{counts[c, t] / counts[c].sum():.0%} {dataset.class_names[model.classes_[t]]}"
            for t in top
            if counts[c, t]
        )
        captions.append(f"Cluster {c}\n{shares}")
    # The centres as tiles of one picture in one block (`ui.picture_grid`): one element for the
    # browser to draw on each K, not a column, a picture and a caption per cluster.
    sheet = sprite(centroid_images(model)[picks])
    # As wide as six columns of the page at 1280 px with the sidebar open, in presenter mode too.
    scale = display_scale(dataset.image_shape, target=140)
    show_sprite(sheet, captions, scale=scale, gap="1rem 0.75rem")


run_page(
    render,
    title="Evaluate: which classes get mixed up?",
    description="This page checks the model on test images it never saw while clustering: how often it is "
    "right for each class, which classes it confuses, and the clusters that mix classes most.",
)
