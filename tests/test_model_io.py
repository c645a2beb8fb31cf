"""Model files: a model survives export and import, and every bad file gets a message naming the fault."""

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from core.data.registry import load_dataset
from core.errors import DataFileError
from core.model.persistence import FORMAT, MAX_MODEL_MB, META_KEY, export_model, import_model
from core.model.pipeline import fit_prepared, prepare
from core.model.preprocess import Preprocessing


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="module")
def model(digits):
    return fit_prepared(prepare(digits.train_images), digits.train_labels, 12, random_state=0)


@pytest.fixture(scope="module")
def exported(model, digits):
    return export_model(model, dataset_name="digits", class_names=digits.class_names)


def unpack(content: bytes) -> tuple[dict, dict]:
    with np.load(io.BytesIO(content), allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return arrays, json.loads(str(arrays.pop(META_KEY)))


def repack(arrays: dict, meta: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    extra = {} if meta is None else {META_KEY: np.array(json.dumps(meta))}
    np.savez(buffer, **extra, **arrays)
    return buffer.getvalue()


def altered(exported: bytes, **changes) -> bytes:
    """The exported file with arrays replaced (None removes one); `meta=` patches the JSON."""
    arrays, meta = unpack(exported)
    meta.update(changes.pop("meta", {}))
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    return repack(arrays, meta)


# --- good files ---------------------------------------------------------------------------------


def test_export_holds_centroids_labels_params_dataset_and_versions(exported, model):
    arrays, meta = unpack(exported)

    np.testing.assert_array_equal(arrays["cluster_centers_"], model.cluster_centers_)
    np.testing.assert_array_equal(arrays["cluster_labels_"], model.cluster_labels_)
    assert meta["format"] == FORMAT
    assert meta["params"]["n_clusters"] == 12
    assert meta["params"] == model.get_params()
    assert meta["dataset"] == "digits"
    assert meta["class_names"] == [str(d) for d in range(10)]
    assert {"numpy", "scikit-learn"} <= set(meta["versions"])
    assert all(array.dtype != object for array in arrays.values())


def test_import_gives_the_same_predictions(exported, model, digits):
    imported = import_model(exported)

    assert imported.k == 12
    assert imported.dataset_name == "digits"
    assert imported.class_names == digits.class_names
    np.testing.assert_array_equal(
        imported.model.predict(digits.test_images), model.predict(digits.test_images)
    )


def test_imported_arrays_are_read_only(exported):
    model = import_model(exported).model

    with pytest.raises(ValueError, match="read-only"):
        model.cluster_centers_[0, 0] = 1.0


@pytest.mark.parametrize(
    "params",
    [
        {"deskew": True, "blur": 0.7, "normalize": True, "pca_components": 20},
        {"normalize": True},
        {"algorithm": "lloyd", "pca_components": 10},
    ],
    ids=["all-preprocessing", "l2", "lloyd-pca"],
)
def test_preprocessing_and_its_learned_state_survive(digits, params):
    algorithm = params.pop("algorithm", "minibatch")
    prepared = prepare(digits.train_images, Preprocessing(**params))
    model = fit_prepared(prepared, digits.train_labels, 10, algorithm=algorithm, random_state=1)

    imported = import_model(export_model(model, dataset_name="digits", class_names=digits.class_names))

    assert imported.model.get_params() == model.get_params()
    np.testing.assert_allclose(
        imported.model.transform(digits.test_images), model.transform(digits.test_images), rtol=1e-5
    )


def test_export_refuses_a_random_state_json_cannot_hold(digits):
    model = fit_prepared(
        prepare(digits.train_images), digits.train_labels, 10, random_state=np.random.RandomState(0)
    )

    with pytest.raises(ValueError, match="random_state=.* should be an int or None"):
        export_model(model, dataset_name="digits", class_names=digits.class_names)


# --- bad files ----------------------------------------------------------------------------------

BAD_ARRAYS = [
    (
        {"cluster_centers_": np.zeros((12, 700), np.float32)},
        r"'cluster_centers_' has shape \(12, 700\); it needs \(12, 64\) \(K = 12, n_pixels = 64\)",
    ),
    (
        {"cluster_centers_": np.zeros((36, 64), np.float32)},
        r"'cluster_centers_' has shape \(36, 64\); it needs \(12, 64\)",
    ),
    ({"cluster_centers_": np.full((12, 64), np.inf, np.float32)}, "'cluster_centers_' holds Inf values"),
    ({"cluster_centers_": np.full((12, 64), np.nan, np.float32)}, "'cluster_centers_' holds NaN values"),
    (
        {"cluster_centers_model_space_": np.full((12, 64), -np.inf, np.float32)},
        "'cluster_centers_model_space_' holds Inf",
    ),
    ({"inertia_": np.array(np.nan)}, "'inertia_' holds NaN values"),
    (
        {"cluster_centers_": np.zeros((12, 64), np.int64)},
        r"'cluster_centers_' must be floats with 2 dimension\(s\), got int64",
    ),
    ({"cluster_centers_": np.zeros((12, 64), "U3")}, "'cluster_centers_' must be floats"),
    ({"cluster_labels_": np.zeros(12, np.float64)}, "'cluster_labels_' must be whole numbers"),
    ({"cluster_labels_": np.full(12, 42)}, "'cluster_labels_' must hold K = 12 values out of 'classes_'"),
    (
        {"cluster_labels_": np.zeros(5, np.int64)},
        r"'cluster_labels_' has shape \(5,\); it needs \(12,\) \(K = 12\)",
    ),
    (
        {"cluster_class_counts_": np.zeros((12, 3), np.int64)},
        r"'cluster_class_counts_' has shape \(12, 3\); it needs \(12, 10\) \(K = 12, n_classes = 10\)",
    ),
    ({"labels_": np.full(10, 99)}, "'labels_' must hold cluster numbers from 0 to 11"),
    ({"classes_": np.arange(10)[::-1].copy()}, "'classes_' must be sorted distinct class values"),
    (
        {"classes_": np.arange(20)},
        r"'cluster_class_counts_' has shape \(12, 10\); it needs \(12, 20\) \(K = 12, n_classes = 20\)",
    ),
    ({"image_shape_": np.array([8, 9])}, "image size 8x9 needs n_pixels = 72"),
    ({"image_shape_": np.array([8, 8, 1])}, r"'image_shape_' has shape \(3,\); it needs \(2,\)"),
    ({"cluster_centers_": None}, r"missing the array\(s\) cluster_centers_"),
    ({"cluster_labels_": None, "labels_": None}, r"missing the array\(s\) cluster_labels_, labels_"),
    ({"surprise": np.zeros(3)}, r"unexpected array\(s\) surprise"),
    ({"meta": {"params": {"n_clusters": 12, "colour": "red"}}}, r"unknown parameter\(s\) colour"),
    ({"meta": {"params": {"deskew": True}}}, "the parameters do not say K"),
    ({"meta": {"params": {"n_clusters": 12, "algorithm": "magic"}}}, "bad parameters: algorithm='magic'"),
    (
        {"meta": {"params": {"n_clusters": 12, "blur": 1e7}}},
        "bad parameters: blur=10000000.0 should be a number from 0 to 2 ",
    ),
    (
        {"meta": {"params": {"n_clusters": 12, "pca_components": 5}}},
        r"missing the array\(s\) pca_mean_, pca_components_",
    ),
    (
        {"cluster_centers_model_space_": np.full((12, 64), 1e38, np.float32)},
        "'cluster_centers_model_space_' holds a value of size 1e\\+38, over the 1 a fitted model can hold",
    ),
    (
        {"cluster_centers_": np.full((12, 64), -2.0, np.float32)},
        "'cluster_centers_' holds a value of size 2, over the 1",
    ),
    ({"meta": {"params": {"n_clusters": 12, "pca_components": 0}}}, "bad parameters: pca_components=0"),
    ({"meta": {"class_names": "0123456789"}}, "'class_names' must be a list"),
    ({"meta": {"format": "something else"}}, "not a model file.*does not name the format"),
    ({"meta": {"format_version": 99}}, "format version 99 is not one this lab reads"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_ARRAYS, ids=[m[:40] for _, m in BAD_ARRAYS])
def test_bad_model_files_say_what_is_wrong(exported, changes, message):
    with pytest.raises(DataFileError, match=f"^model.npz: {message}"):
        import_model(altered(exported, **changes))


@pytest.fixture(scope="module")
def exported_with_pca(digits):
    prepared = prepare(digits.train_images, Preprocessing(pca_components=10))
    model = fit_prepared(prepared, digits.train_labels, 12)
    return export_model(model, dataset_name="digits", class_names=digits.class_names)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"cluster_centers_model_space_": np.full((12, 10), 3e4, np.float32)},
            "'cluster_centers_model_space_' holds a value of size 3e\\+04, over the 8 a fitted model",
        ),
        (
            {"pca_components_": np.full((10, 64), 1e38, np.float32)},
            "'pca_components_' holds a value of size 1e",
        ),  # noqa: E501
        ({"pca_mean_": np.full(64, -5, np.float32)}, "'pca_mean_' holds a value of size 5, over the 1"),
        ({"pca_components_": np.zeros((0, 64), np.float32)}, "'pca_components_' has 0 rows; it needs 1 to"),
    ],
    ids=["huge-centres", "huge-components", "huge-mean", "no-components"],
)
def test_a_pca_model_with_impossible_values_is_refused(exported_with_pca, digits, changes, message):
    import_model(exported_with_pca).model.predict(digits.test_images)  # the untampered file works

    with pytest.raises(DataFileError, match=f"^model.npz: {message}"):
        import_model(altered(exported_with_pca, **changes))


def test_an_error_lists_a_few_of_many_unknown_names(exported):
    unknown = {f"p{number:06d}": 0 for number in range(200_000)}

    with pytest.raises(DataFileError) as raised:
        import_model(altered(exported, meta={"params": {"n_clusters": 12, **unknown}}))

    assert "unknown parameter(s) p000000, p000001, p000002, p000003, p000004 … and 199,995 more" in str(
        raised.value
    )
    assert len(str(raised.value)) < 500


def test_a_file_of_many_tiny_members_is_refused_without_naming_them(exported):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(20_000):
            archive.writestr(f"junk{number}.npy", b"")

    with pytest.raises(DataFileError) as raised:
        import_model(buffer.getvalue())

    assert "holds 20,000 members, more than the 13 allowed" in str(raised.value)
    assert "junk" not in str(raised.value)


def test_a_long_unknown_name_is_cut_short(exported):
    with pytest.raises(DataFileError, match="unexpected array\\(s\\) x{40}…; is it a model file"):
        import_model(altered(exported, **{"x" * 10_000: np.zeros(1)}))


def test_an_object_array_is_refused_without_unpickling(exported):
    arrays, meta = unpack(exported)
    arrays["cluster_labels_"] = np.array([object()] * 12, dtype=object)
    buffer = io.BytesIO()
    np.savez(buffer, **{META_KEY: np.array(json.dumps(meta))}, **arrays)  # savez pickles objects

    with pytest.raises(DataFileError, match="holds Python objects, which the lab never unpickles"):
        import_model(buffer.getvalue())


class Boom:
    def __reduce__(self):
        return (exec, ("raise SystemExit('unpickled!')",))


def test_a_pickle_renamed_to_npz_is_refused_unopened():
    with pytest.raises(DataFileError, match="^my-model.npz: not a model file"):
        import_model(pickle.dumps(Boom()), "my-model.npz")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"PK\x03\x04 truncated", "not a model file"),
        (b"just text", "not a model file"),
    ],
)
def test_not_a_zip_says_so(content, message):
    with pytest.raises(DataFileError, match=message):
        import_model(content)


def test_a_dataset_npz_is_not_a_model():
    content = repack({"images": np.zeros((3, 8, 8), np.uint8), "labels": np.zeros(3, np.uint8)})

    with pytest.raises(DataFileError, match="not a model file.*no '__meta__' entry"):
        import_model(content)


@pytest.mark.parametrize(
    ("meta", "message"),
    [(np.array(b"{}"), "'__meta__' must be one JSON text"), (np.array("{not json"), "not valid JSON")],
)
def test_bad_metadata_says_so(exported, meta, message):
    arrays, _ = unpack(exported)
    buffer = io.BytesIO()
    np.savez(buffer, **{META_KEY: meta}, **arrays)

    with pytest.raises(DataFileError, match=message):
        import_model(buffer.getvalue())


def test_a_zip_bomb_is_refused_before_inflating():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cluster_centers_.npy", b"\0" * (MAX_MODEL_MB + 1) * 2**20)
    assert len(buffer.getvalue()) < 2**20

    with pytest.raises(DataFileError, match=f"would inflate to 65 MB, over the {MAX_MODEL_MB} MB limit"):
        import_model(buffer.getvalue())


def test_an_oversized_file_states_the_limit(monkeypatch):
    monkeypatch.setattr("core.model.persistence.MAX_MODEL_MB", 1)

    with pytest.raises(DataFileError, match="2 MB is over the 1 MB limit for a model"):
        import_model(b"x" * 2 * 2**20)
