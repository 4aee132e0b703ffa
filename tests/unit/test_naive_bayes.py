"""Naive Bayes (contracts/models/naive_bayes.vy): log-space scores, no underflow on long inputs.

What it shares with the nearest centroid is tested in test_sparse_count_models.py.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ape_decai.models.naive_bayes import LOG_BITS, NaiveBayes, log2_fixed
from ape_decai.packing import pack_indices
from sparse_models import deploy


# Pure Python (the twin's fixed-point log): no chain, so no snapshot to take or restore.
@given(x=st.one_of(st.integers(1, 2**20), st.integers(1, 2**256 - 1)))
def test_log2_fixed__is_log2_truncated_to_32_fraction_bits(x):
    exact = math.log2(x) * 2**LOG_BITS
    assert exact - 2 ** (max(x.bit_length() - 50, 0) / 2**LOG_BITS) - 64 <= log2_fixed(x) <= exact + 1


@pytest.mark.parametrize("x, expected", [(1, 0), (2, 2**32), (4, 2 * 2**32), (2**255, 255 * 2**32)])
def test_log2_fixed__powers_of_two__are_exact(x, expected):
    assert log2_fixed(x) == expected


def test_scores__follow_the_formula(project, chain, creator):
    model = NaiveBayes(n_features=4, class_sizes=[3, 1], counts=[[2, 0, 1, 3], [0, 1, 0, 0]])
    x = [0, 3]
    # class 0: log2(3 * 3 * 4) - 2 * log2(6 + 4); class 1: log2(1 * 1 * 1) - 2 * log2(1 + 4)
    expected = [math.log2(36) - 2 * math.log2(10), -2 * math.log2(5)]
    for got, want in zip(model.scores(x), expected):
        assert abs(got / 2**32 - want) < 1e-8
    trainer = deploy(project, chain, creator, model)
    assert trainer.predict(pack_indices(x)) == model.predict(x) == 0


def test_predict__128_words__does_not_underflow_to_class_0(project, chain, creator):
    # Class 1 is likelier for every word of x, but the product of 128 probabilities underflows
    # to 0.0 in floating point for both classes (the reference then predicted class 0); the
    # log-space score does not.
    n = 2000
    model = NaiveBayes(
        n_features=n, class_sizes=[1000, 1000], counts=[[1] * n, [3 if i < 256 and i % 2 == 0 else 0 for i in range(n)]]
    )
    x = list(range(0, 256, 2))
    assert len(x) == 128
    probabilities = [[(c + 1) / (sum(row) + n) for c in row] for row in model.counts]
    assert all(probabilities[1][i] > probabilities[0][i] for i in x)
    assert math.prod(probabilities[0][i] for i in x) == math.prod(probabilities[1][i] for i in x) == 0.0
    trainer = deploy(project, chain, creator, model, seal=False)
    for name, args in model.init_calls(128):
        getattr(trainer, name)(*args, sender=creator)
    assert NaiveBayes.from_chain(trainer) == model
    assert model.predict(x) == 1
    assert trainer.predict(pack_indices(x)) == 1


def test_predict__prior_decides_when_words_say_nothing(project, chain, creator):
    model = NaiveBayes(n_features=3, class_sizes=[2, 5], counts=[[1, 1, 1], [1, 1, 1]])
    trainer = deploy(project, chain, creator, model)
    assert trainer.predict(pack_indices([0])) == model.predict([0]) == 1
