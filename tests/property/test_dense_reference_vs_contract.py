"""The dense models on chain are bit-exact with their Python twins.

Random models (values often at the int16 bounds; large learning rates and scales so that the
perceptron saturates; empty classes and huge counts for the centroids) and random sequences of
contributions: after every contribution the prediction of the sample and of a few probes, and
the whole state read back with `from_chain`, must equal the twin's. Contributions are free.

Ape isolates the chain per test, not per Hypothesis example: each example snapshots and
restores the chain itself.
"""

import ape
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from ape_decai.models.dense_perceptron import DensePerceptron
from ape_decai.models.ncc import NearestCentroid
from dense_fixtures import deploy_dense, deploy_ncc  # noqa: F401
from dense_strategies import dense_perceptron_models, dense_vectors, ncc_models

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)


@st.composite
def perceptron_cases(draw):
    params = draw(dense_perceptron_models())
    n = params["n_features"]
    updates = draw(st.lists(st.tuples(dense_vectors(n), st.integers(0, 1)), min_size=1, max_size=6))
    probes = draw(st.lists(dense_vectors(n), max_size=2))
    return params, updates, probes


@given(case=perceptron_cases())
def test_dense_perceptron__any_update_sequence__matches_the_twin(deploy_dense, chain, contributor, case):
    params, updates, probes = case
    note(f"n={params['n_features']} scale={params['x_scale']} rate={params['learning_rate']} b={params['intercept']}")
    snap = chain.snapshot()
    try:
        trainer = deploy_dense(**params)
        twin = DensePerceptron(**{**params, "weights": list(params["weights"])})
        assert DensePerceptron.from_chain(trainer) == twin
        start = chain.pending_timestamp
        for step, (x, label) in enumerate(updates):
            words = twin.pack_input(x)
            assert trainer.predict(words) == twin.predict(x), f"prediction before step {step}"
            chain.pending_timestamp = start + step  # the same sample twice is two records
            trainer.add_data(words, label, sender=contributor)
            changed = twin.update(x, label)
            note(f"step {step}: label {label}, changed: {changed}")
            assert DensePerceptron.from_chain(trainer) == twin, f"state after step {step}"
            assert trainer.predict(words) == twin.predict(x), f"prediction after step {step}"
            for probe in probes:
                assert trainer.predict(twin.pack_input(probe)) == twin.predict(probe)
    finally:
        chain.restore(snap)


@st.composite
def ncc_cases(draw):
    params = draw(ncc_models())
    n = params["n_features"]
    classes = len(params["counts"])
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        if classes == 0 or draw(st.integers(0, 4)) == 0:
            # the trainer is sealed: a class added now must be empty (issue 10)
            steps.append(("add_class", draw(dense_vectors(n)), 0))
            classes += 1
        else:
            steps.append(("add_data", draw(dense_vectors(n)), draw(st.integers(0, classes - 1))))
    probes = draw(st.lists(dense_vectors(n), max_size=2))
    return params, steps, probes


def predictions_agree(trainer, twin, x) -> None:
    try:
        expected = twin.predict(x)
    except ValueError:
        with ape.reverts("ncc: no populated class"):
            trainer.predict(twin.pack_input(x))
        return
    assert trainer.predict(twin.pack_input(x)) == expected


@given(case=ncc_cases())
def test_ncc__any_update_sequence__matches_the_twin(deploy_ncc, chain, creator, contributor, case):
    params, steps, probes = case
    note(f"n={params['n_features']} counts={params['counts']}")
    snap = chain.snapshot()
    try:
        trainer = deploy_ncc(**params)
        twin = NearestCentroid(n_features=params["n_features"], centroids=[list(c) for c in params["centroids"]], counts=list(params["counts"]))
        assert NearestCentroid.from_chain(trainer) == twin
        start = chain.pending_timestamp
        for step, (action, x, arg) in enumerate(steps):
            words = twin.pack_input(x)
            predictions_agree(trainer, twin, x)
            chain.pending_timestamp = start + step
            if action == "add_class":
                trainer.add_class(twin.n_classes, words, arg, sender=creator)
                twin.add_class(x, arg)
            else:
                trainer.add_data(words, arg, sender=contributor)
                twin.update(x, arg)
            note(f"step {step}: {action} {arg}")
            assert NearestCentroid.from_chain(trainer) == twin, f"state after step {step}"
            predictions_agree(trainer, twin, x)
            for probe in probes:
                predictions_agree(trainer, twin, probe)
    finally:
        chain.restore(snap)
