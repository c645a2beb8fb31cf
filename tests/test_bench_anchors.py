"""The benchmarks' anchor apps work: bench/bench_app.py and bench/README.md compare the lab with them."""

import re

from browser_support import ROOT
from streamlit.testing.v1 import AppTest

BENCH = ROOT / "bench"


def caption_after(at: AppTest, k: int) -> str:
    at.number_input(key="k").set_value(k).run()
    assert not at.exception, at.exception
    return at.caption[0].value


def test_the_reference_app_follows_k():
    at = AppTest.from_file(str(BENCH / "reference_app" / "app.py"), default_timeout=60).run()
    assert at.caption[0].value.startswith("K = 36 ")
    assert caption_after(at, 40).startswith("K = 40 ")
    assert at.get("plotly_chart")


def test_the_fitting_floor_fits_a_new_model_for_each_k():
    """bench/reference_fit_app fits the lab's default model on the sample for every new K: its caption
    gives the test accuracy, which grows from K = 36 to K = 64 (0.886 and 0.907 on the sample)."""
    at = AppTest.from_file(str(BENCH / "reference_fit_app" / "app.py"), default_timeout=120).run()
    accuracy = {}
    for k in (36, 64):
        caption = caption_after(at, k) if k != 36 else at.caption[0].value
        assert caption.startswith(f"K = {k} ")
        accuracy[k] = float(re.search(r"test accuracy (0\.\d+)", caption).group(1))
    assert 0.8 < accuracy[36] < accuracy[64] < 1


def test_the_refresh_floor_shows_its_count_and_chart_from_a_fragment():
    """bench/reference_refresh_app, bench_presenter.py's anchor: a fragment with a count and a chart."""
    at = AppTest.from_file(str(BENCH / "reference_refresh_app" / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    (count,) = at.metric
    assert count.label == "Seconds since the epoch" and int(count.value.replace(",", "")) > 1_700_000_000
    assert at.get("plotly_chart")
