"""The choices that define a model, without the machinery: light enough for any page to import.

The preprocessing (`Preprocessing`) and the bounds its parameters keep to everywhere (the sidebar,
the command line, model files), the algorithms, and the measured best preprocessing per kind of
dataset. Only numpy: scikit-learn, which takes about a second to import, is not needed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.data.dataset import Dataset

ALGORITHMS = ("minibatch", "lloyd")
#: The widest Gaussian blur, in pixels, anywhere (sidebar, CLI, model files): wider only smears the
#: digit away, and the cost grows with the width (blur=1e7 took minutes and gigabytes).
MAX_BLUR = 2.0
#: The most PCA components anyone may ask for: the lab's largest images (64x64) have 4,096 pixels.
MAX_PCA_COMPONENTS = 4096


@dataclass(frozen=True)
class Preprocessing:
    """The preprocessing choices, in the order they apply; the classifier takes them as parameters.

    Attributes
    ----------
    deskew : bool, default=False
        Straighten slanted images by their moments (helps handwriting, not clothes).
    blur : float, default=0.0
        Standard deviation in pixels of a Gaussian blur; 0 for none.
    normalize : bool, default=False
        Scale each image to unit length, so K-means compares shapes, not ink.
    pca_components : int or None, default=None
        Project onto this many principal components (faster K-means); None keeps every pixel.
    """

    deskew: bool = False
    blur: float = 0.0
    normalize: bool = False
    pca_components: int | None = None

    def __post_init__(self):
        check_deskew(self.deskew)
        check_blur(self.blur)
        check_bool(self.normalize, "normalize")
        check_pca_components(self.pca_components)

    def describe(self) -> str:
        """One short line, e.g. ``"deskew, blur 0.5, L2-normalise, PCA 50"`` or ``"none"``."""
        parts = ["deskew"] if self.deskew else []
        parts += [f"blur {self.blur:g}"] if self.blur else []
        parts += ["L2-normalise"] if self.normalize else []
        parts += [f"PCA {self.pca_components}"] if self.pca_components else []
        return ", ".join(parts) or "none"


def check_bool(value, name) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}={value!r} should be True or False.")


def check_deskew(deskew, name="deskew") -> None:
    check_bool(deskew, name)


def check_blur(sigma, name="blur") -> None:
    """Raise ValueError unless `sigma` is a number from 0 to `MAX_BLUR` (NaN and Inf are refused)."""
    number = not isinstance(sigma, bool) and isinstance(sigma, (int, float, np.integer, np.floating))
    if not (number and 0 <= sigma <= MAX_BLUR):
        raise ValueError(
            f"{name}={sigma!r} should be a number from 0 to {MAX_BLUR:g} (pixels; 0 turns blurring off)."
        )


def check_pca_components(n, name="pca_components") -> None:
    if n is not None and (
        isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_PCA_COMPONENTS
    ):
        raise ValueError(
            f"{name}={n!r} should be a whole number from 1 to {MAX_PCA_COMPONENTS:,}, or None for no PCA."
        )


#: Named preprocessing choices: "auto" is `default_preprocessing(dataset)`, "none" the tutorial's recipe.
PREPROCESSING_CHOICES = ("auto", "none")
#: Measured on the MNIST sample (minibatch, mean of 5 seeds at K=256): the recipe 0.88, deskew 0.933,
#: + L2 0.941, + PCA 50 0.945 (and 10x faster), + blur 0.7 0.950.
DIGIT_PREPROCESSING = Preprocessing(deskew=True, blur=0.7, normalize=True, pca_components=50)
#: Measured on Fashion-MNIST at K=256: the recipe 0.766, L2 + PCA 50 0.795; deskew (0.779) and blur hurt.
OTHER_PREPROCESSING = Preprocessing(normalize=True, pca_components=50)
#: On scikit-learn's 8x8 digits (360 test images) deskew + blur cost 3 points at K=36-144 and L2 or PCA
#: changed nothing beyond noise, so images smaller than this a side keep the tutorial's recipe.
MIN_PREPROCESSED_SIDE = 16


def is_handwriting(dataset: Dataset) -> bool:
    """Whether a dataset holds handwriting, as its `kind` says (the registry or the upload declares it)."""
    return dataset.kind == "handwriting"


def default_preprocessing(dataset: Dataset) -> Preprocessing:
    """The measured best preprocessing for a dataset: deskew and blur handwriting, L2 and PCA for all.

    Tiny images (under `MIN_PREPROCESSED_SIDE` pixels a side, like scikit-learn's 8x8 digits) get
    none: deskew and blur wash them out, and nothing else measured made a difference beyond noise.
    """
    if min(dataset.image_shape) < MIN_PREPROCESSED_SIDE:
        return Preprocessing()
    return DIGIT_PREPROCESSING if is_handwriting(dataset) else OTHER_PREPROCESSING


def resolve_preprocessing(preprocessing: str | Preprocessing, dataset: Dataset) -> Preprocessing:
    """A `Preprocessing` from ``"auto"`` (the dataset's default), ``"none"``, or a `Preprocessing` as is."""
    if isinstance(preprocessing, Preprocessing):
        return preprocessing
    if preprocessing == "auto":
        return default_preprocessing(dataset)
    if preprocessing == "none":
        return Preprocessing()
    raise ValueError(
        f"preprocessing={preprocessing!r} should be one of {PREPROCESSING_CHOICES} or a Preprocessing."
    )
