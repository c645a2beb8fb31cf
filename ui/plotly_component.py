"""Plotly charts kept in the page and updated in place: one chart per key, one draw per change.

Streamlit 1.67's `st.plotly_chart` makes a new chart element whenever the figure changes (the
figure is part of the element's identity), draws it before its width is known, then again once it
has re-applied its theme: two full draws and a rebuilt chart on every K. In Chromium here that was
about 290 ms from a new K to a quiet page with a heatmap and a 1,000-dot map, against about 175 ms
for this component (`st.components.v2`, documented), which keeps each chart and calls
``Plotly.react`` on it once (bench/README.md, "Fifth pass").

Plotly.js is the installed plotly package's own copy. `publish_plotly_js` copies it into the app's
``static/`` folder, which Streamlit serves at ``app/static/`` (``server.enableStaticServing`` in
.streamlit/config.toml); the page fetches it once.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import plotly
import plotly.io as pio
import streamlit as st

from ui.settings import note_chart_asked

LOG = logging.getLogger(__name__)

APP_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = APP_DIR / "static"
PLOTLY_JS = "plotly.min.js"
#: Relative, so that it also works under a reverse proxy's path prefix (server.baseUrlPath).
PLOTLY_JS_URL = f"app/static/{PLOTLY_JS}"
#: Plotly's own height for a figure that sets none.
DEFAULT_HEIGHT = 450

#: Streamlit's look for charts in its light theme: its font, greys and colours, plain backgrounds.
GREY_TEXT, HEADING, GRID = "#808495", "#31333F", "#e6eaf1"
LAB_TEMPLATE = {
    "layout": {
        "font": {"family": '"Source Sans", "Source Sans Pro", sans-serif', "size": 12, "color": GREY_TEXT},
        "title": {"font": {"size": 16, "color": HEADING, "weight": "bold"}, "x": 0, "xanchor": "left"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "colorway": ["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700"],
        "xaxis": {"showgrid": False, "zeroline": False, "gridcolor": GRID, "automargin": True,
                  "tickcolor": GRID, "title": {"font": {"size": 14}, "standoff": 16}},
        "yaxis": {"gridcolor": GRID, "zerolinecolor": GRID, "automargin": True,
                  "tickcolor": GRID, "title": {"font": {"size": 14}, "standoff": 16}},
        "legend": {"font": {"color": HEADING}, "bordercolor": "rgba(0,0,0,0)", "valign": "top"},
        "hoverlabel": {"bgcolor": "#ffffff", "bordercolor": "#d5dae5", "font": {"color": HEADING}},
        "margin": {"l": 0, "r": 0, "pad": 8},
    }
}  # fmt: skip


#: Session State key of the charts this session sent: {chart key: `SentChart`}.
SENT_CHARTS_KEY = "kmeans_lab_sent_charts"


#: Trace arrays a chart gets once: a figure with the same array as the last figure sent to its chart
#: refers to it instead of sending it again. The Map's dot positions and pictures stay while K changes.
KEPT_ARRAYS = ("x", "y", "customdata", "text")
#: Shorter arrays (as JSON) go with their figure every time: a reference would save nothing.
MIN_KEPT_CHARS = 4_000
#: What stands for a kept array in a figure's JSON: ``{"labArray": its digest}``.
ARRAY_REFERENCE = "labArray"


@dataclass(frozen=True)
class ChartSpec:
    """A figure as the browser gets it: its JSON text, a revision that changes with it, its height,
    and its big arrays (`KEPT_ARRAYS`), each as JSON under its digest, which the JSON refers to."""

    json: str
    revision: str
    height: int
    arrays: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SentChart:
    """The chart last sent under one key, and the browser's last request to send it again."""

    spec: ChartSpec
    answered: float | None


def chart_spec(fig) -> ChartSpec:
    """The figure's JSON with the lab's template instead of its own (Streamlit's has placeholder colours).

    `fig` is a Plotly figure or a plain figure dict, which is used as it is (its traces and layout
    copied, their values not).
    """
    if isinstance(fig, dict):
        traces = [typed_arrays(trace) for trace in fig.get("data", [])]
        spec = {"data": traces, "layout": dict(fig.get("layout", {}))}
    else:
        spec = fig.to_dict()
    spec["layout"]["template"] = LAB_TEMPLATE
    arrays = {}
    for trace in spec["data"]:
        for name in KEPT_ARRAYS:
            if trace.get(name) is None:
                continue
            text = figure_json(trace[name])
            if len(text) >= MIN_KEPT_CHARS:
                digest = digest_of(text)
                arrays[digest] = text
                trace[name] = {ARRAY_REFERENCE: digest}
    text = figure_json(spec)  # the arrays' digests are in it, so the revision follows them
    return ChartSpec(text, digest_of(text), int(spec["layout"].get("height") or DEFAULT_HEIGHT), arrays)


#: orjson's settings in Plotly's own JSON writer: NumPy arrays and numbers, keys that are not text.
JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def figure_json(value) -> str:
    """A figure, or a part of one, as JSON text: what Plotly's writer gives, without its escapes for HTML.

    Plotly writes ``<``, ``>`` and ``/`` as ``\\u003c``, ``\\u003e`` and ``\\u002f``, so that the
    JSON can stand inside an HTML page's ``<script>``. A chart's JSON goes to the page in a message
    that ui/plotly_chart.js parses, never into HTML, so the escapes only made it bigger (every ``<br>``
    of a hover text, every ``/`` of a picture's base64) and cost the server two passes over the text
    (the Map at K = 150: 1.3 ms of 2.2 ms). orjson (requirements.txt) writes UTF-8, so a shade
    character of a hover picture is 3 bytes, not a 6-byte escape. Values neither orjson nor
    `_plain_array` can write (a PIL image, say) go through Plotly's writer, which cleans them first.
    """
    try:
        return orjson.dumps(value, default=_plain_array, option=JSON_OPTIONS).decode()
    except TypeError:
        return pio.json.to_json_plotly(value)


def _plain_array(value):
    """A NumPy array orjson does not write as it is (not contiguous, or of objects) as a list."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


#: The integer types a typed array is narrowed to, smallest first, as Plotly does.
INTEGER_TYPES = ("i1", "i2", "i4")


def typed_arrays(value):
    """`value` (a trace, or a part of one) with its numeric numpy arrays as Plotly.js's typed arrays
    (``{"dtype": "f8", "bdata": base64}``), as a Plotly figure's `to_dict` gives them; dicts copied."""
    if isinstance(value, dict):
        return {key: typed_arrays(inner) for key, inner in value.items()}
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf" or value.ndim != 1:
        return value
    if value.dtype.kind == "f":
        array = value.astype(np.float64 if value.dtype.itemsize > 4 else np.float32, copy=False)
    else:
        low, high = (int(value.min()), int(value.max())) if value.size else (0, 0)
        fits = [t for t in INTEGER_TYPES if np.iinfo(t).min <= low and high <= np.iinfo(t).max]
        array = value.astype(fits[0] if fits else np.float64)
    return {"dtype": array.dtype.str[1:], "bdata": base64.b64encode(array.tobytes()).decode("ascii")}


def digest_of(text: str) -> str:
    """A short digest of a JSON text: a figure's revision, or the name of one of its kept arrays."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def whole_figure(spec: ChartSpec) -> dict:
    """The figure `spec` stands for, its kept arrays in place: what the browser draws."""
    return with_kept_arrays(json.loads(spec.json), spec.arrays)


def with_kept_arrays(figure: dict, arrays: dict[str, str]) -> dict:
    """`figure` (parsed) with each reference to a kept array replaced (in place) by the array, from
    `arrays` ({digest: the array's JSON})."""
    for trace in figure.get("data", []):
        for name, value in trace.items():
            if isinstance(value, dict) and ARRAY_REFERENCE in value:
                trace[name] = json.loads(arrays[value[ARRAY_REFERENCE]])
    return figure


def publish_plotly_js(static_dir: Path = STATIC_DIR) -> bool:
    """Copy plotly.js into the static folder unless the same file is there; False if it cannot be.

    Written to a temporary name and renamed, so that a browser never gets half a file, also when two
    servers start from the same folder at once.
    """
    source = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
    target = static_dir / PLOTLY_JS
    try:
        if target.exists() and target.stat().st_size == source.stat().st_size:
            return True
        static_dir.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=static_dir, suffix=".part")
        os.close(handle)
        # With its date: the browser's cache then keeps it longer before asking whether it changed.
        shutil.copy2(source, temporary)
        os.replace(temporary, target)
        return True
    except OSError as error:
        LOG.warning("Charts fall back to st.plotly_chart: cannot publish %s (%s)", target, error)
        return False


PUBLISHED = publish_plotly_js()

_component = st.components.v2.component(
    "kmeans_lab_plotly_chart",
    js=(Path(__file__).with_name("plotly_chart.js")).read_text(encoding="utf-8"),
    isolate_styles=False,
)


def drag_mode(selection_mode) -> dict:
    """What a drag does on a chart whose points can be picked: lasso or box first, as Streamlit does."""
    modes = (selection_mode,) if isinstance(selection_mode, str) else tuple(selection_mode)
    layout = {"clickmode": "event+select", "hovermode": "closest"}
    if "lasso" in modes:
        layout["dragmode"] = "lasso"
    elif "box" in modes:
        layout["dragmode"] = "select"
    return layout


def plotly_component(
    spec: ChartSpec, *, key: str, config: dict, events=None, on_change=None, overlay: dict | None = None
):
    """Show `spec` in the chart kept under `key`; return the user's current pick on it, or None.

    The figure's JSON goes to the browser only when this session has not sent it to that chart already
    (`figure_to_send`); `overlay` (``{"shapes": [...], "annotations": [...]}``, small) is drawn on
    top and sent every time: the K sweep moves its K marker without sending its charts again.
    `events` is None (nothing to pick), "click" (a click picks a point) or "select" (clicks, boxes
    and lassos pick points). The pick is a mapping ``{"points": [...]}`` (`ui.selection` reads it);
    a pick made on an earlier figure under the same key is not returned. `on_change` is called, as a
    widget callback, when the user picks.
    """
    figure, arrays = figure_to_send(key, spec)
    fields = {
        "key": key,
        "revision": spec.revision,
        "overlay": overlay,
        "height": spec.height,
        "config": config,
        "events": events,
        "src": PLOTLY_JS_URL,
    }
    result = _component(
        key=key,
        data=component_message(fields, figure, arrays),
        on_selection_change=on_change or (lambda: None),
        on_missing_change=note_chart_asked,
    )
    return current_selection(getattr(result, "selection", None), spec.revision)


def component_message(fields: dict, figure: str | None, arrays: dict[str, str]) -> bytes:
    """What the page gets for one chart: `fields` as UTF-8 JSON, with ``figure`` (the figure's JSON, or
    null) and ``arrays`` ({digest: the array's JSON}) in it as JSON values, not as strings.

    Streamlit sends a dict as ``json.dumps`` text, so a figure already in JSON was escaped a second
    time (every quote, and each shade character of the Map's hover pictures as six characters) and
    parsed twice in the browser. Bytes go as they are (``st.components.v2``'s documented ``data``),
    and ui/plotly_chart.js parses them once. A new K on the Map at K = 150: its message 289 -> 178 kB,
    the wait in one Chromium 140.9 -> 132.2 ms and, the servers' order swapped, 169.1 -> 161.2 ms
    (medians of 30).
    """
    members = [
        f"{json.dumps(name)}:{json.dumps(value, ensure_ascii=False)}" for name, value in fields.items()
    ]
    kept = ",".join(f"{json.dumps(digest)}:{array}" for digest, array in arrays.items())
    members += [f'"figure":{figure or "null"}', f'"arrays":{{{kept}}}']
    return ("{" + ",".join(members) + "}").encode()


def figure_to_send(key: str, spec: ChartSpec) -> tuple[str | None, dict[str, str]]:
    """What chart `key` needs of `spec`: its JSON, or None if this session sent it there last time and
    the page still has it; and its kept arrays that the page does not hold (those of the last figure).

    The page keeps the last figure each key was sent, and its arrays. If it does not have what it
    needs (a newer run's message can reach the chart before the one that carried the figure), it asks
    again through the component's ``missing`` state, and gets the whole figure on that rerun.
    """
    sent = st.session_state.setdefault(SENT_CHARTS_KEY, {})
    missing = component_value(key, "missing") or {}
    last = sent.get(key)
    asked = missing.get("revision") == spec.revision and missing.get("at") != (last and last.answered)
    sent[key] = SentChart(spec, missing.get("at"))
    if last is not None and last.spec.revision == spec.revision and not asked:
        return None, {}
    held = set() if last is None or asked else set(last.spec.arrays)
    return spec.json, {digest: text for digest, text in spec.arrays.items() if digest not in held}


def component_value(key: str, name: str):
    """A state value of the component under `key` in Session State (its pick, say), or None."""
    state = st.session_state.get(key)
    value = getattr(state, name, None) if state is not None else None
    if value is None and isinstance(state, dict):
        value = state.get(name)
    return value


def current_selection(selection, revision: str):
    """The selection if it was made on the figure with `revision`; None otherwise."""
    if isinstance(selection, dict) and selection.get("revision") == revision:
        return selection
    return None


def stored_selection(key: str):
    """The last pick on the chart `key`, from Session State (for a callback), or None."""
    selection = component_value(key, "selection")
    return selection if isinstance(selection, dict) else None
