"""Reading the lab's Plotly charts (ui/plotly_component.py) off an AppTest page."""

from __future__ import annotations

import json
from dataclasses import dataclass

from streamlit.testing.v1 import AppTest

#: The name `st.components.v2` elements have in AppTest's tree.
COMPONENT = "bidi_component"


@dataclass(frozen=True)
class ShownChart:
    """One chart as the browser gets it: its key, Plotly figure and config, and the figure's size."""

    key: str
    figure: dict
    config: dict
    figure_bytes: int


def charts(at: AppTest) -> list[ShownChart]:
    """Every Plotly chart on the page, in page order."""
    shown = []
    for element in at.get(COMPONENT):
        data = json.loads(element.proto.json)
        if "figure" in data:
            text = data["figure"]
            shown.append(ShownChart(data["key"], json.loads(text), data["config"], len(text.encode())))
    return shown
