"""core.drawing: canvas pixels to the image the model reads, with hand-made drawings."""

import numpy as np
import pytest
from PIL import Image

from core.datasets import load_mnist_sample, load_sklearn_digits
from core.drawing import BlankCanvasError, canvas_to_digit, ink_box_fraction, ink_map, is_blank
from core.errors import KMeansLabError


def rgba(grey, background=0, alpha=None):
    """An opaque RGBA canvas from grey levels (or with the given alpha channel)."""
    grey = np.asarray(grey, dtype=np.uint8)
    a = np.full_like(grey, 255) if alpha is None else np.asarray(alpha, dtype=np.uint8)
    return np.dstack([grey, grey, grey, a])


def blank(size=280, value=0):
    return np.full((size, size), value, dtype=np.uint8)


def stroke_box(canvas, top, left, height, width, value=255):
    canvas[top : top + height, left : left + width] = value
    return canvas


def centre_of_mass(image):
    image = image.astype(float)
    ys, xs = np.indices(image.shape)
    return (ys * image).sum() / image.sum(), (xs * image).sum() / image.sum()


def ink_extent(image, threshold=32):
    rows = np.flatnonzero((image >= threshold).any(axis=1))
    cols = np.flatnonzero((image >= threshold).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


@pytest.fixture(scope="module")
def mnist():
    return load_mnist_sample()


def upscaled_canvas(digit, size=280):
    big = np.asarray(Image.fromarray(digit).resize((size, size), Image.Resampling.BICUBIC))
    return rgba(big)


def test_a_real_digit_round_trips_close_to_the_original(mnist):
    digit = mnist.test_images[0]
    out = canvas_to_digit(upscaled_canvas(digit))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    correlation = np.corrcoef(out.ravel().astype(float), digit.ravel().astype(float))[0, 1]
    assert correlation > 0.8


def test_an_off_centre_drawing_is_centred_and_scaled_to_20_pixels():
    canvas = stroke_box(blank(), top=10, left=200, height=60, width=30)  # top right corner
    out = canvas_to_digit(rgba(canvas))
    com_y, com_x = centre_of_mass(out)
    assert abs(com_y - 13.5) <= 1 and abs(com_x - 13.5) <= 1
    height, width = ink_extent(out)
    assert height == 20
    assert 9 <= width <= 11  # aspect ratio 2:1 kept


def test_a_tiny_drawing_is_scaled_up():
    canvas = stroke_box(blank(), top=130, left=135, height=16, width=8)
    out = canvas_to_digit(rgba(canvas))
    height, width = ink_extent(out)
    assert height == 20 and 9 <= width <= 11
    assert out.max() == 255


def test_thin_strokes_keep_full_intensity_after_shrinking():
    canvas = stroke_box(blank(), top=20, left=138, height=240, width=3)  # a 3 px wide "1"
    out = canvas_to_digit(rgba(canvas))
    assert out.max() == 255
    assert ink_extent(out)[0] == 20


@pytest.mark.parametrize(
    "canvas",
    [
        rgba(blank()),  # black canvas
        rgba(blank(value=255)),  # white canvas
        rgba(blank(), alpha=blank()),  # fully transparent canvas
        rgba(stroke_box(blank(), 100, 100, 1, 1)),  # a single stray pixel
        rgba(stroke_box(blank(), 100, 100, 3, 3)),  # a speck
    ],
    ids=["black", "white", "transparent", "single-pixel", "speck"],
)
def test_a_nearly_blank_canvas_asks_for_a_digit(canvas):
    with pytest.raises(BlankCanvasError, match="draw a digit"):
        canvas_to_digit(canvas)


def test_blank_canvas_error_is_a_lab_error():
    assert issubclass(BlankCanvasError, KMeansLabError)


@pytest.mark.parametrize("size", [8, 28, 280])
def test_a_single_pixel_is_not_a_digit_at_any_canvas_size(size):
    with pytest.raises(BlankCanvasError):
        canvas_to_digit(stroke_box(blank(size), 3, 3, 1, 1), (28, 28))


def test_black_on_white_reads_the_same_as_white_on_black():
    white_on_black = stroke_box(blank(), 50, 100, 150, 40)
    black_on_white = 255 - white_on_black
    np.testing.assert_array_equal(
        canvas_to_digit(rgba(black_on_white)), canvas_to_digit(rgba(white_on_black))
    )


def test_ink_on_a_transparent_canvas_comes_from_alpha():
    alpha = stroke_box(blank(), 50, 100, 150, 40)
    black_ink = rgba(blank(), alpha=alpha)  # black strokes, transparent background
    expected = canvas_to_digit(rgba(alpha))
    np.testing.assert_array_equal(canvas_to_digit(black_ink), expected)


def test_grey_and_rgb_inputs_work():
    grey = stroke_box(blank(), 50, 100, 150, 40)
    expected = canvas_to_digit(rgba(grey))
    np.testing.assert_array_equal(canvas_to_digit(grey), expected)
    np.testing.assert_array_equal(canvas_to_digit(np.dstack([grey] * 3)), expected)


@pytest.mark.parametrize("shape", [(8, 8), (16, 12), (28, 28), (32, 32)])
def test_output_takes_the_model_image_shape(shape):
    canvas = stroke_box(blank(), 40, 60, 200, 100)
    out = canvas_to_digit(rgba(canvas), shape)
    assert out.shape == shape
    height, width = ink_extent(out)
    box_h, box_w = round(20 / 28 * shape[0]), round(20 / 28 * shape[1])
    assert height <= box_h and width <= box_w
    # The drawing is twice as tall as wide: its height fills the box unless the width limits it.
    assert height >= min(box_h, 2 * box_w) - 1


def test_box_fraction_one_fills_the_frame():
    canvas = stroke_box(blank(), 40, 60, 200, 100)
    out = canvas_to_digit(rgba(canvas), (8, 8), box_fraction=1.0)
    assert ink_extent(out)[0] == 8


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((10, 10, 5), np.uint8), r"should be \(height, width\)"),
        (np.zeros((0, 10), np.uint8), "is empty"),
        (np.zeros(10, np.uint8), r"should be \(height, width\)"),
    ],
)
def test_malformed_images_are_rejected_with_their_shape(image, message):
    with pytest.raises(ValueError, match=message):
        canvas_to_digit(image)


@pytest.mark.parametrize("shape", [(28,), (0, 28), None])
def test_bad_image_shape_is_rejected(shape):
    with pytest.raises(ValueError, match="image_shape="):
        canvas_to_digit(rgba(stroke_box(blank(), 40, 60, 200, 100)), shape)


def test_bad_box_fraction_is_rejected():
    with pytest.raises(ValueError, match="box_fraction=1.5"):
        canvas_to_digit(rgba(stroke_box(blank(), 40, 60, 200, 100)), box_fraction=1.5)


def test_ink_map_and_is_blank():
    canvas = rgba(stroke_box(blank(10), 2, 2, 5, 5))
    ink = ink_map(canvas)
    assert ink.shape == (10, 10) and ink.max() == 1 and ink.min() == 0
    assert not is_blank(ink)
    assert is_blank(np.zeros((10, 10)))


def test_ink_box_fraction_matches_mnist_and_sklearn_digits(mnist):
    assert ink_box_fraction(mnist.train_images) == pytest.approx(20 / 28, abs=0.04)
    assert ink_box_fraction(load_sklearn_digits().train_images) > 0.9


def test_ink_box_fraction_rejects_a_non_stack():
    with pytest.raises(ValueError, match="non-empty"):
        ink_box_fraction(np.zeros((28, 28), np.uint8))
