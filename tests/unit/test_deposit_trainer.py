"""The deposit trainer: add_data, refund, report and the views (stakeable + data_handler).

Time is pinned with `chain.pending_timestamp = ...` where a test is about a boundary (the
next mined block gets exactly that timestamp) and moved with `chain.mine(deltatime=...)`
elsewhere. Default trainer (see conftest): t / tc / ta = 1 / 30 / 60 days, cost_weight 1e18
wei*s, min_deposit 1e15 wei, min_share 1e13 wei; ONES_SAMPLE is firmly labelled 1 and
ZEROS_SAMPLE firmly 0, so adding them with the opposite label is bad data that one update
does not make good.
"""

from dataclasses import dataclass

import ape
import pytest
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from ape_decai.packing import pack_indices, unpack_indices
from strategies import elapsed_seconds

COST_WEIGHT = 10**18
ZERO_ADDRESS = "0x" + "00" * 20
MIN_DEPOSIT = 10**15
MIN_SHARE = 10**13


@dataclass
class Added:
    """A contribution as its author (and anyone reading DataAdded) knows it."""

    words: list
    label: int
    added_at: int
    contributor: object
    deposit: int
    key: bytes
    receipt: object

    @property
    def args(self):
        """(data, label, added_at) as refund takes them."""
        return self.words, self.label, self.added_at


@pytest.fixture
def add(record_key):
    """Function (trainer, sender, indices, label, value=None) -> Added; pays next_deposit()
    unless a value is given."""

    def add(trainer, sender, indices, label, value=None):
        words = pack_indices(indices)
        if value is None:
            value = trainer.next_deposit()
        receipt = trainer.add_data(words, label, sender=sender, value=value)
        added_at = receipt.timestamp
        key = record_key(words, label, added_at, sender)
        return Added(words, label, added_at, sender, value, key, receipt)

    return add


@pytest.fixture
def earn_good_data(add, chain, t):
    """Function (trainer, account, indices=(0,)) -> Added: the account adds data the default
    model agrees with and is refunded, so good_data_count(account) grows by one."""

    def earn(trainer, account, indices=(0,)):
        c = add(trainer, account, list(indices), 1)
        chain.mine(deltatime=t)
        trainer.refund(*c.args, sender=account)
        return c

    return earn


def expected_deposit(elapsed, cost_weight=COST_WEIGHT, min_deposit=MIN_DEPOSIT):
    return max(min_deposit, cost_weight // max(1, elapsed))


# --- deployment -----------------------------------------------------------------------------------


def test_deploy__logs_trainer_deployed(deposit_trainer, chain, creator, deposit_defaults):
    receipt = chain.get_receipt(deposit_trainer.txn_hash)
    assert receipt.events == [
        deposit_trainer.OwnershipTransferred(previous_owner=ZERO_ADDRESS, new_owner=creator.address),
        deposit_trainer.TrainerDeployed(
            creator=creator.address,
            name=deposit_defaults["name"],
            description=deposit_defaults["description"],
            encoder=deposit_defaults["encoder"],
        ),
    ]
    assert deposit_trainer.deployed_at_block() == receipt.block_number


def test_deploy__views__report_the_parameters(deposit_trainer, creator, t, tc, ta):
    assert deposit_trainer.owner() == creator
    assert deposit_trainer.refund_wait() == t
    assert deposit_trainer.creator_wait() == tc
    assert deposit_trainer.anyone_wait() == ta
    assert deposit_trainer.cost_weight() == COST_WEIGHT
    assert deposit_trainer.min_deposit() == MIN_DEPOSIT
    assert deposit_trainer.min_share() == MIN_SHARE
    assert deposit_trainer.last_update_time() == 0
    assert deposit_trainer.total_good_data() == 0
    assert deposit_trainer.good_data_count(creator) == 0


@pytest.mark.parametrize(
    "waits",
    [(2, 1, 3), (1, 3, 2), (3, 2, 1), (1, 1, 0)],
    ids=["t>tc", "tc>ta", "decreasing", "ta<t"],
)
def test_deploy__wait_times_out_of_order__reverts(deploy_deposit_trainer, waits):
    t, tc, ta = waits
    with ape.reverts("stakeable: wait times must satisfy t <= td <= tc <= ta"):
        deploy_deposit_trainer(refund_wait=t, creator_wait=tc, anyone_wait=ta)


@pytest.mark.parametrize("waits", [(0, 0, 0), (5, 5, 5), (1, 2, 3)])
def test_deploy__wait_times_in_order__works(deploy_deposit_trainer, waits):
    trainer = deploy_deposit_trainer(refund_wait=waits[0], creator_wait=waits[1], anyone_wait=waits[2])
    assert (trainer.refund_wait(), trainer.creator_wait(), trainer.anyone_wait()) == waits


def test_deploy__deposit_floor_too_large__reverts(deploy_deposit_trainer):
    with ape.reverts("stakeable: deposit floor too large"):
        deploy_deposit_trainer(min_deposit=2**96)


def test_deploy__largest_deposit_floor__works(deploy_deposit_trainer):
    assert deploy_deposit_trainer(min_deposit=2**96 - 1).min_deposit() == 2**96 - 1


# --- ownership ------------------------------------------------------------------------------------


def test_seal__not_owner__reverts(deploy_deposit_trainer, stranger):
    trainer = deploy_deposit_trainer(seal=False)
    with ape.reverts("ownable: caller is not the owner"):
        trainer.seal(sender=stranger)


def test_initialize_weights__not_owner__reverts(deploy_deposit_trainer, contributor):
    trainer = deploy_deposit_trainer(seal=False)
    with ape.reverts("ownable: caller is not the owner"):
        trainer.initialize_weights(0, [1], sender=contributor)


def test_owner__other_deployer__is_the_deployer(deploy_deposit_trainer, stranger):
    assert deploy_deposit_trainer(sender=stranger).owner() == stranger


# --- add_data: deposits ---------------------------------------------------------------------------


def test_next_deposit__before_any_contribution__counts_from_the_epoch(
    deploy_deposit_trainer, chain, contributor
):
    # last_update_time starts at 0: the first deposit is cost_weight / block.timestamp (or the floor).
    cost_weight = 10**30
    trainer = deploy_deposit_trainer(cost_weight=cost_weight, min_deposit=1)
    now = chain.pending_timestamp + 10
    chain.pending_timestamp = now
    with ape.reverts("stakeable: deposit too low"):
        trainer.add_data(pack_indices([0]), 1, sender=contributor, value=cost_weight // now - 1)
    chain.pending_timestamp = now  # a reverted call does not keep the pinned time
    receipt = trainer.add_data(pack_indices([0]), 1, sender=contributor, value=cost_weight // now)
    assert receipt.timestamp == now
    assert trainer.last_update_time() == now


@pytest.mark.parametrize("elapsed", [0, 1, 2, 3, 999, 1000, 1001, 10**6])
def test_add_data__deposit_formula__asks_max_of_floor_and_cost_over_time(
    deposit_trainer, chain, contributor, other_contributor, elapsed
):
    first = deposit_trainer.add_data(pack_indices([0]), 1, sender=other_contributor, value=MIN_DEPOSIT)
    last = first.timestamp
    assert deposit_trainer.last_update_time() == last
    expected = expected_deposit(elapsed)
    chain.pending_timestamp = last + elapsed
    with ape.reverts("stakeable: deposit too low"):
        deposit_trainer.add_data(pack_indices([1]), 1, sender=contributor, value=expected - 1)
    chain.pending_timestamp = last + elapsed  # a reverted call does not keep the pinned time
    receipt = deposit_trainer.add_data(pack_indices([1]), 1, sender=contributor, value=expected)
    assert receipt.timestamp == last + elapsed
    assert receipt.events[0].deposit == expected


@given(elapsed=elapsed_seconds, cost_weight=st.integers(0, 10**24), min_deposit=st.integers(0, 10**18))
def test_next_deposit__any_elapsed_time__is_max_of_floor_and_cost_over_time(
    deploy_deposit_trainer, chain, contributor, elapsed, cost_weight, min_deposit
):
    snap = chain.snapshot()
    try:
        trainer = deploy_deposit_trainer(cost_weight=cost_weight, min_deposit=min_deposit)
        first = trainer.add_data(pack_indices([0]), 1, sender=contributor, value=trainer.next_deposit())
        chain.mine(timestamp=first.timestamp + elapsed)  # views run at the latest block's time
        expected = expected_deposit(elapsed, cost_weight, min_deposit)
        assert trainer.next_deposit() == expected
    finally:
        chain.restore(snap)


def test_add_data__deposit_too_low__reverts(deposit_trainer, contributor):
    with ape.reverts("stakeable: deposit too low"):
        deposit_trainer.add_data(pack_indices([0]), 1, sender=contributor, value=MIN_DEPOSIT - 1)


def test_add_data__overpayment__becomes_the_deposit(deposit_trainer, add, contributor, unpack_record):
    value = MIN_DEPOSIT + 12345
    c = add(deposit_trainer, contributor, [0], 1, value=value)
    assert c.receipt.events[0].deposit == value
    record = unpack_record(deposit_trainer.records(c.key))
    assert (record.deposit, record.claimable) == (value, value)
    assert deposit_trainer.balance == value


def test_add_data__balances__move_exactly(deposit_trainer, add, contributor):
    before = contributor.balance
    c = add(deposit_trainer, contributor, [0], 1, value=3 * MIN_DEPOSIT)
    assert contributor.balance == before - 3 * MIN_DEPOSIT - c.receipt.total_fees_paid
    assert deposit_trainer.balance == 3 * MIN_DEPOSIT


def test_add_data__zero_cost_trainer__accepts_zero_and_records_it(
    deploy_deposit_trainer, add, contributor, unpack_record
):
    trainer = deploy_deposit_trainer(cost_weight=0, min_deposit=0)
    assert trainer.next_deposit() == 0
    c = add(trainer, contributor, [0], 1, value=0)
    assert unpack_record(trainer.records(c.key)) == (True, False, 0, 0)


def test_add_data__deposit_too_large__reverts(deposit_trainer, contributor):
    contributor.balance = 2**97
    with ape.reverts("data_handler: deposit too large"):
        deposit_trainer.add_data(pack_indices([0]), 1, sender=contributor, value=2**96)


def test_add_data__largest_deposit__is_recorded(deposit_trainer, add, contributor, unpack_record):
    contributor.balance = 2**97
    c = add(deposit_trainer, contributor, [0], 1, value=2**96 - 1)
    assert unpack_record(deposit_trainer.records(c.key)) == (True, False, 2**96 - 1, 2**96 - 1)


# --- add_data: records and events -----------------------------------------------------------------


def test_add_data__new_contribution__records_deposit_under_its_key(
    deposit_trainer, add, contributor, unpack_record
):
    c = add(deposit_trainer, contributor, [3, 17, 42], 0, value=2 * MIN_DEPOSIT)
    assert unpack_record(deposit_trainer.records(c.key)) == (True, False, 2 * MIN_DEPOSIT, 2 * MIN_DEPOSIT)
    assert deposit_trainer.last_update_time() == c.added_at


def test_record_key__matches_the_contracts_abi_encoding(deposit_trainer, add, contributor):
    # keccak256(abi_encode(keccak256(abi_encode(data)), label, added_at, contributor)), written out.
    c = add(deposit_trainer, contributor, list(range(20)), 1)
    head = (32).to_bytes(32, "big") + len(c.words).to_bytes(32, "big")
    data_hash = keccak(head + b"".join(w.to_bytes(32, "big") for w in c.words))
    key = keccak(
        data_hash
        + (1).to_bytes(32, "big")
        + c.added_at.to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex(contributor.address[2:])
    )
    assert key == c.key
    assert deposit_trainer.records(key) != 0


def test_records__unknown_key__is_zero(deposit_trainer, add, contributor, record_key):
    c = add(deposit_trainer, contributor, [0], 1)
    assert deposit_trainer.records(record_key(c.words, 0, c.added_at, contributor)) == 0
    assert deposit_trainer.records(record_key(c.words, 1, c.added_at + 1, contributor)) == 0


def test_add_data__logs_data_added_with_the_packed_data(deposit_trainer, add, contributor):
    indices = list(range(0, 100, 5))  # 20 indices: two packed words
    c = add(deposit_trainer, contributor, indices, 1, value=MIN_DEPOSIT + 1)
    assert c.receipt.events == [
        deposit_trainer.DataAdded(
            contributor=contributor.address,
            label=1,
            deposit=MIN_DEPOSIT + 1,
            added_at=c.added_at,
            data=c.words,
        )
    ]
    # The dataset is public: the event gives back the sample and the record's key.
    event = c.receipt.events[0]
    assert unpack_indices(event.data) == indices
    assert len(event.data) == 2


def test_add_data__same_sample_same_time_same_author__reverts(deposit_trainer, chain, contributor):
    # The key commits to (data, label, time, author): a second identical contribution in the
    # same second would have the same record.
    now = chain.pending_timestamp + 5
    chain.pending_timestamp = now
    deposit_trainer.add_data(pack_indices([7]), 1, sender=contributor, value=COST_WEIGHT)
    chain.pending_timestamp = now
    with ape.reverts("data_handler: duplicate contribution"):
        deposit_trainer.add_data(pack_indices([7]), 1, sender=contributor, value=COST_WEIGHT)


def test_add_data__same_time_other_label_or_author__is_a_new_record(
    deposit_trainer, chain, contributor, other_contributor
):
    now = chain.pending_timestamp + 5
    for sender, label in [(contributor, 1), (contributor, 0), (other_contributor, 1)]:
        chain.pending_timestamp = now
        receipt = deposit_trainer.add_data(pack_indices([7]), label, sender=sender, value=COST_WEIGHT)
        assert receipt.timestamp == now


def test_add_data__same_sample_later__is_a_new_record(deposit_trainer, add, chain, contributor):
    first = add(deposit_trainer, contributor, [7], 1)
    chain.mine(deltatime=1)
    second = add(deposit_trainer, contributor, [7], 1)
    assert second.added_at > first.added_at
    assert second.key != first.key


# --- refund ---------------------------------------------------------------------------------------


def test_refund__after_wait_model_agrees__pays_back_the_whole_deposit(
    deposit_trainer, add, chain, contributor, ones_sample, unpack_record, t
):
    c = add(deposit_trainer, contributor, ones_sample, 1, value=5 * MIN_DEPOSIT)
    chain.pending_timestamp = c.added_at + t
    before = contributor.balance
    receipt = deposit_trainer.refund(*c.args, sender=contributor)
    assert receipt.timestamp == c.added_at + t
    assert receipt.events == [
        deposit_trainer.DepositRefunded(contributor=contributor.address, key=c.key, amount=5 * MIN_DEPOSIT)
    ]
    assert contributor.balance == before + 5 * MIN_DEPOSIT - receipt.total_fees_paid
    assert deposit_trainer.balance == 0
    assert unpack_record(deposit_trainer.records(c.key)) == (True, True, 5 * MIN_DEPOSIT, 0)
    assert deposit_trainer.good_data_count(contributor) == 1
    assert deposit_trainer.total_good_data() == 1


def test_refund__before_wait__reverts(deposit_trainer, add, chain, contributor, ones_sample, t):
    c = add(deposit_trainer, contributor, ones_sample, 1)
    chain.pending_timestamp = c.added_at + t - 1
    with ape.reverts("stakeable: refund wait not over"):
        deposit_trainer.refund(*c.args, sender=contributor)


def test_refund__model_disagrees__reverts(deposit_trainer, add, chain, contributor, ones_sample, t):
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=t)
    assert deposit_trainer.predict(c.words) == 1
    with ape.reverts("stakeable: model disagrees"):
        deposit_trainer.refund(*c.args, sender=contributor)


def test_refund__twice__reverts(deposit_trainer, add, chain, contributor, ones_sample, t):
    c = add(deposit_trainer, contributor, ones_sample, 1)
    chain.mine(deltatime=t)
    deposit_trainer.refund(*c.args, sender=contributor)
    with ape.reverts("stakeable: already refunded"):
        deposit_trainer.refund(*c.args, sender=contributor)


def test_refund__zero_deposit_twice__reverts(deploy_deposit_trainer, add, chain, contributor, ones_sample, t):
    trainer = deploy_deposit_trainer(cost_weight=0, min_deposit=0)
    c = add(trainer, contributor, ones_sample, 1, value=0)
    chain.mine(deltatime=t)
    receipt = trainer.refund(*c.args, sender=contributor)
    assert receipt.events == [trainer.DepositRefunded(contributor=contributor.address, key=c.key, amount=0)]
    assert trainer.good_data_count(contributor) == 1
    with ape.reverts("stakeable: already refunded"):
        trainer.refund(*c.args, sender=contributor)


@pytest.mark.parametrize("wrong", ["label", "added_at", "data", "sender"])
def test_refund__unknown_contribution__reverts(
    deposit_trainer, add, chain, contributor, stranger, ones_sample, t, wrong
):
    c = add(deposit_trainer, contributor, ones_sample, 1)
    chain.mine(deltatime=t)
    words, label, added_at, sender = c.words, c.label, c.added_at, contributor
    if wrong == "label":
        label = 0
    elif wrong == "added_at":
        added_at -= 1
    elif wrong == "data":
        words = pack_indices(ones_sample + [49])
    else:
        sender = stranger  # the key includes msg.sender: nobody refunds for someone else
    with ape.reverts("data_handler: unknown contribution"):
        deposit_trainer.refund(words, label, added_at, sender=sender)


def test_refund__after_a_share_was_taken__reverts(
    deposit_trainer, add, earn_good_data, chain, contributor, reporter, ones_sample, t
):
    earn_good_data(deposit_trainer, reporter)
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=t)
    deposit_trainer.report(*c.args, contributor, sender=reporter)
    with ape.reverts("stakeable: deposit was taken"):
        deposit_trainer.refund(*c.args, sender=contributor)


def test_refund__after_the_creator_took_it__reverts(
    deposit_trainer, add, chain, creator, contributor, ones_sample, tc
):
    # Good data that its author did not claim back within tc is the creator's.
    c = add(deposit_trainer, contributor, ones_sample, 1)
    chain.mine(deltatime=tc)
    deposit_trainer.report(*c.args, contributor, sender=creator)
    with ape.reverts("stakeable: deposit was taken"):
        deposit_trainer.refund(*c.args, sender=contributor)


def test_refund__long_after_the_waits__still_works(deposit_trainer, add, chain, contributor, ones_sample, ta):
    c = add(deposit_trainer, contributor, ones_sample, 1)
    chain.mine(deltatime=ta + 1)
    receipt = deposit_trainer.refund(*c.args, sender=contributor)
    assert receipt.events[0].amount == c.deposit


# --- report: a reporter's share -------------------------------------------------------------------


def test_report__bad_data_after_wait__pays_the_reporter_a_share(
    deposit_trainer,
    add,
    earn_good_data,
    chain,
    contributor,
    other_contributor,
    reporter,
    ones_sample,
    unpack_record,
    t,
):
    earn_good_data(deposit_trainer, reporter)
    earn_good_data(deposit_trainer, other_contributor, [1])
    assert deposit_trainer.total_good_data() == 2
    c = add(deposit_trainer, contributor, ones_sample, 0, value=4 * MIN_DEPOSIT + 1)
    chain.pending_timestamp = c.added_at + t
    before = reporter.balance
    receipt = deposit_trainer.report(*c.args, contributor, sender=reporter)
    share = (4 * MIN_DEPOSIT + 1) * 1 // 2
    assert receipt.events == [
        deposit_trainer.DepositTaken(
            taker=reporter.address, contributor=contributor.address, key=c.key, amount=share
        )
    ]
    assert reporter.balance == before + share - receipt.total_fees_paid
    assert deposit_trainer.balance == 4 * MIN_DEPOSIT + 1 - share
    assert unpack_record(deposit_trainer.records(c.key)) == (
        True,
        False,
        4 * MIN_DEPOSIT + 1,
        4 * MIN_DEPOSIT + 1 - share,
    )
    assert deposit_trainer.taken_by(c.key, reporter)
    assert not deposit_trainer.taken_by(c.key, other_contributor)


def test_report__share__grows_with_the_reporters_good_data(
    deposit_trainer, add, earn_good_data, chain, contributor, other_contributor, reporter, ones_sample, t
):
    earn_good_data(deposit_trainer, reporter, [0])
    earn_good_data(deposit_trainer, reporter, [1])
    earn_good_data(deposit_trainer, other_contributor, [2])
    assert (deposit_trainer.good_data_count(reporter), deposit_trainer.total_good_data()) == (2, 3)
    c = add(deposit_trainer, contributor, ones_sample, 0, value=3 * MIN_DEPOSIT)
    chain.mine(deltatime=t)
    assert deposit_trainer.report(*c.args, contributor, sender=reporter).events[0].amount == 2 * MIN_DEPOSIT
    assert (
        deposit_trainer.report(*c.args, contributor, sender=other_contributor).events[0].amount == MIN_DEPOSIT
    )
    assert deposit_trainer.balance == 0


def test_report__only_reporter__takes_the_whole_deposit(
    deposit_trainer, add, earn_good_data, chain, contributor, reporter, ones_sample, unpack_record, t
):
    earn_good_data(deposit_trainer, reporter)
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=t)
    receipt = deposit_trainer.report(*c.args, contributor, sender=reporter)
    assert receipt.events[0].amount == c.deposit
    assert unpack_record(deposit_trainer.records(c.key)).claimable == 0


def test_report__small_share__is_raised_to_min_share_then_capped_by_what_is_left(
    deploy_deposit_trainer,
    add,
    earn_good_data,
    chain,
    contributor,
    other_contributor,
    reporter,
    ones_sample,
    t,
):
    deposit = 10 * MIN_DEPOSIT
    trainer = deploy_deposit_trainer(min_share=8 * MIN_DEPOSIT)
    earn_good_data(trainer, reporter)
    earn_good_data(trainer, other_contributor, [1])
    c = add(trainer, contributor, ones_sample, 0, value=deposit)
    chain.mine(deltatime=t)
    # deposit * 1 // 2 = 5e15 < min_share: raised to 8e15 ...
    assert trainer.report(*c.args, contributor, sender=reporter).events[0].amount == 8 * MIN_DEPOSIT
    # ... and the next reporter gets what is left, 2e15.
    assert trainer.report(*c.args, contributor, sender=other_contributor).events[0].amount == 2 * MIN_DEPOSIT
    assert trainer.balance == 0


def test_report__own_contribution__reverts(
    deposit_trainer, add, earn_good_data, chain, contributor, ones_sample, t
):
    earn_good_data(deposit_trainer, contributor, [0])
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=t)
    with ape.reverts("stakeable: cannot take own deposit"):
        deposit_trainer.report(*c.args, contributor, sender=contributor)


def test_report__before_wait__reverts(
    deposit_trainer, add, earn_good_data, chain, contributor, reporter, ones_sample, t
):
    earn_good_data(deposit_trainer, reporter)
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.pending_timestamp = c.added_at + t - 1
    with ape.reverts("stakeable: refund wait not over"):
        deposit_trainer.report(*c.args, contributor, sender=reporter)


def test_report__model_agrees__reverts(
    deposit_trainer, add, earn_good_data, chain, contributor, reporter, ones_sample, t
):
    earn_good_data(deposit_trainer, reporter)
    c = add(deposit_trainer, contributor, ones_sample, 1)
    chain.mine(deltatime=t)
    with ape.reverts("stakeable: model agrees"):
        deposit_trainer.report(*c.args, contributor, sender=reporter)


def test_report__after_refund__nothing_left_to_take_reverts(
    deploy_deposit_trainer, add, earn_good_data, chain, contributor, reporter, initial_weights, t
):
    # The model agreed at refund time, then changed its mind: the deposit is gone already.
    weights = list(initial_weights)
    weights[98] = -1
    trainer = deploy_deposit_trainer(weights=weights)
    earn_good_data(trainer, reporter, [0])
    c = add(trainer, contributor, [98], 0)  # margin -1: the model agrees
    chain.mine(deltatime=t)
    trainer.refund(*c.args, sender=contributor)
    add(trainer, reporter, [98], 1)  # one update: margin +1
    assert trainer.predict(c.words) == 1
    with ape.reverts("stakeable: nothing left to take"):
        trainer.report(*c.args, contributor, sender=reporter)


def test_report__reporter_without_good_data__reverts(
    deposit_trainer, add, chain, contributor, stranger, ones_sample, t
):
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=t)
    with ape.reverts("stakeable: no refunded data"):
        deposit_trainer.report(*c.args, contributor, sender=stranger)


def test_report__twice_by_the_same_reporter__reverts(
    deposit_trainer, add, earn_good_data, chain, contributor, other_contributor, reporter, ones_sample, t
):
    earn_good_data(deposit_trainer, reporter)
    earn_good_data(deposit_trainer, other_contributor, [1])
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=t)
    deposit_trainer.report(*c.args, contributor, sender=reporter)
    with ape.reverts("data_handler: already taken by sender"):
        deposit_trainer.report(*c.args, contributor, sender=reporter)


def test_report__unknown_contribution__reverts(
    deposit_trainer, add, earn_good_data, chain, contributor, reporter, ones_sample, t
):
    earn_good_data(deposit_trainer, reporter)
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=t)
    with ape.reverts("data_handler: unknown contribution"):
        deposit_trainer.report(*c.args, reporter, sender=reporter)


# --- report: what is left after tc (creator) and ta (anyone) --------------------------------------


def test_report__creator_after_tc__takes_everything_left(
    deposit_trainer, add, chain, creator, contributor, ones_sample, unpack_record, tc
):
    # Even good data: its author had tc to claim it back.
    c = add(deposit_trainer, contributor, ones_sample, 1, value=7 * MIN_DEPOSIT)
    chain.pending_timestamp = c.added_at + tc
    before = creator.balance
    receipt = deposit_trainer.report(*c.args, contributor, sender=creator)
    assert receipt.events == [
        deposit_trainer.DepositTaken(
            taker=creator.address, contributor=contributor.address, key=c.key, amount=7 * MIN_DEPOSIT
        )
    ]
    assert creator.balance == before + 7 * MIN_DEPOSIT - receipt.total_fees_paid
    assert unpack_record(deposit_trainer.records(c.key)) == (True, False, 7 * MIN_DEPOSIT, 0)
    assert deposit_trainer.balance == 0


def test_report__creator_before_tc__follows_the_share_rule(
    deposit_trainer, add, chain, creator, contributor, ones_sample, tc
):
    c = add(deposit_trainer, contributor, ones_sample, 1)
    chain.pending_timestamp = c.added_at + tc - 1
    with ape.reverts("stakeable: model agrees"):
        deposit_trainer.report(*c.args, contributor, sender=creator)


def test_report__creator_after_a_share__takes_the_rest(
    deposit_trainer,
    add,
    earn_good_data,
    chain,
    creator,
    contributor,
    other_contributor,
    reporter,
    ones_sample,
    tc,
):
    earn_good_data(deposit_trainer, reporter)
    earn_good_data(deposit_trainer, other_contributor, [1])
    c = add(deposit_trainer, contributor, ones_sample, 0, value=6 * MIN_DEPOSIT)
    chain.mine(deltatime=tc)
    deposit_trainer.report(*c.args, contributor, sender=reporter)  # 3e15
    receipt = deposit_trainer.report(*c.args, contributor, sender=creator)
    assert receipt.events[0].amount == 3 * MIN_DEPOSIT
    assert not deposit_trainer.taken_by(c.key, creator)  # taking what is left is not a share
    with ape.reverts("stakeable: nothing left to take"):
        deposit_trainer.report(*c.args, contributor, sender=creator)


def test_report__creator_after_refund__nothing_left_to_take_reverts(
    deposit_trainer, add, chain, creator, contributor, ones_sample, tc
):
    c = add(deposit_trainer, contributor, ones_sample, 1)
    chain.mine(deltatime=tc)
    deposit_trainer.refund(*c.args, sender=contributor)
    with ape.reverts("stakeable: nothing left to take"):
        deposit_trainer.report(*c.args, contributor, sender=creator)


def test_report__stranger_after_ta__takes_everything_left(
    deposit_trainer, add, chain, contributor, stranger, ones_sample, ta
):
    c = add(deposit_trainer, contributor, ones_sample, 0, value=2 * MIN_DEPOSIT)
    chain.pending_timestamp = c.added_at + ta
    before = stranger.balance
    receipt = deposit_trainer.report(*c.args, contributor, sender=stranger)
    assert receipt.events == [
        deposit_trainer.DepositTaken(
            taker=stranger.address, contributor=contributor.address, key=c.key, amount=2 * MIN_DEPOSIT
        )
    ]
    assert stranger.balance == before + 2 * MIN_DEPOSIT - receipt.total_fees_paid
    assert deposit_trainer.balance == 0


def test_report__stranger_before_ta__follows_the_share_rule(
    deposit_trainer, add, chain, contributor, stranger, ones_sample, ta
):
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.pending_timestamp = c.added_at + ta - 1
    with ape.reverts("stakeable: no refunded data"):
        deposit_trainer.report(*c.args, contributor, sender=stranger)


def test_report__author_after_ta__takes_what_is_left(
    deposit_trainer, add, chain, contributor, ones_sample, ta
):
    # After ta "anyone" includes the author: the value must not stay locked.
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=ta)
    assert deposit_trainer.report(*c.args, contributor, sender=contributor).events[0].amount == c.deposit


def test_report__after_ta_when_nothing_left__reverts(
    deposit_trainer, add, chain, contributor, stranger, ones_sample, ta
):
    c = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=ta)
    deposit_trainer.report(*c.args, contributor, sender=stranger)
    with ape.reverts("stakeable: nothing left to take"):
        deposit_trainer.report(*c.args, contributor, sender=stranger)


def test_report__zero_deposit_after_ta__nothing_left_to_take_reverts(
    deploy_deposit_trainer, add, chain, contributor, stranger, ones_sample, ta
):
    trainer = deploy_deposit_trainer(cost_weight=0, min_deposit=0)
    c = add(trainer, contributor, ones_sample, 0, value=0)
    chain.mine(deltatime=ta)
    with ape.reverts("stakeable: nothing left to take"):
        trainer.report(*c.args, contributor, sender=stranger)


def test_report__zero_waits__creator_takes_at_once(
    deploy_deposit_trainer, add, creator, contributor, ones_sample
):
    trainer = deploy_deposit_trainer(refund_wait=0, creator_wait=0, anyone_wait=10**9)
    c = add(trainer, contributor, ones_sample, 1)
    assert trainer.report(*c.args, contributor, sender=creator).events[0].amount == c.deposit


# --- balances -------------------------------------------------------------------------------------


def test_balance__after_mixed_actions__equals_the_sum_of_claimable(
    deposit_trainer,
    add,
    earn_good_data,
    chain,
    contributor,
    other_contributor,
    reporter,
    unpack_record,
    ones_sample,
    zeros_sample,
    t,
):
    earn_good_data(deposit_trainer, reporter)
    earn_good_data(deposit_trainer, other_contributor, [1])
    bad = add(deposit_trainer, contributor, ones_sample, 0, value=3 * MIN_DEPOSIT + 1)
    good = add(deposit_trainer, contributor, zeros_sample, 0)  # within a second: about 1 ether
    kept = add(deposit_trainer, other_contributor, zeros_sample, 0)
    chain.mine(deltatime=t)
    deposit_trainer.report(*bad.args, contributor, sender=reporter)
    deposit_trainer.refund(*good.args, sender=contributor)
    claimable = sum(unpack_record(deposit_trainer.records(c.key)).claimable for c in (bad, good, kept))
    assert claimable == (3 * MIN_DEPOSIT + 1) - (3 * MIN_DEPOSIT + 1) // 2 + kept.deposit
    assert deposit_trainer.balance == claimable
