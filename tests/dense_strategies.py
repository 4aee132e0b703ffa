"""Hypothesis strategies of the dense models (valid by construction), kept apart from
``tests/strategies.py`` (the sparse models', edited on another branch).

Vectors are int16, often zero (skipped lanes), near the bounds (saturation) or small; models
have few features so that examples stay fast, and cross a word boundary often (n > 16).
"""

from hypothesis import strategies as st

from strategies import int16s_near_bounds, learning_rates

INT16_MIN = -(2**15)
INT16_MAX = 2**15 - 1

dense_values = st.one_of(st.just(0), st.integers(-50, 50), int16s_near_bounds)
"""One feature value."""

x_scales = st.one_of(st.integers(1, 64), st.integers(1, INT16_MAX))
"""The encoder's scale of a dense perceptron."""


def n_dense_features(max_value: int = 40):
    return st.one_of(st.integers(1, 17), st.integers(1, max_value))


def dense_vectors(n: int):
    """A sample of n int16 values."""
    return st.lists(dense_values, min_size=n, max_size=n)


@st.composite
def dense_perceptron_models(draw, max_features: int = 40):
    """Constructor parameters: dict(n_features, x_scale, intercept, learning_rate, weights)."""
    n = draw(n_dense_features(max_features))
    return dict(
        n_features=n,
        x_scale=draw(x_scales),
        intercept=draw(int16s_near_bounds),
        learning_rate=draw(learning_rates),
        weights=draw(st.lists(int16s_near_bounds, min_size=n, max_size=n)),
    )


sample_counts = st.one_of(st.integers(0, 3), st.integers(0, 2**32))
"""A class's sample count (0: an empty class)."""


@st.composite
def ncc_models(draw, max_features: int = 40, max_classes: int = 4):
    """dict(n_features, counts, centroids) with 0 .. max_classes classes."""
    n = draw(n_dense_features(max_features))
    k = draw(st.integers(0, max_classes))
    return dict(
        n_features=n,
        counts=draw(st.lists(sample_counts, min_size=k, max_size=k)),
        centroids=draw(st.lists(dense_vectors(n), min_size=k, max_size=k)),
    )
