"""Charts when the app folder cannot take plotly.js: Streamlit's own chart element draws them."""

import io
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from browser_support import exception_count, open_page, streamlit_server, wait_until_idle
from PIL import Image

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NOT_COPIED = shutil.ignore_patterns(
    ".git", "static", "__pycache__", ".pytest_cache", ".ruff_cache", "test-artifacts", "docs"
)


def test_an_app_folder_that_cannot_serve_plotly_js_still_shows_every_chart(chromium, tmp_path):
    app = tmp_path / "app"
    shutil.copytree(ROOT, app, ignore=NOT_COPIED)
    (app / "static").write_text("a file where the static folder should be")  # plotly.js cannot go there
    with streamlit_server(tmp_path / "server", app_dir=app) as (url, _):
        page = chromium.new_page(viewport={"width": 1280, "height": 720})
        try:
            open_page(page, url, "Evaluate")
            charts = page.locator('[data-testid="stPlotlyChart"] .main-svg')
            charts.first.wait_for()
            assert page.locator('[data-testid="stPlotlyChart"]').count() == 1  # the table and its bars
            # A click on a cell still picks it for the pictures below.
            cell = page.locator('[data-testid="stPlotlyChart"]').first.locator(".scatterlayer .point").nth(35)
            box = cell.bounding_box()
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.get_by_text(re.compile(r"test images? of 3 were read as 5")).first.wait_for()
            wait_until_idle(page)
            assert exception_count(page) == 0
            # Its camera button gives a picture on white, not on a transparent background.
            chart = page.locator('[data-testid="stPlotlyChart"]').first
            chart.hover()
            with page.expect_download() as download:
                chart.locator('.modebar-btn[data-title="Download plot as a PNG"]').click()
            picture = Image.open(io.BytesIO(download.value.path().read_bytes())).convert("RGBA")
            assert np.asarray(picture)[..., 3].min() == 255
            # Streamlit's chart cannot check for WebGL, so the Map's dots come as SVG, drawn everywhere.
            open_page(page, url, "Map")
            page.locator('[data-testid="stPlotlyChart"] .scatterlayer .point').first.wait_for()
            assert page.locator('[data-testid="stPlotlyChart"] .scatterlayer .point').count() >= 1000
            assert exception_count(page) == 0
            log = (tmp_path / "server" / "streamlit.log").read_text()
            assert "Charts fall back to st.plotly_chart" in log
        finally:
            page.close()
