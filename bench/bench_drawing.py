"""Drawn digits against direct test accuracy: does the canvas pipeline keep the model's accuracy?

    python bench/bench_drawing.py             # the whole mnist-sample test split (2,000 digits)
    python bench/bench_drawing.py --quick     # the first 500 test digits

Each test digit is rendered as a drawing on the Draw page's canvas would come back: upscaled to
280x280, shrunk by a random factor of 0.4-0.9, rotated by up to ±12°, made solid like a pen stroke,
thickened or thinned by up to a few canvas pixels (dilation or erosion), anti-aliased, and placed at a
random spot on a 280x280 canvas as opaque white-on-black RGBA. `core.data.drawing.canvas_to_digit` turns it
back into a 28x28 digit, and the model for each K (the project's defaults via `core.analysis.sweep.fit_model`)
classifies it. The table compares that with the model's accuracy on the original test images.
Target: a drop of at most 3 points at K=256. Seeds are fixed, so runs repeat exactly.

A second table checks the Draw page's confidence words (`core.analysis.confidence.prediction_confidence`): for
the drawn digits at each K, how many get each verdict and how often the model is right in each.
"""

from __future__ import annotations

import argparse
import time

import bench_paths  # noqa: F401 (puts the project and its tests on the import path)
import numpy as np
from PIL import Image
from scipy import ndimage

from core.analysis.confidence import prediction_confidence  # noqa: E402
from core.analysis.prepared import PreparedCache  # noqa: E402
from core.analysis.sweep import DEFAULT_RANDOM_STATE, fit_model  # noqa: E402
from core.data.drawing import canvas_to_digit, ink_box_fraction  # noqa: E402
from core.data.registry import load_mnist_sample  # noqa: E402

CANVAS = 280
KS = (36, 256)
SEED = 2024
TARGET_DROP = 3.0
#: Stroke change in canvas pixels: negative erodes (thinner), positive dilates (thicker).
THICKNESS_RANGE = (-3, 6)
SCALE_RANGE = (0.4, 0.9)
MAX_ROTATION = 12.0


def _disk(radius: int) -> np.ndarray:
    ys, xs = np.ogrid[-radius : radius + 1, -radius : radius + 1]
    return ys * ys + xs * xs <= radius * radius


def render_drawing(digit: np.ndarray, rng: np.random.Generator, size: int = CANVAS) -> np.ndarray:
    """One 28x28 uint8 digit as a canvas drawing: (size, size, 4) uint8 RGBA, white ink on black."""
    scale = rng.uniform(*SCALE_RANGE)
    side = max(8, round(size * scale))
    big = Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC)
    big = big.rotate(rng.uniform(-MAX_ROTATION, MAX_ROTATION), Image.Resampling.BICUBIC, expand=True)
    stroke = np.asarray(big) >= 128  # a pen draws solid ink
    change = int(rng.integers(THICKNESS_RANGE[0], THICKNESS_RANGE[1] + 1))
    if change > 0:
        stroke = ndimage.binary_dilation(stroke, _disk(change))
    elif change < 0:
        thinner = ndimage.binary_erosion(stroke, _disk(-change))
        stroke = thinner if thinner.sum() >= 0.2 * stroke.sum() else stroke  # never erase the digit
    rows, cols = np.flatnonzero(stroke.any(axis=1)), np.flatnonzero(stroke.any(axis=0))
    stroke = stroke[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1][:size, :size]
    # The canvas anti-aliases the edges of its strokes.
    ink = ndimage.gaussian_filter(stroke.astype(np.float32), 0.8)
    canvas = np.zeros((size, size), dtype=np.float32)
    top = int(rng.integers(0, size - ink.shape[0] + 1))
    left = int(rng.integers(0, size - ink.shape[1] + 1))
    canvas[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    grey = np.rint(np.clip(canvas, 0, 1) * 255).astype(np.uint8)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def drawn_digits(images: np.ndarray, image_shape, box_fraction: float, seed: int = SEED) -> np.ndarray:
    """Every image rendered as a drawing and brought back through the canvas pipeline, (n, h, w) uint8."""
    rng = np.random.default_rng(seed)
    return np.stack(
        [canvas_to_digit(render_drawing(d, rng), image_shape, box_fraction=box_fraction) for d in images]
    )


LEVELS = ("clear", "likely", "close")


def _rate(right: np.ndarray) -> str:
    return f"{np.mean(right):.0%} right" if len(right) else "-"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the first 500 test digits")
    args = parser.parse_args(argv)
    dataset = load_mnist_sample()
    n = 500 if args.quick else dataset.n_test
    images, labels = dataset.test_images[:n], dataset.test_labels[:n]
    box_fraction = ink_box_fraction(dataset.train_images)
    start = time.perf_counter()
    drawn = drawn_digits(images, dataset.image_shape, box_fraction)
    seconds = time.perf_counter() - start
    print(
        f"mnist-sample: {n:,} test digits drawn on a {CANVAS}x{CANVAS} canvas (seed {SEED}); "
        f"pipeline {1000 * seconds / n:.1f} ms per drawing; box fraction {box_fraction:.3f}"
    )
    print(
        f"\n{'K':>5}  {'direct':>8}  {'drawn':>8}  {'drop (points)':>13}  target <= {TARGET_DROP:g} at K=256"
    )
    verdicts = {}
    prepared = PreparedCache()  # the images are preprocessed once for every K
    for k in KS:
        model, _ = fit_model(dataset, k, random_state=DEFAULT_RANDOM_STATE, prepared=prepared)
        direct = 100 * float(np.mean(model.predict(images) == labels))
        distances = model.transform(drawn)
        predicted = model.cluster_labels_[distances.argmin(axis=1)]
        via_canvas = 100 * float(np.mean(predicted == labels))
        drop = direct - via_canvas
        verdict = ("met" if drop <= TARGET_DROP else "MISSED") if k == 256 else ""
        print(f"{k:>5}  {direct:>7.1f}%  {via_canvas:>7.1f}%  {drop:>13.1f}  {verdict}")
        levels = np.array([prediction_confidence(row, model.cluster_labels_).level for row in distances])
        verdicts[k] = (levels, predicted == labels)
    print("\nConfidence words on the drawn digits: share of drawings, and how often the answer is right")
    print(f"{'K':>5}  " + "  ".join(f"{level:>16}" for level in LEVELS))
    for k, (levels, right) in verdicts.items():
        cells = [f"{np.mean(levels == lv):>6.0%} {_rate(right[levels == lv]):>9}" for lv in LEVELS]
        print(f"{k:>5}  " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
