"""The image computations behind preprocessing: scale to [0, 1], deskew by moments, blur.

Each works on a whole stack at once in float32, with no Python loop over images;
`core.model.preprocess` wraps them as scikit-learn transformers.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

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


def blur_images(images: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of each image (not across images), standard deviation `sigma` pixels, float32."""
    images = np.asarray(images, dtype=np.float32)
    return ndimage.gaussian_filter(images, sigma=(0, sigma, sigma), mode="constant", truncate=3.0)
