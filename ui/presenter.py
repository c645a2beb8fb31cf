"""Page styling for a projector: less empty space above the page, and in presenter mode bigger prose.

Streamlit has no setting for either, so each run injects a small style sheet with `st.html` (a
``<style>`` alone takes no space on the page). Every rule is scoped to the main area by its
``data-testid``; the sidebar keeps Streamlit's own sizes except its width.
"""

from __future__ import annotations

import streamlit as st

#: The smallest text a room can read off a projector at 1280x720, in CSS pixels.
PRESENTER_TEXT_PX = 18

#: On every page: Streamlit's 6rem above the title pushes each page's key visual below a 720 px
#: screen, and a 2.75rem title takes another 80 px. The toolbar above the page is 3.75rem tall.
COMPACT_TOP = """
[data-testid="stMainBlockContainer"] { padding: 3.25rem 2rem 2rem 2rem; }
[data-testid="stMain"] h1 { font-size: 2.1rem; padding: 0 0 0.25rem 0; }
[data-testid="stMain"] h3 { padding-top: 0.5rem; }
[data-testid="stSidebar"] { min-width: 240px; max-width: 290px; }
/* Draw: the canvas's toolbar shows above the canvas on hover; room for it, over nothing else. */
[data-testid="stMain"] .st-key-draw_canvas_place { padding-top: 2.5rem; }
@media (max-width: 1000px) {  /* a tablet: the page, not the settings, gets the width */
  [data-testid="stSidebar"] { min-width: 220px; max-width: 240px; }
}
"""

#: In presenter mode: all prose in the main area at least `PRESENTER_TEXT_PX`. Streamlit sizes
#: captions, labels, badges and picture captions in rem or em below 1, each with its own class, so
#: the rule names them and must win over those classes. The answer on Draw (a metric) grows too.
PRESENTER_TEXT = f"""
[data-testid="stMain"] :is(p, li, label, input, textarea, button, small, kbd,
  [data-testid="stFileUploader"] span, [data-testid="stCaptionContainer"], [data-testid="stImageCaption"],
  figcaption,
  [data-testid="stMetricLabel"], [data-testid="stMetricDelta"], [data-testid="stWidgetLabel"],
  [data-baseweb="select"] div,
  [data-testid="stMarkdownContainer"] :is(p, li) span:not([data-testid="stIconMaterial"])) {{
  font-size: {PRESENTER_TEXT_PX}px !important;
}}
[data-testid="stMain"] [data-testid="stMetricValue"] {{ font-size: 3.5rem; }}
/* The answer's value is prose inside: it must win over the 18 px rule above (hence html body). */
html body [data-testid="stMain"] [data-testid="stMetric"] [data-testid="stMetricValue"] :is(p, div, span) {{
  font-size: 3.5rem !important;
}}
/* Explore's dataset facts are not the answer: at 3.5rem "28 × 28 px" overflowed its quarter of a
   1280 px screen. They keep Streamlit's size. */
html body [data-testid="stMain"] .st-key-dataset_facts [data-testid="stMetricValue"],
html body [data-testid="stMain"] .st-key-dataset_facts [data-testid="stMetricValue"] :is(p, div, span) {{
  font-size: 2.25rem !important;
}}
/* The K - 1 and K + 1 buttons keep their keys in their help: a narrow column has no room for both. */
[data-testid="stMain"] [class*="st-key-k_step_"] kbd {{ display: none; }}
"""


def page_style(presenting: bool) -> None:
    """Inject the page's style sheet: compact top always, presenter-sized text when presenting."""
    css = COMPACT_TOP + (PRESENTER_TEXT if presenting else "")
    st.html(f"<style>{css}</style>")
