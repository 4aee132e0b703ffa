"""scikit-learn's same-family classifiers, as `train` and the accuracy report run them."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.linear_model import Perceptron
from sklearn.naive_bayes import MultinomialNB
from sklearn.neighbors import NearestCentroid

from ape_decai import baselines
from ape_decai.datasets import load_rotten_tomatoes, train_test_split
from ape_decai.encoders import VocabularyEncoder
from ape_decai.training import build_vocabulary

N_FEATURES = 300


@pytest.fixture(scope="module")
def encoded():
    train, test = train_test_split(load_rotten_tomatoes()[:2000], 0.2, 0)
    encoder = VocabularyEncoder(build_vocabulary([t for t, _ in train], N_FEATURES))

    def encode(samples):
        return [(x, y) for x, y in ((encoder.encode(t), y) for t, y in samples) if x]

    return encode(train), encode(test)


def dense(samples):
    m = np.zeros((len(samples), N_FEATURES))
    for row, (x, _) in enumerate(samples):
        m[row, x] = 1.0
    return m, [y for _, y in samples]


def test_perceptron_fitted_in_chunks__equals_one_fit_on_the_whole_matrix(encoded, monkeypatch):
    train, _ = encoded
    monkeypatch.setattr(baselines, "_PERCEPTRON_CELLS", 37 * N_FEATURES)  # chunks of 37 rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = Perceptron(max_iter=5, tol=None, shuffle=False, random_state=0).fit(*dense(train))
    chunked = baselines._fit_perceptron(train, N_FEATURES, "sparse", epochs=5)
    assert np.array_equal(chunked.coef_, whole.coef_) and np.array_equal(chunked.intercept_, whole.intercept_)


@pytest.mark.parametrize(
    "model_id, estimator",
    [("naive-bayes", MultinomialNB(alpha=1.0)), ("sparse-ncc", NearestCentroid())],
)
def test_sparse_rows__score_as_the_dense_matrix_does(encoded, model_id, estimator):
    train, test = encoded
    expected = estimator.fit(*dense(train)).score(*dense(test))

    result = baselines.sklearn_accuracy(model_id, train, test, N_FEATURES, "sparse")

    assert result == {"estimator": baselines.SKLEARN_EQUIVALENTS[model_id], "test_accuracy": round(expected, 6)}


def test_nothing_to_compare__accuracy_is_none(encoded):
    train, _ = encoded
    assert baselines.sklearn_accuracy("naive-bayes", train, [], N_FEATURES, "sparse") == {
        "estimator": "MultinomialNB", "test_accuracy": None,
    }  # fmt: skip
    one_class = [(x, 1) for x, _ in train]
    assert baselines.sklearn_accuracy("sparse-perceptron", one_class, train, N_FEATURES, "sparse")["test_accuracy"] is None


def test_without_scikit_learn__returns_none(encoded, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    train, test = encoded
    assert not baselines.sklearn_installed()
    assert baselines.sklearn_accuracy("naive-bayes", train, test, N_FEATURES, "sparse") is None
