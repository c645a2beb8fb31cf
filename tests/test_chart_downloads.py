"""The camera button on a chart: a PNG a presenter can put on any slide, whole, and nothing sent away."""

import io

import numpy as np
import pytest
from browser_support import open_page, wait_until_idle
from PIL import Image

pytestmark = pytest.mark.browser

#: Columns at the picture's edges that must stay blank: a cut-off legend reached the very last one.
BLANK_EDGE = 8


def downloaded_png(page, url: str, title: str):
    """Open `title`, hover its first chart and click the camera button; (file name, RGBA pixels)."""
    open_page(page, url, title)
    wait_until_idle(page)
    chart = page.locator(".lab-chart").first
    chart.hover()
    with page.expect_download() as download:
        chart.locator('.modebar-btn[data-title="Download plot as a PNG"]').click()
    picture = Image.open(io.BytesIO(download.value.path().read_bytes()))
    return download.value.suggested_filename, np.asarray(picture.convert("RGBA"))


def test_the_map_downloads_as_a_whole_picture_on_white(app_page, app_url):
    name, pixels = downloaded_png(app_page, app_url, "Map")
    assert name == "kmeans-lab-map_chart.png"
    # Opaque: a transparent picture loses its dark text on a dark slide.
    assert pixels[..., 3].min() == 255
    ink = np.flatnonzero((pixels[..., :3].mean(axis=2) < 128).any(axis=0))
    # The legend ("Cluster centres") ends inside the picture instead of running off its edge.
    assert ink.max() < pixels.shape[1] - BLANK_EDGE, f"ink up to column {ink.max()} of {pixels.shape[1]}"
    assert ink.min() >= BLANK_EDGE, "the title starts on the picture's left edge"


def test_no_chart_offers_to_upload_itself_to_the_cloud(app_page, app_url):
    open_page(app_page, app_url, "Evaluate")
    wait_until_idle(app_page)
    for chart in app_page.locator(".lab-chart").all():
        chart.hover()
        titles = chart.locator(".modebar-btn").evaluate_all("(all) => all.map((b) => b.dataset.title)")
        assert "Download plot as a PNG" in titles
        assert not [title for title in titles if "share" in title.lower() or "cloud" in title.lower()], titles
