"""Once sealed, no owner call changes a prediction (issue 10, item 5).

For every model (sparse perceptron, dense perceptron, dense nearest centroid, sparse nearest
centroid, naive Bayes): deploy and seal a deposit trainer, fix a pool of samples and record
their predictions, then let the owner (the creator) make random calls to every owner-only
function of the deployable, with random arguments; each call either reverts or succeeds. The
pool's predictions must be unchanged. Then the owner trains, through the public data path,
every class that has no sample (one sample each): the predictions must be the Python twin's
of the model as sealed plus those samples, i.e. the owner's calls left nothing waiting in an
empty class (a centroid, counts) that a sample of their own would turn on.

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

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)

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

words = st.one_of(
    st.just(0),
    st.integers(0, 2**16 - 1),
    st.just(sum((2**16 - 1) << (16 * j) for j in range(15))),  # 15 counts at their maximum
    st.integers(0, 2**256 - 1),
)
"""A storage word as the owner may send it: zero, one small lane, full counts, or anything."""


def owner_calls(model: str, n_features: int, pool: list):
    """Random owner calls (name, args) for one model: valid, invalid, or out of range. The
    arguments aim where an attack would: the next label, a centroid right on a pool sample,
    the count words of the class that has no sample (class 2) and of the next one."""
    seal = st.just(("seal", ()))
    word_lists = st.lists(words, min_size=0, max_size=4)
    if model in ("sparse_perceptron", "dense_perceptron"):
        calls = [seal, st.tuples(st.just("initialize_weights"), st.tuples(st.integers(0, 8), word_lists))]
    elif model == "ncc":
        centroid = st.one_of(
            st.sampled_from(pool).map(pack_dense),  # right on a sample: it would win it
            dense_vectors(n_features).map(pack_dense),
            st.lists(words, min_size=0, max_size=3),  # any words (mostly the wrong shape)
        )
        count = st.one_of(st.just(0), st.integers(1, 5), st.just(2**200), st.just(2**256 - 1))
        label = st.one_of(st.just(3), st.integers(0, 5))
        calls = [seal, st.tuples(st.just("add_class"), st.tuples(label, centroid, count))]
    else:
        # 40 features: 3 words per class (class 2 has no sample); words beyond the classes revert.
        first_word = st.one_of(st.integers(6, 14), st.integers(0, 20))
        init = st.tuples(st.just("initialize_counts"), st.tuples(first_word, word_lists))
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
    return pool, draw(owner_calls(model, n, pool))


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


TWINS = {"ncc": NearestCentroid, "sparse_ncc": SparseNearestCentroid, "naive_bayes": NaiveBayes}


def _train_empty_classes(model, trainer, twin, pool, creator) -> None:
    """The owner's own contributions (the public path): one pool sample into each class that
    had no sample when sealed or was added since, on the chain and in `twin` (the model as
    sealed). If the owner's calls had stored anything in those classes, the chain and the
    twin would now disagree."""
    n_classes = int(trainer.num_classes() if model == "ncc" else trainer.n_classes())
    while twin.n_classes < n_classes:
        twin.add_class() if model != "ncc" else twin.add_class(None, 0)
    sizes = twin.counts if model == "ncc" else twin.class_sizes
    empty = [k for k in range(n_classes) if sizes[k] == 0]
    for i, k in enumerate(empty):
        x = pool[i % len(pool)]
        trainer.add_data(twin.pack_input(x), k, sender=creator)
        twin.update(x, k)


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
            twin = TWINS[model].from_chain(trainer) if model in TWINS else None
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
            if twin is not None:
                _train_empty_classes(model, trainer, twin, pool, creator)
                assert TWINS[model].from_chain(trainer) == twin
                assert [int(trainer.predict(pack(x))) for x in pool] == [twin.predict(x) for x in pool]
        finally:
            chain.restore(snap)

    check()
