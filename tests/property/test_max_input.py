"""Every sparse model at the per-sample maximum: the contract and its twin agree on the hostile
cases (exactly N features up to the largest index; a text with more, truncated by the encoder's
policy the same way for both), and the contract refuses one feature more than N.

Ape isolates the chain per test, not per Hypothesis example: each example snapshots and
restores the chain itself.
"""

import ape
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from ape_decai.encoders import VocabularyEncoder
from ape_decai.models.naive_bayes import NaiveBayes
from ape_decai.models.sparse_ncc import SparseNearestCentroid
from ape_decai.models.sparse_perceptron import SparsePerceptron
from ape_decai.packing import MAX_SAMPLE_FEATURES, pack_indices
from deploying import deploy_trainer

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)

N = MAX_SAMPLE_FEATURES


def twin_of(model_id: str, n_features: int, seed: int):
    """A model of `n_features` with non-trivial state (deterministic from `seed`)."""
    samples = [([(seed * 7 + 13 * k) % n_features, (seed + 31 * k) % n_features], k % 2) for k in range(12)]
    samples = [(sorted(set(x)), y) for x, y in samples]
    if model_id == "sparse-perceptron":
        return SparsePerceptron.fit(samples, n_features=n_features, epochs=2)
    cls = SparseNearestCentroid if model_id == "sparse-ncc" else NaiveBayes
    return cls.fit(samples, n_features=n_features, n_classes=2)


@st.composite
def long_texts(draw):
    """(n_features, the indices of a text's words): N to N + 40 of them, the largest index often in."""
    n_features = draw(st.integers(N + 1, N + 200))
    size = draw(st.integers(N, N + 40))
    indices = draw(st.lists(st.integers(0, n_features - 1), min_size=size, max_size=size, unique=True))
    if draw(st.booleans()):
        indices[-1] = n_features - 1 if n_features - 1 not in indices[:-1] else indices[-1]
    order = draw(st.permutations(indices))
    return n_features, order


@pytest.mark.parametrize("model_id", ["sparse-perceptron", "sparse-ncc", "naive-bayes"])
@given(case=long_texts(), seed=st.integers(0, 1000))
def test_long_text__truncated_the_same_way__contract_matches_twin(chain, creator, contributor, model_id, case, seed):
    n_features, order = case
    encoder = VocabularyEncoder([f"w{i}" for i in range(n_features)])
    text = " ".join(f"w{i}" for i in order)
    info = encoder.encode_with_info(text)
    assert info.features == sorted(order)[:N]
    assert info.truncated == len(order) - N
    note(f"{n_features} features, text of {len(order)} words, {info.truncated} truncated")
    snap = chain.snapshot()
    try:
        twin = twin_of(model_id, n_features, seed)
        trainer = deploy_trainer(twin, "points", sender=creator)
        words = pack_indices(info.features)
        assert len(words) == N // 16
        assert trainer.predict(words) == twin.predict(info.features)
        label = 1 - twin.predict(info.features)
        trainer.add_data(words, label, sender=contributor)
        twin.update(info.features, label)
        assert type(twin).from_chain(trainer) == twin
    finally:
        chain.restore(snap)


@pytest.mark.parametrize("model_id", ["sparse-perceptron", "sparse-ncc", "naive-bayes"])
def test_max_input__exactly_n_up_to_the_largest_index__accepted_and_one_more_refused(
    chain, creator, contributor, model_id
):
    n_features = 16 * N  # every index in its own storage word: the costliest layout
    twin = twin_of(model_id, n_features, 1)
    trainer = deploy_trainer(twin, "points", sender=creator)
    x = [16 * k + 15 for k in range(N)]  # the last is n_features - 1
    assert x[-1] == n_features - 1
    label = 1 - twin.predict(x)
    trainer.add_data(pack_indices(x), label, sender=contributor)
    twin.update(x, label)
    assert type(twin).from_chain(trainer) == twin
    # N + 1 features: one packed word more than the input's bound (ABI-level refusal).
    too_many = pack_indices([*range(N), n_features - 1])
    assert len(too_many) == N // 16 + 1
    with ape.reverts():
        trainer.add_data(too_many, 0, sender=contributor)
