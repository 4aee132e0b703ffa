"""Fixtures and helpers of the dense models' tests (dense perceptron, nearest centroid).

Imported explicitly by the test modules that use them (``from dense_fixtures import ...``), so
that ``tests/conftest.py`` stays the sparse models' (another branch edits it).

- ``deploy_dense(mechanism="deposit", **overrides)`` deploys a DensePerceptron trainer with the
  default model below (100 features, x_scale 16, weights from a fixed seed) and free
  contributions unless ``cost_weight`` / ``min_deposit`` are overridden; ``weights`` (a list of
  int16) is packed here, or pass ``weight_words``.
- ``deploy_ncc(mechanism="deposit", **overrides)`` deploys a NearestCentroid trainer with the
  default model below (20 features, 3 classes); ``centroids`` (lists of int16) are packed
  here, or pass ``centroid_words``.
- ``dense_model(**overrides)`` / ``ncc_model(**overrides)``: the Python twins of the defaults.
"""

import random

import pytest

from ape_decai.models.dense_perceptron import DensePerceptron
from ape_decai.models.ncc import NearestCentroid
from ape_decai.packing import pack_dense, pack_weights
from deploying import deploy_trainer

DAY = 24 * 60 * 60
T = DAY
TC = 30 * DAY
TA = 60 * DAY

_rng = random.Random(20190618)
# Features 0..49 vote for label 1, 50..99 for label 0.
DENSE_WEIGHTS = [_rng.randint(5, 30) for _ in range(50)] + [_rng.randint(-30, -5) for _ in range(50)]
# Three well separated classes in 20 dimensions.
NCC_CENTROIDS = [
    [_rng.randint(-2000, -1000) for _ in range(20)],
    [_rng.randint(-300, 300) for _ in range(20)],
    [_rng.randint(1000, 2000) for _ in range(20)],
]
NCC_COUNTS = [3, 5, 2]
del _rng

COMMON = dict(name="Dense", description="A dense model for the tests", encoder='{"type": "dense", "scale": 16}')
MECHANISM = {
    "deposit": dict(refund_wait=T, creator_wait=TC, anyone_wait=TA, cost_weight=0, min_deposit=0, min_share=10**13),
    "points": dict(validation_wait=T),
}
DENSE_DEFAULTS = dict(n_features=100, x_scale=16, intercept=0, learning_rate=1, weights=DENSE_WEIGHTS)
NCC_DEFAULTS = dict(n_features=20, counts=NCC_COUNTS, centroids=NCC_CENTROIDS)


def ones_vector(n: int = 100, value: int = 16) -> list[int]:
    """A sample the default dense model firmly labels 1 (features 0..9 at `value`)."""
    return [value] * 10 + [0] * (n - 10)


def zeros_vector(n: int = 100, value: int = 16) -> list[int]:
    """A sample the default dense model firmly labels 0 (features 50..59 at `value`)."""
    return [0] * 50 + [value] * 10 + [0] * (n - 60)


def _deploy(twin, mechanism, overrides, creator):
    """`twin`'s trainer through `tests/deploying.py`, the module's terms and texts unless overridden."""
    params = {**COMMON, **MECHANISM[mechanism], **overrides}
    texts = {k: params.pop(k) for k in COMMON}
    return deploy_trainer(twin, mechanism, sender=params.pop("sender", creator), **texts, **params)


@pytest.fixture
def deploy_dense(project, chain, creator):
    """Factory: a DensePerceptron trainer (see the module docstring)."""

    def deploy(mechanism="deposit", **overrides):
        if "weights" in overrides:
            overrides.setdefault("weight_words", pack_weights(list(overrides.pop("weights"))))
        return _deploy(DensePerceptron(**{**DENSE_DEFAULTS, "weights": list(DENSE_WEIGHTS)}), mechanism, overrides, creator)

    return deploy


@pytest.fixture
def deploy_ncc(project, chain, creator):
    """Factory: a NearestCentroid trainer (see the module docstring)."""

    def deploy(mechanism="deposit", **overrides):
        if "centroids" in overrides:
            centroids = overrides.pop("centroids")
            overrides.setdefault("centroid_words", [w for c in centroids for w in pack_dense(c)])
        if "counts" in overrides:
            overrides["counts"] = list(overrides["counts"])
        return _deploy(NearestCentroid(**{**NCC_DEFAULTS, "centroids": [list(c) for c in NCC_CENTROIDS]}), mechanism, overrides, creator)

    return deploy


@pytest.fixture(scope="session")
def dense_model():
    """Factory: the DensePerceptron twin of the default model (or overrides)."""

    def make(**overrides) -> DensePerceptron:
        p = {**DENSE_DEFAULTS, **overrides}
        p["weights"] = list(p["weights"])
        return DensePerceptron(**p)

    return make


@pytest.fixture(scope="session")
def ncc_model():
    """Factory: the NearestCentroid twin of the default model (or overrides)."""

    def make(**overrides) -> NearestCentroid:
        p = {**NCC_DEFAULTS, **overrides}
        return NearestCentroid(
            n_features=p["n_features"], centroids=[list(c) for c in p["centroids"]], counts=list(p["counts"])
        )

    return make
