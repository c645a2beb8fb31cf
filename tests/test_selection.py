"""ui.selection: reading chart selections back, on the dicts Streamlit hands over (no server)."""

import json

import numpy as np

from core.figures.evaluation_charts import confusion_heatmap
from core.figures.maps import projection_map
from ui.selection import clicked_cell, selected_rows


def test_selected_rows_reads_customdata_and_skips_centres():
    selection = {
        "points": [{"customdata": 3}, {"customdata": [5]}, {"customdata": -1}, {"customdata": 3}, {"x": 1}]
    }
    assert selected_rows(selection) == [3, 5]
    assert selected_rows(None) == []


def test_clicked_cell_reads_the_first_point_with_a_cell():
    assert clicked_cell({"points": [{"x": "a"}, {"customdata": [2, 0, 7]}]}) == (2, 0)
    assert clicked_cell({"points": []}) is None
    assert clicked_cell(None) is None


def browser_selection(figure, trace, indices):
    """The pick the browser hands back when those points of that trace are clicked: JSON values. A
    point of a heatmap is a (row, column) pair."""
    data = json.loads(figure.to_json())["data"][trace]

    def customdata(i):
        return data["customdata"][i[0]][i[1]] if isinstance(i, tuple) else data["customdata"][i]

    return {"points": [{"curve_number": trace, "customdata": customdata(i)} for i in indices]}


def test_a_click_on_a_heatmap_cell_picks_that_true_and_predicted_class():
    figure = confusion_heatmap(np.array([[3, 0, 1], [0, 2, 0], [2, 0, 1]]), ["zero", "one", "two"])
    assert clicked_cell(browser_selection(figure, 0, [(2, 0)])) == (2, 0)  # "two" read as "zero"
    assert clicked_cell(browser_selection(figure, 0, [])) is None


def test_a_lasso_on_the_map_picks_the_rows_of_the_images_inside_it():
    figure = projection_map(
        np.arange(8, dtype=float).reshape(-1, 2),
        [0, 1, 0, 1],
        ["g0", "g1"],
        np.zeros((2, 2)),
        ["c0", "c1"],
        point_text=["a", "b", "c", "d"],
        title="",
        legend_title="",
    )
    second_group = browser_selection(figure, 1, [0, 1])
    centres = browser_selection(figure, 2, [0, 1])
    assert selected_rows(second_group) == [1, 3]
    assert selected_rows({"points": second_group["points"] + centres["points"]}) == [1, 3]
