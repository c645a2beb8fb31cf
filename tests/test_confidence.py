"""core.analysis.confidence: how clearly the nearest cluster beats the nearest cluster of another class."""

import numpy as np
import pytest

from core.analysis.confidence import DamagedModelError, prediction_confidence
from core.data.registry import load_mnist_sample
from core.errors import KMeansLabError
from core.model.pipeline import make_classifier


def test_confidence_compares_with_the_nearest_cluster_of_another_class():
    distances = [0.5, 0.6, 1.0, 0.8]
    labels = [7, 7, 1, 4]  # the runner-up cluster (0.6) is also a 7: the rival is the 4 at 0.8
    confidence = prediction_confidence(distances, labels)
    assert (confidence.label, confidence.cluster, confidence.rival, confidence.rival_cluster) == (7, 0, 4, 3)
    assert confidence.margin == pytest.approx(0.3)
    assert confidence.relative_margin == pytest.approx(0.3 / 0.8)
    assert confidence.level == "clear"
    assert (
        "A clear answer" in confidence.describe()
        and "“4”" in confidence.describe()
        and "38%" in (confidence.describe())
    )


@pytest.mark.parametrize(
    ("rival_distance", "level", "words"),
    [(1.0, "clear", "A clear answer"), (0.6, "likely", "Probably “3”"), (0.52, "close", "A close call")],
)
def test_confidence_levels_read_in_plain_words(rival_distance, level, words):
    confidence = prediction_confidence([0.5, rival_distance], [3, 8])
    assert confidence.level == level
    assert words in confidence.describe(lambda label: str(label))


def test_confidence_with_one_class_only_has_no_rival():
    confidence = prediction_confidence([0.2, 0.4], [5, 5])
    assert confidence.rival is None and confidence.relative_margin == 1.0
    assert "no other answer" in confidence.describe()


def test_confidence_of_an_exact_match_is_complete():
    assert prediction_confidence([0.0, 1.0], [0, 1]).relative_margin == 1.0


def test_confidence_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="should be the same non-empty"):
        prediction_confidence([0.1, 0.2], [1])


@pytest.mark.parametrize(
    "distances", [[0.5, np.nan, 1.0], [0.5, np.inf, 1.0], [np.inf, np.inf, np.inf], [np.nan, 0.2, 0.3]]
)
def test_distances_that_are_not_finite_are_refused_as_a_damaged_model(distances):
    with pytest.raises(DamagedModelError, match="the model file is damaged. Fit a model or import another"):
        prediction_confidence(distances, [1, 7, 7])


def test_a_damaged_model_is_a_problem_the_user_can_act_on():
    with pytest.raises(KMeansLabError):
        prediction_confidence([np.nan, 1.0], [1, 7])


def test_huge_float32_centres_are_refused_not_called_a_clear_answer():
    """Centres of 1e38 (finite float32) overflow to inf distances: no "100% farther" verdict."""
    digits = load_mnist_sample()
    model = make_classifier(10, random_state=0).fit(digits.train_images[:500], digits.train_labels[:500])
    vote = model.named_steps["vote"]
    vote.cluster_centers_[:] = np.float32(1e38)
    with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the damage under test
        distances = model.transform(digits.test_images[:1])[0]
    with pytest.raises(DamagedModelError, match="damaged"):
        prediction_confidence(distances, vote.cluster_labels_)


@pytest.mark.parametrize("rival_distance", [0.5, 0.5001, 0.5024])
def test_a_margin_that_rounds_to_0_percent_says_less_than_1_percent(rival_distance):
    sentence = prediction_confidence([0.5, rival_distance], [3, 8]).describe()
    assert "A close call" in sentence and "less than 1%" in sentence
    assert "0%" not in sentence


def test_a_close_call_of_a_few_percent_gives_the_percentage():
    sentence = prediction_confidence([0.5, 0.52], [3, 8]).describe()  # 0.02 / 0.52 = 3.8%
    assert "4% farther" in sentence and "less than" not in sentence
