"""K sweep: how the scores change as K grows, for a list of K values the user can edit."""

import functools

import pandas as pd
import streamlit as st

from core.analysis import evaluation
from core.analysis.k_values import parse_ks
from core.analysis.metrics import METRIC_EXPLANATIONS
from core.analysis.pictures import centroid_images
from core.analysis.sweep import DEFAULT_KS
from core.figures.charts import (
    SWEEP_PLAIN_LABELS,
    accuracy_chart,
    homogeneity_chart,
    inertia_chart,
    k_marker,
)
from core.figures.evaluation_charts import confusion_heatmap
from core.figures.images import display_scale, enlarge
from core.figures.takeaway import takeaway_html
from ui import caches
from ui.charts import show_chart, tick_size
from ui.frame import Page, run_page
from ui.settings import presenter_mode

DEFAULT_KS_TEXT = ", ".join(str(k) for k in DEFAULT_KS)
TABLE_COLUMNS = {
    "k": "K",
    "inertia": "Inertia",
    "homogeneity": "Homogeneity",
    "completeness": "Completeness",
    "v_measure": "V-measure",
    "train_accuracy": "Train accuracy",
    "test_accuracy": "Test accuracy",
    "fit_seconds": "Fit time (s)",
}
#: Presenter mode's table and the take-away's: the scores an audience can follow, each named in
#: plain words, with its format in the take-away.
TAKEAWAY_COLUMNS = {
    "k": ("K", "d"),
    "inertia": ("Spread inside clusters", ",.0f"),
    "homogeneity": ("How pure each cluster is", ".2f"),
    "test_accuracy": ("Right on new images", ".1%"),
    "fit_seconds": ("Seconds to cluster", ".1f"),
}
PLAIN_COLUMNS = {key: label for key, (label, _) in TAKEAWAY_COLUMNS.items()}


def render(page: Page) -> None:
    settings, dataset = page.settings, page.dataset
    if "sweep_ks" not in st.session_state:
        st.session_state["sweep_ks"] = DEFAULT_KS_TEXT
    # The charts come first, on the first screen; the box that picks their K values sits below them.
    charts_place = st.container(key="key_visual")
    text = st.text_input(
        "K values to compare",
        key="sweep_ks",
        persist_state="session",
        help="Whole numbers separated by commas. Values already fitted come back at once.",
    )
    ks = parse_ks(text, dataset.n_train)
    with charts_place:  # the sweep's progress bar shows where its charts will be
        rows = caches.sweep_rows(dataset, ks, settings.algorithm, settings.seed, settings.preprocessing)
        table = pd.DataFrame(rows)
        charts(table, dataset, (ks, settings.algorithm, settings.seed, settings.preprocessing), settings.k)
    st.subheader("The numbers")
    numbers_table(table)
    st.caption(METRIC_EXPLANATIONS["fit_seconds"] + " Results are cached, so fitted values return at once.")
    st.download_button(
        "Download the table (CSV)",
        data=table[list(TABLE_COLUMNS)].to_csv(index=False),
        file_name=f"kmeans-sweep-{settings.dataset}-{settings.algorithm}-seed{settings.seed}"
        f"-{settings.preprocessing_slug}.csv",
        mime="text/csv",
        on_click="ignore",
        key="sweep_csv",
        icon=":material/download:",
        help="One row per K; accuracies as fractions (0.9 is 90%), fit times in seconds.",
    )
    takeaway_button(page, rows)


def takeaway_button(page: Page, rows: list[dict]) -> None:
    """One button that saves the session as a single HTML file: sweep, centres, mix-ups, summary.

    Nothing is computed until the button is pressed: a K move on this page only moves the charts'
    marker. Streamlit then calls `data` outside the page's run, so the file is made with the
    engine alone (the model comes from the disk cache for a named dataset).
    """
    settings, dataset = page.settings, page.dataset
    st.download_button(
        "Save this session as a web page",
        data=functools.partial(takeaway_file, dataset, settings, rows, caches.disk_cache(dataset)),
        file_name=f"kmeans-lab-{settings.dataset}-k{settings.k}.html",
        mime="text/html",
        on_click="ignore",
        key="takeaway",
        icon=":material/save:",
        help="One HTML file for the audience: the sweep, every cluster centre, the mix-ups and a summary, "
        "with charts that work offline.",
    )


def takeaway_file(dataset, settings, rows: list[dict], disk_cache) -> str:
    """The take-away HTML for the sidebar's settings (called when the button is pressed)."""
    from core.analysis.sweep import fit_model

    model, _ = fit_model(
        dataset,
        settings.k,
        algorithm=settings.algorithm,
        random_state=settings.seed,
        preprocessing=settings.preprocessing or "auto",
        cache=disk_cache,
    )
    result = evaluation.evaluate(model, dataset.test_images, dataset.test_labels, dataset.class_names)
    ks = [row["k"] for row in rows]
    column = {key: [row[key] for row in rows] for key in rows[0] if key != "k"}
    names = dataset.class_names
    gallery = [
        (enlarge(image, display_scale(image.shape, target=84)), f"Cluster {c}: {names[label]}")
        for c, (image, label) in enumerate(zip(centroid_images(model), model.cluster_labels_, strict=True))
    ]
    figures = [
        _in_plain_words(lambda: inertia_chart(ks, column["inertia"], settings.k), "inertia"),
        _in_plain_words(lambda: homogeneity_chart(ks, column["homogeneity"], settings.k), "homogeneity"),
        _in_plain_words(
            lambda: accuracy_chart(ks, column["train_accuracy"], column["test_accuracy"], settings.k),
            "accuracy",
        ),
    ]
    return takeaway_html(
        title=f"K-means on {dataset.title}: what we saw",
        settings_line=f"K = {settings.k} · {settings.algorithm_label} · preprocessing: "
        f"{settings.preprocessing_label} · random seed {settings.seed}",
        summary=evaluation.summary(result),
        sweep_figures=figures,
        sweep_rows=rows,
        sweep_columns=TAKEAWAY_COLUMNS,
        gallery=gallery,
        confusion=confusion_heatmap(result.confusion, names),
    )


def numbers_table(table: pd.DataFrame) -> None:
    """The sweep as a table; in presenter mode only the scores an audience follows, in plain words."""
    if presenter_mode():
        shown = table[list(PLAIN_COLUMNS)].rename(columns=PLAIN_COLUMNS)
        shown["Right on new images"] *= 100
        st.dataframe(
            shown,
            hide_index=True,
            column_config={
                "Spread inside clusters": st.column_config.NumberColumn(format="%.0f"),
                "How pure each cluster is": st.column_config.NumberColumn(format="%.2f"),
                "Right on new images": st.column_config.NumberColumn(format="%.0f%%"),
                "Seconds to cluster": st.column_config.NumberColumn(format="%.1f"),
            },
            key="sweep_table_plain",
        )
        return
    shown = table[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS)
    shown[["Train accuracy", "Test accuracy"]] *= 100  # shown as percentages with one decimal
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "Inertia": st.column_config.NumberColumn(format="%.0f", help=METRIC_EXPLANATIONS["inertia"]),
            "Homogeneity": st.column_config.NumberColumn(format="%.3f"),
            "Completeness": st.column_config.NumberColumn(format="%.3f"),
            "V-measure": st.column_config.NumberColumn(format="%.3f"),
            "Train accuracy": st.column_config.NumberColumn(format="%.1f%%"),
            "Test accuracy": st.column_config.NumberColumn(format="%.1f%%"),
            "Fit time (s)": st.column_config.NumberColumn(format="%.2f"),
        },
        key="sweep_table",
    )


def charts(table: pd.DataFrame, dataset, sweep: tuple, current_k: int) -> None:
    """The three charts, marked K. Each is made and sent once per sweep (`sweep` says which) without
    the mark, which is drawn over it: a K move sends only the mark (no fit, no chart built or sent)."""
    ks = table["k"].tolist()
    size = tick_size()  # each chart's left margin has room for its numbers: Plotly draws it once
    panels = [
        (lambda: inertia_chart(ks, table["inertia"], tick_size=size), ["inertia"], ["inertia"]),
        (
            lambda: homogeneity_chart(ks, table["homogeneity"], tick_size=size),
            ["homogeneity"],
            ["homogeneity"],
        ),
        (
            lambda: accuracy_chart(ks, table["train_accuracy"], table["test_accuracy"], tick_size=size),
            ["accuracy", "train_accuracy"],
            ["train_accuracy", "test_accuracy"],
        ),
    ]
    plain = presenter_mode()
    columns = st.columns(len(panels))
    for i, (column, (build, explained, scores)) in enumerate(zip(columns, panels, strict=True)):
        if plain:
            build = functools.partial(_in_plain_words, build, explained[0])
        values = [value for score in scores for value in table[score]]
        with column:
            show_chart(
                build,
                key=f"sweep_chart_{i}",
                memo=(dataset, (*sweep, plain)),
                overlay=k_marker(current_k, values),
            )
            for metric in explained:
                st.caption(METRIC_EXPLANATIONS[metric])


def _in_plain_words(build, metric: str):
    """The chart `build` makes, titled for an audience (`SWEEP_PLAIN_LABELS`): no "homogeneity"."""
    title, y_title = SWEEP_PLAIN_LABELS[metric]
    fig = build()
    fig.update_layout(title_text=title)
    fig.update_yaxes(title_text=y_title)
    return fig


run_page(
    render,
    title="K sweep: how many clusters?",
    description="This page clusters the images with several values of K and compares them: more clusters fit "
    "the images more tightly and label them more accurately, but each costs more time. "
    "The dashed red line marks the K chosen in the sidebar (K = {k}).",
)
