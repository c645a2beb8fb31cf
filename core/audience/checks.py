"""Checks on what a page hands the store: pixels, digits, settings. Each failure says what to fix."""

from __future__ import annotations

import json

import numpy as np

from core.audience.errors import InvalidInput

IMAGE_SHAPE = (28, 28)
MAX_CLASS_COUNT = 100
#: Model settings are a handful of numbers and names; anything bigger is a mistake.
MAX_SETTINGS_BYTES = 16_384


def check_pixels(pixels: object) -> bytes:
    """The 784 bytes of a (28, 28) uint8 image (a flat (784,) array is accepted too)."""
    is_array = isinstance(pixels, np.ndarray)
    if not (is_array and pixels.dtype == np.uint8 and pixels.shape in (IMAGE_SHAPE, (784,))):
        what = f"a {pixels.dtype} array of shape {pixels.shape}" if is_array else f"a {type(pixels).__name__}"
        raise InvalidInput(
            f"pixels should be a 28x28 uint8 array (0-255), as the model saw the drawing, not {what}."
        )
    return np.ascontiguousarray(pixels).tobytes()


def check_class_count(class_count: object) -> int:
    """`class_count` itself, if it is a whole number from 2 to `MAX_CLASS_COUNT`."""
    if isinstance(class_count, bool) or not isinstance(class_count, int | np.integer):
        raise InvalidInput(f"class_count={class_count!r} should be a whole number, such as 10 for digits.")
    if not 2 <= class_count <= MAX_CLASS_COUNT:
        raise InvalidInput(f"class_count={class_count} should be from 2 to {MAX_CLASS_COUNT}.")
    return int(class_count)


def check_label(value: object, name: str, class_count: int) -> int:
    """`value` as an int, if it is a class of the room's dataset: 0 to ``class_count - 1``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < class_count:
        raise InvalidInput(f"{name}={value!r} should be a whole number from 0 to {class_count - 1}.")
    return int(value)


def settings_to_json(model_settings: object) -> str:
    """The model settings as JSON text; InvalidInput unless they are a small dict of plain values."""
    if not isinstance(model_settings, dict):
        raise InvalidInput(f"model_settings should be a dict, not {type(model_settings).__name__}.")
    try:
        encoded = json.dumps(model_settings, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidInput(
            f"model_settings should hold only numbers, text, True/False and lists of them ({error})."
        ) from None
    if len(encoded) > MAX_SETTINGS_BYTES:
        raise InvalidInput(f"model_settings are {len(encoded):,} bytes as JSON, over {MAX_SETTINGS_BYTES:,}.")
    return encoded
