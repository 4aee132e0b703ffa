"""The contracts' sparse nearest centroid and naive Bayes are bit-exact with their Python twins.

Random models (1 to 4 classes, some empty, counts often near the 16-bit saturation), random
sequences of contributions (sometimes adding a class first) and probes: after every step the
prediction equals the twin's, and after the sequence so does the whole state read back with
`from_chain`. Naive Bayes also
gets long inputs (up to 128 indices). Contributions are free.

Ape isolates the chain per test, not per Hypothesis example: each example snapshots and
restores the chain itself.
"""

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from sparse_models import MODEL_IDS, MODELS, deploy_full
from strategies import index_sets

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)

counts = st.one_of(st.integers(0, 20), st.integers(65530, 65535), st.integers(0, 65535))


@st.composite
def cases(draw, max_sample_size=32):
    n = draw(st.integers(1, 60))
    n_classes = draw(st.integers(1, 4))
    class_sizes = [draw(st.one_of(st.just(0), st.integers(1, 30), st.integers(1, 2**64))) for _ in range(n_classes)]
    rows = [draw(st.lists(counts, min_size=n, max_size=n)) if size else [0] * n for size in class_sizes]
    steps = draw(
        st.lists(
            st.tuples(index_sets(n, max_size=max_sample_size), st.integers(0, 4), st.booleans()),
            min_size=1,
            max_size=5,
        )
    )
    probes = draw(st.lists(index_sets(n, max_size=max_sample_size), max_size=2))
    return n, class_sizes, rows, steps, probes


def check(project, chain, creator, contributor, cls, case):
    n, class_sizes, rows, steps, probes = case
    note(f"n_features={n} class_sizes={class_sizes}")
    snap = chain.snapshot()
    try:
        twin = cls(n_features=n, class_sizes=list(class_sizes), counts=[list(r) for r in rows])
        trainer = deploy_full(project, chain, creator, twin, max_words=4)
        assert cls.from_chain(trainer) == twin
        for step, (x, label, add_class) in enumerate(steps):
            if add_class and twin.n_classes < 6:
                trainer.add_class(sender=creator)
                twin.add_class()
            label %= twin.n_classes
            words = twin.pack_input(x)
            assert trainer.predict(words) == twin.predict(x), f"prediction before step {step}"
            chain.pending_timestamp += 1
            trainer.add_data(words, label, sender=contributor)
            twin.update(x, label)
            note(f"step {step}: {len(x)} indices, label {label}")
            assert trainer.predict(words) == twin.predict(x), f"prediction after step {step}"
        # The whole state once, after the sequence (each read is one call per word).
        assert cls.from_chain(trainer) == twin
        for probe in probes:
            assert trainer.predict(twin.pack_input(probe)) == twin.predict(probe)
    finally:
        chain.restore(snap)


@pytest.mark.parametrize("cls", MODELS, ids=MODEL_IDS)
@given(case=cases())
def test_add_data__any_update_sequence__matches_twin(project, chain, creator, contributor, cls, case):
    check(project, chain, creator, contributor, cls, case)


@st.composite
def long_cases(draw):
    n = draw(st.integers(128, 300))
    class_sizes = [draw(st.integers(1, 5000)) for _ in range(draw(st.integers(2, 3)))]
    rows = [draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n)) for _ in class_sizes]
    probes = draw(st.lists(index_sets(n, min_size=100, max_size=128), min_size=1, max_size=3))
    return n, class_sizes, rows, probes


@given(case=long_cases())
def test_naive_bayes__long_inputs__match_twin(project, chain, creator, case):
    from ape_decai.models.naive_bayes import NaiveBayes

    n, class_sizes, rows, probes = case
    snap = chain.snapshot()
    try:
        twin = NaiveBayes(n_features=n, class_sizes=class_sizes, counts=rows)
        trainer = deploy_full(project, chain, creator, twin)
        for x in probes:
            note(f"{len(x)} indices, scores {twin.scores(x)}")
            assert trainer.predict(twin.pack_input(x)) == twin.predict(x)
    finally:
        chain.restore(snap)
