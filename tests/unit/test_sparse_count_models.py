"""What the sparse nearest centroid and naive Bayes models share, through their trainers.

Both keep per-class feature counts (contracts/models/sparse_ncc.vy, naive_bayes.vy) and take
the packed sparse input of contracts/lib/sparse_input.vy: every test runs for both models.
Contributions are free (cost_weight = min_deposit = 0) so that only the model is under test.
"""

import ape
import pytest

from ape_decai.packing import pack_indices
from sparse_models import MODEL_IDS, MODELS, deploy, deploy_full, example_model

MARKER = 1 << 255


def word(*lanes: int) -> int:
    """A packed input word with the given raw lane values (index + 1, or 0 for empty)."""
    return sum(lane << (16 * j) for j, lane in enumerate(lanes))


@pytest.fixture(params=MODELS, ids=MODEL_IDS)
def cls(request):
    """The twin class of the model under test."""
    return request.param


@pytest.fixture
def model(cls):
    """A 40-feature, 3-class twin (class 2 has no sample yet)."""
    return example_model(cls)


@pytest.fixture
def trainer(project, chain, creator, model):
    """The deposit trainer of `model`, sealed."""
    return deploy(project, chain, creator, model)


# --- deployment -----------------------------------------------------------------------------------


def test_deploy__views__equal_the_twin(trainer, model, cls):
    assert trainer.n_features() == 40
    assert trainer.n_classes() == 3
    assert trainer.sealed()
    assert cls.from_chain(trainer) == model


def test_deploy__every_written_word__carries_the_marker(trainer):
    # 40 features: 3 words per class, 9 in all; class stats are marked too.
    assert all(trainer.count_words(w) & MARKER for w in range(9))
    assert all(trainer.class_stats(k) & MARKER for k in range(3))


@pytest.mark.parametrize(
    "overrides, reason",
    [
        (dict(n_features=0), "bad number of features"),
        (dict(n_features=65536), "bad number of features"),
        (dict(class_sizes=[]), "no class"),
        (dict(class_sizes=[1, 2**64 + 1]), "class too large"),
    ],
)
def test_deploy__bad_model_argument__reverts(project, chain, creator, cls, overrides, reason):
    model = cls(n_features=1, class_sizes=[1])
    args = {"n_features": 1, "class_sizes": [1], **overrides}
    model.constructor_args = lambda _max_words: [args["n_features"], args["class_sizes"], []]
    with ape.reverts(f"sparse_counts: {reason}"):
        deploy(project, chain, creator, model)


@pytest.mark.parametrize("n_features", [1, 15, 16, 65535])
def test_deploy__feature_count_at_bounds__works(project, chain, creator, cls, n_features):
    model = cls(n_features=n_features, class_sizes=[2**64, 0])
    model.constructor_args = lambda _max_words: [n_features, [2**64, 0], []]
    trainer = deploy(project, chain, creator, model)
    assert trainer.n_features() == n_features
    assert trainer.class_stats(0) & (2**128 - 1) == 2**64


def test_deploy__points_mechanism__works(project, chain, creator, model, cls):
    trainer = deploy(project, chain, creator, model, mechanism="points")
    assert cls.from_chain(trainer) == model


# --- input checks (contracts/lib/sparse_input.vy) --------------------------------------------------


@pytest.mark.parametrize(
    "data, reason",
    [
        pytest.param([], "empty input", id="no-word"),
        pytest.param([0], "empty packed word", id="zero-word"),
        pytest.param([word(*range(1, 17)), 0], "empty packed word", id="zero-after-full"),
        pytest.param([word(1, 2, 3), word(20)], "partly filled word", id="partly-filled-first"),
        pytest.param([word(3, 3)], "indices not increasing", id="duplicate"),
        pytest.param([word(5, 2)], "indices not increasing", id="decreasing"),
        pytest.param([word(*range(1, 17)), word(16)], "indices not increasing", id="duplicate-across-words"),
        pytest.param([word(41)], "index out of range", id="index-40"),
        pytest.param([word(1, 65535)], "index out of range", id="largest-lane"),
    ],
)
def test_predict_and_add_data__bad_input__reverts(trainer, contributor, data, reason):
    with ape.reverts(f"sparse_input: {reason}"):
        trainer.predict(data)
    with ape.reverts(f"sparse_input: {reason}"):
        trainer.add_data(data, 0, sender=contributor)


def test_predict__more_than_max_packed_words__reverts(trainer):
    data = [word(*range(16 * k + 1, 16 * k + 17)) for k in range(9)]
    with ape.reverts():
        trainer.predict(data)


def test_predict__last_feature_and_full_words__work(trainer, model):
    for x in ([39], [0], list(range(16)), list(range(17)), list(range(40))):
        assert trainer.predict(pack_indices(x)) == model.predict(x)


# --- add_data -------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", [3, 255])
def test_add_data__unknown_class__reverts(trainer, contributor, cls, label):
    with ape.reverts("sparse_counts: unknown class"):
        trainer.add_data(pack_indices([1]), label, sender=contributor)


def test_add_data__not_sealed__reverts(project, chain, creator, contributor, model, cls):
    trainer = deploy(project, chain, creator, model, seal=False)
    assert not trainer.sealed()
    with ape.reverts("sparse_counts: not sealed"):
        trainer.add_data(pack_indices([1]), 0, sender=contributor)


def test_add_data__counts_the_sample_in_its_class_only(trainer, contributor, model, cls):
    x = [0, 14, 15, 39]
    trainer.add_data(pack_indices(x), 1, sender=contributor)
    assert model.update(x, 1)
    chain_model = cls.from_chain(trainer)
    assert chain_model == model
    assert chain_model.class_sizes == [5, 6, 0]


def test_add_data__empty_class__gets_its_first_sample(trainer, contributor, model, cls):
    x = [7, 8]
    trainer.add_data(pack_indices(x), 2, sender=contributor)
    model.update(x, 2)
    assert cls.from_chain(trainer) == model
    assert trainer.predict(pack_indices(x)) == model.predict(x)


def test_add_data__count_at_max__saturates(project, chain, creator, contributor, cls):
    model = cls(n_features=20, class_sizes=[70000, 1], counts=[[65535] * 10 + [65534] * 10, [1] * 20])
    trainer = deploy(project, chain, creator, model)
    x = [0, 9, 10, 19]
    trainer.add_data(pack_indices(x), 0, sender=contributor)
    model.update(x, 0)
    assert model.counts[0][:11] == [65535] * 11
    assert cls.from_chain(trainer) == model


# --- classes --------------------------------------------------------------------------------------


def test_add_class__owner_after_seal__adds_an_empty_class(trainer, creator, contributor, model, cls):
    trainer.add_class(sender=creator)
    assert model.add_class() == 3
    assert trainer.n_classes() == 4
    assert trainer.class_stats(3) == MARKER
    assert cls.from_chain(trainer) == model
    trainer.add_data(pack_indices([1, 2, 3]), 3, sender=contributor)
    model.update([1, 2, 3], 3)
    assert cls.from_chain(trainer) == model


def test_add_class__not_owner__reverts(trainer, stranger):
    with ape.reverts("ownable: caller is not the owner"):
        trainer.add_class(sender=stranger)


def test_add_class__beyond_256__reverts(project, chain, creator, cls):
    model = cls(n_features=1, class_sizes=[0] * 256)
    trainer = deploy(project, chain, creator, model)
    assert trainer.n_classes() == 256
    with ape.reverts("sparse_counts: too many classes"):
        trainer.add_class(sender=creator)


def test_add_class__before_seal__works(project, chain, creator, model):
    trainer = deploy(project, chain, creator, model, seal=False)
    trainer.add_class(sender=creator)
    assert trainer.n_classes() == 4
    assert not trainer.sealed()


# --- initialisation -------------------------------------------------------------------------------


def test_initialize_counts__in_pieces__equals_the_twin(project, chain, creator, model, cls):
    trainer = deploy_full(project, chain, creator, model, max_words=2)
    assert len(model.init_calls(2)) == 4  # 9 words: 2 in the constructor, then 2, 2, 2, 1
    assert cls.from_chain(trainer) == model
    for x in ([0, 1, 2], [30, 31], [5, 35], list(range(40))):
        assert trainer.predict(pack_indices(x)) == model.predict(x)


def test_initialize_counts__sent_twice__changes_nothing(project, chain, creator, model, cls):
    trainer = deploy(project, chain, creator, model, seal=False, max_words=3)
    for name, args in model.init_calls(3) * 2:
        getattr(trainer, name)(*args, sender=creator)
    assert cls.from_chain(trainer) == model


def test_initialize_counts__overwrite__keeps_the_total_right(project, chain, creator, model, cls):
    trainer = deploy(project, chain, creator, model, seal=False)
    model.counts[1][15:30] = list(range(1, 16))
    trainer.initialize_counts(4, [model.count_words()[4]], sender=creator)
    model.totals = []
    model.__post_init__()  # the totals again from the counts
    assert cls.from_chain(trainer) == model


def test_initialize_counts__not_owner__reverts(project, chain, creator, contributor, model):
    trainer = deploy(project, chain, creator, model, seal=False)
    with ape.reverts("ownable: caller is not the owner"):
        trainer.initialize_counts(0, [1], sender=contributor)


@pytest.mark.parametrize("words", [[1], [0]], ids=["counts", "zeros"])
def test_initialize_counts__class_with_samples_after_seal__reverts(trainer, creator, cls, words):
    with ape.reverts("sparse_counts: sealed"):
        trainer.initialize_counts(0, words, sender=creator)


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "open"])
def test_initialize_counts__counts_in_an_empty_class__reverts(project, chain, creator, model, cls, sealed):
    # Class 2 has no sample. Counts waiting there would turn on with one sample of the owner's.
    trainer = deploy(project, chain, creator, model, seal=sealed)
    with ape.reverts("sparse_counts: counts of an empty class"):
        trainer.initialize_counts(6, [0, 0, 1], sender=creator)


def test_add_class__then_counts_and_an_own_sample_after_seal__cannot_take_over(
    trainer, creator, contributor, model, cls
):
    # Issue 10: add_class, counts on the new class, one sample of the owner's: the new class
    # would win x and the honest contribution's refund would fail. The counts are refused.
    x = [0, 1, 2, 3]
    trainer.add_data(pack_indices(x), 0, sender=contributor)
    trainer.add_class(sender=creator)
    with ape.reverts("sparse_counts: counts of an empty class"):
        trainer.initialize_counts(9, [2**16 - 1 - 2**15, 2**16 - 1, 2**16 - 1], sender=creator)
    assert trainer.predict(pack_indices(x)) == 0
    trainer.add_data(pack_indices([39]), 3, sender=creator)  # the owner's own (public) sample
    assert trainer.predict(pack_indices(x)) == 0


def test_initialize_counts__empty_class_after_seal__works(trainer, creator, contributor, model, cls):
    # Class 2 has no sample: its words can still be written, e.g. zeros that pre-pay the storage.
    trainer.add_class(sender=creator)
    model.add_class()
    trainer.initialize_counts(9, [0, 0, 0], sender=creator)
    assert all(trainer.count_words(w) == MARKER for w in range(9, 12))
    trainer.add_data(pack_indices([1]), 0, sender=contributor)  # the mechanism's first writes
    prepaid = trainer.add_data(pack_indices([0, 15, 30]), 3, sender=contributor)
    model.update([1], 0)
    model.update([0, 15, 30], 3)
    assert cls.from_chain(trainer) == model
    trainer.add_class(sender=creator)  # class 4: not pre-paid
    fresh = trainer.add_data(pack_indices([0, 15, 30]), 4, sender=contributor)
    # Three pre-paid words are overwritten (2,900 gas each) instead of created (20,000 each):
    # 51,300 less, minus what the two contributions' other writes differ by (naive Bayes
    # measured 48,509). Above 40,000, so fewer than three pre-paid words would fail.
    assert fresh.gas_used - prepaid.gas_used >= 40_000


@pytest.mark.parametrize("first_word, count", [(0, 10), (8, 2), (9, 1), (100, 1)])
def test_initialize_counts__too_many_counts__reverts(project, chain, creator, model, cls, first_word, count):
    trainer = deploy(project, chain, creator, model, seal=False)
    with ape.reverts("sparse_counts: too many counts"):
        trainer.initialize_counts(first_word, [0] * count, sender=creator)


@pytest.mark.parametrize(
    "first_word, value",
    [
        pytest.param(0, 1 << 240, id="bit-240"),
        pytest.param(0, MARKER, id="marker"),
        pytest.param(2, 1 << (16 * 10), id="lane-past-feature-39"),
    ],
)
def test_initialize_counts__bad_count_word__reverts(project, chain, creator, model, cls, first_word, value):
    trainer = deploy(project, chain, creator, model, seal=False)
    with ape.reverts("sparse_counts: bad count word"):
        trainer.initialize_counts(first_word, [value], sender=creator)


def test_initialize_counts__last_lane_of_last_word__works(project, chain, creator, model):
    trainer = deploy(project, chain, creator, model, seal=False)
    trainer.initialize_counts(2, [7 << (16 * 9)], sender=creator)  # feature 39
    assert trainer.count_words(2) == MARKER | 7 << (16 * 9)


def test_seal__twice__reverts(trainer, creator, cls):
    with ape.reverts("sparse_counts: sealed"):
        trainer.seal(sender=creator)


def test_seal__not_owner__reverts(project, chain, creator, stranger, model):
    trainer = deploy(project, chain, creator, model, seal=False)
    with ape.reverts("ownable: caller is not the owner"):
        trainer.seal(sender=stranger)


# --- predictions ----------------------------------------------------------------------------------


def test_predict__no_sample_in_any_class__is_zero(project, chain, creator, cls):
    trainer = deploy(project, chain, creator, cls(n_features=10, class_sizes=[0, 0, 0]))
    assert trainer.predict(pack_indices([3])) == 0


def test_predict__only_a_later_class_has_samples__picks_it(project, chain, creator, contributor, cls):
    trainer = deploy(project, chain, creator, cls(n_features=10, class_sizes=[0, 0, 0]))
    trainer.add_data(pack_indices([3]), 2, sender=contributor)
    assert trainer.predict(pack_indices([3])) == 2
    assert trainer.predict(pack_indices([4, 5])) == 2


def test_predict__identical_classes__tie_to_the_lowest_index(project, chain, creator, cls):
    model = cls(n_features=10, class_sizes=[0, 3, 3], counts=[[0] * 10, [1, 2, 3] * 3 + [0], [1, 2, 3] * 3 + [0]])
    trainer = deploy(project, chain, creator, model)
    assert trainer.predict(pack_indices([0, 1, 2])) == model.predict([0, 1, 2]) == 1


def test_predict__the_example_model__separates_its_classes(trainer, model):
    assert trainer.predict(pack_indices([0, 1, 2, 3])) == model.predict([0, 1, 2, 3]) == 0
    assert trainer.predict(pack_indices([30, 31, 32, 33])) == model.predict([30, 31, 32, 33]) == 1
