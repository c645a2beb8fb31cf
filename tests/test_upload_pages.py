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
from ui.model_files import MODEL_FILE_KEY
from ui.settings import UPLOAD
from ui.uploads import UPLOAD_BOX_KEY, UPLOAD_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")


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
    """The app after its first run, K set, and the sidebar's "Use your own data" box opened."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.slider(key="k").set_value(k)
    at.session_state[UPLOAD_BOX_KEY] = True
    return at.run()


def uploaded(at: AppTest, filename: str, content: bytes, key: str = UPLOAD_KEY) -> AppTest:
    """Add one file to a file box (the "+" button) and send it."""
    at.chat_input(key=key).upload(filename, content)
    return at.run()


def sent_box_holds_nothing(at: AppTest, key: str = UPLOAD_KEY) -> bool:
    """Whether the file box is empty and the session holds no file from it (after the run that read it)."""
    return at.chat_input(key=key).value is None and at.session_state[key] is None


def test_the_file_box_waits_in_a_closed_box_until_the_user_opens_it():
    at = AppTest.from_file(APP, default_timeout=120).run()
    (box,) = [box for box in at.sidebar.expander if box.label == "Use your own data"]
    assert not at.chat_input  # drawn only while its box is open
    at.session_state[UPLOAD_BOX_KEY] = True
    at = at.run()
    assert at.chat_input(key=UPLOAD_KEY).placeholder == "Add files"
    at = at.switch_page("pages/centroids.py").run()  # open on the next page too
    assert at.chat_input(key=UPLOAD_KEY)


def picker_labels(at: AppTest) -> list[str]:
    return list(at.selectbox(key="dataset").options)


def test_an_npz_upload_becomes_the_sessions_dataset(small_npz):
    at = uploaded(fresh_app(), "my-digits.npz", small_npz)

    assert_clean(at)
    assert at.selectbox(key="dataset").value == UPLOAD
    assert any(label.startswith("Your upload (300 images, 28x28)") for label in picker_labels(at))
    assert "240" in [metric.value for metric in at.metric]  # training images on Explore
    assert any("is loaded" in message for message in texts(at.success))
    captions = [caption.replace("\\", "") for caption in texts(at.caption)]  # as shown, escapes removed
    assert f"Sent: my-digits.npz ({len(small_npz) / 1024:,.0f} KB)." in captions
    at.run()  # the box empties after the run that read the files: Streamlit lets go of them
    assert sent_box_holds_nothing(at)
    assert at.selectbox(key="dataset").value == UPLOAD


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
    at.run()  # one more run: the refused files are gone for good

    assert not at.exception
    assert any(error.startswith("junk.npz: not an .npz file") for error in texts(at.error))
    assert any(caption.replace("\\", "").startswith("Sent: junk.npz") for caption in texts(at.caption))
    assert sent_box_holds_nothing(at)

    at = uploaded(at, "my-digits.npz", small_npz)  # and the next upload works

    assert_clean(at)
    assert at.selectbox(key="dataset").value == UPLOAD
    assert not texts(at.error)


def test_five_files_are_refused_and_named(small_npz):
    box = fresh_app().chat_input(key=UPLOAD_KEY)
    for i in range(5):
        box.upload(f"part-{i}.npz", small_npz)
    at = box.run()

    assert not at.exception
    assert any(error.startswith("5 files uploaded, more than the 4 allowed") for error in texts(at.error))
    shown = [caption.replace("\\", "") for caption in texts(at.caption)]
    assert any(
        caption.startswith("Sent: part-0.npz") and caption.endswith("and 1 more.") for caption in shown
    )
    assert at.selectbox(key="dataset").value == "mnist-sample"


def test_sending_text_without_files_says_to_add_files():
    at = fresh_app()
    at.chat_input(key=UPLOAD_KEY).set_value("my digits").run()

    assert not at.exception
    assert "No file was sent: add files with the + button, then send." in [
        e.value.replace("\\", "") for e in at.error
    ]


def test_forgetting_the_upload_goes_back_to_the_sample(small_npz):
    at = uploaded(fresh_app(), "my-digits.npz", small_npz)

    at.button(key="upload_forget").click()
    at.run()

    assert_clean(at)
    assert at.selectbox(key="dataset").value == "mnist-sample"
    assert not any("Your upload" in label for label in picker_labels(at))
    assert at.chat_input(key=UPLOAD_KEY) and not at.success  # the box stays open for the next files


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
        at = uploaded(at, "digits-model.npz", digits_model_file, key=MODEL_FILE_KEY)

    assert_clean(at)
    assert any("Using the imported model: K = 30, fitted on digits" in s for s in texts(at.success))
    assert [m.label for m in at.metric] == ["Predicted digit"]
    assert any("8 × 8 pixels" in caption.replace("\u00a0", " ") for caption in texts(at.caption))


def test_a_bad_model_file_says_why(digits_model_file):
    truncated = digits_model_file[: len(digits_model_file) // 2]
    with patched_canvas(FakeCanvas()):
        at = on_page(fresh_app(), "pages/draw.py")
        at = uploaded(at, "model.npz", truncated, key=MODEL_FILE_KEY)

    assert not at.exception
    assert any(error.startswith("model.npz: not a model file") for error in texts(at.error))
    assert not any("Using the imported model" in s for s in texts(at.success))


def test_a_refused_model_file_is_let_go_and_a_good_one_then_works(digits_model_file):
    with patched_canvas(FakeCanvas()):
        at = on_page(fresh_app(), "pages/draw.py")
        at = uploaded(at, "model.npz", b"not a model", key=MODEL_FILE_KEY)
        at.run()

        assert not at.exception
        assert any(error.startswith("model.npz: not a model file") for error in texts(at.error))
        assert sent_box_holds_nothing(at, MODEL_FILE_KEY)

        at = uploaded(at, "digits-model.npz", digits_model_file, key=MODEL_FILE_KEY)
        assert_clean(at)
        assert any("Using the imported model: K = 30" in s for s in texts(at.success))

        at.run()  # the file box empties; the checked model stays for the session
        assert sent_box_holds_nothing(at, MODEL_FILE_KEY)
        assert any("Using the imported model: K = 30" in s for s in texts(at.success))

        at.button(key="model_file_forget").click().run()  # back to the sidebar's model

    assert_clean(at)
    assert not any("Using the imported model" in s for s in texts(at.success))


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
    """Each file sent is read and checked, so a session's total is bounded."""
    monkeypatch.setattr("ui.uploads.MAX_SESSION_SENT_MB", 0.09)  # two uploads of 300 digits (49 KB each)
    at = uploaded(fresh_app(), "my-digits.npz", small_npz)
    assert at.selectbox(key="dataset").value == UPLOAD
    at = uploaded(at, "again.npz", small_npz)

    assert not at.exception
    assert any("the most one session may" in text for text in texts(at.info))
    assert at.chat_input(key=UPLOAD_KEY).proto.disabled
