"""Sparse nearest centroid (contracts/models/sparse_ncc.vy): distances in fixed point.

What it shares with naive Bayes is tested in test_sparse_count_models.py.
"""

from fractions import Fraction

from ape_decai.models.sparse_ncc import SCALE, SparseNearestCentroid
from ape_decai.packing import pack_indices
from sparse_models import deploy


def exact_distance(model, k, x):
    n = model.class_sizes[k]
    return sum((Fraction(c, n) - (1 if i in x else 0)) ** 2 for i, c in enumerate(model.counts[k]))


def test_distances__are_the_exact_ones_truncated(project, chain, creator):
    model = SparseNearestCentroid(n_features=5, class_sizes=[3, 7], counts=[[3, 0, 1, 2, 0], [1, 6, 7, 0, 2]])
    x = [1, 2]
    for k, d in enumerate(model.distances(x)):
        exact = exact_distance(model, k, x) * SCALE
        assert exact - 2 < d <= exact + 1
    trainer = deploy(project, chain, creator, model)
    assert trainer.predict(pack_indices(x)) == model.predict(x) == 1
    assert trainer.predict(pack_indices([0, 3])) == model.predict([0, 3]) == 0


def test_update__moves_the_centroid_as_a_running_mean(project, chain, creator, contributor):
    model = SparseNearestCentroid(n_features=3, class_sizes=[1, 1], counts=[[1, 0, 0], [0, 0, 1]])
    trainer = deploy(project, chain, creator, model)
    assert trainer.predict(pack_indices([1])) == 0  # a tie: equally far from both
    trainer.add_data(pack_indices([1]), 1, sender=contributor)
    model.update([1], 1)
    assert model.totals == [1, 2]  # Q_1 = 0^2 + 1^2 + 1^2
    assert SparseNearestCentroid.from_chain(trainer) == model
    assert trainer.predict(pack_indices([1])) == model.predict([1]) == 1


def test_predict__empty_class__is_skipped(project, chain, creator):
    # Class 0 has no sample (no centroid, no division by zero).
    model = SparseNearestCentroid(n_features=3, class_sizes=[0, 2, 1], counts=[[0, 0, 0], [2, 0, 0], [0, 1, 1]])
    trainer = deploy(project, chain, creator, model)
    assert trainer.predict(pack_indices([0])) == model.predict([0]) == 1
    assert trainer.predict(pack_indices([1, 2])) == model.predict([1, 2]) == 2
