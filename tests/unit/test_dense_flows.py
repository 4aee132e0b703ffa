"""The dense models through each mechanism's whole flow.

Deposit: contributors add data with a deposit; time passes (`chain.mine(deltatime=...)`); the
author of data the model agrees with is refunded, and a reporter with refunded data takes a
share of the deposit of data the model disagrees with. Points: add, then validate once the
wait is over. The preconditions (what the model predicts) are checked with the Python twin.
"""

import ape
import pytest

from ape_decai.models.ncc import NearestCentroid
from dense_fixtures import (  # noqa: F401
    NCC_CENTROIDS,
    T,
    deploy_dense,
    deploy_ncc,
    dense_model,
    ncc_model,
    ones_vector,
    zeros_vector,
)

COST_WEIGHT = 10**18
MIN_DEPOSIT = 10**15


@pytest.fixture(params=["dense-perceptron", "ncc"])
def case(request, deploy_dense, deploy_ncc, dense_model, ncc_model):
    """Function mechanism -> (trainer, twin, good (x, label), bad (x, label), other good (x, label))."""

    def make(mechanism):
        costs = dict(cost_weight=COST_WEIGHT, min_deposit=MIN_DEPOSIT) if mechanism == "deposit" else {}
        if request.param == "dense-perceptron":
            trainer, twin = deploy_dense(mechanism, **costs), dense_model()
            good, bad, other = (ones_vector(value=4), 1), (ones_vector(value=4), 0), (zeros_vector(value=4), 0)
        else:
            trainer, twin = deploy_ncc(mechanism, **costs), ncc_model()
            near0 = [v + 30 for v in NCC_CENTROIDS[0]]
            good, bad, other = (near0, 0), (near0, 2), ([v - 30 for v in NCC_CENTROIDS[2]], 2)
        return trainer, twin, good, bad, other

    return make


def add(trainer, twin, sender, x, label, deposit=True):
    words = twin.pack_input(x)
    value = trainer.next_deposit() if deposit else 0
    receipt = trainer.add_data(words, label, sender=sender, value=value)
    twin.update(x, label)
    return words, label, receipt.timestamp, value, receipt


def test_deposit_flow__refund_when_the_model_agrees__report_when_it_does_not(
    case, chain, contributor, other_contributor, reporter, t
):
    trainer, twin, good, bad, other = case("deposit")
    assert twin.predict(good[0]) == good[1] and twin.predict(other[0]) == other[1]
    assert twin.predict(bad[0]) != bad[1]

    mine = add(trainer, twin, contributor, *good)
    chain.mine(deltatime=600)
    theirs = add(trainer, twin, reporter, *other)
    chain.mine(deltatime=600)
    bad_one = add(trainer, twin, other_contributor, *bad)
    event = bad_one[4].events[0]
    assert event.event_name == "DataAdded" and list(event.data) == bad_one[0]
    # The model learned from the bad sample but still disagrees with it, and agrees with the rest.
    assert trainer.predict(bad_one[0]) == twin.predict(bad[0]) != bad[1]
    assert trainer.predict(mine[0]) == good[1]
    assert trainer.predict(theirs[0]) == other[1]
    assert type(twin).from_chain(trainer) == twin

    with ape.reverts("stakeable: refund wait not over"):
        trainer.refund(*mine[:3], sender=contributor)
    chain.mine(deltatime=t)

    receipt = trainer.refund(*mine[:3], sender=contributor)
    assert receipt.events[0].event_name == "DepositRefunded" and receipt.events[0].amount == mine[3]
    trainer.refund(*theirs[:3], sender=reporter)
    assert trainer.good_data_count(contributor) == 1 and trainer.good_data_count(reporter) == 1
    with ape.reverts("stakeable: model disagrees"):
        trainer.refund(*bad_one[:3], sender=other_contributor)

    receipt = trainer.report(*bad_one[:3], other_contributor, sender=reporter)
    taken = receipt.events[0]
    assert taken.event_name == "DepositTaken" and taken.taker == reporter.address
    assert taken.amount == bad_one[3] // 2  # n(reporter) / sum n(c) = 1 / 2
    with ape.reverts("stakeable: model agrees"):
        trainer.report(*mine[:3], contributor, sender=reporter)


def test_points_flow__validate_when_the_model_agrees(case, chain, contributor, other_contributor, t):
    trainer, twin, good, bad, _ = case("points")
    mine = add(trainer, twin, contributor, *good, deposit=False)
    bad_one = add(trainer, twin, other_contributor, *bad, deposit=False)
    assert trainer.contributions(contributor) == 1
    assert trainer.labels_contributed(other_contributor) == 1 << bad[1]
    with ape.reverts("points: validation wait not over"):
        trainer.validate(*mine[:3], sender=contributor)
    chain.mine(deltatime=t)
    trainer.validate(*mine[:3], sender=contributor)
    assert trainer.good_data_count(contributor) == 1
    with ape.reverts("points: model disagrees"):
        trainer.validate(*bad_one[:3], sender=other_contributor)
    assert type(twin).from_chain(trainer) == twin


def test_ncc_flow__a_class_added_after_deployment__earns_refunds(deploy_ncc, ncc_model, chain, creator, contributor):
    trainer, twin = deploy_ncc(cost_weight=COST_WEIGHT, min_deposit=MIN_DEPOSIT), ncc_model()
    new = [20000] * 20
    trainer.add_class(3, twin.pack_input(new), 0, sender=creator)
    twin.add_class(new, 0)
    words, label, added_at, deposit, _ = add(trainer, twin, contributor, new, 3)
    chain.mine(deltatime=T)
    receipt = trainer.refund(words, label, added_at, sender=contributor)
    assert receipt.events[0].amount == deposit
    assert NearestCentroid.from_chain(trainer) == twin
