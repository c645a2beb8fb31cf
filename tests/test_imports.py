"""The engine is a plain library: neither it nor tfds' downloader imports Streamlit or TensorFlow."""

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

CHECK = """
import sys
import core.analysis.sweep, core.cli, core.data.download, core.data.registry, core.model.persistence
{extra}
heavy = sorted(m for m in ("streamlit", "tensorflow") if m in sys.modules)
print(",".join(heavy) or "clean")
"""


def run(extra=""):
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(extra=extra)], cwd=PROJECT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_core_pulls_in_neither_streamlit_nor_tensorflow():
    assert run() == "clean"


def test_tfds_download_manager_and_checksums_do_not_import_tensorflow():
    extra = (
        "core.data.download.registered_url_infos(core.data.registry.REGISTRY['mnist'].url)\n"
        "from tensorflow_datasets.core.download import DownloadManager"
    )
    assert run(extra) == "clean"


def test_core_never_imports_streamlit_in_its_source():
    for path in (PROJECT / "core").rglob("*.py"):
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, path.name


def test_figures_pull_in_neither_streamlit_nor_tensorflow():
    modules = ", ".join(
        f"core.figures.{name}"
        for name in ("charts", "colours", "evaluation_charts", "hover_pictures", "images", "maps")
    )
    assert run(f"import {modules}") == "clean"


def test_the_first_page_needs_neither_scikit_learn_nor_scipy():
    """A new server shows Explore without waiting for the model modules (about a second to import)."""
    script = (
        "import sys\n"
        "import ui.frame, ui.sidebar, ui.caches, ui.uploads, ui.charts\n"
        "import core.figures.charts, core.figures.images, core.analysis.projection\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
