"""core.data.drawing: canvas pixels to the image the model reads, with hand-made drawings."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from core.data.drawing import (
    BlankCanvasError,
    CanvasImageError,
    canvas_to_digit,
    drawing_steps,
    ink_box_fraction,
    ink_map,
    is_blank,
    prediction_confidence,
    read_png,
)
from core.data.registry import load_mnist_sample, load_sklearn_digits


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
    np.testing.assert_array_equal(canvas_to_digit(black_on_white), canvas_to_digit(white_on_black))


def test_a_single_pixel_at_full_ink_is_still_blank():
    canvas = rgba(stroke_box(blank(), 140, 140, 1, 1))
    with pytest.raises(BlankCanvasError, match="draw a digit"):
        drawing_steps(canvas)


# --- the canvas's PNG bytes -----------------------------------------------------------------------


def png_bytes(pixels, mode=None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8), mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def with_header_size(png: bytes, width: int, height: int) -> bytes:
    """The PNG with its IHDR chunk claiming another size (and a CRC that matches it)."""
    ihdr = bytearray(png[12:29])  # chunk type + 13 data bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    return png[:12] + bytes(ihdr) + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def test_read_png_gives_the_canvas_rgba_back():
    canvas = rgba(stroke_box(blank(), 50, 100, 150, 40), alpha=stroke_box(blank(), 50, 100, 150, 40))
    pixels = read_png(png_bytes(canvas))
    np.testing.assert_array_equal(pixels, canvas)
    assert canvas_to_digit(pixels).max() == 255


def test_read_png_turns_grey_pngs_into_rgba():
    grey = stroke_box(blank(), 50, 100, 150, 40)
    pixels = read_png(png_bytes(grey))
    assert pixels.shape == (280, 280, 4) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(canvas_to_digit(pixels), canvas_to_digit(grey))


def test_a_drawn_mnist_digit_survives_the_png_round_trip(mnist):
    digit = mnist.test_images[7]
    canvas = upscaled_canvas(digit)
    np.testing.assert_array_equal(canvas_to_digit(read_png(png_bytes(canvas))), canvas_to_digit(canvas))


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(blank(16)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, world", jpeg_bytes(), b"GIF89a" + bytes(40), b"\x89PNG"],
    ids=["empty", "text", "jpeg", "gif", "half-signature"],
)
def test_data_that_is_not_a_png_is_refused(data):
    with pytest.raises(CanvasImageError, match="not a PNG"):
        read_png(data)


@pytest.mark.parametrize("data", ["data:image/png;base64,iVBOR", None, np.zeros((4, 4), np.uint8)])
def test_read_png_wants_bytes(data):
    with pytest.raises(CanvasImageError, match="should be PNG bytes"):
        read_png(data)


def test_a_damaged_png_is_refused():
    png = png_bytes(stroke_box(blank(), 50, 100, 150, 40))
    with pytest.raises(CanvasImageError, match="damaged PNG"):
        read_png(png[: len(png) // 2])


def test_a_decompression_bomb_is_refused_before_decoding():
    # 4,000 x 4,000 black pixels squeeze into a few kilobytes and would inflate to 64 MB as RGBA.
    bomb = png_bytes(np.zeros((4000, 4000), np.uint8))
    assert len(bomb) < 100_000
    with pytest.raises(CanvasImageError, match=r"4,000 x 4,000 pixels, more than the 4,000,000"):
        read_png(bomb)


def test_a_header_claiming_billions_of_pixels_is_refused_by_pillows_own_guard():
    # Pillow raises DecompressionBombError at open for more than twice Image.MAX_IMAGE_PIXELS.
    bomb = with_header_size(png_bytes(blank(8)), 100_000, 100_000)
    with pytest.raises(CanvasImageError, match="enormous, more than"):
        read_png(bomb)


def test_a_header_just_over_the_limit_is_refused_without_reading_pixels():
    lie = with_header_size(png_bytes(blank(8)), 2001, 2000)  # the data behind it is 8x8
    with pytest.raises(CanvasImageError, match="2,001 x 2,000 pixels"):
        read_png(lie)


def test_max_pixels_sets_the_limit():
    png = png_bytes(blank(100))
    assert read_png(png, max_pixels=10_000).shape == (100, 100, 4)
    with pytest.raises(CanvasImageError, match="100 x 100 pixels, more than the 9,999"):
        read_png(png, max_pixels=9_999)
    with pytest.raises(ValueError, match="max_pixels=0"):
        read_png(png, max_pixels=0)


# --- how sure the answer is -----------------------------------------------------------------------


def test_confidence_compares_with_the_nearest_cluster_of_another_class():
    distances = [0.5, 0.6, 1.0, 0.8]
    labels = [7, 7, 1, 4]  # the runner-up cluster (0.6) is also a 7: the rival is the 4 at 0.8
    confidence = prediction_confidence(distances, labels)
    assert (confidence.label, confidence.cluster, confidence.rival, confidence.rival_cluster) == (7, 0, 4, 3)
    assert confidence.margin == pytest.approx(0.3)
    assert confidence.relative_margin == pytest.approx(0.3 / 0.8)
    assert confidence.level == "clear"
    assert (
        "A clear answer" in confidence.describe()
        and "“4”" in confidence.describe()
        and "38%" in (confidence.describe())
    )


@pytest.mark.parametrize(
    ("rival_distance", "level", "words"),
    [(1.0, "clear", "A clear answer"), (0.6, "likely", "Probably “3”"), (0.52, "close", "A close call")],
)
def test_confidence_levels_read_in_plain_words(rival_distance, level, words):
    confidence = prediction_confidence([0.5, rival_distance], [3, 8])
    assert confidence.level == level
    assert words in confidence.describe(lambda label: str(label))


def test_confidence_with_one_class_only_has_no_rival():
    confidence = prediction_confidence([0.2, 0.4], [5, 5])
    assert confidence.rival is None and confidence.relative_margin == 1.0
    assert "no other answer" in confidence.describe()


def test_confidence_of_an_exact_match_is_complete():
    assert prediction_confidence([0.0, 1.0], [0, 1]).relative_margin == 1.0


def test_confidence_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="should be the same non-empty"):
        prediction_confidence([0.1, 0.2], [1])
