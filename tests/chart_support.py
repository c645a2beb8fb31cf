"""Reading the lab's Plotly charts (ui/plotly_component.py) off an AppTest page."""

from __future__ import annotations

import json
from dataclasses import dataclass

from streamlit.testing.v1 import AppTest

from ui.charts import with_overlay
from ui.plotly_component import SENT_CHARTS_KEY, whole_figure, with_kept_arrays

#: The name `st.components.v2` elements have in AppTest's tree.
COMPONENT = "bidi_component"


@dataclass(frozen=True)
class ShownChart:
    """One chart as the browser draws it: its key, Plotly figure (overlay included) and config, the
    bytes of its message on this run, and whether its figure was sent on this run (else the page had
    it)."""

    key: str
    figure: dict
    config: dict
    figure_bytes: int
    figure_sent: bool


def charts(at: AppTest) -> list[ShownChart]:
    """Every Plotly chart on the page, in page order."""
    shown = []
    for element in at.get(COMPONENT):
        message = element.proto.bytes  # ui.plotly_component.component_message
        data = json.loads(message) if message else {}
        if "revision" not in data:
            continue
        spec = at.session_state[SENT_CHARTS_KEY][data["key"]].spec
        assert spec.revision == data["revision"]
        figure = with_overlay(whole_figure(spec), data["overlay"])
        if data["figure"] is not None:  # what was sent is what the page draws
            assert with_kept_arrays(data["figure"], spec.arrays)["data"] == figure["data"]
        shown.append(
            ShownChart(data["key"], figure, data["config"], len(message), data["figure"] is not None)
        )
    return shown
