"""A page that builds a chart while another thread imports scikit-learn (and so pandas) still works."""

import subprocess
import sys
import textwrap

from browser_support import ROOT

#: Another thread imports pandas, slowly: its module is in sys.modules, still empty, for a second.
#: Meanwhile this thread does what a page does before its charts, then builds one.
RACE = textwrap.dedent(
    """
    import importlib.abc, importlib.util, sys, threading, time
    import plotly.graph_objects as go

    class SlowPandas(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "pandas":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec("pandas")
            run = spec.loader.exec_module
            def slow(module):
                started.set()
                time.sleep(1.0)
                run(module)
            spec.loader.exec_module = slow
            return spec

    started = threading.Event()
    sys.meta_path.insert(0, SlowPandas())
    threading.Thread(target=lambda: __import__("pandas"), daemon=True).start()
    started.wait(10)
    {before_charts}
    go.Figure(go.Bar(x=[1, 2, 3], y=[4, 5, 6], hovertemplate=["a", "b", "c"]))
    print("chart built")
    """
)


def run_race(before_charts: str) -> subprocess.CompletedProcess:
    code = RACE.format(before_charts=before_charts)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_a_chart_built_while_another_thread_imports_pandas_waits_for_it():
    done = run_race("from ui.warm_up import import_before_charts; import_before_charts()")
    assert done.returncode == 0 and "chart built" in done.stdout, done.stderr[-2000:]


def test_without_it_the_chart_meets_a_half_imported_pandas():
    # The failure the page guards against, shown to be real (so the test above can fail).
    done = run_race("pass")
    assert done.returncode != 0, done.stdout
    assert "partially initialized module 'pandas'" in done.stderr, done.stderr[-2000:]
