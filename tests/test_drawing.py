"""core.data.drawing: canvas pixels to the image the model reads, with hand-made drawings."""

import numpy as np
import pytest
from canvas_pictures import blank, large_zero, rgba, stroke_box
from PIL import Image

from core.analysis.sweep import fit_model
from core.data.canvas import BlankCanvasError
from core.data.drawing import canvas_to_digit, drawing_steps, ink_box_fraction
from core.data.registry import load_dataset, load_mnist_sample, load_sklearn_digits

BLACK_ON_WHITE = {"stroke_color": "#000000", "background_color": "#FFFFFF"}


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
    ("canvas", "colours"),
    [
        (rgba(blank()), {}),  # the Draw page's black canvas
        (rgba(blank(value=255)), BLACK_ON_WHITE),  # a white canvas for a black pen
        (rgba(blank(), alpha=blank()), {}),  # fully transparent canvas
        (rgba(stroke_box(blank(), 100, 100, 1, 1)), {}),  # a single stray pixel
        (rgba(stroke_box(blank(), 100, 100, 3, 3)), {}),  # a speck
        (rgba(stroke_box(blank(value=255), 100, 100, 3, 3, value=0)), BLACK_ON_WHITE),
    ],
    ids=["black", "white", "transparent", "single-pixel", "speck", "speck-on-white"],
)
def test_a_nearly_blank_canvas_asks_for_a_digit(canvas, colours):
    with pytest.raises(BlankCanvasError, match="draw a digit"):
        canvas_to_digit(canvas, **colours)


@pytest.mark.parametrize("size", [8, 28, 280])
def test_a_single_pixel_is_not_a_digit_at_any_canvas_size(size):
    with pytest.raises(BlankCanvasError):
        canvas_to_digit(stroke_box(blank(size), 3, 3, 1, 1), (28, 28))


def test_black_on_white_reads_the_same_as_white_on_black():
    white_on_black = stroke_box(blank(), 50, 100, 150, 40)
    black_on_white = 255 - white_on_black
    np.testing.assert_array_equal(
        canvas_to_digit(rgba(black_on_white), **BLACK_ON_WHITE), canvas_to_digit(rgba(white_on_black))
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


def test_ink_box_fraction_matches_mnist_and_sklearn_digits(mnist):
    assert ink_box_fraction(mnist.train_images) == pytest.approx(20 / 28, abs=0.04)
    assert ink_box_fraction(load_sklearn_digits().train_images) > 0.9


def test_ink_box_fraction_rejects_a_non_stack():
    with pytest.raises(ValueError, match="non-empty"):
        ink_box_fraction(np.zeros((28, 28), np.uint8))


# --- each step, for display -----------------------------------------------------------------------


def test_steps_are_the_crop_the_20_pixel_digit_and_the_centred_frame():
    canvas = rgba(stroke_box(blank(), top=30, left=50, height=150, width=60))
    steps = drawing_steps(canvas)
    assert steps.cropped.shape == (150, 60) and steps.cropped.min() == 255  # the ink box, nothing else
    assert steps.scaled.shape == (20, 8) and steps.scaled.dtype == np.uint8  # 150:60 kept
    np.testing.assert_array_equal(steps.centred, canvas_to_digit(canvas))
    assert steps.centred.sum() == pytest.approx(steps.scaled.astype(int).sum(), rel=0.01)


@pytest.mark.parametrize(("shape", "longest"), [((28, 28), 20), ((8, 8), 6), ((56, 56), 40), ((16, 12), 9)])
def test_other_frames_scale_the_box_proportionally(shape, longest):
    steps = drawing_steps(rgba(stroke_box(blank(), 20, 40, 200, 200)), shape)  # a square blob
    assert max(steps.scaled.shape) == longest
    assert steps.centred.shape == shape


# --- hand-made drawings ---------------------------------------------------------------------------


def test_a_huge_drawing_touching_every_edge_is_shrunk_to_20_pixels():
    canvas = blank()
    canvas[:, :12] = canvas[:, -12:] = canvas[:12] = canvas[-12:] = 255  # a frame around the canvas
    canvas[:, 134:146] = 255
    out = canvas_to_digit(rgba(canvas))
    assert ink_extent(out) == (20, 20)
    com_y, com_x = centre_of_mass(out)
    assert abs(com_y - 13.5) <= 0.5 and abs(com_x - 13.5) <= 0.5


def test_thick_and_thin_strokes_keep_their_proportions():
    thick = stroke_box(blank(), 20, 110, 240, 60)  # a fat "1": a quarter as wide as tall
    thin = stroke_box(blank(), 20, 139, 240, 1)  # one canvas pixel wide
    thick_out, thin_out = canvas_to_digit(rgba(thick)), canvas_to_digit(rgba(thin))
    assert ink_extent(thick_out) == (20, 5)
    assert ink_extent(thin_out)[0] == 20 and ink_extent(thin_out)[1] <= 2
    assert thin_out.max() == 255  # a hairline still comes out as full ink, like MNIST's strokes


def test_an_off_centre_l_shape_puts_its_centre_of_mass_at_the_centre_not_its_box():
    canvas = blank()
    stroke_box(canvas, 200, 10, 70, 15)  # bottom left: an "L", heavy at its corner
    stroke_box(canvas, 255, 10, 15, 60)
    out = canvas_to_digit(rgba(canvas))
    com_y, com_x = centre_of_mass(out)
    assert abs(com_y - 13.5) <= 0.5 and abs(com_x - 13.5) <= 0.5
    rows = np.flatnonzero(out.max(axis=1) >= 32)
    assert rows[0] + rows[-1] < 27  # the box sits off centre, as in MNIST


def test_an_inverted_drawing_with_grey_anti_aliasing_reads_as_its_ink():
    ink = np.zeros((280, 280), np.float32)
    ink[40:240, 120:160] = 1
    ink[38:40, 120:160] = ink[240:242, 120:160] = 0.5  # soft edges
    white_on_black = rgba(np.rint(ink * 255))
    black_on_white = rgba(np.rint((1 - ink) * 255))
    np.testing.assert_array_equal(
        canvas_to_digit(black_on_white, **BLACK_ON_WHITE), canvas_to_digit(white_on_black)
    )


def test_a_single_pixel_at_full_ink_is_still_blank():
    canvas = rgba(stroke_box(blank(), 140, 140, 1, 1))
    with pytest.raises(BlankCanvasError, match="draw a digit"):
        drawing_steps(canvas)


def test_a_large_zero_drawn_along_the_edge_is_read_as_a_zero():
    """Issue 13, defect 12: once read inverted (a solid block with a hole), so classified as another digit."""
    model, _ = fit_model(load_dataset("mnist-sample"), 36)
    zero = rgba(large_zero())
    digit = canvas_to_digit(zero)
    assert digit[13, 13] == 0  # the hole in the middle stays background
    assert model.predict(digit[None])[0] == 0
