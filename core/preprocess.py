"""Turn images into the rows K-means clusters: flattened, float32, scaled to [0, 1]."""

from __future__ import annotations

import numpy as np


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
