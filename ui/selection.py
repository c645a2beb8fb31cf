"""Reading Streamlit's chart selection events back into what the user picked: map rows, heatmap cells.

Pure functions of the event's ``selection`` dict (``{"points": [{"customdata": ...}, ...]}``), so
they need no Streamlit server to run or test.
"""

from __future__ import annotations

from collections.abc import Mapping


def selected_rows(selection: Mapping | None) -> list[int]:
    """Rows of `core.figures.maps.projection_map`'s points in a selection, in the order picked.

    Parameters
    ----------
    selection : mapping or None
        A Plotly chart event's selection; None when nothing was picked.

    Returns each row once; the cluster centres (negative ``customdata``) and points without
    ``customdata`` are left out.
    """
    rows = []
    for point in (selection or {}).get("points", []):
        value = point.get("customdata")
        # A point's customdata may come back as a number or as a list: the row is its first value.
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, (int, float)) and value >= 0 and int(value) not in rows:
            rows.append(int(value))
    return rows


def clicked_cell(selection: Mapping | None) -> tuple[int, int] | None:
    """The (true, predicted) class indices of the `confusion_heatmap` cell in a selection.

    Parameters
    ----------
    selection : mapping or None
        A Plotly chart event's selection; None when nothing was picked.

    Returns the first point that carries a cell's ``[true, predicted, count]``, or None.
    """
    for point in (selection or {}).get("points", []):
        value = point.get("customdata")
        if isinstance(value, list) and len(value) >= 2:
            return int(value[0]), int(value[1])
    return None
