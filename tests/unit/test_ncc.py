"""The dense nearest-centroid classifier (contracts/models/ncc.vy), through a trainer.

Predictions and updates are compared with the Python twin; every input the model rejects is
tried with its revert reason. Contributions cost nothing (cost_weight = min_deposit = 0).
"""

import ape
import pytest

from ape_decai.models.ncc import NearestCentroid, tdiv
from ape_decai.packing import pack_dense
from dense_fixtures import NCC_CENTROIDS, NCC_COUNTS, deploy_ncc, ncc_model  # noqa: F401

INT16_MIN = -(2**15)
INT16_MAX = 2**15 - 1


@pytest.fixture
def trainer(deploy_ncc):
    return deploy_ncc()


def flat(centroids) -> list[int]:
    return [w for c in centroids for w in pack_dense(c)]


# --- the twin's arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, q", [(7, 2, 3), (-7, 2, -3), (7, -2, -3), (-7, -2, 3), (0, 5, 0), (-1, 2, 0), (65535, 1, 65535)]
)
def test_tdiv__truncates_toward_zero(a, b, q):
    assert tdiv(a, b) == q


# --- predict --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x",
    [
        NCC_CENTROIDS[0],
        NCC_CENTROIDS[1],
        NCC_CENTROIDS[2],
        [0] * 20,
        [INT16_MAX] * 20,
        [INT16_MIN] * 20,
        [(-1) ** i * 700 for i in range(20)],
        [-600] * 10 + [600] * 10,
    ],
)
def test_predict__chosen_samples__match_the_twin(trainer, ncc_model, x):
    assert trainer.predict(pack_dense(x)) == ncc_model().predict(x)


def test_predict__near_each_centroid__is_that_class(trainer):
    for label, centroid in enumerate(NCC_CENTROIDS):
        assert trainer.predict(pack_dense([v + 50 for v in centroid])) == label


def test_predict__tie__goes_to_the_lowest_class(deploy_ncc):
    trainer = deploy_ncc(n_features=2, counts=[1, 1, 1], centroids=[[10, 0], [-10, 0], [-10, 0]])
    assert trainer.predict(pack_dense([0, 0])) == 0  # equidistant from all three
    assert trainer.predict(pack_dense([-10, 5])) == 1  # classes 1 and 2 are the same point


def test_predict__empty_class__is_skipped(deploy_ncc, ncc_model):
    centroids = [[100] * 20, [0] * 20, [-100] * 20]
    trainer = deploy_ncc(counts=[1, 0, 1], centroids=centroids)
    assert trainer.predict(pack_dense([0] * 20)) == 0  # class 1 sits on it but has no sample
    assert ncc_model(counts=[1, 0, 1], centroids=centroids).predict([0] * 20) == 0


@pytest.mark.parametrize("counts", [[0, 0, 0], []])
def test_predict__no_populated_class__reverts(deploy_ncc, counts):
    trainer = deploy_ncc(counts=counts, centroids=[[1] * 20 for _ in counts])
    with ape.reverts("ncc: no populated class"):
        trainer.predict(pack_dense([0] * 20))


def test_predict__distance_of_extremes__does_not_overflow(deploy_ncc):
    # The largest squared distance: 1024 features, each 2**16 - 1 apart.
    trainer = deploy_ncc(n_features=1024, counts=[1, 1], centroids=[[INT16_MIN] * 1024, [INT16_MAX - 1] * 1024])
    assert trainer.predict(pack_dense([INT16_MAX] * 1024)) == 1
    assert trainer.predict(pack_dense([INT16_MIN] * 1024)) == 0


def test_predict__before_seal__works(deploy_ncc, ncc_model):
    trainer = deploy_ncc(seal=False)
    assert not trainer.sealed()
    assert trainer.predict(pack_dense([5] * 20)) == ncc_model().predict([5] * 20)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([], id="empty"),
        pytest.param(pack_dense([1] * 16), id="one-word-short"),
        pytest.param([*pack_dense([1] * 20), 0], id="one-word-too-many"),
        pytest.param([pack_dense([1] * 16)[0], 1 << 64], id="value-21-in-padding"),
        pytest.param([pack_dense([1] * 16)[0], 1 << 255], id="top-lane-of-padding"),
    ],
)
def test_predict__wrong_dimension__reverts(trainer, data):
    with ape.reverts("ncc: wrong dimension"):
        trainer.predict(data)


@pytest.mark.parametrize(
    "data", [pytest.param([], id="empty"), pytest.param([0, 1 << 64], id="padding")]
)
def test_add_data__wrong_dimension__reverts(trainer, contributor, data):
    with ape.reverts("ncc: wrong dimension"):
        trainer.add_data(data, 1, sender=contributor)


# --- update ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", [3, 255])
def test_add_data__unknown_class__reverts(trainer, contributor, label):
    with ape.reverts("ncc: unknown class"):
        trainer.add_data(pack_dense([0] * 20), label, sender=contributor)


def test_add_data__not_sealed__reverts(deploy_ncc, contributor):
    trainer = deploy_ncc(seal=False)
    with ape.reverts("ncc: not sealed"):
        trainer.add_data(pack_dense([0] * 20), 0, sender=contributor)


def test_add_data__after_seal__trains(deploy_ncc, creator, contributor):
    trainer = deploy_ncc(seal=False)
    trainer.seal(sender=creator)
    assert trainer.sealed()
    trainer.add_data(pack_dense([0] * 20), 0, sender=contributor)
    assert trainer.sample_counts(0) == NCC_COUNTS[0] + 1


def test_add_data__running_mean__truncates_toward_zero(deploy_ncc, contributor):
    # class 0 has 1 sample at 0: x = -3 moves it by trunc(-3 / 2) = -1 (a floor would give -2).
    trainer = deploy_ncc(n_features=3, counts=[1], centroids=[[0, 0, 10]])
    trainer.add_data(pack_dense([-3, 3, 0]), 0, sender=contributor)
    assert NearestCentroid.from_chain(trainer).centroids == [[-1, 1, 5]]
    assert trainer.sample_counts(0) == 2
    # n = 2 -> divide by 3: (-7 - -1) / 3 = -2, (8 - 1) / 3 = 2 (2.33), (0 - 5) / 3 = -1 (-1.67)
    trainer.add_data(pack_dense([-7, 8, 0]), 0, sender=contributor)
    assert NearestCentroid.from_chain(trainer).centroids == [[-3, 3, 4]]


def test_add_data__first_sample_of_an_empty_class__becomes_its_centroid(deploy_ncc, contributor):
    trainer = deploy_ncc(counts=[1, 0, 1], centroids=[[100] * 20, [7] * 20, [-100] * 20])
    x = [(-1) ** i * i * 1000 for i in range(20)]
    trainer.add_data(pack_dense(x), 1, sender=contributor)
    model = NearestCentroid.from_chain(trainer)
    assert model.centroids[1] == x
    assert model.counts == [1, 1, 1]
    assert trainer.predict(pack_dense(x)) == 1


def test_add_data__extremes__stay_in_int16(deploy_ncc, ncc_model, contributor):
    centroids = [[INT16_MIN] * 20, [INT16_MAX] * 20]
    trainer = deploy_ncc(counts=[1, 1], centroids=centroids)
    model = ncc_model(counts=[1, 1], centroids=centroids)
    for x, label in [([INT16_MAX] * 20, 0), ([INT16_MIN] * 20, 1), ([INT16_MAX] * 20, 1), ([INT16_MIN] * 20, 0)]:
        trainer.add_data(pack_dense(x), label, sender=contributor)
        model.update(x, label)
        assert NearestCentroid.from_chain(trainer) == model
    assert model.centroids[0][0] == INT16_MIN + tdiv(2**16 - 1, 2) + tdiv(INT16_MIN - (INT16_MIN + 32767), 3)


def test_add_data__sequence__matches_the_twin(trainer, ncc_model, contributor):
    model = ncc_model()
    for k in range(6):
        x = [((i * 7919 + k * 104729) % 4001) - 2000 for i in range(20)]
        label = k % 3
        trainer.add_data(pack_dense(x), label, sender=contributor)
        model.update(x, label)
        assert NearestCentroid.from_chain(trainer) == model
        assert trainer.predict(pack_dense(x)) == model.predict(x)


# --- classes --------------------------------------------------------------------------------------


def test_add_class__after_seal__adds_a_class_that_learns_and_predicts(trainer, creator, contributor, ncc_model):
    far = [20000] * 20
    trainer.add_class(3, pack_dense(far), 0, sender=creator)
    assert trainer.num_classes() == 4
    assert trainer.predict(pack_dense(far)) == 2  # empty: skipped
    trainer.add_data(pack_dense(far), 3, sender=contributor)
    assert trainer.predict(pack_dense(far)) == 3
    model = ncc_model()
    model.add_class(far, 0)
    model.update(far, 3)
    assert NearestCentroid.from_chain(trainer) == model


def test_add_class__with_count_before_seal__is_populated_at_once(deploy_ncc, creator):
    trainer = deploy_ncc(seal=False)
    trainer.add_class(3, pack_dense([9000] * 20), 4, sender=creator)
    assert trainer.sample_counts(3) == 4
    assert trainer.predict(pack_dense([8000] * 20)) == 3


@pytest.mark.parametrize("count", [1, 2**200])
def test_add_class__with_count_after_seal__reverts(trainer, creator, count):
    # Issue 10: a populated class added after seal would flip predictions (and refunds).
    with ape.reverts("ncc: not next class, or sealed"):
        trainer.add_class(3, pack_dense([9000] * 20), count, sender=creator)
    assert trainer.num_classes() == 3


def test_add_class__empty_after_seal__changes_no_prediction(trainer, creator, contributor):
    # The centroid sent sits exactly on x, but the class has no sample: skipped; the first
    # contribution replaces the placeholder by its own sample.
    x = [9000] * 20
    before = trainer.predict(pack_dense(x))
    trainer.add_class(3, pack_dense(x), 0, sender=creator)
    assert trainer.predict(pack_dense(x)) == before
    far = [-30000] * 20
    trainer.add_data(pack_dense(far), 3, sender=contributor)
    assert [trainer.centroid_words(3 * 2 + k) for k in range(2)] == pack_dense(far)
    assert trainer.predict(pack_dense(x)) == before


def test_add_class__before_seal__overwrites_an_existing_class(deploy_ncc, creator):
    trainer = deploy_ncc(seal=False)
    trainer.add_class(1, pack_dense([42] * 20), 9, sender=creator)
    trainer.add_class(1, pack_dense([42] * 20), 9, sender=creator)  # resent: harmless
    model = NearestCentroid.from_chain(trainer)
    assert model.n_classes == 3
    assert model.centroids[1] == [42] * 20
    assert model.counts == [NCC_COUNTS[0], 9, NCC_COUNTS[2]]


@pytest.mark.parametrize("label", [4, 255])
def test_add_class__label_after_the_next__reverts(trainer, creator, label):
    with ape.reverts("ncc: not next class, or sealed"):
        trainer.add_class(label, pack_dense([0] * 20), 1, sender=creator)


def test_add_class__existing_label_after_seal__reverts(trainer, creator):
    with ape.reverts("ncc: not next class, or sealed"):
        trainer.add_class(0, pack_dense([0] * 20), 1, sender=creator)


@pytest.mark.parametrize("centroid", [[], [0], [0, 1 << 64], [0, 0, 0]])
def test_add_class__wrong_dimension__reverts(trainer, creator, centroid):
    with ape.reverts("ncc: wrong dimension"):
        trainer.add_class(3, centroid, 1, sender=creator)


def test_add_class__not_owner__reverts(trainer, stranger):
    with ape.reverts("ownable: caller is not the owner"):
        trainer.add_class(3, pack_dense([0] * 20), 1, sender=stranger)


def test_add_class__from_no_class__populates_an_empty_model(deploy_ncc, creator):
    trainer = deploy_ncc(counts=[], centroids=[], seal=False)
    assert trainer.num_classes() == 0
    trainer.add_class(0, pack_dense([1] * 20), 1, sender=creator)
    trainer.seal(sender=creator)
    assert trainer.predict(pack_dense([0] * 20)) == 0


# --- sealing and deployment -----------------------------------------------------------------------


def test_seal__twice__reverts(trainer, creator):
    with ape.reverts("ncc: sealed"):
        trainer.seal(sender=creator)


def test_seal__not_owner__reverts(deploy_ncc, stranger):
    trainer = deploy_ncc(seal=False)
    with ape.reverts("ownable: caller is not the owner"):
        trainer.seal(sender=stranger)


@pytest.mark.parametrize("mechanism", ["deposit", "points"])
@pytest.mark.parametrize("n_features", [0, 1025])
def test_deploy__bad_number_of_features__reverts(deploy_ncc, mechanism, n_features):
    with ape.reverts("ncc: bad number of features"):
        deploy_ncc(mechanism, n_features=n_features, counts=[], centroid_words=[])


@pytest.mark.parametrize(
    "counts, words",
    [
        pytest.param([1], [], id="missing-centroid"),
        pytest.param([1], [0], id="half-a-centroid"),
        pytest.param([1], [0, 0, 0], id="one-word-too-many"),
        pytest.param([], [0, 0], id="centroid-without-count"),
        pytest.param([1, 1], [0, 1 << 64, 0, 0], id="padding-of-the-first-class"),
        pytest.param([1, 1], [0, 0, 0, 1 << 255], id="padding-of-the-last-class"),
    ],
)
def test_deploy__centroids_not_matching__reverts(deploy_ncc, counts, words):
    with ape.reverts("ncc: wrong dimension"):
        deploy_ncc(counts=counts, centroid_words=words)


def test_deploy__views__report_the_arguments(trainer, ncc_model):
    assert trainer.n_features() == 20
    assert trainer.num_classes() == 3
    assert trainer.sealed()
    assert [trainer.sample_counts(c) for c in range(3)] == NCC_COUNTS
    assert trainer.centroid_words(2) == pack_dense(NCC_CENTROIDS[1])[0]
    assert NearestCentroid.from_chain(trainer) == ncc_model()


def test_deploy__largest_dimension_and_one_feature__work(deploy_ncc):
    assert deploy_ncc(n_features=1024, counts=[1], centroids=[[3] * 1024]).predict(pack_dense([0] * 1024)) == 0
    assert deploy_ncc(n_features=1, counts=[1, 1], centroids=[[-5], [5]]).predict(pack_dense([1])) == 1


def test_twin__constructor_args_and_init_calls__deploy_the_same_model(deploy_ncc, creator):
    model = NearestCentroid(
        n_features=40, centroids=[[(c * 37 + i) % 200 - 100 for i in range(40)] for c in range(5)], counts=[3, 0, 1, 7, 2]
    )
    n, counts, words = model.constructor_args(7)  # 3 words per class: 2 classes in the constructor
    assert counts == [3, 0] and len(words) == 6
    calls = model.init_calls(7)
    assert [(name, args[0]) for name, args in calls] == [("add_class", 2), ("add_class", 3), ("add_class", 4)]
    trainer = deploy_ncc(n_features=n, counts=counts, centroid_words=words, seal=False)
    for name, args in calls:
        getattr(trainer, name)(*args, sender=creator)
    getattr(trainer, calls[0][0])(*calls[0][1], sender=creator)  # a resent call changes nothing
    trainer.seal(sender=creator)
    assert NearestCentroid.from_chain(trainer) == model
    assert NearestCentroid.from_dict(model.to_dict()) == model
    with pytest.raises(ValueError):
        model.constructor_args(2)  # a class does not fit in one call


# --- the twin on its own --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_features=0),
        dict(n_features=1025),
        dict(n_features=2, centroids=[[0, 0]], counts=[]),
        dict(n_features=2, centroids=[[0]], counts=[1]),
        dict(n_features=2, centroids=[[0, 2**15]], counts=[1]),
        dict(n_features=2, centroids=[[0, 0]], counts=[-1]),
    ],
)
def test_twin__invalid_model__raises(kwargs):
    with pytest.raises(ValueError):
        NearestCentroid(**kwargs)


def test_twin__invalid_input__raises(ncc_model):
    model = ncc_model()
    with pytest.raises(ValueError, match="unknown class"):
        model.update([0] * 20, 3)
    with pytest.raises(ValueError):
        model.predict([0] * 21)
    with pytest.raises(ValueError, match="no populated class"):
        ncc_model(counts=[0, 0, 0]).predict([0] * 20)
