"""The dense perceptron model (contracts/models/dense_perceptron.vy), through a trainer.

Predictions and updates are compared with the Python twin; every input the model rejects is
tried with its revert reason. Contributions cost nothing (cost_weight = min_deposit = 0).
"""

import ape
import pytest

from ape_decai.models.dense_perceptron import DensePerceptron
from ape_decai.packing import dense_words, pack_dense, pack_weights, unpack_dense, unpack_weights
from dense_fixtures import DENSE_WEIGHTS, deploy_dense, dense_model, ones_vector, zeros_vector  # noqa: F401

INT16_MIN = -(2**15)
INT16_MAX = 2**15 - 1


@pytest.fixture
def trainer(deploy_dense):
    return deploy_dense()


def read_weights(trainer) -> list[int]:
    n = trainer.n_features()
    return unpack_weights([trainer.weight_words(k) for k in range(dense_words(n))], n)


def vector(n: int, **values: int) -> list[int]:
    """A vector of n zeros with some values set: vector(100, i3=5, i70=-2)."""
    x = [0] * n
    for key, v in values.items():
        x[int(key[1:])] = v
    return x


# --- packing --------------------------------------------------------------------------------------


def test_pack_dense__round_trip_and_layout():
    values = [1, -1, INT16_MIN, INT16_MAX] + [0] * 12 + [7]
    words = pack_dense(values)
    assert len(words) == 2
    assert words[0] & 0xFFFF == 1 and (words[0] >> 16) & 0xFFFF == 0xFFFF
    assert words[1] == 7  # the unused lanes of the last word are 0
    assert unpack_dense(words, 17) == values
    assert pack_dense([0] * 16) == [0]


@pytest.mark.parametrize(
    "words, n",
    [([0], 17), ([0, 0], 16), ([1 << 16], 1), ([0] * 6 + [1 << 255], 100)],
    ids=["too-few-words", "too-many-words", "padding-lane-1", "padding-top-lane"],
)
def test_unpack_dense__wrong_shape__raises(words, n):
    with pytest.raises(ValueError):
        unpack_dense(words, n)


def test_pack_dense__value_out_of_int16__raises():
    with pytest.raises(ValueError):
        pack_dense([INT16_MAX + 1])


# --- predict --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x",
    [
        ones_vector(),
        zeros_vector(),
        [0] * 100,
        [INT16_MAX] * 100,
        [INT16_MIN] * 100,
        [(-1) ** i * (i * 331 % 32768) for i in range(100)],
        vector(100, i99=1),
        vector(100, i99=-1),
    ],
)
def test_predict__chosen_samples__match_the_twin(trainer, dense_model, x):
    assert trainer.predict(pack_dense(x)) == dense_model().predict(x)


def test_predict__default_samples__are_firm(trainer):
    assert trainer.predict(pack_dense(ones_vector())) == 1
    assert trainer.predict(pack_dense(zeros_vector())) == 0


@pytest.mark.parametrize("intercept, expected", [(-1, 0), (0, 0), (1, 1)])
def test_predict__zero_weights__the_intercept_decides(deploy_dense, intercept, expected):
    # margin = intercept * x_scale: 0 is not > 0, so it predicts 0.
    trainer = deploy_dense(weights=[0] * 100, intercept=intercept)
    assert trainer.predict(pack_dense([5] * 100)) == expected


def test_predict__margin__is_intercept_times_scale_plus_dot_product(deploy_dense):
    # margin = -3 * 10 + 2 * 15 = 0 -> 0; one more unit of x -> 2 > 0 -> 1.
    trainer = deploy_dense(n_features=2, x_scale=10, intercept=-3, weights=[2, 0])
    assert trainer.predict(pack_dense([15, 0])) == 0
    assert trainer.predict(pack_dense([16, 0])) == 1


def test_predict__before_seal__works(deploy_dense, dense_model):
    trainer = deploy_dense(seal=False)
    assert trainer.predict(pack_dense(ones_vector())) == dense_model().predict(ones_vector())


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([], id="empty"),
        pytest.param(pack_dense([1] * 96), id="one-word-short"),
        pytest.param([*pack_dense([1] * 100), 0], id="one-word-too-many"),
        pytest.param([*pack_dense([1] * 96), 1 << 64], id="value-101-in-padding"),
        pytest.param([*pack_dense([1] * 96), 1 << 255], id="top-lane-of-padding"),
    ],
)
def test_predict__wrong_dimension__reverts(trainer, data):
    with ape.reverts("dense_perceptron: wrong dimension"):
        trainer.predict(data)


@pytest.mark.parametrize(
    "data",
    [pytest.param([], id="empty"), pytest.param([*pack_dense([1] * 96), 1 << 64], id="padding")],
)
def test_add_data__wrong_dimension__reverts(trainer, contributor, data):
    with ape.reverts("dense_perceptron: wrong dimension"):
        trainer.add_data(data, 1, sender=contributor)


def test_predict__more_than_max_packed_words__reverts(trainer):
    # 65 words do not fit the DynArray[uint256, 64] argument: the ABI decoder rejects them.
    with ape.reverts():
        trainer.predict([1] * 65)


def test_predict__dimension_multiple_of_16__uses_every_lane(deploy_dense, dense_model):
    weights = [0] * 31 + [1]
    trainer = deploy_dense(n_features=32, weights=weights)
    assert trainer.predict(pack_dense(vector(32, i31=1))) == 1
    assert trainer.predict(pack_dense(vector(32, i31=-1))) == 0
    with ape.reverts("dense_perceptron: wrong dimension"):
        trainer.predict(pack_dense([1] * 33))


def test_predict__largest_model__matches_the_twin(deploy_dense, dense_model):
    weights = [(-1) ** i * (i % 50) for i in range(1024)]
    trainer = deploy_dense(n_features=1024, weights=weights)
    for x in ([1] * 1024, [(i % 7) - 3 for i in range(1024)]):
        assert trainer.predict(pack_dense(x)) == dense_model(n_features=1024, weights=weights).predict(x)


# --- update ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", [2, 255])
def test_add_data__label_out_of_range__reverts(trainer, contributor, label):
    with ape.reverts("dense_perceptron: label out of range"):
        trainer.add_data(pack_dense(ones_vector()), label, sender=contributor)


def test_add_data__not_sealed__reverts(deploy_dense, contributor):
    trainer = deploy_dense(seal=False)
    assert not trainer.sealed()
    with ape.reverts("dense_perceptron: not sealed"):
        trainer.add_data(pack_dense(ones_vector()), 1, sender=contributor)


def test_add_data__after_seal__trains(deploy_dense, creator, contributor):
    trainer = deploy_dense(seal=False, weights=[0] * 100)
    trainer.seal(sender=creator)
    assert trainer.sealed()
    trainer.add_data(pack_dense(ones_vector()), 1, sender=contributor)
    assert trainer.intercept() == 16


def test_add_data__model_wrong__weights_move_by_rate_times_x_and_intercept_by_rate_times_scale(
    deploy_dense, contributor
):
    trainer = deploy_dense(weights=[0] * 100, learning_rate=3, x_scale=20)
    x = vector(100, i0=5, i17=-7, i99=1)
    trainer.add_data(pack_dense(x), 1, sender=contributor)  # margin 0: predicted 0
    assert trainer.intercept() == 3 * 20
    assert read_weights(trainer) == [3 * v for v in x]
    # margin = 60 * 20 + 15 * 5 = 1275 > 0: predicted 1, label 0 moves everything back.
    y = vector(100, i0=5)
    trainer.add_data(pack_dense(y), 0, sender=contributor)
    assert trainer.intercept() == 0
    assert read_weights(trainer) == [3 * a - 3 * b for a, b in zip(x, y)]


def test_add_data__model_right__changes_nothing(trainer, contributor):
    trainer.add_data(pack_dense(ones_vector()), 1, sender=contributor)
    assert trainer.intercept() == 0
    assert read_weights(trainer) == DENSE_WEIGHTS


def test_add_data__intercept_learns__flips_the_zero_vector(deploy_dense, contributor):
    # The reference's bug: its intercept never learned. Here a model with zero weights
    # learns the label of the all-zero sample through the intercept alone.
    trainer = deploy_dense(weights=[0] * 100)
    zero = pack_dense([0] * 100)
    assert trainer.predict(zero) == 0
    trainer.add_data(zero, 1, sender=contributor)
    assert trainer.intercept() == 16
    assert read_weights(trainer) == [0] * 100
    assert trainer.predict(zero) == 1


def test_add_data__many_words__matches_the_twin(deploy_dense, dense_model, contributor, chain):
    weights = [(k * 37) % 11 - 5 for k in range(300)]
    trainer = deploy_dense(n_features=300, weights=weights, learning_rate=3, x_scale=7)
    model = dense_model(n_features=300, weights=weights, learning_rate=3, x_scale=7)
    for x, label in [
        ([(i % 5) - 2 for i in range(300)], 0),
        ([(i % 3) - 1 for i in range(300)], 1),
        (vector(300, i299=9), 1),
        (vector(300, i0=-4, i16=3, i32=2), 0),
    ]:
        trainer.add_data(pack_dense(x), label, sender=contributor)
        model.update(x, label)
        assert trainer.intercept() == model.intercept
        assert read_weights(trainer) == model.weights


# --- saturation -----------------------------------------------------------------------------------


def test_add_data__weight_at_int16_max__saturates_and_neighbours_keep(deploy_dense, contributor):
    weights = [5] * 100
    weights[16] = INT16_MAX
    # margin = -32768 * 1 + 32767 * 1 = -1: predicted 0, label 1 pushes up by 100 * x.
    trainer = deploy_dense(weights=weights, intercept=INT16_MIN, x_scale=1, learning_rate=100)
    trainer.add_data(pack_dense(vector(100, i16=1)), 1, sender=contributor)
    assert trainer.intercept() == INT16_MIN + 100
    assert read_weights(trainer) == weights


def test_add_data__weight_at_int16_min__saturates(deploy_dense, contributor):
    weights = [-7] * 100
    weights[31] = INT16_MIN
    weights[32] = INT16_MAX
    # margin = 32767 + (-32768 * -1) + 32767 > 0: predicted 1, label 0 pushes down.
    trainer = deploy_dense(weights=weights, intercept=INT16_MAX, x_scale=1, learning_rate=INT16_MAX)
    trainer.add_data(pack_dense(vector(100, i31=1, i32=1)), 0, sender=contributor)
    assert trainer.intercept() == 0
    expected = list(weights)
    expected[31] = INT16_MIN
    expected[32] = 0
    assert read_weights(trainer) == expected


def test_add_data__largest_step__saturates_both_ways(deploy_dense, dense_model, contributor):
    x = [INT16_MAX, INT16_MIN, 1, -1] + [0] * 96
    trainer = deploy_dense(weights=[0] * 100, x_scale=INT16_MAX, learning_rate=INT16_MAX)
    trainer.add_data(pack_dense(x), 1, sender=contributor)
    assert trainer.intercept() == INT16_MAX
    assert read_weights(trainer)[:4] == [INT16_MAX, INT16_MIN, INT16_MAX, -INT16_MAX]
    model = dense_model(weights=[0] * 100, x_scale=INT16_MAX, learning_rate=INT16_MAX)
    model.update(x, 1)
    assert read_weights(trainer) == model.weights


# --- initialisation -------------------------------------------------------------------------------


def test_initialize_weights__in_pieces_then_seal__predicts_like_the_twin(deploy_dense, dense_model, creator):
    words = pack_weights(DENSE_WEIGHTS)
    trainer = deploy_dense(seal=False, weight_words=words[:2])
    trainer.initialize_weights(2, words[2:5], sender=creator)
    trainer.initialize_weights(5, words[5:], sender=creator)
    trainer.seal(sender=creator)
    assert read_weights(trainer) == DENSE_WEIGHTS
    for x in (ones_vector(), zeros_vector(), [3] * 100):
        assert trainer.predict(pack_dense(x)) == dense_model().predict(x)


def test_twin__constructor_args_and_init_calls__deploy_the_same_model(deploy_dense, creator):
    model = DensePerceptron(n_features=300, x_scale=9, learning_rate=2, intercept=-5, weights=[i % 13 - 6 for i in range(300)])
    n, scale, intercept, rate, first = model.constructor_args(5)
    assert len(first) == 5
    calls = model.init_calls(5)
    assert [c[0] for c in calls] == ["initialize_weights"] * 3  # 19 words: 5 + 5 + 5 + 4
    trainer = deploy_dense(n_features=n, x_scale=scale, intercept=intercept, learning_rate=rate, weight_words=first, seal=False)
    for name, args in calls:
        getattr(trainer, name)(*args, sender=creator)
    trainer.seal(sender=creator)
    assert DensePerceptron.from_chain(trainer) == model
    assert DensePerceptron.from_dict(model.to_dict()) == model


def test_initialize_weights__after_seal__reverts(trainer, creator):
    with ape.reverts("dense_perceptron: sealed"):
        trainer.initialize_weights(0, [1], sender=creator)


def test_seal__twice__reverts(trainer, creator):
    with ape.reverts("dense_perceptron: sealed"):
        trainer.seal(sender=creator)


@pytest.mark.parametrize("first_word, count", [(0, 8), (6, 2), (7, 1), (100, 1)])
def test_initialize_weights__too_many_weights__reverts(deploy_dense, creator, first_word, count):
    trainer = deploy_dense(seal=False)  # 100 features fill words 0..6
    with ape.reverts("dense_perceptron: too many weights"):
        trainer.initialize_weights(first_word, [1] * count, sender=creator)


def test_initialize_weights__not_owner__reverts(deploy_dense, contributor):
    trainer = deploy_dense(seal=False)
    with ape.reverts("ownable: caller is not the owner"):
        trainer.initialize_weights(0, [1], sender=contributor)


def test_seal__not_owner__reverts(deploy_dense, stranger):
    trainer = deploy_dense(seal=False)
    with ape.reverts("ownable: caller is not the owner"):
        trainer.seal(sender=stranger)


@pytest.mark.parametrize("n_features, words", [(100, 8), (96, 7), (1, 2), (16, 2)])
def test_deploy__too_many_weights__reverts(deploy_dense, n_features, words):
    with ape.reverts("dense_perceptron: too many weights"):
        deploy_dense(n_features=n_features, weight_words=[0] * words)


@pytest.mark.parametrize(
    "overrides, reason",
    [
        (dict(n_features=0), "dense_perceptron: bad number of features"),
        (dict(n_features=1025), "dense_perceptron: bad number of features"),
        (dict(x_scale=0), "dense_perceptron: bad input scale"),
        (dict(x_scale=-1), "dense_perceptron: bad input scale"),
        (dict(x_scale=2**15), "dense_perceptron: bad input scale"),
        (dict(learning_rate=0), "dense_perceptron: bad learning rate"),
        (dict(learning_rate=-1), "dense_perceptron: bad learning rate"),
        (dict(learning_rate=2**15), "dense_perceptron: bad learning rate"),
        (dict(intercept=INT16_MIN - 1), "dense_perceptron: intercept out of range"),
        (dict(intercept=INT16_MAX + 1), "dense_perceptron: intercept out of range"),
    ],
)
@pytest.mark.parametrize("mechanism", ["deposit", "points"])
def test_deploy__bad_model_argument__reverts(deploy_dense, overrides, reason, mechanism):
    with ape.reverts(reason):
        deploy_dense(mechanism, weight_words=[], **overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        dict(n_features=1024, weight_words=[]),
        dict(n_features=1, weights=[7]),
        dict(x_scale=INT16_MAX),
        dict(learning_rate=INT16_MAX),
        dict(intercept=INT16_MIN),
        dict(intercept=INT16_MAX),
    ],
)
def test_deploy__model_argument_at_bound__works(deploy_dense, overrides):
    trainer = deploy_dense(**overrides)
    for name in ("n_features", "x_scale", "learning_rate", "intercept"):
        if name in overrides:
            assert getattr(trainer, name)() == overrides[name]


def test_deploy__model_views__report_the_arguments(deploy_dense):
    trainer = deploy_dense(intercept=-3, learning_rate=2, x_scale=40)
    assert trainer.n_features() == 100
    assert trainer.x_scale() == 40
    assert trainer.learning_rate() == 2
    assert trainer.intercept() == -3
    assert trainer.sealed()
    assert read_weights(trainer) == DENSE_WEIGHTS


# --- the twin on its own --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_features=0),
        dict(n_features=1025),
        dict(n_features=2, x_scale=0),
        dict(n_features=2, learning_rate=2**15),
        dict(n_features=2, intercept=2**15),
        dict(n_features=2, weights=[1]),
        dict(n_features=2, weights=[1, 2**15]),
    ],
)
def test_twin__invalid_model__raises(kwargs):
    with pytest.raises(ValueError):
        DensePerceptron(**kwargs)


def test_twin__invalid_input_or_label__raises(dense_model):
    model = dense_model()
    with pytest.raises(ValueError):
        model.predict([0] * 99)
    with pytest.raises(ValueError):
        model.pack_input([2**15] + [0] * 99)
    with pytest.raises(ValueError):
        model.update([0] * 100, 2)
    with pytest.raises(ValueError):
        DensePerceptron.fit([([0] * 3, 1)], 3, n_classes=3)
