"""The pages, run headless with Streamlit's AppTest: they render, follow the sidebar, and classify.

AppTest cannot run custom components, so the Draw page's `st_canvas` is replaced (through
`sys.modules`, as importing the real component needs a running server) by one that returns a real
MNIST test digit, upscaled to the canvas's 280x280 white-on-black RGBA. Small K keeps fits quick;
fitted models are shared between tests through Streamlit's in-process cache.
"""

import contextlib
import io
import re
import sys
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import streamlit as st
from chart_support import charts
from picture_support import pictures, tiles
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.data.registry import load_mnist_sample
from ui.sidebar import TECHNICAL_KEY, TECHNICAL_LABEL

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["app.py", "pages/sweep.py", "pages/centroids.py", "pages/draw.py"]
SMALL_K = 10
BLANK_HINT = "Draw a digit in the black box to classify it."


def app(k: int | None = SMALL_K, **state) -> AppTest:
    """The app after its first run (Explore), with K and other sidebar settings set, and the sidebar's
    "Algorithm, seed and preprocessing" box opened."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if k is not None:
        at.slider(key="k").set_value(k)
    for key, value in {TECHNICAL_KEY: True, **state}.items():
        at.session_state[key] = value
    return at.run()


def open_technical_settings(at: AppTest) -> AppTest:
    """Open the sidebar's "Algorithm, seed and preprocessing" box, as a click on it does."""
    at.session_state[TECHNICAL_KEY] = True
    return at.run()


def on_page(at: AppTest, page: str) -> AppTest:
    return at.switch_page(page).run()


def texts(elements) -> list[str]:
    """The elements' text as the page shows it (markdown's backslash escapes resolved)."""
    return [re.sub(r"\\(.)", r"\1", element.value) for element in elements]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)


def shows_k(at: AppTest, k: int) -> bool:
    return any(f"K = {k} ·" in caption for caption in texts(at.caption))


class FakeCanvas:
    """Stands in for `st_canvas`: records its arguments and returns a chosen drawing as the real
    canvas does, as PNG bytes (`image_bytes`), or None before anything is drawn."""

    def __init__(self, image=None):
        self.image = image
        self.calls = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        data = None if self.image is None else png(self.image)
        return SimpleNamespace(image_bytes=data, json_data={"objects": []})


@contextlib.contextmanager
def patched_canvas(canvas: FakeCanvas):
    """Make `import streamlit_drawable_canvas` in the page give a module whose st_canvas is `canvas`.

    Only that one entry of `sys.modules` is swapped and put back: `mock.patch.dict` would also drop
    every module first imported meanwhile (psycopg, say), and a second import of it makes new
    exception classes that the database layer, holding the first, no longer recognises.
    """
    name = "streamlit_drawable_canvas"
    before = sys.modules.get(name)
    sys.modules[name] = SimpleNamespace(st_canvas=canvas)
    try:
        yield
    finally:
        if before is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = before


@pytest.fixture(scope="module")
def mnist():
    return load_mnist_sample()


def drawn(digit: np.ndarray, size: int = 280) -> np.ndarray:
    """A 28x28 digit as the canvas would return it: 280x280, white on black, opaque RGBA."""
    big = np.asarray(Image.fromarray(digit).resize((size, size), Image.Resampling.BICUBIC))
    return np.dstack([big, big, big, np.full_like(big, 255)])


# --- every page --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_errors_and_shows_k(page):
    at = app(sweep_ks="10, 12")
    at = on_page(at, page)
    assert_clean(at)
    assert at.title, "every page has a title"
    assert shows_k(at, SMALL_K)
    assert at.markdown, "every page says what it shows"


def test_the_default_page_is_explore_with_k_36():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert_clean(at)
    assert at.title[0].value == "Explore the images"
    assert shows_k(at, 36)
    assert at.slider(key="k").value == 36
    assert at.slider(key="k").min == 2 and at.slider(key="k").max == 512
    assert at.selectbox(key="dataset").value == "mnist-sample"
    # The technical settings wait in a closed box, which draws nothing until opened.
    (box,) = [box for box in at.sidebar.expander if box.label == TECHNICAL_LABEL]
    assert "algorithm" not in [radio.key for radio in at.sidebar.radio]
    assert any("random seed 0" in caption for caption in texts(at.caption))  # the page still says them
    at = open_technical_settings(at)
    assert_clean(at)
    assert at.radio(key="algorithm").value == "minibatch"
    assert at.number_input(key="seed").value == 0


def test_sidebar_labels_are_the_contract():
    at = open_technical_settings(AppTest.from_file(APP, default_timeout=120).run())
    assert TECHNICAL_LABEL == "Algorithm, seed and preprocessing"
    assert at.sidebar.selectbox(key="dataset").label == "Dataset"
    assert at.sidebar.slider(key="k").label == "Number of clusters (K)"
    assert at.sidebar.radio(key="algorithm").label == "Algorithm"
    assert at.sidebar.number_input(key="seed").label == "Random seed"


def test_the_technical_settings_box_keeps_its_choices_closed_and_stays_as_left_on_every_page():
    at = app(algorithm="lloyd", seed=3)
    at.session_state[TECHNICAL_KEY] = False  # the user closes the box
    at = at.run()
    assert "algorithm" not in [radio.key for radio in at.sidebar.radio]
    assert any("Lloyd" in caption and "random seed 3" in caption for caption in texts(at.caption))
    at = on_page(at, "pages/centroids.py")  # still closed on another page, the choices still in use
    assert_clean(at)
    assert "seed" not in [box.key for box in at.sidebar.number_input]
    assert any("random seed 3" in caption for caption in texts(at.caption))
    at = open_technical_settings(at)
    assert at.radio(key="algorithm").value == "lloyd" and at.number_input(key="seed").value == 3
    at = on_page(at, "pages/draw.py")  # opened, it stays open on the next page
    assert at.number_input(key="seed").value == 3


def test_settings_persist_across_pages():
    at = app(k=12, seed=1)
    for page in ["pages/draw.py", "app.py", "pages/centroids.py"]:
        at = on_page(at, page)
        assert_clean(at)
        assert at.slider(key="k").value == 12
        assert at.number_input(key="seed").value == 1
        assert shows_k(at, 12)
        assert any("random seed 1" in caption for caption in texts(at.caption))


def test_unavailable_dataset_says_what_to_do():
    at = app()
    at.selectbox(key="dataset").set_value("mnist").run()
    assert_clean(at)
    options = at.selectbox(key="dataset").options
    assert any("not downloaded yet" in option for option in options), options
    assert any("not ready" in info and "download" in info.lower() for info in texts(at.info))
    assert at.button(key="download_dataset").label.startswith("Download")


def test_a_failed_download_says_what_to_do(monkeypatch):
    monkeypatch.setenv("KMEANS_LAB_MIRROR_URL", "http://127.0.0.1:9/")  # nothing listens there
    at = app()
    at.selectbox(key="dataset").set_value("mnist").run()
    at.button(key="download_dataset").click().run()
    assert not at.exception
    assert [status.label for status in at.status] == ["The download failed"]
    assert any("cannot reach 127.0.0.1:9" in error and "by hand" in error for error in texts(at.error))


# --- Explore -----------------------------------------------------------------------------------


def test_explore_shows_facts_samples_and_class_filter():
    at = app()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training images"] == "8,000" and metrics["Test images"] == "2,000"
    assert metrics["Image size"] == "28 × 28 px"
    samples, means = [tiles(block) for block in sprite_blocks(at)]
    assert len(samples) == 30 and len(means) == 10
    assert [caption for _, caption in means] == [str(d) for d in range(10)]
    assert all(pixels.shape == (56, 56) for pixels, _ in samples + means)  # 28 x 28, twice as big
    at.selectbox(key="explore_class").set_value("7").run()
    samples = tiles(sprite_blocks(at)[0])
    assert {caption for _, caption in samples} == {"7"}
    before = [pixels for pixels, _ in samples]
    at.button(key="explore_reshuffle").click().run()
    after = [pixels for pixels, _ in tiles(sprite_blocks(at)[0])]
    assert not all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert_clean(at)


# --- K sweep -----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["app.py", "pages/sweep.py"])
def test_a_k_move_sends_the_same_pictures_and_charts_again(page):
    """What does not depend on K is made once: after a K move, and back, every element is identical."""

    def shown(at):
        return [image.proto for image in at.image] + sprite_blocks(at), [chart.figure for chart in charts(at)]

    at = on_page(app(sweep_ks="10, 12"), page)
    before = shown(at)
    assert before[1] and (before[0] or page == "pages/sweep.py")
    at.slider(key="k").set_value(SMALL_K + 1).run()
    assert_clean(at)
    if page == "app.py":
        assert shown(at) == before
    at.slider(key="k").set_value(SMALL_K).run()
    assert shown(at) == before


def test_sweep_fits_the_listed_k_and_follows_the_sidebar():
    at = on_page(app(sweep_ks="10, 12"), "pages/sweep.py")
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table["K"]) == [10, 12]
    assert {"Inertia", "Homogeneity", "Train accuracy", "Test accuracy"} <= set(table.columns)
    assert table["Test accuracy"].between(0, 100).all() and table["Test accuracy"].max() > 1  # percent
    assert any("Homogeneity is 1" in caption for caption in texts(at.caption))
    at.slider(key="k").set_value(16).run()
    assert_clean(at)
    assert shows_k(at, 16)
    assert list(at.dataframe[0].value["K"]) == [10, 12]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10, ten", "not a whole number"),
        ("1, 10", "too small"),
        ("", "at least one K"),
        ("10, 9000", "too large"),
    ],
)
def test_sweep_explains_a_bad_k_list(text, message):
    at = on_page(app(sweep_ks=text), "pages/sweep.py")
    assert not at.exception
    assert any(message in error for error in texts(at.error)), texts(at.error)


# --- Centroids ---------------------------------------------------------------------------------


def sprite_blocks(at: AppTest) -> list[str]:
    """The page's `st.html` blocks that draw pictures as tiles of a sprite sheet (`ui.picture_grid`)."""
    return [html.value for html in at.get("html") if 'role="img"' in html.value]


def centre_grids(at: AppTest) -> list[list[tuple[np.ndarray, str]]]:
    """Each group of centres on the page (one when in cluster order), as (pixels, caption) in order."""
    [grid] = [block for block in sprite_blocks(at) if "Centre of cluster" not in block]
    return [tiles(group, grid) for group in grid.split("<section")[1:] or [grid]]


def member_panel(at: AppTest) -> tuple[str, list[str]]:
    """ "Look inside a cluster": the centre's caption, and the sample's captions."""
    [panel] = [html.value for html in at.get("html") if "Centre of cluster" in html.value]
    centre = re.search(r"<img [^>]*>\s*<figcaption[^>]*>(.*?)</figcaption>", panel)[1]
    return unescape(centre), [caption for _, caption in tiles(panel)]


MEMBERS_LABEL, MEMBERS_KEY = "Look inside a cluster", "centroid_members_open"


def open_members(at: AppTest) -> AppTest:
    """Open the Centroids page's "Look inside a cluster" box, as a click on it does."""
    at.session_state[MEMBERS_KEY] = True
    return at.run()


def test_centroids_show_k_captioned_images_and_follow_k():
    at = on_page(app(centroid_order="In cluster order"), "pages/centroids.py")
    assert_clean(at)
    [grid] = centre_grids(at)
    assert len(grid) == SMALL_K
    # Read aloud as words, e.g. "0 — 346 images, 97% pure".
    label, size, purity = re.fullmatch(r"(\d) — ([\d,]+) images?, (\d+)% pure", grid[0][1]).groups()
    assert label in "0123456789" and int(size.replace(",", "")) > 0 and 0 < int(purity) <= 100
    # Each picture is the centre at its own size (28 x 28), which the browser enlarges.
    assert grid[0][0].shape == (28, 28) and grid[0][0].max() > 0
    at.slider(key="k").set_value(12).run()
    assert_clean(at)
    assert len(centre_grids(at)[0]) == 12
    assert shows_k(at, 12)


def test_centroids_grouped_by_inferred_class_cover_every_cluster():
    at = on_page(app(), "pages/centroids.py")
    assert_clean(at)
    groups = centre_grids(at)
    assert 1 < len(groups) <= 10 and sum(len(group) for group in groups) == SMALL_K
    for group in groups:
        assert all(re.fullmatch(r"[\d,]+ images?, \d+% pure", caption) for _, caption in group)
    # "Look inside a cluster" waits in a closed box, which draws nothing until opened.
    assert [box.label for box in at.main.expander] == [MEMBERS_LABEL] and not at.main.selectbox
    at = open_members(at)
    centre, members = member_panel(at)
    assert centre == "Centre of cluster 0" and 0 < len(members) <= 24
    at.selectbox(key="centroid_pick").set_value(3).run()
    centre, members = member_panel(at)
    assert centre == "Centre of cluster 3"
    assert 0 < len(members) <= 24 and all(name in "0123456789" for name in members)
    at.radio(key="centroid_order").set_value("In cluster order").run()
    assert member_panel(at)[0] == "Centre of cluster 3"  # the pick stays while K does
    at.slider(key="k").set_value(SMALL_K + 1).run()
    assert_clean(at)
    assert member_panel(at)[0] == "Centre of cluster 0"  # a new K's clusters are new: back to the first


# --- Draw --------------------------------------------------------------------------------------


def test_blank_canvas_shows_the_hint_and_no_prediction():
    canvas = FakeCanvas(np.dstack([np.zeros((280, 280, 3), np.uint8), np.full((280, 280), 255, np.uint8)]))
    with patched_canvas(canvas):
        at = on_page(app(), "pages/draw.py")
    assert_clean(at)
    assert BLANK_HINT in texts(at.info)
    assert not at.metric
    call = canvas.calls[-1]
    assert call["key"] == "draw_canvas" and call["return_image_data"] is True
    assert (call["stroke_color"], call["background_color"]) == ("#FFFFFF", "#000000")
    assert (call["height"], call["width"], call["drawing_mode"]) == (280, 280, "freedraw")
    assert call["stroke_width"] == at.slider(key="draw_stroke").value == 18


def test_canvas_before_any_drawing_shows_the_hint():
    with patched_canvas(FakeCanvas(None)):
        at = on_page(app(), "pages/draw.py")
    assert_clean(at)
    assert BLANK_HINT in texts(at.info)


# Test digits the K = 36 model gets right with a clear margin, through the canvas's round trip.
@pytest.mark.parametrize("index", [50, 42, 37, 14], ids=["a 0", "a 1", "a 3", "a 7"])
def test_a_drawn_digit_is_classified(mnist, index):
    digit, label = mnist.test_images[index], str(mnist.test_labels[index])
    with patched_canvas(FakeCanvas(drawn(digit))):
        at = on_page(app(k=36), "pages/draw.py")
    assert_clean(at)
    assert [m.value for m in at.metric if m.label == "Predicted digit"] == [label]
    assert BLANK_HINT not in texts(at.info)
    strip, nearest = [pictures(block.value) for block in at.get("html") if "<figcaption" in block.value]
    assert len(strip) == 4
    cropped, scaled, centred, straightened = [caption for _, caption in strip]
    assert (cropped, centred, straightened) == (
        "1 · Cropped to the ink",
        "3 · Centred in 28\u00a0×\u00a028",  # no-break spaces: "28 × 28" stays on one line
        "4 · Straightened by the model",
    )
    assert scaled.startswith("2 · Scaled to 20\u00a0×\u00a0") or scaled.endswith(
        "\u00a0×\u00a020"
    )  # the longest side is 20
    assert any(words in text for text in texts(at.markdown) for words in ("Clear answer", "Likely"))
    assert len(nearest) == 3 and all(picture.shape[:2] == (112, 112) for picture, _ in nearest)
    distances = [float(caption.rsplit("distance ", 1)[1]) for _, caption in nearest]
    assert distances == sorted(distances)
    assert nearest[0][1].startswith(f"{label} · ")


class FakePngCanvas(FakeCanvas):
    """A canvas whose "PNG" is any bytes we choose (broken or huge, as a hostile browser might send)."""

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return SimpleNamespace(image_bytes=self.image, json_data={"objects": []})


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_canvas_png_bytes_are_read_and_classified(mnist):
    with patched_canvas(FakePngCanvas(png(drawn(mnist.test_images[14])))):
        at = on_page(app(k=36), "pages/draw.py")
    assert_clean(at)
    assert [m.value for m in at.metric] == [str(mnist.test_labels[14])]


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"GIF89a not a drawing", "not a PNG"), (None, "more than the 4,000,000 pixels")],
    ids=["not-a-png", "too-many-pixels"],
)
def test_bad_canvas_image_data_gives_a_clear_error_not_a_prediction(data, message):
    data = data if data is not None else png(np.zeros((2100, 2100), np.uint8))
    with patched_canvas(FakePngCanvas(data)):
        at = on_page(app(), "pages/draw.py")
    assert not at.exception
    assert not at.metric
    assert any(message in text for text in texts(at.error))
    assert at.button(key="draw_clear")  # the user can still clear the canvas


def test_clear_canvas_removes_the_prediction(mnist):
    canvas = FakeCanvas(drawn(mnist.test_images[50]))
    with patched_canvas(canvas):
        at = on_page(app(k=36), "pages/draw.py")
        assert at.metric
        at.button(key="draw_clear").click().run()
        # The canvas still reports the old drawing until it has cleared itself.
        assert not at.metric and BLANK_HINT in texts(at.info)
        assert canvas.calls[-1]["initial_drawing"] is not None  # a changed drawing clears the canvas
        canvas.image = drawn(mnist.test_images[42])  # a new drawing is classified again
        at.run()
        assert [m.value for m in at.metric] == [str(mnist.test_labels[42])]
    assert_clean(at)


def test_draw_page_scales_drawings_to_an_8x8_dataset(mnist):
    with patched_canvas(FakeCanvas(drawn(mnist.test_images[50]))):
        at = app(k=SMALL_K)
        at.selectbox(key="dataset").set_value("digits").run()
        at = on_page(at, "pages/draw.py")
    assert_clean(at)
    assert [m.label for m in at.metric] == ["Predicted digit"]
    assert "8\u00a0×\u00a08 pixels" in " ".join(texts(at.caption))


# --- Evaluate, Map, Step by step and presenter mode ---------------------------------------------

INSIGHT_PAGES = ["pages/evaluate.py", "pages/map.py", "pages/steps.py"]


@pytest.mark.parametrize("page", INSIGHT_PAGES)
def test_insight_page_renders_and_says_what_it_shows(page):
    at = on_page(app(), page)
    assert_clean(at)
    assert at.title and shows_k(at, SMALL_K)
    assert at.markdown[0].value.count(".") >= 1, "one or two plain sentences first"


DETAIL_LABEL, DETAIL_KEY = (
    "Look closer: one cell's images, and the most mixed clusters",
    "evaluate_detail_open",
)


def open_detail(at: AppTest) -> AppTest:
    """Open the Evaluate page's "Look closer" box, as a click on it (or on a cell of the table) does."""
    at.session_state[DETAIL_KEY] = True
    return at.run()


def test_evaluate_keeps_its_details_in_a_closed_box_and_the_picked_cell_while_closed():
    at = on_page(app(), "pages/evaluate.py")
    assert_clean(at)
    # Closed at first: the table and the summary, and no class boxes or pictures under them.
    assert [box.label for box in at.main.expander] == [DETAIL_LABEL]
    assert not at.main.selectbox and not sprite_blocks(at)
    at = open_detail(at)
    assert len(sprite_blocks(at)) == 2  # a cell's images, the most mixed clusters
    at.selectbox(key="eval_true").set_value(7)
    at.selectbox(key="eval_pred").set_value(2).run()
    # Closed again, the cell stays picked (the red frame still marks it), through a new K too.
    at.session_state[DETAIL_KEY] = False
    at.run()
    assert not at.main.selectbox and not sprite_blocks(at)
    at.slider(key="k").set_value(SMALL_K + 1).run()
    assert_clean(at)
    at = open_detail(at)
    assert (at.selectbox(key="eval_true").value, at.selectbox(key="eval_pred").value) == (7, 2)
    assert any(
        "test images of **7** were read as 2" in text or "No test image of 7" in text
        for text in texts(at.markdown) + texts(at.info)
    )


def test_evaluate_summarises_and_shows_the_images_of_the_chosen_cell(mnist):
    import re

    from core.analysis.evaluation import evaluate, top_confusions
    from core.analysis.pictures import centroid_images
    from core.analysis.sweep import fit_model

    model, _ = fit_model(mnist, SMALL_K, random_state=0)
    result = evaluate(model, mnist.test_images, mnist.test_labels, mnist.class_names)
    (true, predicted, count), (true2, predicted2, count2) = top_confusions(result.confusion, 2)
    at = open_detail(on_page(app(), "pages/evaluate.py"))
    assert_clean(at)
    (summary,) = texts(at.info)
    assert summary.startswith(f"With K={SMALL_K}, {result.accuracy:.0%} of the 2,000 test images")
    assert f"the most common mix-up is {true} read as {predicted}" in summary
    # The page opens on the most common mix-up; the selectboxes pick another cell.
    assert (at.selectbox(key="eval_true").value, at.selectbox(key="eval_pred").value) == (true, predicted)
    at.selectbox(key="eval_true").set_value(true2)
    at.selectbox(key="eval_pred").set_value(predicted2).run()
    assert_clean(at)
    # Each picture is the test image beside the centre of its nearest cluster, captioned with both.
    pairs, mixed = sprite_blocks(at)
    pairs = tiles(pairs)
    assert len(pairs) == min(count2, 24)
    centres = centroid_images(model)
    shown = np.flatnonzero((result.y_true == true2) & (result.y_pred == predicted2))[:24]
    for (pixels, caption), row in zip(pairs, shown, strict=True):
        cluster = result.nearest_cluster[row]
        assert caption == f"{true2} · cluster {cluster}"
        assert (pixels[:, :28] == mnist.test_images[row]).all() and (pixels[:, 29:] == centres[cluster]).all()
    assert any(
        f"**{count2:,}** test images of **{true2}** were read as {predicted2}" in text
        for text in texts(at.markdown)
    )
    # The least pure clusters come last: their centres, captioned with their name and two biggest classes.
    shown = tiles(mixed)
    assert len(shown) == 6
    for pixels, caption in shown:
        assert re.fullmatch(r"Cluster \d+\n\d+% \d(, \d+% \d)?", caption), caption
        assert (pixels == centres[int(caption.split()[1])]).all()


def test_evaluate_diagonal_cell_shows_correct_answers():
    at = open_detail(on_page(app(), "pages/evaluate.py"))
    at.selectbox(key="eval_true").set_value(1)
    at.selectbox(key="eval_pred").set_value(1).run()
    assert_clean(at)
    assert any("were classified correctly" in text for text in texts(at.markdown))
    pairs, _ = sprite_blocks(at)
    assert all(caption.startswith("1 · cluster ") for _, caption in tiles(pairs))


def test_map_shows_the_hint_until_something_is_selected_and_colours_by_class():
    at = on_page(app(), "pages/map.py")
    assert_clean(at)
    assert any("Draw round some dots" in info for info in texts(at.info))
    at.radio(key="map_colour").set_value("True class").run()
    assert_clean(at)


def test_map_can_draw_the_centres_as_pictures():
    at = on_page(app(), "pages/map.py")
    at.checkbox(key="map_pictures").check().run()
    assert_clean(at)
    (chart,) = charts(at)
    spec = chart.figure
    (picture,) = spec["layout"]["images"]  # every centre's tile, painted into one picture
    assert picture["source"].startswith("data:image/png;base64,")
    assert [len(t["customdata"]) for t in spec["data"] if "pictures" in t.get("name", "")] == [SMALL_K]
    # The legend names the pictures, not the crosses they cover.
    assert [trace["name"] for trace in spec["data"] if "centres" in trace.get("name", "")] == [
        "Cluster centres (the pictures)"
    ]


def test_map_without_umap_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)  # as if umap-learn were not installed
    at = on_page(app(), "pages/map.py")
    at.radio(key="map_method").set_value("umap").run()
    assert not at.exception and not at.error
    assert any("pip install umap-learn" in warning for warning in texts(at.warning))


def step_centres(at: AppTest) -> list[tuple[np.ndarray, str]]:
    """Step by step's centres at the step shown, as (pixels, caption: the images nearest to it)."""
    [grid] = sprite_blocks(at)
    return tiles(grid)


def test_steps_slider_changes_the_shown_step():
    at = on_page(app(), "pages/steps.py")
    assert_clean(at)
    assert any(text.startswith("**Step 0 of ") for text in texts(at.markdown))
    start = step_centres(at)
    assert len(start) == SMALL_K
    at.slider(key="steps_step").set_value(2).run()
    assert_clean(at)
    assert any(text.startswith("**Step 2 of ") for text in texts(at.markdown))
    assert [m.label for m in at.metric] == ["Inertia at this step"]
    moved = step_centres(at)
    # The centres are pictures of digits that moved: other pixels, and every image counted under one.
    assert len(moved) == SMALL_K and any((a != b).any() for (a, _), (b, _) in zip(start, moved, strict=True))
    assert sum(int(caption.replace(",", "")) for _, caption in moved) == 3000  # pages/steps.py SAMPLE_SIZE


def test_steps_play_counts_up_with_the_slider_still_and_ends_it_on_the_last_step():
    # In the browser a timer reruns the animation's fragment once a frame; here each run is a frame.
    at = on_page(app(), "pages/steps.py")
    last = int(at.slider(key="steps_step").max)
    at.button(key="steps_play").click().run()
    shown = []
    for _ in range(last):
        assert_clean(at)
        assert at.slider(key="steps_step").value == 0  # the slider does not jump ahead of the pictures
        shown += [m.value.split(" of ")[0] for m in at.markdown if m.value.startswith("**Step ")]
        at.run()
    # The last frame's run draws it, then runs the page again with the slider on it.
    shown += [m.value.split(" of ")[0] for m in at.markdown if m.value.startswith("**Step ")]
    assert shown == [f"**Step {step}" for step in range(last + 1)]
    assert_clean(at)
    assert at.slider(key="steps_step").value == last
    at.run()  # the animation has stopped: no further frame
    assert [m.value for m in at.markdown if m.value.startswith("**Step ")][0].startswith(f"**Step {last} ")


def test_steps_caps_k_so_centres_stay_visible():
    at = on_page(app(k=100), "pages/steps.py")
    assert_clean(at)
    assert len(step_centres(at)) == 64
    assert any("with K = 64" in caption for caption in texts(at.caption))


def test_presenter_mode_hides_the_technical_controls_and_keeps_their_values():
    at = app(algorithm="lloyd", seed=3)
    assert at.sidebar.toggle(key="presenter").label == "Presenter mode"
    at.toggle(key="presenter").set_value(True).run()
    assert_clean(at)
    assert "algorithm" not in [radio.key for radio in at.sidebar.radio]
    assert "seed" not in [box.key for box in at.sidebar.number_input]
    assert not any("random seed" in caption for caption in texts(at.caption))
    assert shows_k(at, SMALL_K)
    at = on_page(at, "pages/steps.py")  # another page, still presenting
    assert_clean(at)
    assert "algorithm" not in [radio.key for radio in at.sidebar.radio]
    at.toggle(key="presenter").set_value(False).run()
    assert at.radio(key="algorithm").value == "lloyd" and at.number_input(key="seed").value == 3


# --- preprocessing in the sidebar ---------------------------------------------------------------

RECOMMENDED = "deskew, blur 0.7, L2-normalise, PCA 50"
CUSTOM_CONTROLS = {
    "prep_deskew": "Straighten slanted images (deskew)",
    "prep_blur": "Blur (pixels)",
    "prep_normalize": "Normalise ink",
    "prep_pca": "PCA components (0 = off)",
}


def shows_preprocessing(at: AppTest, described: str) -> bool:
    return any(f" · preprocessing: {described} · " in caption for caption in texts(at.caption))


def custom_controls(at: AppTest) -> dict[str, str]:
    """The Custom preprocessing controls in the sidebar, key -> label."""
    widgets = [*at.sidebar.checkbox, *at.sidebar.slider, *at.sidebar.number_input]
    return {w.key: w.label for w in widgets if w.key in CUSTOM_CONTROLS}


def test_preprocessing_defaults_to_the_recommendation_and_says_what_it_is():
    at = open_technical_settings(AppTest.from_file(APP, default_timeout=120).run())
    choice = at.sidebar.radio(key="preprocessing")
    assert choice.label == "Preprocessing"
    assert choice.value == "auto"
    assert choice.options == ["Recommended for this dataset", "None — the tutorial's recipe", "Custom"]
    assert choice.proto.captions[0] == RECOMMENDED  # what "recommended" means, under it
    assert shows_preprocessing(at, RECOMMENDED)
    assert custom_controls(at) == {}


def test_choosing_no_preprocessing_changes_the_model_the_pages_show(mnist):
    from core.analysis.evaluation import evaluate
    from core.analysis.sweep import fit_model

    at = on_page(app(), "pages/evaluate.py")
    recommended_summary = texts(at.info)[0]
    at.radio(key="preprocessing").set_value("none").run()
    assert_clean(at)
    assert shows_preprocessing(at, "none")
    model, _ = fit_model(mnist, SMALL_K, random_state=0, preprocessing="none")
    result = evaluate(model, mnist.test_images, mnist.test_labels, mnist.class_names)
    summary = texts(at.info)[0]  # (the next may say the cell picked for the last model is empty)
    assert summary.startswith(f"With K={SMALL_K}, {result.accuracy:.0%} of the 2,000 test images")
    assert summary != recommended_summary
    # The centroids are those of the raw-pixel model too.
    at = on_page(at, "pages/centroids.py")
    assert_clean(at)
    at.radio(key="centroid_order").set_value("In cluster order").run()
    [grid] = centre_grids(at)
    sizes = [int(re.search(r"([\d,]+) image", caption)[1].replace(",", "")) for _, caption in grid]
    assert sizes == model.cluster_sizes_.tolist()


def test_custom_preprocessing_shows_the_four_steps_starting_from_the_recommendation():
    at = app()
    at.radio(key="preprocessing").set_value("custom").run()
    assert_clean(at)
    assert custom_controls(at) == CUSTOM_CONTROLS
    assert at.checkbox(key="prep_deskew").value is True
    assert at.slider(key="prep_blur").value == pytest.approx(0.7)
    assert (at.slider(key="prep_blur").min, at.slider(key="prep_blur").max) == (0.0, 2.0)
    assert at.checkbox(key="prep_normalize").value is True
    assert at.number_input(key="prep_pca").value == 50
    assert shows_preprocessing(at, RECOMMENDED)
    at.checkbox(key="prep_deskew").uncheck()
    at.slider(key="prep_blur").set_value(0.0)
    at.number_input(key="prep_pca").set_value(0).run()
    assert_clean(at)
    assert shows_preprocessing(at, "L2-normalise")
    at = on_page(at, "pages/centroids.py")
    assert_clean(at)
    assert sum(len(grid) for grid in centre_grids(at)) == at.slider(key="k").value


def test_presenter_mode_hides_the_preprocessing_and_keeps_it():
    at = app(preprocessing="custom", prep_blur=1.5)
    assert shows_preprocessing(at, "deskew, blur 1.5, L2-normalise, PCA 50")
    at.toggle(key="presenter").set_value(True).run()
    assert_clean(at)
    assert "preprocessing" not in [radio.key for radio in at.sidebar.radio]
    assert custom_controls(at) == {}
    assert not any("preprocessing" in caption for caption in texts(at.caption))
    at = on_page(at, "pages/centroids.py")
    at.toggle(key="presenter").set_value(False).run()
    assert at.radio(key="preprocessing").value == "custom"
    assert at.slider(key="prep_blur").value == pytest.approx(1.5)


def test_the_preprocessing_choice_persists_across_pages():
    at = app()
    at.radio(key="preprocessing").set_value("custom").run()
    at.slider(key="prep_blur").set_value(1.2).run()
    at.radio(key="preprocessing").set_value("none").run()  # hides the custom controls
    for page in ["pages/draw.py", "pages/sweep.py", "app.py"]:
        at = on_page(at, page)
        assert_clean(at)
        assert at.radio(key="preprocessing").value == "none"
        assert shows_preprocessing(at, "none")
    at.radio(key="preprocessing").set_value("custom").run()
    assert at.slider(key="prep_blur").value == pytest.approx(1.2)
    assert shows_preprocessing(at, "deskew, blur 1.2, L2-normalise, PCA 50")


def chart_specs(at: AppTest) -> list[tuple[dict, dict]]:
    """Each Plotly chart on the page as (its Plotly config, its figure's layout)."""
    return [(chart.config, chart.figure["layout"]) for chart in charts(at)]


@pytest.mark.parametrize("page", ["app.py", "pages/sweep.py", *INSIGHT_PAGES])
def test_every_chart_downloads_as_png_and_has_bigger_text_in_presenter_mode(page):
    at = on_page(app(sweep_ks="10, 12"), page)
    shown = chart_specs(at)
    assert shown, "the page draws at least one chart"
    for config, _ in shown:
        assert config["displaylogo"] is False
        assert config["toImageButtonOptions"]["format"] == "png"
    at.toggle(key="presenter").set_value(True).run()
    assert_clean(at)
    enlarged = chart_specs(at)
    for (_, before), (_, after) in zip(shown, enlarged, strict=True):
        # Same height, so the chart still fits a 720 px screen; bigger text for the room.
        assert after["height"] == before["height"]
        assert after["font"]["size"] >= 18 > before.get("font", {}).get("size", 14)


ALL_PAGES = ["app.py", "pages/sweep.py", "pages/centroids.py", "pages/draw.py", *INSIGHT_PAGES]


@pytest.mark.parametrize("algorithm", ["minibatch", "lloyd"])
@pytest.mark.parametrize("page", ALL_PAGES)
def test_k_moves_back_and_forth_without_an_error(page, algorithm):
    """A presenter's K moves (36 -> 100 -> 23 -> 36) after looking inside a cluster: widgets whose
    choices depend on K start again quietly, and every page follows K."""
    at = on_page(app(k=36, algorithm=algorithm), page)
    if page == "pages/centroids.py":
        open_members(at).selectbox(key="centroid_pick").set_value(35).run()
    for k in (100, 23, 36):
        at.slider(key="k").set_value(k).run()
        assert_clean(at)
        assert shows_k(at, k)


def test_typing_k_in_the_box_sets_the_slider_and_the_page():
    at = on_page(app(k=36), "pages/centroids.py")

    at.number_input(key="k_box").set_value(23).run()

    assert_clean(at)
    assert at.slider(key="k").value == 23
    assert shows_k(at, 23)
    at.slider(key="k").set_value(40).run()
    assert at.number_input(key="k_box").value == 40


def test_the_seed_stays_within_the_bounded_range_a_shared_server_offers():
    at = app()
    assert at.number_input(key="seed").max == 9999
    at.number_input(key="seed").set_value(9999).run()
    assert_clean(at)
    assert any("random seed 9999" in caption for caption in texts(at.caption))


def test_presenter_mode_puts_a_k_box_on_the_page_and_hides_the_settings_jargon():
    at = app()
    at.toggle(key="presenter").set_value(True).run()
    assert not any("random seed" in caption for caption in texts(at.caption))
    at.number_input(key="k_main").set_value(12).run()
    assert_clean(at)
    assert shows_k(at, 12)
    assert at.slider(key="k").value == 12


def box_shown(at: AppTest, key: str) -> float | None:
    """The K a run sends with a K box, which the browser's box then shows; None if the run sends none: a
    box already in the browser keeps what it shows, a box new to the page shows its minimum, 2."""
    box = at.number_input(key=key).proto
    return box.value if box.set_value else None


@pytest.mark.parametrize(("module", "key"), [("ui.frame", "k_main"), ("ui.sidebar", "k_box")])
def test_a_run_cut_short_just_before_a_k_box_leaves_the_next_run_to_send_the_box_k(monkeypatch, module, key):
    """A click while a run is going stops that run at its next element. If that is a K box whose new K
    the run had just written (presenter mode just turned on, or K just moved), the browser never got
    the K: the next run must send it, or the box shows the wrong K (presenter mode's new box showed 2)."""
    import importlib

    place = importlib.import_module(module)
    real_box = place.k_box

    def stopped_there(column, box_key, largest):
        if box_key == key:
            st.stop()  # as a newer run's request stops this one: the box's message is never sent
        real_box(column, box_key, largest)

    at = app()
    at.toggle(key="presenter").set_value(True).run()
    monkeypatch.setattr(place, "k_box", stopped_there)
    at.slider(key="k").set_value(SMALL_K + 3).run()
    monkeypatch.setattr(place, "k_box", real_box)
    at.run()  # the newer run: K is unchanged since the run that was stopped
    assert_clean(at)
    assert shows_k(at, SMALL_K + 3) and box_shown(at, key) == SMALL_K + 3


@pytest.mark.parametrize("key", ["k_main", "k_box"])
def test_a_k_typed_in_a_box_is_not_sent_back_to_it_but_the_other_box_gets_it(key):
    """The box the user typed in holds their K already (and by the time the run's answer arrives, maybe a
    newer one: sending K back could undo their next keystrokes); every other run sends each box K."""
    other = "k_box" if key == "k_main" else "k_main"
    at = app()
    at.toggle(key="presenter").set_value(True).run()
    at.number_input(key=key).set_value(SMALL_K + 5).run()
    assert_clean(at)
    assert shows_k(at, SMALL_K + 5) and at.slider(key="k").value == SMALL_K + 5
    assert box_shown(at, key) is None and at.number_input(key=key).value == SMALL_K + 5
    assert box_shown(at, other) == SMALL_K + 5
    at.run()
    assert box_shown(at, key) == SMALL_K + 5 == box_shown(at, other)


def test_presenter_mode_steps_k_down_and_up_with_buttons_that_have_keys():
    at = app()
    at.toggle(key="presenter").set_value(True).run()
    down, up = at.button(key="k_step_down"), at.button(key="k_step_up")
    assert (down.proto.shortcut, up.proto.shortcut) == ("shift+k", "k")
    up.click().run()
    assert_clean(at)
    assert shows_k(at, SMALL_K + 1) and at.number_input(key="k_main").value == SMALL_K + 1
    at.button(key="k_step_down").click().run()
    at.button(key="k_step_down").click().run()
    assert shows_k(at, SMALL_K - 1) and at.slider(key="k").value == SMALL_K - 1
