"""scikit-learn's same-family classifier on the same features: what `train` compares with.

Each on-chain model has a classic counterpart (`SKLEARN_EQUIVALENTS`): the perceptrons
`sklearn.linear_model.Perceptron` (eta0 = 1, no penalty, no shuffling, `epochs` passes), the
nearest centroids `NearestCentroid`, naive Bayes `MultinomialNB` (Laplace smoothing, alpha = 1).
They are given the features the encoder makes, without the chain's limits: sparse inputs are
0/1 indicator rows of every feature present, dense inputs the int16 vectors themselves.

scikit-learn is optional (`pip install 'ape-decai[sklearn]'`): without it `sklearn_accuracy`
returns None and `SKLEARN_MISSING` says what to install.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from ape_decai.datasets import INSTALL_SKLEARN

# What `train` says when scikit-learn (the comparison) is not installed.
SKLEARN_MISSING = f"install scikit-learn to compare: {INSTALL_SKLEARN}"

# scikit-learn's counterpart of each model.
SKLEARN_EQUIVALENTS = {
    "sparse-perceptron": "Perceptron",
    "dense-perceptron": "Perceptron",
    "ncc": "NearestCentroid",
    "sparse-ncc": "NearestCentroid",
    "naive-bayes": "MultinomialNB",
}

# Dense rows handed to the perceptron at a time (it is fitted chunk by chunk, in order, which
# is the same sequence of updates as one pass over the whole matrix): ~2M cells, 16 MB.
_PERCEPTRON_CELLS = 2_000_000

Encoded = Sequence[tuple[Sequence[int], int]]


def _sparse_matrix(samples: Encoded, n_features: int) -> Any:
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]  # ships with scikit-learn

    indptr: list[int] = [0]
    indices: list[int] = []
    for x, _ in samples:
        indices.extend(x)
        indptr.append(len(indices))
    return csr_matrix(([1.0] * len(indices), indices, indptr), shape=(len(samples), n_features))


def _dense_matrix(samples: Encoded, n_features: int, input_kind: str) -> Any:
    import numpy as np

    if input_kind == "dense":
        return np.array([x for x, _ in samples], dtype=float)
    m = np.zeros((len(samples), n_features))
    for row, (x, _) in enumerate(samples):
        m[row, list(x)] = 1.0
    return m


def _fit_perceptron(train: Encoded, n_features: int, input_kind: str, epochs: int) -> Any:
    """`Perceptron` trained on dense rows (on sparse rows scikit-learn damps the intercept's
    updates, which the contract does not), chunk by chunk to bound the memory."""
    from sklearn.linear_model import Perceptron  # type: ignore[import-untyped]

    estimator = Perceptron(tol=None, shuffle=False, random_state=0)
    classes = sorted({y for _, y in train})
    rows = max(1, _PERCEPTRON_CELLS // max(1, n_features))
    for _epoch in range(epochs):
        for start in range(0, len(train), rows):
            chunk = train[start : start + rows]
            estimator.partial_fit(_dense_matrix(chunk, n_features, input_kind), [y for _, y in chunk], classes)
    return estimator


def sklearn_installed() -> bool:
    """True when scikit-learn can be imported."""
    try:
        import sklearn  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


def sklearn_accuracy(
    model_id: str, train: Encoded, test: Encoded, n_features: int, input_kind: str, epochs: int = 5,
) -> dict | None:
    """Held-out accuracy of scikit-learn's equivalent classifier on the same features and split.

    `{"estimator": name, "test_accuracy": accuracy}`; the accuracy is None when there is nothing
    to compare (no held-out sample, or a single class to train on). None when scikit-learn is
    not installed (`SKLEARN_MISSING` says how to install it).
    """
    if not sklearn_installed():
        return None
    from sklearn.naive_bayes import MultinomialNB  # type: ignore[import-untyped]
    from sklearn.neighbors import NearestCentroid  # type: ignore[import-untyped]

    name = SKLEARN_EQUIVALENTS.get(model_id, "Perceptron")
    if not train or not test or len({y for _, y in train}) < 2:
        return {"estimator": name, "test_accuracy": None}

    def matrix(samples: Encoded) -> Any:
        return _dense_matrix(samples, n_features, input_kind) if input_kind == "dense" else _sparse_matrix(samples, n_features)

    labels = [y for _, y in train]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Perceptron's ConvergenceWarning at few epochs
        estimator: Any
        if name == "Perceptron":
            estimator = _fit_perceptron(list(train), n_features, input_kind, epochs)
        elif name == "NearestCentroid":
            estimator = NearestCentroid().fit(matrix(train), labels)
        else:
            estimator = MultinomialNB(alpha=1.0).fit(matrix(train), labels)
        accuracy = float(estimator.score(matrix(test), [y for _, y in test]))
    return {"estimator": name, "test_accuracy": None if math.isnan(accuracy) else round(accuracy, 6)}
