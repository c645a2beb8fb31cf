"""core.analysis.evaluation: confusions, accuracy per class, least pure clusters and the summary sentence."""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from core.analysis import evaluation
from core.analysis.evaluation import Evaluation
from core.data.registry import FASHION_NAMES, load_mnist_sample
from core.model.pipeline import fit_prepared, prepare

NAMES = ("zero", "one", "two")


def make(y_true, y_pred, names=NAMES, k=6) -> Evaluation:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return Evaluation(
        y_true,
        y_pred,
        np.zeros_like(y_true),
        confusion_matrix(y_true, y_pred, labels=range(len(names))),
        names,
        k,
    )


# Worked by hand: zero 3/4 right (one read as two), one 2/2, two 1/3 (twice read as zero).
TOY = make([0, 0, 0, 0, 1, 1, 2, 2, 2], [0, 0, 0, 2, 1, 1, 0, 0, 2])


def test_toy_confusion_and_accuracies():
    assert TOY.confusion.tolist() == [[3, 0, 1], [0, 2, 0], [2, 0, 1]]
    assert TOY.accuracy == pytest.approx(6 / 9)
    assert TOY.class_accuracy == pytest.approx([0.75, 1.0, 1 / 3])


def test_per_class_accuracy_is_nan_for_a_class_without_images():
    accuracy = evaluation.per_class_accuracy([[2, 0], [0, 0]])
    assert accuracy[0] == 1.0 and np.isnan(accuracy[1])


def test_top_confusions_are_largest_first_and_skip_the_diagonal_and_zeros():
    assert evaluation.top_confusions(TOY.confusion, 5) == [(2, 0, 2), (0, 2, 1)]
    assert evaluation.top_confusions(np.eye(3, dtype=int) * 5) == []


def test_least_pure_clusters_skip_empty_ones_and_break_ties_by_size():
    purity = [0.9, 0.5, 0.0, 0.5, 1.0]
    sizes = [10, 4, 0, 8, 3]
    assert evaluation.least_pure_clusters(purity, sizes, n=3).tolist() == [3, 1, 0]


def test_mistakes_are_the_images_of_one_cell():
    assert evaluation.mistakes(TOY, 2, 0).tolist() == [6, 7]
    assert evaluation.mistakes(TOY, 1, 0).tolist() == []


@pytest.mark.parametrize(("true", "predicted", "name"), [(3, 0, "true_class"), (0, -1, "predicted_class")])
def test_mistakes_reject_a_class_out_of_range(true, predicted, name):
    with pytest.raises(ValueError, match=rf"{name}=-?\d should be a class index from 0 to 2"):
        evaluation.mistakes(TOY, true, predicted)


def test_summary_names_accuracy_the_top_mix_up_and_best_and_worst_class():
    text = evaluation.summary(TOY)
    assert text.startswith("With K=6, 67% of the 9 test images are classified correctly;")
    assert "the most common mix-up is two read as zero (2 times)." in text
    assert "one is recognised most reliably (100% right) and two least (33% right)." in text


def test_summary_without_mistakes():
    text = evaluation.summary(make([0, 1, 2], [0, 1, 2]))
    assert "100%" in text and "no mix-ups" in text and "most reliably" not in text


def test_summary_uses_the_dataset_class_names():
    fashion = make([9, 9, 7], [7, 9, 7], names=FASHION_NAMES, k=32)
    assert "Ankle boot read as Sneaker (1 time)" in evaluation.summary(fashion)


@pytest.fixture(scope="module")
def fitted():
    data = load_mnist_sample()
    model = fit_prepared(prepare(data.train_images[:3000]), data.train_labels[:3000], 20, random_state=0)
    return data, model


def test_evaluate_on_real_test_images_matches_predict(fitted):
    data, model = fitted
    images, labels = data.test_images[:500], data.test_labels[:500]
    result = evaluation.evaluate(model, images, labels, data.class_names)
    assert result.k == 20 and result.confusion.sum() == 500
    assert np.array_equal(result.confusion, confusion_matrix(labels, result.y_pred, labels=range(10)))
    assert np.array_equal(result.y_pred, model.predict(images))
    assert np.array_equal(result.nearest_cluster, model.predict_cluster(images))
    assert result.accuracy == pytest.approx(np.mean(model.predict(images) == labels))
    assert 0.6 < result.accuracy < 1
    true, predicted, count = evaluation.top_confusions(result.confusion, 1)[0]
    assert len(evaluation.mistakes(result, true, predicted)) == count


def test_count_pairs_matches_scikit_learn_and_leaves_out_unknown_classes():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    expected = confusion_matrix(y_true, y_pred, labels=range(4))
    assert np.array_equal(evaluation.count_pairs(y_true, y_pred, 4), expected)
    # Class 3 and a stray -1 are outside a 3-class table: their pairs are not counted.
    y_pred[0] = -1
    assert np.array_equal(
        evaluation.count_pairs(y_true, y_pred, 3), confusion_matrix(y_true, y_pred, labels=range(3))
    )


def test_evaluate_rejects_mismatched_or_empty_input(fitted):
    data, model = fitted
    with pytest.raises(ValueError, match="len\\(labels\\)=3 should equal the number of images, 4"):
        evaluation.evaluate(model, data.test_images[:4], data.test_labels[:3], data.class_names)
    with pytest.raises(ValueError, match="test split is empty"):
        evaluation.evaluate(model, data.test_images[:0], data.test_labels[:0], data.class_names)
