"""A fragment's own reruns run outside `run_page`: `ui.frame.catch_errors` gives them its error handling."""

from streamlit.testing.v1 import AppTest


def fragment_that_breaks():
    import streamlit as st

    from ui.frame import catch_errors

    @st.fragment
    @catch_errors
    def live_part():
        st.write("before the error")
        raise ValueError("/srv/secret/path: a server detail")

    live_part()


def test_an_error_in_a_fragment_shows_one_sentence_and_no_traceback():
    at = AppTest.from_function(fragment_that_breaks, default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Something went wrong on this page.")
    shown = " ".join(str(element.value) for element in [*at.error, *at.markdown])
    assert "/srv/secret" not in shown
