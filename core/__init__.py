"""The K-means Digit Lab engine: datasets, the classifier, metrics and K sweeps. No Streamlit here.

Modules: `core.datasets` (loading), `core.idx` (the IDX reader), `core.download` (tfds downloads),
`core.preprocess`, `core.model` (the classifier), `core.metrics`, `core.cache`, `core.sweep`
(many K at once, and the command line: ``python -m core.sweep --help``).
"""

from core.datasets import Dataset, list_datasets, load_dataset
from core.errors import DataFileError, DatasetUnavailableError, KMeansLabError, UnknownDatasetError
from core.model import KMeansDigitClassifier

__all__ = [
    "DataFileError",
    "Dataset",
    "DatasetUnavailableError",
    "KMeansDigitClassifier",
    "KMeansLabError",
    "UnknownDatasetError",
    "list_datasets",
    "load_dataset",
]
