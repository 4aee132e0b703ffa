"""Hypothesis strategies for the ape-decai tests, valid by construction.

Everything drawn here is accepted by the contracts: index sets are sorted, unique, non-empty,
at most 128 long and inside ``n_features``; weights and intercepts fit in int16; learning
rates are in (0, 2**15); labels are 0 or 1. Tests that want invalid input build it by hand.
"""

from hypothesis import strategies as st

from ape_decai.models.sparse_perceptron import INT16_MAX, INT16_MIN, MAX_INPUT_LENGTH

HOUR = 60 * 60
DAY = 24 * HOUR

labels = st.integers(0, 1)
"""A label of the binary classifier."""

int16s = st.integers(INT16_MIN, INT16_MAX)
"""Any int16 value."""

int16s_near_bounds = st.one_of(
    st.integers(INT16_MIN, INT16_MIN + 100),
    st.integers(INT16_MAX - 100, INT16_MAX),
    st.integers(-100, 100),
    int16s,
)
"""int16 values, often close to the bounds (saturation) or to zero (predictions flip)."""

learning_rates = st.one_of(st.integers(1, 4), st.integers(1, INT16_MAX))
"""Learning rates: small (realistic) or anything up to 2**15 - 1 (saturates quickly)."""


def n_features(min_value: int = 1, max_value: int = 200):
    """A number of features (the contract allows up to 65,535; small keeps the tests fast)."""
    return st.integers(min_value, max_value)


def index_sets(n_features: int, min_size: int = 1, max_size: int = MAX_INPUT_LENGTH):
    """A sample: sorted unique feature indices in [0, n_features), 1..128 of them."""
    max_size = min(max_size, n_features, MAX_INPUT_LENGTH)
    return st.lists(
        st.integers(0, n_features - 1), min_size=min(min_size, max_size), max_size=max_size, unique=True
    ).map(sorted)


def weight_vectors(n_features: int, elements=int16s_near_bounds):
    """One int16 weight per feature."""
    return st.lists(elements, min_size=n_features, max_size=n_features)


@st.composite
def models(draw, max_features: int = 200):
    """Constructor parameters of a model: dict(n_features, intercept, learning_rate, weights)."""
    n = draw(n_features(1, max_features))
    return dict(
        n_features=n,
        intercept=draw(int16s_near_bounds),
        learning_rate=draw(learning_rates),
        weights=draw(weight_vectors(n)),
    )


def labelled_samples(n_features: int, max_size: int = 32):
    """(indices, label) pairs for one model."""
    return st.tuples(index_sets(n_features, max_size=max_size), labels)


def update_sequences(n_features: int, min_size: int = 1, max_size: int = 10, max_sample_size: int = 32):
    """A sequence of contributions (indices, label) to train on, in order."""
    return st.lists(labelled_samples(n_features, max_sample_size), min_size=min_size, max_size=max_size)


elapsed_seconds = st.one_of(st.integers(0, 10), st.integers(0, 2 * DAY))
"""Seconds between two contributions (0: same timestamp)."""

durations = st.one_of(
    st.integers(1, 24).map(lambda h: h * HOUR),
    st.integers(1, 40).map(lambda d: d * DAY),
)
"""Time passing in a state machine: hours to 40 days."""


# --- the prediction market ------------------------------------------------------------------------


@st.composite
def error_curves(draw, max_participants: int = 12, max_samples: int = 20):
    """(E_0..E_T, M): error counts of T + 1 models on M test samples (any values in [0, M])."""
    m = draw(st.integers(1, max_samples))
    t = draw(st.integers(0, max_participants))
    return draw(st.lists(st.integers(0, m), min_size=t + 1, max_size=t + 1)), m


@st.composite
def small_markets(draw, n_features: int = 16):
    """A small market: a test set, contributions (indices, label), the number of rounds R,
    the parts and how many are drawn."""
    test = draw(st.lists(labelled_samples(n_features, 4), min_size=2, max_size=10))
    contributions = draw(st.lists(labelled_samples(n_features, 4), min_size=0, max_size=6))
    n_parts = draw(st.integers(1, min(4, len(test))))
    return dict(
        test=test,
        contributions=contributions,
        rounds=draw(st.integers(1, 30)),
        n_parts=n_parts,
        n_reveal=draw(st.integers(0, n_parts)),
    )
