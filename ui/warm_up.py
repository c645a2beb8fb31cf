"""Load the model modules in the background once a page has been shown, so the first page that fits
a model does not wait for scikit-learn and SciPy to import (the first page, Explore, needs neither).
Then freeze what is loaded, so that Streamlit's collection after every rerun stays short
(`core.memory.freeze_loaded_objects`).

`import_before_charts` keeps that background import from breaking a chart being built meanwhile.
"""

import importlib
import threading

from core.memory import freeze_loaded_objects

#: What the pages that fit, score or read models import on first use (see the module docstring).
MODEL_MODULES = ("core.analysis.sweep", "core.analysis.evaluation", "core.model.persistence")
_warm_up_started = threading.Event()


def warm_up_in_background() -> None:
    """Import the model modules in a background thread, once per server, after a page has been shown.

    The next page that needs a model then finds them loaded; a page that gets there first simply
    waits for the import (Python's import lock) rather than doing it twice.
    """
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()
    threading.Thread(target=_import_model_modules, name="warm-up", daemon=True).start()


def _import_model_modules() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
    freeze_loaded_objects()


def import_before_charts() -> None:
    """Import pandas in the page's own thread, before the page builds a chart.

    Plotly checks every array it is given against pandas' types by reading ``sys.modules``, without
    importing. scikit-learn imports pandas, so while the warm-up thread (or another session) is halfway
    through that import, the check meets a half-made module and the page fails ("partially
    initialized module 'pandas' has no attribute 'Series'"): seen when the dataset was changed within
    a second of a new server's first page. An import statement instead waits for the other thread's
    import to finish. The first run of a new server pays for it once (about 0.25 s), after its
    heading and sidebar are on screen.
    """
    import pandas  # noqa: F401
