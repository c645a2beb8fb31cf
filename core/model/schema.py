"""The arrays that make up a fitted model, declared once: the disk cache and model files both use them.

`MODEL_ARRAYS` names every array with its dtype kinds and its shape in symbolic sizes (K, n_pixels...);
`model_to_arrays` and `model_from_arrays` turn a `FittedModel` into plain arrays and back, and
`check_model_arrays` checks arrays against the table before anything is built from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from sklearn.pipeline import Pipeline

from core.model.pipeline import FittedModel
from core.model.preprocess import PCAProjection, Preprocessing, preprocessing_steps
from core.model.vote import ClusterVoteClassifier, check_vote_params


@dataclass(frozen=True)
class ArraySpec:
    """One array of a fitted model.

    Attributes
    ----------
    kinds : str
        The numpy dtype kinds it may have: "f" floats, "iu" whole numbers, "fiu" any number.
    dims : tuple of str
        Its shape in symbolic sizes (see `check_model_arrays`); () for a single number.
    read : callable(FittedModel) -> array-like
        Where a fitted model keeps it.
    with_pca : bool, default=False
        Present only when the model has a PCA step.
    """

    kinds: str
    dims: tuple[str, ...]
    read: Callable[[FittedModel], object]
    with_pca: bool = False


MODEL_ARRAYS: dict[str, ArraySpec] = {
    "cluster_centers_": ArraySpec("f", ("K", "n_pixels"), lambda m: m.cluster_centers_),
    "cluster_centers_model_space_": ArraySpec("f", ("K", "n_features"), lambda m: m.vote.cluster_centers_),
    "cluster_labels_": ArraySpec("iu", ("K",), lambda m: m.vote.cluster_labels_),
    "cluster_class_counts_": ArraySpec("iu", ("K", "n_classes"), lambda m: m.vote.cluster_class_counts_),
    "labels_": ArraySpec("iu", ("n_train",), lambda m: m.vote.labels_),
    "classes_": ArraySpec("iu", ("n_classes",), lambda m: m.vote.classes_),
    "inertia_": ArraySpec("fiu", (), lambda m: m.vote.inertia_),
    "n_iter_": ArraySpec("iu", (), lambda m: m.vote.n_iter_),
    "n_features_in_": ArraySpec("iu", (), lambda m: m.n_features_in_),
    "image_shape_": ArraySpec("iu", ("n_image_dims",), lambda m: np.asarray(m.image_shape_ or (), np.int64)),
    "pca_mean_": ArraySpec("f", ("n_pixels",), lambda m: m.pipeline["pca"].pca_.mean_, with_pca=True),
    "pca_components_": ArraySpec(
        "f", ("n_components", "n_pixels"), lambda m: m.pipeline["pca"].pca_.components_, with_pca=True
    ),
}

_KIND_WORDS = {"f": "floats", "iu": "whole numbers", "fiu": "a number"}
_PARAMS = ("n_clusters", "algorithm", "random_state")
#: Names an error lists before "... and N more", and the characters it shows of each.
LISTED_NAMES = 5
LISTED_NAME_CHARS = 40
#: Slack on the magnitude bounds for float32 rounding.
BOUND_SLACK = 1e-3


def listed(names) -> str:
    """The first `LISTED_NAMES` of `names`, each cut to `LISTED_NAME_CHARS`, then how many more there are.

    A file may hold any number of names of any length; an error message quotes a few.
    """
    names = list(names)
    shown = [name if len(name) <= LISTED_NAME_CHARS else f"{name[:LISTED_NAME_CHARS]}…" for name in names]
    more = len(names) - LISTED_NAMES
    return ", ".join(shown[:LISTED_NAMES]) + (f" … and {more:,} more" if more > 0 else "")


def model_to_arrays(model: FittedModel) -> dict[str, np.ndarray]:
    """A fitted model's learned state as the plain arrays of `MODEL_ARRAYS`."""
    has_pca = model.preprocessing.pca_components is not None
    return {
        name: np.asarray(spec.read(model))
        for name, spec in MODEL_ARRAYS.items()
        if has_pca or not spec.with_pca
    }


def model_from_arrays(arrays: dict[str, np.ndarray], params: dict) -> FittedModel:
    """Rebuild a fitted model from `model_to_arrays` output and its `FittedModel.get_params()`.

    The arrays are used as they are (not copied); check them first with `check_model_arrays`.
    """
    vote_params, preprocessing = split_params(params)
    shape = tuple(int(side) for side in arrays["image_shape_"]) or None
    blank = np.zeros((1, int(arrays["n_features_in_"])), dtype=np.float32)
    steps = []
    for name, step in preprocessing_steps(preprocessing, shape):
        if name == "pca":
            step = PCAProjection.from_arrays(arrays["pca_mean_"], arrays["pca_components_"])
        else:
            step.fit(blank)  # the other steps learn nothing but the row size and the image shape
        steps.append((name, step))
    vote = ClusterVoteClassifier(**vote_params)
    vote.cluster_centers_ = arrays["cluster_centers_model_space_"]
    for name in ("cluster_labels_", "cluster_class_counts_", "labels_", "classes_"):
        setattr(vote, name, arrays[name])
    vote.inertia_, vote.n_iter_ = float(arrays["inertia_"]), int(arrays["n_iter_"])
    vote.n_features_in_ = vote.cluster_centers_.shape[1]
    pictures = arrays["cluster_centers_"]
    if not (preprocessing.normalize or preprocessing.pca_components):
        pictures = vote.cluster_centers_  # one array, as after a fit
    return FittedModel(Pipeline([*steps, ("vote", vote)]), pictures)


def split_params(params: dict) -> tuple[dict, Preprocessing]:
    """`FittedModel.get_params()` split into the vote's parameters and the `Preprocessing`, both checked.

    Raises
    ------
    ValueError
        For an unknown parameter, a missing K, or a bad value (the message names it).
    """
    known = (*_PARAMS, *(f.name for f in fields(Preprocessing)))
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"unknown parameter(s) {listed(unknown)}; known: {', '.join(sorted(known))}.")
    if "n_clusters" not in params:
        raise ValueError("the parameters do not say K ('n_clusters').")
    vote_params = {key: params[key] for key in _PARAMS if key in params}
    check_vote_params(vote_params["n_clusters"], vote_params.get("algorithm", "minibatch"))
    preprocessing = Preprocessing(**{key: params[key] for key in known[len(_PARAMS) :] if key in params})
    return vote_params, preprocessing


def check_model_arrays(arrays: dict[str, np.ndarray], params: dict) -> None:
    """Check arrays against `MODEL_ARRAYS` and each other before a model is built from them.

    The symbolic sizes: K is ``params["n_clusters"]``, n_pixels is ``n_features_in_``, n_classes the
    length of ``classes_``, n_train of ``labels_``, n_components the rows of ``pca_components_``,
    n_features is n_components with PCA and n_pixels without, n_image_dims is 0 or 2.

    Raises
    ------
    ValueError
        Naming the first array at fault and what it should be.
    """
    has_pca = params.get("pca_components") is not None
    _check_names(arrays, has_pca)
    for name, value in arrays.items():
        _check_values(name, value, MODEL_ARRAYS[name].kinds, len(MODEL_ARRAYS[name].dims))
    sizes = _sizes(arrays, params, has_pca)
    for name, value in arrays.items():
        wanted = tuple(sizes[dim] for dim in MODEL_ARRAYS[name].dims)
        if value.shape != wanted:
            explained = ", ".join(f"{dim} = {sizes[dim]}" for dim in dict.fromkeys(MODEL_ARRAYS[name].dims))
            raise ValueError(f"'{name}' has shape {value.shape}; it needs {wanted} ({explained}).")
    _check_contents(arrays, sizes)
    _check_magnitudes(arrays, magnitude_bounds(sizes["n_pixels"], has_pca))


def _check_names(arrays, has_pca):
    unknown = sorted(set(arrays) - set(MODEL_ARRAYS))
    if unknown:
        raise ValueError(f"unexpected array(s) {listed(unknown)}; is it a model file?")
    missing = [
        name for name, spec in MODEL_ARRAYS.items() if name not in arrays and (has_pca or not spec.with_pca)
    ]
    if missing:
        raise ValueError(f"missing the array(s) {', '.join(missing)}.")


def _check_values(name, value, kinds, ndim):
    if value.dtype.kind not in kinds or value.ndim != ndim:
        raise ValueError(
            f"'{name}' must be {_KIND_WORDS[kinds]} with {ndim} dimension(s), "
            f"got {value.dtype} of shape {value.shape}."
        )
    if value.dtype.kind == "f":
        if np.isnan(value).any():
            raise ValueError(f"'{name}' holds NaN values.")
        if np.isinf(value).any():
            raise ValueError(f"'{name}' holds Inf values.")


def _sizes(arrays, params, has_pca) -> dict[str, int]:
    n_image_dims = len(arrays["image_shape_"])
    sizes = {
        "K": params["n_clusters"],
        "n_pixels": int(arrays["n_features_in_"]),
        "n_classes": len(arrays["classes_"]),
        "n_train": len(arrays["labels_"]),
        "n_image_dims": n_image_dims if n_image_dims in (0, 2) else 2,
    }
    sizes["n_components"] = len(arrays["pca_components_"]) if has_pca else 0
    if has_pca and not 1 <= sizes["n_components"] <= params["pca_components"]:
        raise ValueError(
            f"'pca_components_' has {sizes['n_components']} rows; it needs 1 to "
            f"pca_components = {params['pca_components']}."
        )
    sizes["n_features"] = sizes["n_components"] if has_pca else sizes["n_pixels"]
    return sizes


def _check_contents(arrays, sizes):
    shape = tuple(int(side) for side in arrays["image_shape_"])
    if shape and (min(shape) < 1 or shape[0] * shape[1] != sizes["n_pixels"]):
        raise ValueError(f"image size {shape[0]}x{shape[1]} needs n_pixels = {shape[0] * shape[1]}.")
    classes, k = arrays["classes_"], sizes["K"]
    if len(classes) == 0 or np.any(np.diff(classes) <= 0) or classes.min() < 0:
        raise ValueError("'classes_' must be sorted distinct class values >= 0.")
    if not np.isin(arrays["cluster_labels_"], classes).all():
        raise ValueError(f"'cluster_labels_' must hold K = {k} values out of 'classes_'.")
    if arrays["cluster_class_counts_"].min(initial=0) < 0:
        raise ValueError("'cluster_class_counts_' must hold counts >= 0.")
    members = arrays["labels_"]
    if len(members) and (members.min() < 0 or members.max() >= k):
        raise ValueError(f"'labels_' must hold cluster numbers from 0 to {k - 1}.")


def magnitude_bounds(n_pixels: int, has_pca: bool) -> dict[str, float]:
    """The largest absolute value each float array of a fitted model can hold, by array name.

    Pixels are scaled to [0, 1], and deskew, blur and the mean of a cluster only average them; L2
    normalisation keeps them in [0, 1] too. So pictures, the PCA mean and the centres without PCA lie
    within 1, and PCA components, orthonormal rows, within 1. A centre's PCA coordinates are dot
    products of unit rows with a difference of two points of [0, 1]^n_pixels: within sqrt(n_pixels).
    Anything larger was not fitted by the lab, and values near float32's limit make distances Inf or NaN.

    Parameters
    ----------
    n_pixels : int
        The model's number of input pixels.
    has_pca : bool
        Whether the model projects onto PCA components.

    Returns
    -------
    bounds : dict of str to float
        Including `BOUND_SLACK` for rounding.
    """
    unit = 1 + BOUND_SLACK
    centres = np.sqrt(n_pixels) + BOUND_SLACK if has_pca else unit
    return {
        "cluster_centers_": unit,
        "cluster_centers_model_space_": centres,
        "pca_mean_": unit,
        "pca_components_": unit,
    }


def _check_magnitudes(arrays, bounds):
    for name, bound in bounds.items():
        if name in arrays and arrays[name].size and (largest := np.abs(arrays[name]).max()) > bound:
            raise ValueError(
                f"'{name}' holds a value of size {largest:.3g}, over the {bound:.3g} a fitted model can "
                "hold; export the model again from the lab."
            )
