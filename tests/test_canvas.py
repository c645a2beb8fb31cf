"""core.data.canvas: the canvas's PNG bytes read safely, and the ink in its pixels."""

import io
import struct
import zlib

import numpy as np
import pytest
from canvas_pictures import blank, border, large_zero, rgba, stroke_box
from PIL import Image

from core.data.canvas import CanvasImageError, ink_map, is_blank, read_png
from core.data.drawing import canvas_to_digit
from core.data.registry import load_mnist_sample

# --- how much ink each pixel holds ----------------------------------------------------------------


def test_ink_map_and_is_blank():
    canvas = rgba(stroke_box(blank(10), 2, 2, 5, 5))
    ink = ink_map(canvas)
    assert ink.shape == (10, 10) and ink.max() == 1 and ink.min() == 0
    assert not is_blank(ink)
    assert is_blank(np.zeros((10, 10)))


def test_a_large_zero_along_the_edge_is_ink_where_the_stroke_is():
    """Issue 13, defect 12: the stroke covers the border, which once made the ink read inverted."""
    zero = large_zero()
    assert (border(zero) == 255).mean() > 0.6  # most of the border is stroke
    ink = ink_map(rgba(zero))
    np.testing.assert_allclose(ink, zero / 255, atol=1e-6)
    assert ink[140, 140] == 0  # the hole in the middle is background


def test_a_canvas_painted_all_in_stroke_colour_is_all_ink():
    assert ink_map(rgba(blank(value=255))).min() == 1


@pytest.mark.parametrize(
    ("stroke_color", "background_color"),
    [("#000000", "#FFFFFF"), ("black", "white"), ("#F00", "#FFFFFF"), ("rgb(0, 0, 255)", "#FFFF00")],
)
def test_strokes_of_any_known_colour_on_any_background_read_as_ink(stroke_color, background_color):
    pen, paper = (np.array(Image.new("RGB", (1, 1), c)).ravel() for c in (stroke_color, background_color))
    zero = large_zero() / 255
    painted = np.rint(zero[..., None] * pen + (1 - zero[..., None]) * paper).astype(np.uint8)
    ink = ink_map(painted, stroke_color=stroke_color, background_color=background_color)
    np.testing.assert_allclose(ink, zero, atol=1 / 255)


def test_the_canvas_colours_are_white_on_black_unless_told():
    white_on_black = rgba(stroke_box(blank(), 50, 100, 150, 40))
    np.testing.assert_array_equal(ink_map(white_on_black), ink_map(white_on_black, "#FFFFFF", "#000000"))
    np.testing.assert_array_equal(ink_map(255 - white_on_black[..., :3]), 1 - ink_map(white_on_black))


def test_anti_aliased_edges_hold_partial_ink():
    grey = stroke_box(blank(10), 2, 2, 5, 5, value=128)
    assert ink_map(grey)[4, 4] == pytest.approx(128 / 255)
    assert ink_map(255 - grey, "black", "white")[4, 4] == pytest.approx(128 / 255)


def test_a_transparent_background_takes_ink_from_alpha_whatever_the_colours():
    alpha = stroke_box(blank(), 50, 100, 150, 40)
    black_ink = rgba(blank(), alpha=alpha)  # black strokes on a transparent background
    np.testing.assert_array_equal(ink_map(black_ink), alpha / 255)
    np.testing.assert_array_equal(ink_map(black_ink, "#FF0000", "#00FF00"), alpha / 255)


@pytest.mark.parametrize(
    ("colours", "message"),
    [
        ({"stroke_color": "inky"}, "stroke_color='inky' should be a colour"),
        ({"background_color": "#12"}, "background_color='#12' should be a colour"),
        ({"stroke_color": None}, "stroke_color=None should be a colour"),
        ({"stroke_color": "white", "background_color": "#FFF"}, "should differ"),
    ],
)
def test_bad_colours_are_refused_by_name(colours, message):
    with pytest.raises(ValueError, match=message):
        ink_map(rgba(blank(10)), **colours)


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


def test_a_drawn_mnist_digit_survives_the_png_round_trip():
    digit = load_mnist_sample().test_images[7]
    canvas = rgba(np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BICUBIC)))
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
