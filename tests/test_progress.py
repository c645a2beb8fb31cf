"""The progress bar for slow work (ui/progress.py): the work's answer comes through, and the bar goes."""

from streamlit.testing.v1 import AppTest

from ui.progress import fraction_done


def slow_page():
    import time

    import streamlit as st

    from ui.progress import run_with_progress

    seconds, fail = st.session_state["seconds"], st.session_state["fail"]

    def work():  # runs in another thread: no Streamlit calls here
        time.sleep(seconds)
        if fail:
            raise ValueError("the work failed")
        return 42

    try:
        st.write(f"answer {run_with_progress(work, 'Working…', 1.0)}")
    except ValueError as exc:
        st.error(str(exc))


def run(seconds: float, fail: bool = False) -> AppTest:
    at = AppTest.from_function(slow_page, default_timeout=30)
    at.session_state["seconds"] = seconds
    at.session_state["fail"] = fail
    return at.run()


def test_slow_work_gives_its_answer_and_leaves_no_bar_behind():
    at = run(1.0)
    assert not at.exception
    assert [m.value for m in at.markdown] == ["answer 42"]
    assert not at.get("progress")


def test_quick_work_gives_its_answer():
    at = run(0.0)
    assert [m.value for m in at.markdown] == ["answer 42"]


def test_an_error_in_the_work_reaches_the_page():
    at = run(0.5, fail=True)
    assert [e.value for e in at.error] == ["the work failed"]
    assert not at.get("progress")


def test_the_bar_fills_towards_but_never_reaches_the_end():
    fractions = [fraction_done(t, 2.0) for t in (0.0, 0.5, 2.0, 10.0, 1000.0)]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and 0.6 < fractions[2] < 0.7 and fractions[-1] == 0.95
