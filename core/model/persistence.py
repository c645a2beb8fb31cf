"""Fitted models as portable .npz files: export one, and import one back after checking every array.

The file holds the learned arrays of `core.model.schema.MODEL_ARRAYS` (centroids, inferred labels, any
PCA projection...) and one JSON document, ``__meta__``, in a 0-d unicode array: the classifier's
parameters (K and the preprocessing), the dataset's name and class names, and the library versions.
Nothing is pickled, and `import_model` never unpickles: it reads through `core.data.npz.read_npz`
and checks keys, shapes, dtypes and finiteness before it builds a model.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import numpy as np

from core.data.npz import read_npz
from core.errors import DataFileError
from core.model.cache import library_versions, rebuild_model
from core.model.pipeline import FittedModel
from core.model.schema import MODEL_ARRAYS, model_to_arrays, split_params

FORMAT = "kmeans-digit-lab model"
FORMAT_VERSION = 1
META_KEY = "__meta__"
#: Largest model file accepted, in megabytes (K = 512 centroids of 64x64 pixels take 8 MB).
MAX_MODEL_MB = 64


@dataclass(frozen=True, eq=False)
class ImportedModel:
    """A model read back from a file, with what the file says about where it came from.

    Attributes
    ----------
    model : FittedModel
        Fitted and ready to `predict`; its arrays are read-only.
    dataset_name : str
        The name of the dataset it was fitted on, e.g. ``"mnist-sample"``.
    class_names : tuple of str
        The name of each class value (``class_names[label]``).
    versions : dict of str to str
        The library versions that fitted it.
    """

    model: FittedModel
    dataset_name: str
    class_names: tuple[str, ...]
    versions: dict[str, str]

    @property
    def k(self) -> int:
        return int(self.model.n_clusters)


def export_model(model: FittedModel, *, dataset_name: str, class_names) -> bytes:
    """A fitted model as the bytes of an .npz file (see the module docstring for its contents).

    Parameters
    ----------
    model : FittedModel
        Its ``random_state`` must be an int or None (a RandomState cannot be written as JSON).
    dataset_name : str
        The name of the dataset it was fitted on.
    class_names : sequence of str
        The name of each class value.

    Returns
    -------
    content : bytes
    """
    params = model.get_params()
    if not isinstance(params["random_state"], (int, type(None))):
        raise ValueError(f"random_state={params['random_state']!r} should be an int or None to export.")
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "params": {key: _plain(value) for key, value in params.items()},
        "dataset": dataset_name,
        "class_names": [str(name) for name in class_names],
        "versions": library_versions(),
    }
    arrays = model_to_arrays(model)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{META_KEY: np.array(json.dumps(meta))}, **arrays)
    return buffer.getvalue()


def _plain(value):
    """A parameter value as JSON can hold it (numpy scalars become Python numbers)."""
    return value.item() if isinstance(value, np.generic) else value


def import_model(content: bytes, filename: str = "model.npz") -> ImportedModel:
    """Read a model file written by `export_model`, checking it thoroughly first; never unpickles.

    Parameters
    ----------
    content : bytes
        The file's content.
    filename : str
        The name used in error messages.

    Raises
    ------
    DataFileError
        If the file is not such a model, or any array has the wrong shape or dtype or holds NaN or
        Inf; the message names the file and the array.
    """
    arrays, meta = _read(content, filename)
    params = _check_params(filename, meta)
    class_names = _check_class_names(filename, meta)
    model = _check_arrays(filename, arrays, params, len(class_names))
    model.freeze()
    versions = meta.get("versions")
    versions = {str(k): str(v) for k, v in versions.items()} if isinstance(versions, dict) else {}
    return ImportedModel(model, str(meta.get("dataset", "")), class_names, versions)


def _read(content: bytes, filename: str) -> tuple[dict[str, np.ndarray], dict]:
    if len(content) == 0:
        raise DataFileError(f"{filename}: the file is empty.")
    if len(content) > MAX_MODEL_MB * 2**20:
        raise DataFileError(
            f"{filename}: {len(content) / 2**20:,.0f} MB is over the {MAX_MODEL_MB} MB limit for a model."
        )
    not_a_model = (
        f"{filename}: not a model file (a model is an .npz archive made by this lab's "
        "“Download this model” button)."
    )
    if not zipfile.is_zipfile(io.BytesIO(content)):  # reads the zip's directory record only
        raise DataFileError(not_a_model)
    arrays = read_npz(
        content,
        max_members=len(MODEL_ARRAYS) + 1,
        max_member_bytes=MAX_MODEL_MB * 2**20,
        max_total_bytes=MAX_MODEL_MB * 2**20,
        name=filename,
    )
    if META_KEY not in arrays:
        raise DataFileError(f"{not_a_model[:-1]}: it has no '{META_KEY}' entry.")
    raw = arrays.pop(META_KEY)
    if raw.dtype.kind != "U" or raw.ndim != 0:
        raise DataFileError(f"{filename}: '{META_KEY}' must be one JSON text, got {raw.dtype} {raw.shape}.")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{filename}: '{META_KEY}' is not valid JSON ({exc}).") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DataFileError(f"{not_a_model[:-1]}: '{META_KEY}' does not name the format {FORMAT!r}.")
    if meta.get("format_version") != FORMAT_VERSION:
        raise DataFileError(
            f"{filename}: format version {meta.get('format_version')!r} is not one this lab reads "
            f"({FORMAT_VERSION}); export the model again with this version of the lab."
        )
    return arrays, meta


def _check_params(filename: str, meta: dict) -> dict:
    params = meta.get("params")
    if not isinstance(params, dict):
        raise DataFileError(f"{filename}: '{META_KEY}' has no 'params' object.")
    try:
        split_params(params)
    except (ValueError, TypeError) as exc:
        bad = "" if str(exc).startswith(("unknown", "the parameters")) else "bad parameters: "
        raise DataFileError(f"{filename}: {bad}{exc}") from None
    return params


def _check_class_names(filename: str, meta: dict) -> tuple[str, ...]:
    names = meta.get("class_names")
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise DataFileError(f"{filename}: 'class_names' must be a list of the names of the classes.")
    return tuple(names)


def _check_arrays(filename: str, arrays: dict, params: dict, n_classes: int) -> FittedModel:
    try:
        model = rebuild_model(arrays, params)
    except ValueError as exc:
        raise DataFileError(f"{filename}: {exc}") from None
    if arrays["classes_"].max() >= n_classes:
        raise DataFileError(f"{filename}: 'classes_' must be class values from 0 to {n_classes - 1}.")
    return model
