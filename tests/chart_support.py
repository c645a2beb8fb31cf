"""Reading the lab's Plotly charts (ui/plotly_component.py) off an AppTest page."""

from __future__ import annotations

import json
from dataclasses import dataclass

from streamlit.testing.v1 import AppTest

from ui.charts import with_overlay
from ui.plotly_component import SENT_CHARTS_KEY, whole_figure

#: The name `st.components.v2` elements have in AppTest's tree.
COMPONENT = "bidi_component"


@dataclass(frozen=True)
class ShownChart:
    """One chart as the browser draws it: its key, Plotly figure (overlay included) and config, the
    bytes of figure and arrays sent on this run, and whether its figure was sent on this run (else
    the page had it)."""

    key: str
    figure: dict
    config: dict
    figure_bytes: int
    figure_sent: bool


def charts(at: AppTest) -> list[ShownChart]:
    """Every Plotly chart on the page, in page order."""
    shown = []
    for element in at.get(COMPONENT):
        data = json.loads(element.proto.json)
        if "revision" not in data:
            continue
        spec = at.session_state[SENT_CHARTS_KEY][data["key"]].spec
        assert spec.revision == data["revision"]
        figure = with_overlay(whole_figure(spec), data["overlay"])
        sent = data["figure"] is not None
        size = len((data["figure"] or "").encode()) + sum(
            len(text.encode()) for text in data["arrays"].values()
        )
        shown.append(ShownChart(data["key"], figure, data["config"], size, sent))
    return shown
