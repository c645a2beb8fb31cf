"""Turn images into the rows K-means clusters: scaled to [0, 1], optionally deskewed, blurred, reduced.

Every step is a scikit-learn transformer (`PixelScaler`, `Deskew`, `GaussianBlur`, scikit-learn's
`Normalizer` and `PCAProjection`), so they chain in a `Pipeline`; `make_preprocessor` builds the chain the
classifier uses. All of them work on whole stacks at once in float32: no Python loop over images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer
from sklearn.utils.validation import check_is_fitted, validate_data

#: Images per block when deskewing: bounds the gather indices' memory (about 25 MB per block).
_BLOCK = 4096


def as_float_rows(X, dtype=np.float32) -> np.ndarray:
    """Flatten images to rows and scale uint8 pixels to [0, 1].

    Parameters
    ----------
    X : array-like of shape (n_samples, height, width) or (n_samples, n_features)
        uint8 pixels (0-255) are divided by 255; float values are taken as already scaled.
    dtype : numpy dtype, default=np.float32

    Returns
    -------
    rows : ndarray of shape (n_samples, height * width) or (n_samples, n_features)
    """
    X = np.asarray(X)
    if X.ndim == 3:
        X = X.reshape(len(X), -1)
    if X.dtype == np.uint8:
        return X.astype(dtype) / dtype(255)
    return X.astype(dtype, copy=False)


def infer_image_shape(n_features: int, image_shape=None) -> tuple[int, int] | None:
    """(height, width) of images flattened to `n_features`: `image_shape` if given, else square, else None."""
    if image_shape is not None:
        h, w = (int(v) for v in image_shape)
        if h < 1 or w < 1 or h * w != n_features:
            raise ValueError(
                f"image_shape={tuple(image_shape)!r} does not match n_features={n_features}; "
                "height * width must equal the number of pixels."
            )
        return h, w
    side = math.isqrt(n_features)
    return (side, side) if side * side == n_features and side > 1 else None


# --- the computations -------------------------------------------------------------------------


def image_moments(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre of mass and skew of each image, from its first and second moments.

    Parameters
    ----------
    images : ndarray of shape (n, height, width), float32, ink >= 0

    Returns
    -------
    row_centre, col_centre : ndarray of shape (n,)
        Centre of mass in pixel coordinates (0 is the first row/column); the frame's centre for a blank image.
    skew : ndarray of shape (n,)
        cov(row, col) / var(row): how many columns the ink drifts right per row down
        (0 for a blank image or a single row of ink).
    """
    n, h, w = images.shape
    # Coordinates relative to the frame's centre keep the float32 sums well conditioned.
    rows = np.arange(h, dtype=np.float32) - np.float32((h - 1) / 2)
    cols = np.arange(w, dtype=np.float32) - np.float32((w - 1) / 2)
    row_mass, col_mass = images.sum(axis=2), images.sum(axis=1)
    mass = row_mass.sum(axis=1)
    safe = np.where(mass > 0, mass, 1)
    cy, cx = row_mass @ rows / safe, col_mass @ cols / safe
    var_y = row_mass @ (rows * rows) / safe - cy * cy
    cov_xy = images.reshape(n, -1) @ np.outer(rows, cols).ravel() / safe - cx * cy
    skew = np.divide(cov_xy, var_y, out=np.zeros_like(cov_xy), where=var_y > 1e-3)
    return cy + (h - 1) / 2, cx + (w - 1) / 2, skew


def deskew_images(images: np.ndarray) -> np.ndarray:
    """Shear each image so its ink stands upright, and move its centre of mass to the frame's centre.

    The classic moment deskew (as in scipy's ``affine_transform`` with matrix ``[[1, 0], [skew, 1]]``),
    with bilinear interpolation done as two 1-D passes over the whole stack at once: a vertical
    shift per image, then a horizontal shift per row. Ink that leaves the frame is lost; new pixels are 0.

    Parameters
    ----------
    images : ndarray of shape (n, height, width), float32

    Returns
    -------
    deskewed : ndarray of shape (n, height, width), float32
    """
    images = np.asarray(images, dtype=np.float32)
    out = np.empty_like(images)
    for start in range(0, len(images), _BLOCK):  # blocks of images, not single images
        block = images[start : start + _BLOCK]
        out[start : start + _BLOCK] = _deskew_block(block)
    return out


def _deskew_block(images):
    n, h, w = images.shape
    cy, cx, skew = image_moments(images)
    # Output pixel (r, c) reads input (r + dy, c + dx(r)): one shift per image, then one per row.
    dy = cy - (h - 1) / 2
    rows_from_centre = np.arange(h, dtype=np.float32) - np.float32((h - 1) / 2)
    dx = skew[:, None] * rows_from_centre + (cx - (w - 1) / 2)[:, None]
    vertical = _shift_lines(images.transpose(0, 2, 1).reshape(n * w, h), np.repeat(dy, w))
    vertical = vertical.reshape(n, w, h).transpose(0, 2, 1).reshape(n * h, w)
    return _shift_lines(vertical, dx.ravel()).reshape(n, h, w)


def _shift_lines(lines, shifts):
    """Each row of `lines` (m, size) read at positions i + its shift, linearly interpolated; 0 outside."""
    m, size = lines.shape
    floor = np.floor(shifts)
    frac = (shifts - floor).astype(np.float32)[:, None]
    # Zero margins wide enough for the largest shift (at most a whole line plus one pixel).
    margin = int(min(size, np.abs(floor).max(initial=0))) + 1
    padded = np.zeros((m, size + 2 * margin + 1), dtype=np.float32)
    padded[:, margin : margin + size] = lines
    start = np.clip(floor, -margin, margin).astype(np.intp) + margin
    windows = np.lib.stride_tricks.sliding_window_view(padded, size + 1, axis=1)
    picked = windows[np.arange(m), start]  # (m, size + 1): one contiguous copy per line
    out = np.subtract(picked[:, 1:], picked[:, :-1])
    out *= frac
    out += picked[:, :-1]
    return out


def l2_normalize(rows: np.ndarray) -> np.ndarray:
    """Each row divided by its Euclidean length (a blank row stays 0), float32.

    K-means on unit rows groups images by the angle between them (cosine similarity), so a faint
    and a bold copy of the same shape land together.
    """
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    norms[norms == 0] = 1
    return rows / norms[:, None]


def fit_pca(rows: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the top principal directions of `rows`, from their covariance matrix.

    One float32 matrix product (n_features x n_features, fast when n_samples >> n_features, as
    with images) and an eigendecomposition in float64. Each direction's sign is fixed so that its
    largest entry is positive, so the same rows always give the same components.

    Parameters
    ----------
    rows : ndarray of shape (n_samples, n_features)
    n_components : int
        At most min(n_samples, n_features).

    Returns
    -------
    mean : ndarray of shape (n_features,), float32
    components : ndarray of shape (n_components, n_features), float32, orthonormal rows
    """
    rows = np.asarray(rows, dtype=np.float32)
    n = len(rows)
    mean = rows.mean(axis=0, dtype=np.float64)
    gram = (rows.T @ rows).astype(np.float64)
    cov = (gram - n * np.outer(mean, mean)) / max(n - 1, 1)
    _, vectors = np.linalg.eigh(cov)  # ascending eigenvalues
    components = vectors[:, ::-1][:, :n_components].T
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    return mean.astype(np.float32), (components * signs[:, None]).astype(np.float32)


def project(rows: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Coordinates of `rows` on the PCA `components` about `mean`, float32 (no centred copy)."""
    return np.asarray(rows, dtype=np.float32) @ components.T - mean @ components.T


def blur_images(images: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of each image (not across images), standard deviation `sigma` pixels, float32."""
    images = np.asarray(images, dtype=np.float32)
    return ndimage.gaussian_filter(images, sigma=(0, sigma, sigma), mode="constant", truncate=3.0)


# --- the transformers ---------------------------------------------------------------------------


class PixelScaler(TransformerMixin, BaseEstimator):
    """Flatten image stacks to rows of float32: uint8 pixels are divided by 255, floats kept as they are.

    Accepts X of shape (n_samples, height, width) or (n_samples, n_features); stateless.
    """

    def fit(self, X, y=None):
        _validate_images(self, X, reset=True)
        return self

    def transform(self, X):
        check_is_fitted(self)
        return _validate_images(self, X, reset=False)[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


class _ImageTransformer(TransformerMixin, BaseEstimator):
    """Base of transformers needing each row's (height, width): from 3-D input, `image_shape` or a square."""

    def fit(self, X, y=None):
        self._check_params()
        rows, shape = _validate_images(self, X, reset=True)
        self.image_shape_ = infer_image_shape(rows.shape[1], self.image_shape or shape)
        if self.image_shape_ is None:
            raise ValueError(
                f"{type(self).__name__} needs images: n_features={rows.shape[1]} is not a square; "
                "pass X of shape (n_samples, height, width) or set image_shape=(height, width)."
            )
        return self

    def transform(self, X):
        """The transformed images as float32 rows, shape (n_samples, height * width)."""
        check_is_fitted(self)
        rows, _ = _validate_images(self, X, reset=False)
        images = rows.reshape(len(rows), *self.image_shape_)
        return self._transform_images(images).reshape(len(rows), -1)

    def _check_params(self):
        pass

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


class Deskew(_ImageTransformer):
    """Straighten slanted images by their moments (see `deskew_images`); stateless.

    Parameters
    ----------
    image_shape : (int, int) or None, default=None
        (height, width) of each row; None takes it from 3-D input or from a square number of pixels.

    Attributes
    ----------
    image_shape_ : (int, int)
    n_features_in_ : int
    """

    def __init__(self, image_shape=None):
        self.image_shape = image_shape

    def _transform_images(self, images):
        return deskew_images(images)


class GaussianBlur(_ImageTransformer):
    """Blur each image with a Gaussian of standard deviation `sigma` pixels; stateless.

    Parameters
    ----------
    sigma : float, default=1.0
        Standard deviation in pixels; must be > 0.
    image_shape : (int, int) or None, default=None
        (height, width) of each row; None takes it from 3-D input or from a square number of pixels.
    """

    def __init__(self, sigma=1.0, image_shape=None):
        self.sigma = sigma
        self.image_shape = image_shape

    def _check_params(self):
        check_blur(self.sigma, "sigma")

    def _transform_images(self, images):
        return blur_images(images, self.sigma)


class PCAProjection(TransformerMixin, BaseEstimator):
    """Project rows onto their top principal components (see `fit_pca`), in float32.

    Like scikit-learn's ``PCA(svd_solver="covariance_eigh")`` without whitening, but keeps float32
    and fixes each component's sign, so a fit is exactly repeatable.

    Parameters
    ----------
    n_components : int, default=50
        Capped at the number of samples and of features seen in `fit`.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    components_ : ndarray of shape (n_components_, n_features)
    n_components_ : int
    n_features_in_ : int
    """

    def __init__(self, n_components=50):
        self.n_components = n_components

    def fit(self, X, y=None):
        check_pca_components(self.n_components, "n_components")
        if self.n_components is None:
            raise ValueError("n_components=None should be a positive integer.")
        rows, _ = _validate_images(self, X, reset=True)
        self.n_components_ = min(self.n_components, *rows.shape)
        self.mean_, self.components_ = fit_pca(rows, self.n_components_)
        return self

    def transform(self, X):
        """Coordinates on the components, shape (n_samples, n_components_), float32."""
        check_is_fitted(self)
        rows, _ = _validate_images(self, X, reset=False)
        return project(rows, self.mean_, self.components_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _validate_images(estimator, X, reset):
    """Rows of float32 in [0, 1] for uint8 input, and the (height, width) of 3-D input (else None)."""
    shape = getattr(X, "shape", None)
    image_shape = None
    if shape is not None and len(shape) == 3:
        image_shape = (int(shape[1]), int(shape[2]))
        X = np.asarray(X).reshape(shape[0], -1)
    X = validate_data(estimator, X, dtype=None, reset=reset)
    return as_float_rows(X), image_shape


# --- parameters and the chain -----------------------------------------------------------------------


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
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float, np.integer, np.floating)) or sigma < 0:
        raise ValueError(f"{name}={sigma!r} should be a number >= 0 (pixels; 0 turns blurring off).")


def check_pca_components(n, name="pca_components") -> None:
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValueError(f"{name}={n!r} should be a positive integer, or None for no PCA.")


def make_preprocessor(
    deskew: bool = False,
    blur: float = 0.0,
    normalize: bool = False,
    pca_components: int | None = None,
    image_shape: tuple[int, int] | None = None,
) -> Pipeline:
    """The preprocessing chain as a scikit-learn `Pipeline`: scale, then deskew, blur, normalise and PCA.

    The parameters are those of `Preprocessing`; `image_shape` goes to the image steps (see `Deskew`).

    Returns
    -------
    pipeline : Pipeline taking (n_samples, height, width) or (n_samples, n_features) and giving float32 rows.
    """
    Preprocessing(deskew, blur, normalize, pca_components)  # validates
    steps = [("scale", PixelScaler())]
    if deskew:
        steps.append(("deskew", Deskew(image_shape=image_shape)))
    if blur:
        steps.append(("blur", GaussianBlur(sigma=blur, image_shape=image_shape)))
    if normalize:
        steps.append(("normalize", Normalizer()))
    if pca_components is not None:
        steps.append(("pca", PCAProjection(n_components=pca_components)))
    return Pipeline(steps)
