"""How sure the classifier's answer for one drawing is: the nearest cluster against the nearest rival.

`prediction_confidence` compares a drawing's distance to the winning cluster with its distance to
the nearest cluster that stands for another class, and `Confidence.describe` says it in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import KMeansLabError


class DamagedModelError(KMeansLabError, ValueError):
    """The model's distances are not finite numbers (huge or NaN centres): its file is damaged."""


#: Relative margins (how much farther the nearest other class's cluster is) that read as a clear
#: answer, or else as a likely one; below CLOSE_MARGIN it is a close call. On drawn mnist-sample
#: test digits (bench/bench_drawing.py) the model is right about 98% of the time above 0.25,
#: 70-90% between 0.10 and 0.25, and about half the time below 0.10.
CLEAR_MARGIN = 0.25
CLOSE_MARGIN = 0.10


@dataclass(frozen=True)
class Confidence:
    """How clearly the nearest cluster wins over the nearest cluster of any other class.

    Attributes
    ----------
    label, rival : class values
        The predicted class, and the class of the nearest cluster standing for another class
        (``rival`` is None when every cluster stands for the same class).
    cluster, rival_cluster : int
        Those clusters' indices (``rival_cluster`` is -1 without a rival).
    distance, rival_distance : float
        Their distances from the drawing, in the model's space (``rival_distance`` is inf
        without a rival).
    """

    label: object
    cluster: int
    distance: float
    rival: object
    rival_cluster: int
    rival_distance: float

    @property
    def margin(self) -> float:
        """How much farther the rival is than the winner, in the model's units (>= 0)."""
        return self.rival_distance - self.distance

    @property
    def relative_margin(self) -> float:
        """The margin as a share of the rival's distance: 0 is a tie, 1 is a perfect match."""
        if not np.isfinite(self.rival_distance):
            return 1.0
        return self.margin / self.rival_distance if self.rival_distance > 0 else 0.0

    @property
    def level(self) -> str:
        """The verdict in a word, from `relative_margin`: "clear", "likely" or "close" (a close call)."""
        if self.relative_margin >= CLEAR_MARGIN:
            return "clear"
        return "likely" if self.relative_margin >= CLOSE_MARGIN else "close"

    def describe(self, name=str) -> str:
        """The verdict in a plain sentence; `name` turns a class value into words (e.g. 7 -> "7")."""
        if self.rival is None:
            return f"Every cluster stands for “{name(self.label)}”, so no other answer was possible."
        percent = _percent(self.relative_margin)
        winner, rival = name(self.label), name(self.rival)
        if self.level == "clear":
            return (
                f"A clear answer: the nearest cluster of any other class (“{rival}”) is {percent} "
                f"farther from your drawing than the nearest “{winner}” cluster."
            )
        if self.level == "likely":
            return (
                f"Probably “{winner}”: the nearest “{rival}” cluster is only {percent} farther away "
                f"than the nearest “{winner}” cluster."
            )
        return (
            f"A close call between “{winner}” and “{rival}”: their nearest clusters are almost "
            f"equally far from your drawing (the “{rival}” one is {percent} farther). Try a clearer shape."
        )


def prediction_confidence(distances, cluster_labels) -> Confidence:
    """Compare the nearest cluster with the nearest cluster that stands for a different class.

    Parameters
    ----------
    distances : array-like of shape (n_clusters,)
        One drawing's distance to each cluster centre, e.g. ``model.transform(digit[None])[0]``.
    cluster_labels : array-like of shape (n_clusters,)
        The class each cluster stands for, e.g. ``model.cluster_labels_``.

    Returns
    -------
    confidence : Confidence

    Raises
    ------
    DamagedModelError
        If a distance is NaN or infinite, as from a model file with huge or NaN centres.
    ValueError
        If the shapes do not match.
    """
    distances = np.asarray(distances, dtype=np.float64)
    labels = np.asarray(cluster_labels)
    if distances.ndim != 1 or len(distances) == 0 or labels.shape != distances.shape:
        raise ValueError(
            f"distances of shape {distances.shape} and cluster_labels of shape {labels.shape} "
            "should be the same non-empty (n_clusters,)."
        )
    if not np.isfinite(distances).all():
        bad = distances[~np.isfinite(distances)]
        raise DamagedModelError(
            f"The model's distances from your drawing include {len(bad)} that are not finite numbers "
            f"(e.g. {bad[0]}): the model file is damaged. Fit a model or import another file."
        )
    best = int(np.argmin(distances))
    others = np.flatnonzero(labels != labels[best])
    if len(others) == 0:
        return Confidence(labels[best], best, float(distances[best]), None, -1, float("inf"))
    rival = int(others[np.argmin(distances[others])])
    return Confidence(
        labels[best], best, float(distances[best]), labels[rival], rival, float(distances[rival])
    )


def _percent(share: float) -> str:
    """A share as a whole percentage, saying "less than 1%" rather than a 0% that reads as none."""
    percent = 100 * share
    return "less than 1%" if round(percent) < 1 else f"{percent:.0f}%"
