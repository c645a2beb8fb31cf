"""Streamlit glue shared by the pages, one concern a module.

- `ui.settings`: what the sidebar holds (`Settings`) and its defaults;
- `ui.sidebar`: the shared sidebar: page links, dataset, K, algorithm, seed, preprocessing;
- `ui.caches`: datasets, fitted models, sweeps and pictures, computed once (uploads per session);
- `ui.samples`: results on a sample of the training images (the Map's positions, Step by step's run);
- `ui.uploads`: the upload and model-import widgets, and the model download;
- `ui.frame`: the page frame: header, dataset and model, and error handling;
- `ui.charts`: Plotly charts with the lab's settings, drawn by `ui.plotly_component` (kept in the page,
  updated in place); `ui.selection`: reading chart selections;
- `ui.picture_grid`: many small captioned pictures as one sprite sheet in one block;
- `ui.progress`: a progress bar for slow work; `ui.warm_up`: the model modules loaded in the background;
- `ui.audience_room` and `ui.audience_live`: audience mode (the phones' model, the presenter's live wall).
"""

from core.memory import return_large_blocks_to_the_system
from core.threads import one_blas_thread_from_now_on

# Freed upload buffers and arrays go back to the system, so the server shrinks when sessions end.
return_large_blocks_to_the_system()
# Matrix products on the thread that asks: a second BLAS thread polling for work took the core the
# browser needed, on every K (core.threads).
one_blas_thread_from_now_on()
