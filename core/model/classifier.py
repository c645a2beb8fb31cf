"""The old import path of ui.py (`ALGORITHMS`, the model's type), until ui/ imports from the new modules.

Delete this module once nothing imports it: the model is `core.model.pipeline.FittedModel`, the
algorithms are `core.model.vote.ALGORITHMS`.
"""

from core.model.pipeline import FittedModel as KMeansDigitClassifier
from core.model.vote import ALGORITHMS

__all__ = ["ALGORITHMS", "KMeansDigitClassifier"]
