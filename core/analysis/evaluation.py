"""How a fitted classifier does on the test split: confusions, accuracy per class, and a plain summary.

`evaluate` classifies every test image once; the small functions below read the numbers a page
shows (the biggest mix-ups, the least pure clusters, the images behind one cell of the matrix).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.model.vote import cluster_class_counts


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A classifier's answers on the test images.

    Attributes
    ----------
    y_true, y_pred : ndarray of shape (n_test,)
        True and predicted class indices.
    nearest_cluster : ndarray of shape (n_test,)
        The cluster whose centre each test image is nearest to (the one that named it).
    confusion : ndarray of shape (n_classes, n_classes)
        Counts of (true class, predicted class).
    class_names : tuple of str
    k : int
        The number of clusters.
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    nearest_cluster: np.ndarray
    confusion: np.ndarray
    class_names: tuple[str, ...]
    k: int

    @property
    def accuracy(self) -> float:
        """Share of test images classified correctly."""
        return float(np.trace(self.confusion) / max(self.confusion.sum(), 1))

    @property
    def class_accuracy(self) -> np.ndarray:
        """Share of each class's test images classified correctly, shape (n_classes,); NaN if none."""
        return per_class_accuracy(self.confusion)


def evaluate(model, images, labels, class_names: Sequence[str], *, features=None) -> Evaluation:
    """Classify `images` with a fitted model and tabulate the answers.

    Parameters
    ----------
    model : FittedModel
    images : ndarray of shape (n_samples, height, width)
    labels : array-like of shape (n_samples,)
        True class indices into `class_names`.
    class_names : sequence of str
    features : ndarray of shape (n_samples, n_features), optional
        The images already preprocessed as the model does (`FittedModel.features`); they are the
        same for every K with one preprocessing, so a caller may keep them and skip that step.

    Returns
    -------
    evaluation : Evaluation
    """
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) != len(images):
        raise ValueError(f"len(labels)={len(labels)} should equal the number of images, {len(images)}.")
    if len(labels) == 0:
        raise ValueError("There are no test images to evaluate on: the dataset's test split is empty.")
    clusters = model.predict_cluster(images) if features is None else model.vote.predict_cluster(features)
    y_pred = np.asarray(model.cluster_labels_, dtype=np.int64)[clusters]
    n_classes = len(class_names)
    return Evaluation(
        y_true=labels,
        y_pred=y_pred,
        nearest_cluster=clusters,
        confusion=count_pairs(labels, y_pred, n_classes),
        class_names=tuple(class_names),
        k=len(model.cluster_labels_),
    )


def count_pairs(y_true, y_pred, n_classes: int) -> np.ndarray:
    """The confusion matrix: ``[t, p]`` counts the images of class t predicted as p, shape (n, n).

    As scikit-learn's ``confusion_matrix(y_true, y_pred, labels=range(n_classes))``, pairs with a class
    outside 0..n_classes-1 left out, in 0.01 ms instead of 1 ms on 2,000 labels: it is counted on
    every K change.
    """
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    known = (y_true >= 0) & (y_true < n_classes) & (y_pred >= 0) & (y_pred < n_classes)
    return cluster_class_counts(y_true[known], y_pred[known], n_classes, n_classes)


def per_class_accuracy(confusion) -> np.ndarray:
    """The diagonal of a confusion matrix over its row sums, shape (n_classes,); NaN for an empty row."""
    confusion = np.asarray(confusion, dtype=np.float64)
    totals = confusion.sum(axis=1)
    return np.divide(np.diag(confusion), totals, out=np.full(len(totals), np.nan), where=totals > 0)


def top_confusions(confusion, n: int = 3) -> list[tuple[int, int, int]]:
    """The `n` most common mistakes as (true class, predicted class, count), largest first.

    Cells with no images are left out; ties keep row-major order.
    """
    confusion = np.asarray(confusion)
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    flat = np.argsort(-off, axis=None, kind="stable")[:n]
    rows, cols = np.unravel_index(flat, off.shape)
    return [(int(r), int(c), int(off[r, c])) for r, c in zip(rows, cols, strict=True) if off[r, c] > 0]


def least_pure_clusters(purity, sizes, n: int = 5) -> np.ndarray:
    """Indices of the `n` non-empty clusters with the lowest purity, least pure first (ties: bigger first)."""
    purity, sizes = np.asarray(purity, dtype=np.float64), np.asarray(sizes)
    candidates = np.flatnonzero(sizes > 0)
    order = np.lexsort((-sizes[candidates], purity[candidates]))
    return candidates[order][:n]


def mistakes(evaluation: Evaluation, true_class: int, predicted_class: int) -> np.ndarray:
    """Indices of the test images of `true_class` that were predicted as `predicted_class`."""
    n = len(evaluation.class_names)
    for name, value in (("true_class", true_class), ("predicted_class", predicted_class)):
        if not 0 <= value < n:
            raise ValueError(f"{name}={value} should be a class index from 0 to {n - 1}.")
    return np.flatnonzero((evaluation.y_true == true_class) & (evaluation.y_pred == predicted_class))


def summary(evaluation: Evaluation) -> str:
    """One paragraph in plain words: overall accuracy, the most common mix-up, the best and worst class."""
    names = evaluation.class_names
    text = (
        f"With K={evaluation.k}, {evaluation.accuracy:.0%} of the {evaluation.confusion.sum():,} test "
        "images are classified correctly"
    )
    confusions = top_confusions(evaluation.confusion, 1)
    if confusions:
        true, predicted, count = confusions[0]
        times = "time" if count == 1 else "times"
        text += f"; the most common mix-up is {names[true]} read as {names[predicted]} ({count:,} {times})."
    else:
        text += ", with no mix-ups at all."
    accuracy = evaluation.class_accuracy
    present = np.flatnonzero(~np.isnan(accuracy))
    if len(present) > 1:
        best = present[np.argmax(accuracy[present])]
        worst = present[np.argmin(accuracy[present])]
        if accuracy[best] > accuracy[worst]:
            text += (
                f" {names[best]} is recognised most reliably ({accuracy[best]:.0%} right) and "
                f"{names[worst]} least ({accuracy[worst]:.0%} right)."
            )
    return text
