"""Once sealed, no owner call changes a prediction (issue 10, item 5).

For every model (sparse perceptron, dense perceptron, dense nearest centroid, sparse nearest
centroid, naive Bayes): deploy and seal a deposit trainer, fix a pool of samples and record
their predictions, then let the owner (the creator) make random calls to every owner-only
function of the deployable, with random arguments; each call either reverts or succeeds. The
pool's predictions must be unchanged, and every class the owner added must be empty (no
sample, no count), so that only contributions can ever make it win.

`test_owner_functions__are_the_ones_fuzzed` checks that the list fuzzed here is every
non-view function of each trainer outside the public data path.
"""

import pytest
from ape.exceptions import ContractLogicError
from hypothesis import note
from hypothesis import strategies as st

from ape_decai.models.naive_bayes import NaiveBayes
from ape_decai.models.ncc import NearestCentroid
from ape_decai.models.sparse_ncc import SparseNearestCentroid
from ape_decai.packing import pack_dense, pack_indices
from dense_fixtures import NCC_CENTROIDS, deploy_dense, deploy_ncc, ones_vector, zeros_vector  # noqa: F401
from dense_strategies import dense_vectors
from sparse_models import deploy, example_model
from strategies import index_sets

MODELS = ["sparse_perceptron", "dense_perceptron", "ncc", "sparse_ncc", "naive_bayes"]

# The public data path and the clones' set-up: anyone may call these (not the owner's power).
PUBLIC = {"add_data", "refund", "report", "create_trainer", "initialize"}
OWNER_FUNCTIONS = {
    "sparse_perceptron": {"initialize_weights", "seal"},
    "dense_perceptron": {"initialize_weights", "seal"},
    "ncc": {"add_class", "seal"},
    "sparse_ncc": {"initialize_counts", "add_class", "seal"},
    "naive_bayes": {"initialize_counts", "add_class", "seal"},
}

words = st.one_of(st.just(0), st.integers(0, 2**16 - 1), st.integers(0, 2**256 - 1))
"""A storage word as the owner may send it: zero, one small lane, or anything."""


def owner_calls(model: str, n_features: int):
    """Random owner calls (name, args) for one model: valid, invalid, or out of range."""
    seal = st.just(("seal", ()))
    word_lists = st.lists(words, min_size=0, max_size=4)
    if model in ("sparse_perceptron", "dense_perceptron"):
        calls = [seal, st.tuples(st.just("initialize_weights"), st.tuples(st.integers(0, 8), word_lists))]
    elif model == "ncc":
        centroid = st.one_of(
            dense_vectors(n_features).map(pack_dense),  # a valid centroid (say, right on a sample)
            st.lists(words, min_size=0, max_size=3),  # any words (mostly the wrong shape)
        )
        count = st.one_of(st.just(0), st.integers(1, 5), st.just(2**200), st.just(2**256 - 1))
        add = st.tuples(st.just("add_class"), st.tuples(st.integers(0, 5), centroid, count))
        calls = [seal, add]
    else:
        # 40 features: 3 words per class; first words beyond the classes revert.
        init = st.tuples(st.just("initialize_counts"), st.tuples(st.integers(0, 20), word_lists))
        calls = [seal, st.just(("add_class", ())), init]
    return st.lists(st.one_of(*calls), min_size=1, max_size=8)


@st.composite
def cases(draw, model: str):
    n = {"sparse_perceptron": 100, "dense_perceptron": 100, "ncc": 20}.get(model, 40)
    if model in ("dense_perceptron", "ncc"):
        fixed = [ones_vector(), zeros_vector()] if model == "dense_perceptron" else list(NCC_CENTROIDS)
        pool = fixed + draw(st.lists(dense_vectors(n), min_size=1, max_size=4))
    else:
        pool = draw(st.lists(index_sets(n, max_size=12), min_size=2, max_size=6))
    return pool, draw(owner_calls(model, n))


def _deployer(model, request, project, chain, creator):
    """A function that deploys the sealed deposit trainer of `model` and packs its inputs."""
    if model == "sparse_perceptron":
        deploy_sparse = request.getfixturevalue("deploy_deposit_trainer")
        return lambda: deploy_sparse(cost_weight=0, min_deposit=0), pack_indices
    if model == "dense_perceptron":
        return request.getfixturevalue("deploy_dense"), pack_dense
    if model == "ncc":
        return request.getfixturevalue("deploy_ncc"), pack_dense
    cls = SparseNearestCentroid if model == "sparse_ncc" else NaiveBayes
    return lambda: deploy(project, chain, creator, example_model(cls)), pack_indices


def _added_classes_are_empty(model, trainer, classes_before) -> bool:
    if model == "ncc":
        twin = NearestCentroid.from_chain(trainer)
        return all(n == 0 for n in twin.counts[classes_before:])
    if model in ("sparse_ncc", "naive_bayes"):
        twin = (SparseNearestCentroid if model == "sparse_ncc" else NaiveBayes).from_chain(trainer)
        added = range(classes_before, twin.n_classes)
        return all(twin.class_sizes[k] == 0 and not any(twin.counts[k]) for k in added)
    return True


def _classes(model, trainer) -> int:
    if model == "ncc":
        return int(trainer.num_classes())
    if model in ("sparse_ncc", "naive_bayes"):
        return int(trainer.n_classes())
    return 2


@pytest.mark.parametrize("model", MODELS)
def test_owner_functions__are_the_ones_fuzzed(model, request, project, chain, creator):
    make, _ = _deployer(model, request, project, chain, creator)
    trainer = make()
    mutating = {abi.name for abi in trainer.contract_type.mutable_methods}
    assert mutating - PUBLIC == OWNER_FUNCTIONS[model]


@pytest.mark.parametrize("model", MODELS)
def test_sealed_model__any_owner_calls__change_no_prediction(model, request, project, chain, creator):
    from hypothesis import given

    make, pack = _deployer(model, request, project, chain, creator)

    @given(case=cases(model))
    def check(case):
        pool, calls = case
        snap = chain.snapshot()
        try:
            trainer = make()
            assert trainer.sealed()
            before = [int(trainer.predict(pack(x))) for x in pool]
            classes_before = _classes(model, trainer)
            outcomes = []
            for name, args in calls:
                try:
                    getattr(trainer, name)(*args, sender=creator)
                    outcomes.append(f"{name} ok")
                except ContractLogicError as err:
                    outcomes.append(f"{name} reverted: {err.message}")
            note(f"calls: {calls}")
            note(f"outcomes: {outcomes}")
            assert trainer.sealed()
            assert [int(trainer.predict(pack(x))) for x in pool] == before
            assert _added_classes_are_empty(model, trainer, classes_before)
        finally:
            chain.restore(snap)

    check()
