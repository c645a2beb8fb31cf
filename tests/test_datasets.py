"""Datasets load as immutable values with the right splits, names and credits."""

import numpy as np
import pytest

from core.analysis.sweep import DIGIT_PREPROCESSING, default_preprocessing
from core.data.dataset import Dataset
from core.data.registry import list_datasets, load_dataset, read_npz_images
from core.errors import DataFileError, UnknownDatasetError


@pytest.fixture(scope="module")
def sample():
    return load_dataset("mnist-sample")


def test_sample_is_8000_train_and_2000_test_real_digits(sample):
    assert (sample.n_train, sample.n_test, sample.image_shape) == (8000, 2000, (28, 28))
    assert sample.train_images.dtype == np.uint8
    # The README of the sample gives these class counts for all 10,000 digits.
    counts = np.bincount(np.concatenate([sample.train_labels, sample.test_labels]))
    assert counts.tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    assert "CC BY-SA 3.0" in sample.credit


def test_dataset_arrays_are_read_only(sample):
    with pytest.raises(ValueError, match="read-only"):
        sample.train_images[0, 0, 0] = 1


def test_fingerprint_tells_datasets_apart(sample):
    assert sample.fingerprint == load_dataset("mnist-sample").fingerprint
    assert sample.fingerprint != load_dataset("digits").fingerprint


def test_sklearn_digits_are_8x8_and_scaled_to_bytes():
    digits = load_dataset("digits")
    assert digits.image_shape == (8, 8)
    assert (digits.n_train, digits.n_test) == (1437, 360)
    assert digits.train_images.max() == 255


def test_unknown_name_lists_the_choices():
    with pytest.raises(UnknownDatasetError, match="unknown dataset 'mnits'; choose one of mnist-sample"):
        load_dataset("mnits")


def test_idx_prefix_needs_a_folder():
    with pytest.raises(UnknownDatasetError, match="idx: needs a folder"):
        load_dataset("idx:")


def test_list_datasets_explains_what_is_missing(tmp_path):
    infos = {info.name: info for info in list_datasets(tmp_path)}
    assert infos["mnist-sample"].available and infos["digits"].available
    assert not infos["mnist"].available
    assert "not downloaded yet" in infos["mnist"].reason and str(tmp_path) in infos["mnist"].reason


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"images": np.zeros((3, 4, 4), np.uint8)}, "missing labels"),
        ({"images": np.zeros((3, 16), np.uint8), "labels": np.zeros(3, np.uint8)}, "must be uint8 of shape"),
        ({"images": np.zeros((3, 4, 4), np.float32), "labels": np.zeros(3)}, "must be uint8"),
        ({"images": np.zeros((3, 4, 4), np.uint8), "labels": np.zeros(2, np.uint8)}, "'labels' must be"),
    ],
)
def test_bad_npz_contents_are_named(tmp_path, arrays, message):
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataFileError, match=message):
        read_npz_images(path)


def test_npz_holding_objects_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, images=np.array([{"evil": 1}], dtype=object), labels=np.zeros(1, np.uint8))
    with pytest.raises(DataFileError, match="member images.npy holds Python objects, which the lab never"):
        read_npz_images(path)


def test_a_pickle_renamed_to_npz_is_refused(tmp_path):
    import pickle

    path = tmp_path / "model.npz"
    path.write_bytes(pickle.dumps({"images": [1, 2, 3]}))
    with pytest.raises(DataFileError, match=r"model.npz: not an .npz file \(an .npz is a zip archive"):
        read_npz_images(path)


def test_the_sample_is_handwriting_and_gets_the_handwriting_preprocessing(sample):
    assert sample.kind == "handwriting"
    assert default_preprocessing(sample) == DIGIT_PREPROCESSING


def test_a_digit_named_dataset_can_say_it_is_not_handwriting(sample):
    # The kind is what the dataset says, never guessed from its name or its class names once declared.
    other = Dataset("handwriting-lookalike", "t", *_splits(sample), kind="other")
    assert default_preprocessing(other) != DIGIT_PREPROCESSING


def test_an_unknown_kind_is_refused_by_name(sample):
    with pytest.raises(ValueError, match="kind='clothes' should be one of handwriting, other"):
        Dataset("x", "t", *_splits(sample), kind="clothes")


def _splits(dataset):
    return dataset.train_images, dataset.train_labels, dataset.test_images, dataset.test_labels
