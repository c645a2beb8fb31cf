"""Preprocessing: deskew, blur, L2-normalise and PCA, on hand-made images and real digits."""

import numpy as np
import pytest
from scipy import ndimage
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from core.data.registry import load_dataset
from core.model.images import as_float_rows, blur_images, deskew_images, image_moments, infer_image_shape
from core.model.preprocess import (
    Deskew,
    GaussianBlur,
    PCAProjection,
    PixelScaler,
    Preprocessing,
    preprocessing_of,
    preprocessing_steps,
)
from core.model.vote import ClusterVoteClassifier


def bar(skew=0.0, shape=(28, 28), width=2, rows=(4, 24)):
    """A bar of ink `width` pixels wide from row rows[0] to rows[1] - 1, drifting `skew` columns per row."""
    h, w = shape
    image = np.zeros(shape, dtype=np.float32)
    for r in range(*rows):
        left = (w - width) / 2 + skew * (r - (h - 1) / 2)
        for c in range(w):  # exact area of [left, left + width) covering pixel [c, c + 1)
            image[r, c] = max(0.0, min(c + 1, left + width) - max(c, left))
    return image


def ink_column_spread(image):
    """Standard deviation, over the inked rows, of each row's centre of ink (in columns)."""
    cols = np.arange(image.shape[1])
    mass = image.sum(axis=1)
    inked = mass > 0.5
    return float(np.std((image[inked] @ cols) / mass[inked]))


@pytest.fixture(scope="module")
def sample():
    return load_dataset("mnist-sample")


def test_moments_of_a_hand_made_bar():
    cy, cx, skew = image_moments(bar(skew=0.5)[None])
    assert cy[0] == pytest.approx(13.5, abs=1e-4)
    assert cx[0] == pytest.approx(13.5, abs=1e-4)
    assert skew[0] == pytest.approx(0.5, abs=1e-3)


def test_a_sheared_bar_is_straightened():
    slanted = bar(skew=0.4)
    assert ink_column_spread(slanted) > 2
    upright = deskew_images(slanted[None])[0]
    assert ink_column_spread(upright) < 0.05
    assert abs(image_moments(upright[None])[2][0]) < 1e-3
    assert upright.sum() == pytest.approx(slanted.sum(), rel=1e-3)  # no ink lost inside the frame


def test_an_upright_centred_image_is_unchanged():
    upright = bar(skew=0.0)
    np.testing.assert_allclose(deskew_images(upright[None])[0], upright, atol=1e-5)


def test_a_blank_image_stays_blank():
    assert not deskew_images(np.zeros((2, 28, 28), np.float32)).any()


def test_deskew_matches_scipy_affine_transform_on_real_digits(sample):
    images = as_float_rows(sample.train_images[:100]).reshape(-1, 28, 28)
    cy, cx, skew = image_moments(images)
    ours = deskew_images(images)
    for i in range(0, 100, 7):
        matrix = np.array([[1.0, 0.0], [skew[i], 1.0]])
        offset = np.array([cy[i], cx[i]]) - matrix @ np.array([13.5, 13.5])
        reference = ndimage.affine_transform(images[i], matrix, offset=offset, order=1, mode="grid-constant")
        np.testing.assert_allclose(ours[i], reference, atol=1e-5)


def test_deskew_handles_non_square_images_and_keeps_float32():
    images = np.stack([bar(0.3, shape=(20, 12), rows=(3, 17)), bar(-0.2, shape=(20, 12), rows=(3, 17))])
    out = deskew_images(images)
    assert out.shape == (2, 20, 12) and out.dtype == np.float32
    assert all(ink_column_spread(image) < 0.1 for image in out)


def test_blur_keeps_ink_and_shape():
    image = bar()[None]
    blurred = blur_images(image, 1.0)
    assert blurred.shape == image.shape and blurred.dtype == np.float32
    assert blurred.sum() == pytest.approx(image.sum(), rel=1e-3)
    assert blurred.max() < image.max()


def test_pca_projection_is_scikit_learns_pca_with_the_size_capped():
    rng = np.random.default_rng(0)
    X = (rng.random((2000, 30)) @ rng.random((30, 30))).astype(np.float32)
    ours = PCAProjection(5).fit(X)
    reference = PCA(5).fit(X)
    np.testing.assert_allclose(
        np.abs(ours.transform(X)), np.abs(reference.transform(X)), rtol=1e-3, atol=1e-3
    )
    restored = PCAProjection.from_arrays(ours.pca_.mean_, ours.pca_.components_)
    np.testing.assert_array_equal(restored.transform(X), ours.transform(X))


def test_pca_projection_shapes_and_cap():
    X = np.random.default_rng(1).random((40, 9)).astype(np.float32)
    pca = PCAProjection(n_components=4).fit(X)
    assert pca.transform(X).shape == (40, 4) and pca.transform(X).dtype == np.float32
    assert PCAProjection(n_components=20).fit(X).n_components_ == 9


@pytest.mark.parametrize(
    "preprocessing, steps, width",
    [
        (Preprocessing(), ["scale"], 784),
        (Preprocessing(deskew=True, blur=0.7), ["scale", "deskew", "blur"], 784),
        (Preprocessing(normalize=True, pca_components=30), ["scale", "normalize", "pca"], 30),
    ],
)
def test_preprocessing_steps_chain_the_steps_asked(preprocessing, steps, width, sample):
    pipe = Pipeline(preprocessing_steps(preprocessing))
    assert [name for name, _ in pipe.steps] == steps
    assert preprocessing_of(pipe.steps) == preprocessing
    rows = pipe.fit_transform(sample.train_images[:500])
    assert rows.shape == (500, width) and rows.dtype == np.float32


def test_transformers_work_in_a_pipeline_with_the_vote(sample):
    pipe = make_pipeline(
        PixelScaler(),
        Deskew(),
        GaussianBlur(0.7),
        PCAProjection(40),
        ClusterVoteClassifier(36, random_state=0),
    )
    pipe.fit(sample.train_images[:3000], sample.train_labels[:3000])
    assert pipe.score(sample.test_images, sample.test_labels) > 0.8


def test_image_transformers_read_the_shape_from_3d_input_or_a_square():
    flat = np.zeros((3, 6), np.float32)
    assert Deskew().fit(np.zeros((3, 2, 3), np.uint8)).image_shape_ == (2, 3)
    assert Deskew(image_shape=(3, 2)).fit(flat).image_shape_ == (3, 2)
    assert Deskew().fit(np.zeros((3, 16))).image_shape_ == (4, 4)
    assert PixelScaler().fit(np.zeros((3, 2, 3), np.uint8)).image_shape_ == (2, 3)
    assert PixelScaler().fit(flat).image_shape_ is None
    assert infer_image_shape(784) == (28, 28) and infer_image_shape(10) is None


@pytest.mark.parametrize(
    "make, X, message",
    [
        (lambda: Deskew(), np.zeros((3, 6)), "Deskew needs images: n_features=6 is not a square"),
        (lambda: Deskew(image_shape=(2, 2)), np.zeros((3, 6)), r"image_shape=\(2, 2\) does not match"),
        (lambda: GaussianBlur(sigma=-1), np.zeros((3, 4)), r"sigma=-1 should be a number from 0 to 2 "),
        (lambda: PCAProjection(n_components=0), np.zeros((3, 4)), "n_components=0 should be a whole number"),
        (lambda: PCAProjection(n_components=None), np.zeros((3, 4)), "n_components=None should be a"),
    ],
)
def test_bad_transformer_parameters_are_named(make, X, message):
    with pytest.raises(ValueError, match=message):
        make().fit(X)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"deskew": "yes"}, "deskew='yes' should be True or False"),
        ({"blur": "a little"}, "blur='a little' should be a number from 0 to 2 "),
        ({"blur": float("inf")}, "blur=inf should be a number from 0 to 2 "),
        ({"blur": float("nan")}, "blur=nan should be a number from 0 to 2 "),
        ({"blur": 2.01}, "blur=2.01 should be a number from 0 to 2 "),
        ({"normalize": 1}, "normalize=1 should be True or False"),
        ({"pca_components": 2.5}, "pca_components=2.5 should be a whole number from 1 to 4,096, or None"),
        ({"pca_components": 0}, "pca_components=0 should be a whole number from 1 to 4,096, or None"),
        ({"pca_components": 5000}, "pca_components=5000 should be a whole number from 1 to 4,096, or None"),
    ],
)
def test_bad_preprocessing_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Preprocessing(**kwargs)


def test_preprocessing_describes_itself():
    assert Preprocessing().describe() == "none"
    described = Preprocessing(deskew=True, blur=0.7, normalize=True, pca_components=50).describe()
    assert described == "deskew, blur 0.7, L2-normalise, PCA 50"


@parametrize_with_checks([PixelScaler(), PCAProjection(n_components=2)])
def test_stateless_and_pca_transformers_pass_scikit_learn_checks(estimator, check):
    check(estimator)
