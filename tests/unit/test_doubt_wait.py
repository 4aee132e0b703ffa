"""The deposit mechanism's doubt wait td (paper III-C1: t ~ 1 / P(h(x) = y)).

A contribution the model disagreed with when it was added (its vote before training on it) waits
td before its refund and before reports; one it agreed with waits t. td = t: off, and then no vote
is recorded. The model here is tiny on purpose, so each test knows every vote:

    feature 0: weight 1   one update (label 0) flips its vote to 0
    feature 1: weight 50  firmly 1 (the reporter's good data)
    feature 2: weight 50  firmly 1: labelled 0 it stays doubted and disagreed with
    feature 3: weight 2   1 until one update (label 0) brings its margin to 0
"""

import ape
import pytest

from ape_decai.packing import pack_indices
from ape_decai.records import Contribution
from ape_decai.trainers import Trainer

from conftest import N_FEATURES, TA, T, TC

TD = 3 * T
DOUBTED_BIT = 1 << 253
WEIGHTS = [1, 50, 50, 2] + [0] * (N_FEATURES - 4)
FLIPS, FIRM, DOUBTED_FIRM, EDGE = [0], [1], [2], [3]


@pytest.fixture
def trainer(deploy_deposit_trainer):
    """The tiny model with the doubt wait on (t = 1 day, td = 3 days)."""
    return deploy_deposit_trainer(weights=WEIGHTS, intercept=0, doubt_wait=TD)


@pytest.fixture
def add(record_key):
    """Function (trainer, sender, indices, label) -> (args of refund, key), paying next_deposit()."""

    def add(trainer, sender, indices, label):
        words = pack_indices(indices)
        receipt = trainer.add_data(words, label, sender=sender, value=trainer.next_deposit())
        return (words, label, receipt.timestamp), record_key(words, label, receipt.timestamp, sender)

    return add


@pytest.fixture
def good_reporter(trainer, add, chain, reporter):
    """The reporter, with one refunded (good) contribution to `trainer`."""
    args, _ = add(trainer, reporter, FIRM, 1)
    chain.mine(deltatime=T)
    trainer.refund(*args, sender=reporter)
    return reporter


def test_deploy__doubt_wait__is_a_view(trainer):
    assert (trainer.refund_wait(), trainer.doubt_wait(), trainer.creator_wait()) == (T, TD, TC)


@pytest.mark.parametrize(
    "waits", [dict(refund_wait=2 * T, doubt_wait=T), dict(doubt_wait=TC + 1)], ids=["td<t", "td>tc"]
)
def test_deploy__doubt_wait_out_of_order__reverts(deploy_deposit_trainer, waits):
    with ape.reverts("stakeable: wait times must satisfy t <= td <= tc <= ta"):
        deploy_deposit_trainer(**waits)


@pytest.mark.parametrize("td", [T, TC], ids=["td=t", "td=tc"])
def test_deploy__doubt_wait_at_its_bounds__works(deploy_deposit_trainer, td):
    assert deploy_deposit_trainer(doubt_wait=td).doubt_wait() == td


def test_add_data__doubt_wait_on__records_the_vote_before_training(trainer, add, contributor):
    _, doubted = add(trainer, contributor, FLIPS, 0)  # the model said 1, and now says 0
    _, agreed = add(trainer, contributor, FIRM, 1)

    assert trainer.predict(pack_indices(FLIPS)) == 0
    assert trainer.records(doubted) & DOUBTED_BIT
    assert not trainer.records(agreed) & DOUBTED_BIT


def test_add_data__doubt_wait_off__records_no_vote(deposit_trainer, add, contributor, ones_sample):
    _, key = add(deposit_trainer, contributor, ones_sample, 0)  # the model disagrees

    assert deposit_trainer.doubt_wait() == deposit_trainer.refund_wait()
    assert not deposit_trainer.records(key) & DOUBTED_BIT


def test_refund__doubted__waits_td(trainer, add, chain, contributor):
    args, key = add(trainer, contributor, FLIPS, 0)
    chain.pending_timestamp = args[2] + TD - 1
    with ape.reverts("stakeable: refund wait not over"):
        trainer.refund(*args, sender=contributor)
    chain.pending_timestamp = args[2] + TD

    trainer.refund(*args, sender=contributor)

    assert trainer.good_data_count(contributor) == 1
    assert trainer.records(key) & DOUBTED_BIT  # kept when the record changes


def test_refund__agreed__waits_t(trainer, add, chain, contributor):
    args, _ = add(trainer, contributor, FIRM, 1)
    chain.pending_timestamp = args[2] + T - 1
    with ape.reverts("stakeable: refund wait not over"):
        trainer.refund(*args, sender=contributor)
    chain.pending_timestamp = args[2] + T

    trainer.refund(*args, sender=contributor)

    assert trainer.good_data_count(contributor) == 1


def test_report__doubted__waits_td(trainer, add, chain, contributor, good_reporter):
    args, key = add(trainer, contributor, DOUBTED_FIRM, 0)
    chain.pending_timestamp = args[2] + TD - 1
    with ape.reverts("stakeable: refund wait not over"):
        trainer.report(*args, contributor, sender=good_reporter)
    chain.pending_timestamp = args[2] + TD

    receipt = trainer.report(*args, contributor, sender=good_reporter)

    assert [e.key for e in receipt.events] == [key]
    assert trainer.records(key) & DOUBTED_BIT


def test_report__agreed_then_outvoted__waits_t(trainer, add, chain, contributor, other_contributor, good_reporter):
    args, key = add(trainer, contributor, EDGE, 1)  # agreed: waits t
    add(trainer, other_contributor, EDGE, 0)  # the model now says 0
    assert trainer.predict(pack_indices(EDGE)) == 0
    chain.pending_timestamp = args[2] + T - 1
    with ape.reverts("stakeable: refund wait not over"):
        trainer.report(*args, contributor, sender=good_reporter)
    chain.pending_timestamp = args[2] + T

    trainer.report(*args, contributor, sender=good_reporter)

    assert trainer.taken_by(key, good_reporter)
    assert not trainer.records(key) & DOUBTED_BIT


def test_client__verdicts__wait_td_for_a_doubted_contribution_and_t_for_an_agreed_one(
    trainer, add, chain, contributor, good_reporter
):
    client = Trainer.at(trainer.address)
    agreed_args, _ = add(trainer, contributor, DOUBTED_FIRM, 1)  # agreed: the model says 1
    args, _ = add(trainer, contributor, DOUBTED_FIRM, 0)  # doubted, and the model keeps saying 1
    chain.pending_timestamp = args[2] + TD - 1

    agreed, doubted = (
        client.refresh(Contribution(contributor.address, label, 0, added_at, words, "", 0))
        for words, label, added_at in (agreed_args, args)
    )
    assert (agreed.record.doubted, doubted.record.doubted) == (False, True)
    assert client.refund_verdict(agreed).possible
    verdict = client.report_verdict(doubted, good_reporter.address)
    assert (verdict.possible, verdict.reason) == (False, "the wait is not over: possible in 1s")
    chain.pending_timestamp = args[2] + TD

    assert client.report_verdict(doubted, good_reporter.address).possible


def test_doubted_deposit__td_at_its_largest__is_still_released_at_ta(deploy_deposit_trainer, add, chain, contributor, stranger):
    # The worst case the terms accept: td = tc = ta. The doubted deposit can be neither refunded
    # nor reported before ta; at ta anyone takes all of it and the trainer holds nothing.
    trainer = deploy_deposit_trainer(weights=WEIGHTS, intercept=0, doubt_wait=TA, creator_wait=TA, anyone_wait=TA)
    args, key = add(trainer, contributor, DOUBTED_FIRM, 0)
    assert trainer.records(key) & DOUBTED_BIT
    chain.pending_timestamp = args[2] + TA - 1
    with ape.reverts("stakeable: refund wait not over"):
        trainer.refund(*args, sender=contributor)
    chain.pending_timestamp = args[2] + TA

    trainer.report(*args, contributor, sender=stranger)

    assert trainer.balance == 0
