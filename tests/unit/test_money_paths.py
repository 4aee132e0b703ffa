"""Money paths with a contract on the receiving end: gas-hungry wallets, refusals, re-entry.

`contracts/testing/ContributorWallet.vy` contributes, refunds and reports like an account; its
receive hook writes storage (far more than a 2,300-gas `transfer` allows) and, when armed,
re-enters the trainer. The trainer's lock must turn every re-entry away, and the books
(contract balance == sum of what is still claimable) must balance afterwards.
"""

import ape
import eth_abi
import pytest
from eth_utils import function_signature_to_4byte_selector as selector

from ape_decai.packing import pack_indices

DEPOSIT = 10**17


@pytest.fixture
def wallet(project, contributor):
    return project.ContributorWallet.deploy(sender=contributor)


@pytest.fixture
def wallet_contribution(chain, deposit_trainer, wallet, contributor, ones_sample, t):
    """The wallet adds a sample the model agrees with; the refund wait is then over."""
    words = pack_indices(ones_sample)
    chain.mine(deltatime=2000)  # the asked deposit is at its floor, below DEPOSIT
    receipt = wallet.add_data(deposit_trainer, words, 1, sender=contributor, value=DEPOSIT)
    added_at = receipt.timestamp
    chain.mine(deltatime=t + 1)
    return words, 1, added_at


def calldata(signature: str, types: list[str], args: list) -> bytes:
    return selector(signature) + eth_abi.encode(types, args)


def claimable_total(trainer, record_key, unpack_record, contributions) -> int:
    return sum(unpack_record(trainer.records(record_key(*c))).claimable for c in contributions)


def test_refund__to_a_wallet_whose_receive_hook_needs_more_than_2300_gas__arrives(
    deposit_trainer, wallet, contributor, wallet_contribution, record_key, unpack_record
):
    words, label, added_at = wallet_contribution

    receipt = wallet.refund(deposit_trainer, words, label, added_at, sender=contributor)

    assert wallet.payments() == 1
    assert wallet.received() == DEPOSIT
    assert wallet.balance == DEPOSIT
    assert deposit_trainer.balance == 0
    assert unpack_record(deposit_trainer.records(record_key(words, label, added_at, wallet.address))).refunded
    assert [log.amount for log in receipt.events.filter(wallet.PaymentReceived)] == [DEPOSIT]


def test_refund__to_a_wallet_that_refuses_payment__reverts_and_keeps_the_claim(
    deposit_trainer, wallet, contributor, wallet_contribution, record_key, unpack_record
):
    words, label, added_at = wallet_contribution
    wallet.set_refuse_payments(True, sender=contributor)

    with ape.reverts():
        wallet.refund(deposit_trainer, words, label, added_at, sender=contributor)

    record = unpack_record(deposit_trainer.records(record_key(words, label, added_at, wallet.address)))
    assert (record.refunded, record.claimable) == (False, DEPOSIT)
    assert deposit_trainer.balance == DEPOSIT
    # Once it accepts payments again, the refund goes through.
    wallet.set_refuse_payments(False, sender=contributor)
    wallet.refund(deposit_trainer, words, label, added_at, sender=contributor)
    assert wallet.received() == DEPOSIT


@pytest.mark.parametrize("reentry", ["refund again", "report", "add_data"])
def test_refund__reentered_from_the_receive_hook__is_turned_away_and_pays_once(
    deposit_trainer, wallet, contributor, wallet_contribution, record_key, unpack_record, reentry
):
    words, label, added_at = wallet_contribution
    if reentry == "refund again":
        data = calldata("refund(uint256[],uint8,uint256)", ["uint256[]", "uint8", "uint256"], [words, label, added_at])
        value = 0
    elif reentry == "report":
        data = calldata(
            "report(uint256[],uint8,uint256,address)",
            ["uint256[]", "uint8", "uint256", "address"],
            [words, label, added_at, wallet.address],
        )
        value = 0
    else:
        data = calldata("add_data(uint256[],uint8)", ["uint256[]", "uint8"], [pack_indices([1, 2]), 1])
        value = DEPOSIT
        contributor.transfer(wallet, DEPOSIT)  # so the wallet can pay the re-entered deposit
    wallet.arm(deposit_trainer, data, value, sender=contributor)
    payments, received = wallet.payments(), wallet.received()

    wallet.refund(deposit_trainer, words, label, added_at, sender=contributor)

    assert wallet.reentry_attempted()
    assert not wallet.reentry_succeeded()
    assert wallet.payments() == payments + 1
    assert wallet.received() == received + DEPOSIT
    record = unpack_record(deposit_trainer.records(record_key(words, label, added_at, wallet.address)))
    assert (record.refunded, record.claimable) == (True, 0)
    # The books balance: nothing left in the trainer, nothing owed.
    assert deposit_trainer.balance == 0
    assert deposit_trainer.good_data_count(wallet.address) == 1


def test_report__reentered_from_the_receive_hook__takes_one_share_only(
    chain, deposit_trainer, wallet, contributor, other_contributor, wallet_contribution, ones_sample,
    record_key, unpack_record, t,
):
    # The wallet earns good data, then reports a bad contribution and tries to report it again
    # from inside the payout.
    words, label, added_at = wallet_contribution
    wallet.refund(deposit_trainer, words, label, added_at, sender=contributor)
    chain.mine(deltatime=2000)
    bad = deposit_trainer.add_data(words, 0, sender=other_contributor, value=DEPOSIT)
    bad_at = bad.timestamp
    chain.mine(deltatime=t + 1)
    again = calldata(
        "report(uint256[],uint8,uint256,address)",
        ["uint256[]", "uint8", "uint256", "address"],
        [words, 0, bad_at, other_contributor.address],
    )
    wallet.arm(deposit_trainer, again, 0, sender=contributor)

    wallet.report(deposit_trainer, words, 0, bad_at, other_contributor, sender=contributor)

    assert wallet.reentry_attempted()
    assert not wallet.reentry_succeeded()
    # n(wallet) = 1 of 1 good data: the share is the whole deposit, paid once.
    assert wallet.received() == DEPOSIT + DEPOSIT
    record = unpack_record(deposit_trainer.records(record_key(words, 0, bad_at, other_contributor.address)))
    assert record.claimable == 0
    assert deposit_trainer.taken_by(record_key(words, 0, bad_at, other_contributor.address), wallet.address)
    assert deposit_trainer.balance == 0
    # And a second, separate report is refused.
    with ape.reverts("stakeable: nothing left to take"):
        wallet.report(deposit_trainer, words, 0, bad_at, other_contributor, sender=contributor)
