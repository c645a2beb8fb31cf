<<<<<<< HEAD
"""Streamlit glue shared by the pages, one concern a module.

- `ui.settings`: what the sidebar holds (`Settings`) and its defaults;
- `ui.sidebar`: the shared sidebar: page links, dataset, K, algorithm, seed, preprocessing;
- `ui.caches`: datasets, fitted models, sweeps and pictures, computed once (uploads per session);
- `ui.uploads`: the upload and model-import widgets, and the model download;
- `ui.frame`: the page frame: header, dataset and model, and error handling;
- `ui.charts`: Plotly charts with the lab's settings; `ui.selection`: reading chart selections.
"""
=======
"""Bridge for the `figures` branch only: on merge, take the lead's ui/__init__.py instead of this file.

A package shadows a module of the same name, so while the old ui.py still holds the Streamlit glue an
empty ui/__init__.py would hide it from every page. This loads ui.py as the module ``ui`` with this
folder as its package path, so ``import ui`` keeps working and ``ui.selection`` is importable.
"""

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    __name__, Path(__file__).parent.parent / "ui.py", submodule_search_locations=[str(Path(__file__).parent)]
)
_module = importlib.util.module_from_spec(_spec)
sys.modules[__name__] = _module
_spec.loader.exec_module(_module)
>>>>>>> figures
