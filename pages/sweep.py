"""K sweep: how the scores change as K grows, for a list of K values the user can edit."""

import functools

import pandas as pd
import streamlit as st

from core.analysis.k_values import parse_ks
from core.analysis.metrics import METRIC_EXPLANATIONS
from core.analysis.sweep import DEFAULT_KS
from core.figures.charts import SWEEP_PLAIN_LABELS, accuracy_chart, homogeneity_chart, inertia_chart
from ui import caches
from ui.charts import show_chart
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
#: Presenter mode's table: the scores an audience can follow, each named in plain words.
PLAIN_COLUMNS = {
    "k": "K",
    "inertia": "Spread inside clusters",
    "homogeneity": "How pure each cluster is",
    "test_accuracy": "Right on new images",
    "fit_seconds": "Seconds to cluster",
}


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
    """The three charts; each is made once per sweep (`sweep` says which) and marked K."""
    ks = table["k"].tolist()
    panels = [
        (lambda: inertia_chart(ks, table["inertia"], current_k), ["inertia"]),
        (lambda: homogeneity_chart(ks, table["homogeneity"], current_k), ["homogeneity"]),
        (
            lambda: accuracy_chart(ks, table["train_accuracy"], table["test_accuracy"], current_k),
            ["accuracy", "train_accuracy"],
        ),
    ]
    plain = presenter_mode()
    columns = st.columns(len(panels))
    for i, (column, (build, explained)) in enumerate(zip(columns, panels, strict=True)):
        with column:
            show_chart(
                functools.partial(_in_plain_words, build, explained[0]) if plain else build,
                key=f"sweep_chart_{i}",
                memo=(dataset, (*sweep, current_k, plain)),
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
    needs_model=False,
)
