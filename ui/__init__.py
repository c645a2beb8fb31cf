"""Streamlit glue shared by the pages, one concern a module.

- `ui.settings`: what the sidebar holds (`Settings`) and its defaults;
- `ui.sidebar`: the shared sidebar: page links, dataset, K, algorithm, seed, preprocessing;
- `ui.caches`: datasets, fitted models, sweeps and pictures, computed once (uploads per session);
- `ui.uploads`: the upload and model-import widgets, and the model download;
- `ui.frame`: the page frame: header, dataset and model, and error handling;
- `ui.charts`: Plotly charts with the lab's settings; `ui.selection`: reading chart selections.
"""
