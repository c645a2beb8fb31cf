"""The user's own data in the app (AppTest): upload a dataset, download and import a model.

Each AppTest is one session, so two of them show whether an upload stays with its session.
"""

import io
import pickle
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_pages import FakeCanvas, assert_clean, drawn, on_page, patched_canvas, shows_k, texts

from core.data.registry import load_dataset, load_mnist_sample
from core.model.persistence import export_model
from core.model.pipeline import fit_prepared, prepare
from ui.settings import UPLOAD

APP = str(Path(__file__).resolve().parent.parent / "app.py")
UPLOADER = "upload_files_0"


@pytest.fixture(scope="module")
def mnist():
    return load_mnist_sample()


@pytest.fixture(scope="module")
def small_npz(mnist) -> bytes:
    """300 MNIST digits as an .npz upload (240 for training, 60 for testing)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=mnist.train_images[:300], labels=mnist.train_labels[:300])
    return buffer.getvalue()


def fresh_app(k: int = 10) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.slider(key="k").set_value(k)
    return at.run()


def uploaded(at: AppTest, filename: str, content: bytes, key: str = UPLOADER) -> AppTest:
    at.file_uploader(key=key).set_value((filename, content, "application/octet-stream"))
    return at.run()


def picker_labels(at: AppTest) -> list[str]:
    return list(at.selectbox(key="dataset").options)


def test_an_npz_upload_becomes_the_sessions_dataset(small_npz):
    at = uploaded(fresh_app(), "my-digits.npz", small_npz)

    assert_clean(at)
    assert at.selectbox(key="dataset").value == UPLOAD
    assert any(label.startswith("Your upload (300 images, 28x28)") for label in picker_labels(at))
    assert "240" in [metric.value for metric in at.metric]  # training images on Explore
    assert any("is loaded" in message for message in texts(at.success))
    # The uploader empties, so Streamlit lets go of the file's bytes.
    assert at.file_uploader(key="upload_files_1") is not None


def test_another_session_never_sees_the_upload(small_npz):
    mine = uploaded(fresh_app(), "my-digits.npz", small_npz)
    theirs = fresh_app()

    assert mine.selectbox(key="dataset").value == UPLOAD
    assert UPLOAD not in theirs.selectbox(key="dataset").options
    assert not any("Your upload" in label for label in picker_labels(theirs))
    assert theirs.selectbox(key="dataset").value == "mnist-sample"


@pytest.mark.parametrize("page", ["app.py", "pages/sweep.py", "pages/centroids.py"])
def test_every_page_works_on_the_upload(small_npz, page):
    at = uploaded(fresh_app(), "my-digits.npz", small_npz)
    at.session_state["sweep_ks"] = "4, 10"

    at = on_page(at, page)

    assert_clean(at)
    assert shows_k(at, 10)
    assert any("Your upload" in caption for caption in texts(at.caption))


def test_fits_on_an_upload_never_reach_the_disk_cache(small_npz, isolated_cache):
    at = on_page(uploaded(fresh_app(), "my-digits.npz", small_npz), "pages/centroids.py")

    assert_clean(at)
    results = isolated_cache / "results"
    assert not results.exists() or not any(results.iterdir())


def test_a_drawing_is_classified_by_the_upload_model(small_npz, mnist):
    canvas = FakeCanvas(drawn(mnist.test_images[0]))
    with patched_canvas(canvas):
        at = on_page(uploaded(fresh_app(), "my-digits.npz", small_npz), "pages/draw.py")

    assert_clean(at)
    assert [m.label for m in at.metric] == ["Predicted digit"]


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("evil.npz", pickle.dumps({"images": 1}), "evil.npz: not an .npz file"),
        ("empty.npz", b"", "empty.npz: the file is empty"),
        ("train-images-idx3-ubyte", b"\0\0\x08\x03" + b"\0" * 12, "Missing the train labels"),
        ("notes.txt", b"hello", "notes.txt: not a name the lab recognises"),
    ],
)
def test_a_bad_upload_shows_its_message_and_keeps_the_dataset(filename, content, message):
    at = uploaded(fresh_app(), filename, content)

    assert not at.exception
    assert any(error.startswith(message) for error in texts(at.error)), texts(at.error)
    assert at.selectbox(key="dataset").value == "mnist-sample"
    assert not any("Your upload" in label for label in picker_labels(at))


def test_a_refused_upload_lets_go_of_its_files_and_keeps_its_message(small_npz):
    at = uploaded(fresh_app(), "junk.npz", b"junk" * 1000)
    at.run()  # one more run: the refused uploader is gone for good

    assert not at.exception
    assert any(error.startswith("junk.npz: not an .npz file") for error in texts(at.error))
    assert not at.file_uploader(key="upload_files_1").value  # a fresh, empty uploader
    assert UPLOADER not in at.session_state  # the refused files are no longer held by the session
    with pytest.raises(KeyError):
        at.file_uploader(key=UPLOADER)

    at = uploaded(at, "my-digits.npz", small_npz, key="upload_files_1")  # and the next upload works

    assert_clean(at)
    assert at.selectbox(key="dataset").value == UPLOAD
    assert not texts(at.error)


def test_forgetting_the_upload_goes_back_to_the_sample(small_npz):
    at = uploaded(fresh_app(), "my-digits.npz", small_npz)

    at.button(key="upload_forget").click()
    at.run()

    assert_clean(at)
    assert at.selectbox(key="dataset").value == "mnist-sample"
    assert not any("Your upload" in label for label in picker_labels(at))


def test_download_buttons_for_the_model_and_the_sweep_table():
    at = on_page(fresh_app(), "pages/centroids.py")
    assert_clean(at)
    assert at.get("download_button")[0].proto.label == "Download this model (.npz)"

    at.session_state["sweep_ks"] = "4, 10"
    at = on_page(at, "pages/sweep.py")
    assert_clean(at)
    assert at.get("download_button")[0].proto.label == "Download the table (CSV)"


@pytest.fixture(scope="module")
def digits_model_file() -> bytes:
    digits = load_dataset("digits")
    model = fit_prepared(prepare(digits.train_images), digits.train_labels, 30, random_state=0)
    return export_model(model, dataset_name="digits", class_names=digits.class_names)


def test_an_imported_model_classifies_drawings(digits_model_file, mnist):
    canvas = FakeCanvas(drawn(mnist.test_images[1]))
    with patched_canvas(canvas):
        at = on_page(fresh_app(), "pages/draw.py")
        at = uploaded(at, "digits-model.npz", digits_model_file, key="model_file_0")

    assert_clean(at)
    assert any("Using the imported model: K = 30, fitted on digits" in s for s in texts(at.success))
    assert [m.label for m in at.metric] == ["Predicted digit"]
    assert any("8 × 8 pixels" in caption.replace("\u00a0", " ") for caption in texts(at.caption))


def test_a_bad_model_file_says_why(digits_model_file):
    truncated = digits_model_file[: len(digits_model_file) // 2]
    with patched_canvas(FakeCanvas()):
        at = on_page(fresh_app(), "pages/draw.py")
        at = uploaded(at, "model.npz", truncated, key="model_file_0")

    assert not at.exception
    assert any(error.startswith("model.npz: not a model file") for error in texts(at.error))
    assert not any("Using the imported model" in s for s in texts(at.success))


def test_a_refused_model_file_is_let_go_and_a_good_one_then_works(digits_model_file):
    with patched_canvas(FakeCanvas()):
        at = on_page(fresh_app(), "pages/draw.py")
        at = uploaded(at, "model.npz", b"not a model", key="model_file_0")
        at.run()

        assert not at.exception
        assert any(error.startswith("model.npz: not a model file") for error in texts(at.error))
        assert not at.file_uploader(key="model_file_1").value
        assert "model_file_0" not in at.session_state

        at = uploaded(at, "digits-model.npz", digits_model_file, key="model_file_1")

    assert_clean(at)
    assert any("Using the imported model: K = 30" in s for s in texts(at.success))
    assert at.file_uploader(key="model_file_1").value  # a good file stays, to be removed by the user


def test_shared_models_are_read_only():
    digits = load_dataset("digits")
    model = fit_prepared(prepare(digits.train_images), digits.train_labels, 10, random_state=0).freeze()

    with pytest.raises(ValueError, match="read-only"):
        model.cluster_centers_ += 1


@pytest.mark.parametrize("error", [RecursionError("maximum depth"), MemoryError(), OverflowError("inf")])
def test_an_upload_that_breaks_the_reader_gets_one_sentence_not_a_traceback(monkeypatch, small_npz, error):
    """Whatever goes wrong inside the reader, the user reads what to do; the server log keeps the rest."""

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr("ui.uploads.dataset_from_upload", broken)
    at = uploaded(fresh_app(), "my-digits.npz", small_npz)

    assert not at.exception
    shown = [e.value.replace("\\", "") for e in at.error]  # as markdown shows it, escapes removed
    assert shown == [
        "These files could not be read. Check that it is a file the lab makes or describes, then try again."
    ]
    assert at.selectbox(key="dataset").value != UPLOAD


def test_forgetting_an_upload_leaves_nothing_of_it_in_the_session(small_npz):
    at = uploaded(fresh_app(), "my-digits.npz", small_npz)
    at = on_page(at, "pages/centroids.py")
    assert_clean(at)
    assert shows_k(at, 10)

    at.button(key="upload_forget").click().run()

    assert_clean(at)
    assert "upload_dataset" not in at.session_state
    assert at.selectbox(key="dataset").value != UPLOAD
    assert UPLOAD not in picker_labels(at)


def test_an_upload_over_the_sessions_budget_is_refused_and_says_why(monkeypatch, small_npz):
    monkeypatch.setattr("core.data.uploads.MAX_SESSION_UPLOAD_BYTES", 100_000)  # 300 digits take 235 KB
    at = uploaded(fresh_app(), "my-digits.npz", small_npz)

    assert not at.exception
    assert any("over this session's 0 MB budget" in text for text in texts(at.error))
    assert at.selectbox(key="dataset").value != UPLOAD


def test_a_session_that_has_sent_its_share_of_files_is_told_to_reload(monkeypatch, small_npz):
    """Streamlit keeps what a session sends until it ends, so a session's total is bounded."""
    monkeypatch.setattr("ui.uploads.MAX_SESSION_SENT_MB", 0.09)  # two uploads of 300 digits (49 KB each)
    at = uploaded(fresh_app(), "my-digits.npz", small_npz)
    assert at.selectbox(key="dataset").value == UPLOAD
    at = uploaded(at, "again.npz", small_npz, key="upload_files_1")

    assert not at.exception
    assert any("the most one session may" in text for text in texts(at.info))
    assert at.file_uploader(key="upload_files_2").disabled
