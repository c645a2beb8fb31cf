"""core.figures.images: enlarging images and encoding them as PNG."""

import io

import numpy as np
import pytest
from PIL import Image

from core.data.registry import load_mnist_sample
from core.figures.images import display_scale, enlarge, png_bytes


def test_png_bytes_round_trip():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    data = png_bytes(image)
    assert data.startswith(b"\x89PNG")
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), image)
    assert png_bytes(image) == data  # the same bytes each time, so the same URL in the app


@pytest.mark.parametrize("shape", [(28, 28), (84, 84, 3), (30, 20, 4), (1, 1)])
def test_real_digits_in_every_colour_layout_decode_to_the_same_pixels(shape):
    digit = load_mnist_sample().train_images[7]
    rng = np.random.default_rng(1)
    image = np.resize(digit, shape).astype(np.uint8) ^ rng.integers(0, 2, shape, dtype=np.uint8)
    decoded = Image.open(io.BytesIO(png_bytes(image)))
    decoded.load()  # reads every chunk: a wrong length or checksum fails here
    np.testing.assert_array_equal(np.asarray(decoded), image)


def test_enlarge_repeats_pixels():
    out = enlarge(np.array([[0, 255], [255, 0]], np.uint8), 3)
    assert out.shape == (6, 6) and out[2, 2] == 0 and out[0, 3] == 255
    with pytest.raises(ValueError, match="scale=0"):
        enlarge(np.zeros((2, 2)), 0)


@pytest.mark.parametrize(("shape", "expected"), [((28, 28), 3), ((8, 8), 10), ((200, 200), 1)])
def test_display_scale(shape, expected):
    assert display_scale(shape, target=84) == expected
