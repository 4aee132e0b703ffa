"""The contract's sparse perceptron is bit-exact with the Python reference.

Random models (int16 weights, often near the bounds; learning rates up to 2**15 - 1, so
updates saturate) and random sequences of contributions: after every contribution the
prediction of the sample, the whole weight vector and the intercept must equal the
reference's. Contributions are free (cost_weight = min_deposit = 0).

Ape isolates the chain per test, not per Hypothesis example: each example snapshots and
restores the chain itself.
"""

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from ape_decai.models.sparse_perceptron import SparsePerceptron
from ape_decai.packing import pack_indices
from strategies import index_sets, models, update_sequences

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)


@st.composite
def models_and_updates(draw):
    model = draw(models(max_features=200))
    updates = draw(update_sequences(model["n_features"], max_size=8))
    probes = draw(st.lists(index_sets(model["n_features"], max_size=32), max_size=2))
    return model, updates, probes


@given(case=models_and_updates())
def test_add_data__any_update_sequence__matches_reference(
    deploy_deposit_trainer, chain, contributor, read_weights, case
):
    params, updates, probes = case
    note(f"n_features={params['n_features']} intercept={params['intercept']} rate={params['learning_rate']}")
    snap = chain.snapshot()
    try:
        trainer = deploy_deposit_trainer(cost_weight=0, min_deposit=0, **params)
        reference = SparsePerceptron(**{**params, "weights": list(params["weights"])})
        assert read_weights(trainer) == reference.weights
        start = chain.pending_timestamp
        for step, (indices, label) in enumerate(updates):
            words = pack_indices(indices)
            assert trainer.predict(words) == reference.predict(indices), f"prediction before step {step}"
            # One second per contribution: the same sample twice is two records, not a duplicate.
            chain.pending_timestamp = start + step
            trainer.add_data(words, label, sender=contributor)
            changed = reference.update(indices, label)
            note(f"step {step}: {len(indices)} indices, label {label}, model changed: {changed}")
            assert trainer.intercept() == reference.intercept, f"intercept after step {step}"
            assert read_weights(trainer) == reference.weights, f"weights after step {step}"
            assert trainer.predict(words) == reference.predict(indices), f"prediction after step {step}"
            for probe in probes:
                assert trainer.predict(pack_indices(probe)) == reference.predict(probe)
    finally:
        chain.restore(snap)


@given(case=models_and_updates())
def test_predict__any_model_and_sample__matches_reference(deploy_deposit_trainer, chain, case):
    params, updates, probes = case
    snap = chain.snapshot()
    try:
        trainer = deploy_deposit_trainer(**params)
        reference = SparsePerceptron(**{**params, "weights": list(params["weights"])})
        for indices in [u[0] for u in updates] + probes:
            assert trainer.predict(pack_indices(indices)) == reference.predict(indices)
    finally:
        chain.restore(snap)
