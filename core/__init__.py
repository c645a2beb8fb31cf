"""The K-means Digit Lab engine: datasets, the classifier, metrics and K sweeps. No Streamlit here.

- `core.data`: the dataset registry, the IDX reader, downloads, uploads and drawings;
- `core.model`: preprocessing, the classifier, its disk cache and files, K-means step by step;
- `core.analysis`: metrics, evaluation, 2-D maps and K sweeps;
- `core.figures`: the Plotly charts and display images, a module per job (`charts`, `maps`, `images`, ...);
  `core.cli`: the command line (``python -m core.cli --help``); `core.threads`: how many threads the
  number crunching uses.
"""
