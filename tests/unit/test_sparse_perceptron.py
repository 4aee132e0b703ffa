"""The sparse perceptron model (contracts/models/sparse_perceptron.vy), through a trainer.

Predictions and updates are compared with the Python reference; every input the model
rejects is tried once with its revert reason. Contributions here cost nothing
(cost_weight = min_deposit = 0) so that only the model is under test.
"""

import ape
import pytest
from hypothesis import given

from ape_decai.packing import pack_indices, pack_weights
from strategies import index_sets

INT16_MIN = -(2**15)
INT16_MAX = 2**15 - 1


def word(*lanes: int) -> int:
    """A packed word with the given raw lane values (index + 1, or 0 for empty) in order."""
    return sum(lane << (16 * j) for j, lane in enumerate(lanes))


@pytest.fixture
def deploy_free_trainer(deploy_deposit_trainer):
    """Factory: a deposit trainer whose contributions cost nothing."""

    def deploy(**overrides):
        return deploy_deposit_trainer(cost_weight=0, min_deposit=0, **overrides)

    return deploy


@pytest.fixture
def trainer(deploy_free_trainer):
    return deploy_free_trainer()


# --- predict --------------------------------------------------------------------------------------


@given(indices=index_sets(100))
def test_predict__any_valid_sample__matches_reference(chain, deposit_trainer, reference_model, indices):
    # Views only, but every example still starts from the same chain state.
    snapshot = chain.snapshot()
    try:
        assert deposit_trainer.predict(pack_indices(indices)) == reference_model().predict(indices)
    finally:
        chain.restore(snapshot)


@pytest.mark.parametrize(
    "indices",
    [[0], [99], [3, 17, 42], [55, 70, 99], [10, 60], list(range(16)), list(range(17)), list(range(100))],
)
def test_predict__chosen_samples__matches_reference(deposit_trainer, reference_model, indices):
    assert deposit_trainer.predict(pack_indices(indices)) == reference_model().predict(indices)


def test_predict__default_samples__are_firm(deposit_trainer, ones_sample, zeros_sample):
    assert deposit_trainer.predict(pack_indices(ones_sample)) == 1
    assert deposit_trainer.predict(pack_indices(zeros_sample)) == 0


@pytest.mark.parametrize("intercept, expected", [(-1, 0), (0, 0), (1, 1)])
def test_predict__margin_sign__decides_the_label(deploy_free_trainer, intercept, expected):
    # With all weights 0 the margin is the intercept: 0 is not > 0, so it predicts 0.
    trainer = deploy_free_trainer(weights=[0] * 100, intercept=intercept)
    assert trainer.predict(pack_indices([5])) == expected


def test_predict__before_seal__works(deploy_free_trainer, reference_model):
    trainer = deploy_free_trainer(seal=False)
    assert trainer.predict(pack_indices([3, 60])) == reference_model().predict([3, 60])


def test_predict__empty_input__reverts(trainer):
    with ape.reverts("sparse_perceptron: empty input"):
        trainer.predict([])


def test_add_data__empty_input__reverts(trainer, contributor):
    with ape.reverts("sparse_perceptron: empty input"):
        trainer.add_data([], 1, sender=contributor)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([word(6, 6)], id="duplicate"),
        pytest.param([word(8, 6)], id="unsorted"),
        pytest.param([word(6, 0, 8)], id="empty-lane-inside"),
        pytest.param([word(*range(1, 17)), word(16)], id="duplicate-across-words"),
        pytest.param([word(*range(2, 18)), word(1)], id="unsorted-across-words"),
    ],
)
def test_predict__not_strictly_increasing__reverts(trainer, data):
    with ape.reverts("sparse_perceptron: indices not increasing"):
        trainer.predict(data)


def test_add_data__duplicate_index__reverts(trainer, contributor):
    with ape.reverts("sparse_perceptron: indices not increasing"):
        trainer.add_data([word(6, 6)], 1, sender=contributor)


def test_predict__index_out_of_range__reverts(trainer):
    with ape.reverts("sparse_perceptron: index out of range"):
        trainer.predict(pack_indices([3, 100]))


def test_predict__last_valid_index__works(trainer, reference_model):
    assert trainer.predict(pack_indices([99])) == reference_model().predict([99])


def test_add_data__index_out_of_range__reverts(trainer, contributor):
    with ape.reverts("sparse_perceptron: index out of range"):
        trainer.add_data(pack_indices([100]), 1, sender=contributor)


def test_predict__partly_filled_word_before_the_last__reverts(trainer):
    with ape.reverts("sparse_perceptron: partly filled word"):
        trainer.predict([word(1, 2, 3), word(20)])


def test_predict__full_word_then_partly_filled_word__works(trainer, reference_model):
    indices = list(range(20))
    assert pack_indices(indices) == [word(*range(1, 17)), word(17, 18, 19, 20)]
    assert trainer.predict(pack_indices(indices)) == reference_model().predict(indices)


@pytest.mark.parametrize(
    "data",
    [pytest.param([0], id="only-word"), pytest.param([word(*range(1, 17)), 0], id="after-a-full-word")],
)
def test_predict__empty_packed_word__reverts(trainer, data):
    with ape.reverts("sparse_perceptron: empty packed word"):
        trainer.predict(data)


def test_predict__more_than_max_packed_words__reverts(trainer):
    # 9 words do not fit the DynArray[uint256, 8] argument: the ABI decoder rejects them.
    data = [word(*range(16 * k + 1, 16 * k + 17)) for k in range(9)]
    with ape.reverts():
        trainer.predict(data)


def test_predict__128_indices__works(deploy_free_trainer, reference_model):
    weights = [(-1) ** k * (k % 7) for k in range(200)]
    trainer = deploy_free_trainer(n_features=200, weights=weights)
    indices = [k for k in range(200) if k % 3 != 1][:128]
    assert len(indices) == 128
    expected = reference_model(n_features=200, weights=weights).predict(indices)
    assert trainer.predict(pack_indices(indices)) == expected


# --- update ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", [2, 255])
def test_add_data__label_out_of_range__reverts(trainer, contributor, label):
    with ape.reverts("sparse_perceptron: label out of range"):
        trainer.add_data(pack_indices([1]), label, sender=contributor)


def test_add_data__not_sealed__reverts(deploy_free_trainer, contributor):
    trainer = deploy_free_trainer(seal=False)
    assert not trainer.sealed()
    with ape.reverts("sparse_perceptron: not sealed"):
        trainer.add_data(pack_indices([1]), 1, sender=contributor)


def test_add_data__after_seal__trains(deploy_free_trainer, creator, contributor):
    trainer = deploy_free_trainer(seal=False, weights=[0] * 100)
    trainer.seal(sender=creator)
    assert trainer.sealed()
    trainer.add_data(pack_indices([1]), 1, sender=contributor)
    assert trainer.intercept() == 1


def test_add_data__model_wrong__intercept_and_touched_weights_move_by_learning_rate(
    deploy_free_trainer, contributor, read_weights
):
    trainer = deploy_free_trainer(weights=[0] * 100, learning_rate=5)
    trainer.add_data(pack_indices([0, 17]), 1, sender=contributor)  # margin 0: predicted 0
    assert trainer.intercept() == 5
    expected = [0] * 100
    expected[0] = expected[17] = 5
    assert read_weights(trainer) == expected
    trainer.add_data(pack_indices([1, 17]), 0, sender=contributor)  # margin 10: predicted 1
    assert trainer.intercept() == 0
    expected[1] = -5
    expected[17] = 0
    assert read_weights(trainer) == expected


def test_add_data__model_right__changes_nothing(
    trainer, contributor, read_weights, initial_weights, ones_sample
):
    trainer.add_data(pack_indices(ones_sample), 1, sender=contributor)
    assert trainer.intercept() == 0
    assert read_weights(trainer) == initial_weights


def test_add_data__intercept_learns__flips_an_empty_model(deploy_free_trainer, contributor):
    trainer = deploy_free_trainer(weights=[0] * 100)
    unseen = pack_indices([50])
    assert trainer.predict(unseen) == 0
    trainer.add_data(pack_indices([7]), 1, sender=contributor)
    # Only the intercept moved for the unseen feature: 1 > 0.
    assert trainer.intercept() == 1
    assert trainer.predict(unseen) == 1


def test_add_data__many_words__matches_reference(
    deploy_free_trainer, contributor, reference_model, read_weights
):
    weights = [(k * 37) % 11 - 5 for k in range(300)]
    trainer = deploy_free_trainer(n_features=300, weights=weights, learning_rate=3)
    model = reference_model(n_features=300, weights=weights, learning_rate=3)
    for indices, label in [
        (list(range(0, 300, 3)), 0),
        (list(range(1, 300, 7)), 1),
        ([299], 1),
        ([0, 16, 32], 0),
    ]:
        trainer.add_data(pack_indices(indices), label, sender=contributor)
        model.update(indices, label)
        assert trainer.intercept() == model.intercept
        assert read_weights(trainer) == model.weights


# --- saturation -----------------------------------------------------------------------------------


def test_add_data__weight_at_int16_max__saturates(deploy_free_trainer, contributor, read_weights):
    # margin = -32768 + 32767 = -1: predicted 0, label 1 pushes up.
    weights = [5] * 100
    weights[16] = INT16_MAX
    trainer = deploy_free_trainer(weights=weights, intercept=INT16_MIN, learning_rate=100)
    trainer.add_data(pack_indices([16]), 1, sender=contributor)
    assert trainer.intercept() == INT16_MIN + 100
    expected = list(weights)  # the neighbours (same packed word) are untouched
    assert read_weights(trainer) == expected


def test_add_data__weight_at_int16_min__saturates(deploy_free_trainer, contributor, read_weights):
    # margin = 32767 - 32768 + 32767 > 0: predicted 1, label 0 pushes down by 2**15 - 1.
    weights = [-7] * 100
    weights[31] = INT16_MIN
    weights[32] = INT16_MAX
    trainer = deploy_free_trainer(weights=weights, intercept=INT16_MAX, learning_rate=INT16_MAX)
    trainer.add_data(pack_indices([31, 32]), 0, sender=contributor)
    assert trainer.intercept() == 0
    expected = list(weights)
    expected[31] = INT16_MIN
    expected[32] = 0
    assert read_weights(trainer) == expected


def test_add_data__intercept_at_bounds__saturates(deploy_free_trainer, contributor):
    trainer = deploy_free_trainer(weights=[-(2**14)] * 100, intercept=INT16_MAX, learning_rate=INT16_MAX)
    # margin 32767 - 2 * 16384 = -1: predicted 0, label 1: intercept stays at the top.
    trainer.add_data(pack_indices([0, 1]), 1, sender=contributor)
    assert trainer.intercept() == INT16_MAX
    trainer = deploy_free_trainer(weights=[2**14] * 100, intercept=INT16_MIN, learning_rate=INT16_MAX)
    # margin -32768 + 3 * 16384 > 0: predicted 1, label 0: intercept stays at the bottom.
    trainer.add_data(pack_indices([5, 6, 7]), 0, sender=contributor)
    assert trainer.intercept() == INT16_MIN


# --- initialisation -------------------------------------------------------------------------------


def test_initialize_weights__in_pieces_then_seal__predicts_like_reference(
    deploy_free_trainer, creator, reference_model, read_weights, initial_weights
):
    words = pack_weights(initial_weights)
    trainer = deploy_free_trainer(seal=False, weight_words=words[:2])
    trainer.initialize_weights(2, words[2:5], sender=creator)
    trainer.initialize_weights(5, words[5:], sender=creator)
    trainer.seal(sender=creator)
    assert read_weights(trainer) == initial_weights
    for indices in ([3, 17, 42], [55, 70, 99], [40, 41, 90]):
        assert trainer.predict(pack_indices(indices)) == reference_model().predict(indices)


def test_initialize_weights__overwrites_a_word(deploy_free_trainer, creator, read_weights, initial_weights):
    trainer = deploy_free_trainer(seal=False)
    trainer.initialize_weights(3, [pack_weights([-1] * 16)[0]], sender=creator)
    expected = list(initial_weights)
    expected[48:64] = [-1] * 16
    assert read_weights(trainer) == expected


def test_initialize_weights__after_seal__reverts(trainer, creator):
    assert trainer.sealed()
    with ape.reverts("sparse_perceptron: sealed"):
        trainer.initialize_weights(0, [1], sender=creator)


def test_seal__twice__reverts(trainer, creator):
    with ape.reverts("sparse_perceptron: sealed"):
        trainer.seal(sender=creator)


@pytest.mark.parametrize("first_word, count", [(0, 8), (6, 2), (7, 1), (100, 1)])
def test_initialize_weights__too_many_weights__reverts(deploy_free_trainer, creator, first_word, count):
    # 100 features fill 7 words (0..6).
    trainer = deploy_free_trainer(seal=False)
    with ape.reverts("sparse_perceptron: too many weights"):
        trainer.initialize_weights(first_word, [1] * count, sender=creator)


def test_initialize_weights__last_word__works(deploy_free_trainer, creator):
    trainer = deploy_free_trainer(seal=False)
    trainer.initialize_weights(6, [2**256 - 1], sender=creator)  # all 16 lanes -1; 4 are used
    assert trainer.weight_words(6) == 2**256 - 1


def test_initialize_weights__last_word_of_largest_model__is_used(deploy_free_trainer, creator):
    trainer = deploy_free_trainer(n_features=65535, weight_words=[], seal=False)
    # Feature 65534 is lane 14 of word 4095.
    trainer.initialize_weights(4095, [pack_weights([0] * 14 + [3])[0]], sender=creator)
    trainer.seal(sender=creator)
    assert trainer.predict(pack_indices([65534])) == 1
    assert trainer.predict(pack_indices([65533])) == 0


@pytest.mark.parametrize("n_features, words", [(100, 8), (96, 7), (1, 2), (16, 2)])
def test_deploy__too_many_weights__reverts(deploy_free_trainer, n_features, words):
    with ape.reverts("sparse_perceptron: too many weights"):
        deploy_free_trainer(n_features=n_features, weight_words=[0] * words)


@pytest.mark.parametrize("n_features, words", [(100, 7), (97, 7), (96, 6), (1, 1), (16, 1), (17, 2)])
def test_deploy__exactly_enough_weights__works(deploy_free_trainer, n_features, words):
    trainer = deploy_free_trainer(n_features=n_features, weight_words=[0] * words)
    assert trainer.n_features() == n_features


@pytest.mark.parametrize(
    "overrides, reason",
    [
        (dict(n_features=0), "sparse_perceptron: bad number of features"),
        (dict(n_features=65536), "sparse_perceptron: bad number of features"),
        (dict(learning_rate=0), "sparse_perceptron: bad learning rate"),
        (dict(learning_rate=-1), "sparse_perceptron: bad learning rate"),
        (dict(learning_rate=2**15), "sparse_perceptron: bad learning rate"),
        (dict(intercept=INT16_MIN - 1), "sparse_perceptron: intercept out of range"),
        (dict(intercept=INT16_MAX + 1), "sparse_perceptron: intercept out of range"),
    ],
)
def test_deploy__bad_model_argument__reverts(deploy_free_trainer, overrides, reason):
    if "n_features" in overrides:
        overrides["weight_words"] = []
    with ape.reverts(reason):
        deploy_free_trainer(**overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        dict(n_features=65535, weight_words=[]),
        dict(n_features=1, weights=[7]),
        dict(learning_rate=INT16_MAX),
        dict(intercept=INT16_MIN),
        dict(intercept=INT16_MAX),
    ],
)
def test_deploy__model_argument_at_bound__works(deploy_free_trainer, overrides):
    trainer = deploy_free_trainer(**overrides)
    for name in ("n_features", "learning_rate", "intercept"):
        if name in overrides:
            assert getattr(trainer, name)() == overrides[name]


def test_deploy__model_views__report_the_arguments(deploy_free_trainer, initial_weights, read_weights):
    trainer = deploy_free_trainer(intercept=-3, learning_rate=2)
    assert trainer.n_features() == 100
    assert trainer.learning_rate() == 2
    assert trainer.intercept() == -3
    assert trainer.sealed()
    assert read_weights(trainer) == initial_weights


def test_points_trainer__bad_model_argument__reverts(deploy_points_trainer):
    with ape.reverts("sparse_perceptron: bad learning rate"):
        deploy_points_trainer(learning_rate=0)
