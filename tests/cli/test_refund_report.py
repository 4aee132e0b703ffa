"""`ape decai refund` and `ape decai report`: what they list, what they send, and the money moved.

Contributions are set up with the Python API (`Trainer.add_data`), so that only the command under
test goes through the CLI.
"""

import pytest

from .conftest import DAY, NETWORK

VERDICT_KEYS = {"transaction", "label", "contributor", "possible", "reason", "amount"}


def add(trainer, text, label, sender):
    """Add through the API; returns (transaction hash, DataAdded event)."""
    receipt = trainer.add_data(text, label, sender)
    (event,) = receipt.events.filter(trainer.contract.DataAdded)
    return str(receipt.txn_hash), event


def one_event(receipt, event_type):
    (event,) = receipt.events.filter(event_type)
    return event


# --- refund ----------------------------------------------------------------------------------------------
def test_refund__before_the_wait__lists_the_reason_and_sends_nothing(decai, reviews_trainer, contributor, other_contributor, texts):
    trainer = reviews_trainer
    mine, event = add(trainer, texts.firm["fresh"][0], "fresh", contributor)
    add(trainer, texts.firm["fresh"][1], "fresh", other_contributor)  # not contributor's: not listed
    nonce, balance = contributor.nonce, trainer.contract.balance

    out = decai.json("refund", account=contributor, trainer=trainer)
    text = decai.ok("refund", account=contributor, trainer=trainer).stdout

    assert out["refunded"] == [] and out["total"] == 0
    (row,) = out["contributions"]
    assert set(row) == VERDICT_KEYS
    assert (row["transaction"], row["contributor"], row["label"]) == (mine, contributor.address, 0)
    assert row["possible"] is False and row["amount"] == 0
    assert row["reason"].startswith("the wait is not over: possible in ")
    assert "the wait is not over" in text
    assert text.splitlines()[-1] == "refunded 0 contribution(s), 0.000000 ETH"
    assert contributor.nonce == nonce
    assert trainer.contract.balance == balance


def test_refund__by_hash_before_the_wait__fails_and_sends_nothing(decai, reviews_trainer, contributor, texts):
    txn_hash, _ = add(reviews_trainer, texts.firm["fresh"][0], "fresh", contributor)
    nonce = contributor.nonce

    message = decai.fails("refund", txn_hash, account=contributor, trainer=reviews_trainer)

    assert message.startswith("not refundable: the wait is not over: possible in ")
    assert contributor.nonce == nonce


def test_refund__after_the_wait__returns_every_deposit(decai, chain, reviews_trainer, contributor, texts, record_key, unpack_record):
    trainer = reviews_trainer
    added = [add(trainer, texts.firm[label][0], label, contributor) for label in ("fresh", "rotten")]
    deposits = {txn_hash: event.deposit for txn_hash, event in added}
    assert trainer.contract.balance == sum(deposits.values())
    chain.mine(deltatime=DAY + 1)
    balance = contributor.balance

    out = decai.json("refund", account=contributor, trainer=trainer)

    assert [d["transaction"] for d in out["refunded"]] == [h for h, _ in added]
    receipts = [chain.get_receipt(d["refund_transaction"]) for d in out["refunded"]]
    for done, receipt in zip(out["refunded"], receipts):
        refunded = one_event(receipt, trainer.contract.DepositRefunded)
        assert done["amount"] == refunded.amount == deposits[done["transaction"]]
        assert done["gas_used"] == receipt.gas_used
        assert refunded.contributor == contributor.address
    assert out["total"] == sum(deposits.values())
    assert all(row["possible"] and row["reason"] == "refundable" for row in out["contributions"])
    assert contributor.balance == balance + sum(deposits.values()) - sum(r.total_fees_paid for r in receipts)
    assert trainer.contract.balance == 0
    assert trainer.contract.good_data_count(contributor) == trainer.contract.total_good_data() == 2
    for _, event in added:
        record = unpack_record(trainer.contract.records(record_key(event.data, event.label, event.added_at, contributor)))
        assert (record.refunded, record.deposit, record.claimable) == (True, event.deposit, 0)


def test_refund__text_output_names_the_amount_and_gas(decai, chain, reviews_trainer, contributor, texts):
    _, event = add(reviews_trainer, texts.firm["fresh"][0], "fresh", contributor)
    chain.mine(deltatime=DAY + 1)

    result = decai.ok("refund", account=contributor, trainer=reviews_trainer)

    gas = chain.get_receipt(chain.blocks.head.transactions[0].txn_hash.hex()).gas_used
    assert result.stdout.splitlines()[-1] == f"refunded 1 contribution(s), {event.deposit / 10**18:.6f} ETH, gas {gas}"


def test_refund__by_hash_refunds_only_that_contribution(decai, chain, reviews_trainer, contributor, texts):
    trainer = reviews_trainer
    first, first_event = add(trainer, texts.firm["fresh"][0], "fresh", contributor)
    second, second_event = add(trainer, texts.firm["fresh"][1], "fresh", contributor)
    chain.mine(deltatime=DAY + 1)

    out = decai.json("refund", second, account=contributor, trainer=trainer)

    assert [(d["transaction"], d["amount"]) for d in out["refunded"]] == [(second, second_event.deposit)]
    assert trainer.contract.balance == first_event.deposit
    assert trainer.contract.good_data_count(contributor) == 1
    # Then the other one, without a hash: the refunded one is listed as such.
    again = decai.json("refund", account=contributor, trainer=trainer)
    assert [d["transaction"] for d in again["refunded"]] == [first]
    assert {r["transaction"]: r["reason"] for r in again["contributions"]}[second] == "already refunded"


def test_refund__someone_elses_contribution_by_hash__fails(decai, chain, reviews_trainer, contributor, other_contributor, texts):
    txn_hash, _ = add(reviews_trainer, texts.firm["fresh"][0], "fresh", contributor)
    chain.mine(deltatime=DAY + 1)
    nonce, balance = other_contributor.nonce, reviews_trainer.contract.balance

    message = decai.fails("refund", txn_hash, account=other_contributor, trainer=reviews_trainer)

    assert message == f"that contribution was added by {contributor.address}, not by {other_contributor.address}"
    assert other_contributor.nonce == nonce
    assert reviews_trainer.contract.balance == balance


def test_refund__unknown_transaction_hash__fails(decai, reviews_trainer, contributor):
    unknown = "0x" + "ab" * 32

    message = decai.fails("refund", unknown, account=contributor, trainer=reviews_trainer)

    assert message == f"no contribution to this trainer was added by transaction {unknown}"


def test_refund__data_the_model_disagrees_with__is_not_refunded(decai, chain, reviews_trainer, contributor, texts):
    trainer = reviews_trainer
    text = texts.firm["rotten"][0]
    txn_hash, _ = add(trainer, text, "fresh", contributor)  # mislabelled; too firm to flip
    assert trainer.predict(text) == 1
    chain.mine(deltatime=DAY + 1)
    nonce, balance = contributor.nonce, trainer.contract.balance

    out = decai.json("refund", account=contributor, trainer=trainer)

    assert out["refunded"] == []
    reason = "the model now disagrees with its label"
    assert [(r["transaction"], r["reason"]) for r in out["contributions"]] == [(txn_hash, reason)]
    assert decai.fails("refund", txn_hash, account=contributor, trainer=trainer) == f"not refundable: {reason}"
    assert contributor.nonce == nonce
    assert trainer.contract.balance == balance


def test_refund__account_without_contributions(decai, reviews_trainer, stranger):
    result = decai.ok("refund", account=stranger, trainer=reviews_trainer)

    assert result.stdout == f"{stranger.address} has no contributions to this trainer\n"


def test_refund__points_mechanism_validates_good_data(decai, chain, reviews_points_trainer, contributor, texts):
    trainer = reviews_points_trainer
    txn_hash, _ = add(trainer, texts.firm["rotten"][0], "rotten", contributor)
    early = decai.json("refund", account=contributor, trainer=trainer)
    assert early["refunded"] == [] and early["contributions"][0]["reason"].startswith("the wait is not over")
    chain.mine(deltatime=DAY + 1)

    result = decai.ok("refund", account=contributor, trainer=trainer)

    assert result.stdout.splitlines()[-1].startswith("validated 1 contribution(s): 1 point(s), gas ")
    assert "ETH" not in result.stdout and "amount" not in result.stdout  # points: no money
    receipt = chain.get_receipt(chain.blocks.head.transactions[0].txn_hash.hex())
    assert one_event(receipt, trainer.contract.DataValidated).contributor == contributor.address
    assert trainer.contract.good_data_count(contributor) == 1
    assert decai.fails("refund", txn_hash, account=contributor, trainer=trainer) == "not refundable: already validated"


# --- report ----------------------------------------------------------------------------------------------
@pytest.fixture
def bad_contribution(chain, reviews_trainer, reporter, contributor, texts):
    """`reporter` has one refunded (good) contribution; `contributor` added a mislabelled one the
    model disagrees with; the refund wait is over. Returns (transaction hash, DataAdded event)."""
    trainer = reviews_trainer
    good, _ = add(trainer, texts.firm["fresh"][0], "fresh", reporter)
    bad = add(trainer, texts.firm["rotten"][0], "fresh", contributor)
    chain.mine(deltatime=DAY + 1)
    trainer.refund(trainer.contribution_from_transaction(good), reporter)
    assert trainer.contract.good_data_count(reporter) == trainer.contract.total_good_data() == 1
    assert trainer.contract.balance == bad[1].deposit
    return bad


def test_report__lists_takeable_contributions_without_sending(decai, reviews_trainer, reporter, contributor, bad_contribution):
    txn_hash, event = bad_contribution
    nonce = reporter.nonce

    out = decai.json("report", account=reporter, trainer=reviews_trainer)
    text = decai.ok("report", account=reporter, trainer=reviews_trainer).stdout

    (row,) = out["takeable"]
    assert row == {
        "transaction": txn_hash,
        "label": 0,
        "contributor": contributor.address,
        "possible": True,
        "reason": "the model disagrees with its label",
        "amount": event.deposit,  # n(reporter) / total good data = 1: the whole deposit
    }
    assert out["taken"] == [] and out["total"] == 0
    assert text.splitlines()[-1] == "run again with --all to take from all of them, or give a transaction hash"
    assert reporter.nonce == nonce
    assert reviews_trainer.contract.balance == event.deposit


def test_report__all_takes_every_takeable_deposit(decai, chain, reviews_trainer, reporter, contributor, bad_contribution, record_key, unpack_record):
    txn_hash, event = bad_contribution
    balance = reporter.balance

    out = decai.json("report", "--all", account=reporter, trainer=reviews_trainer)

    (done,) = out["taken"]
    receipt = chain.get_receipt(done["report_transaction"])
    taken = one_event(receipt, reviews_trainer.contract.DepositTaken)
    assert (taken.taker, taken.contributor, taken.amount) == (reporter.address, contributor.address, event.deposit)
    assert (done["transaction"], done["amount"], done["gas_used"]) == (txn_hash, event.deposit, receipt.gas_used)
    assert out["total"] == event.deposit
    assert reporter.balance == balance + event.deposit - receipt.total_fees_paid
    assert reviews_trainer.contract.balance == 0
    record = unpack_record(reviews_trainer.contract.records(record_key(event.data, event.label, event.added_at, contributor)))
    assert (record.refunded, record.deposit, record.claimable) == (False, event.deposit, 0)
    assert decai.ok("report", account=reporter, trainer=reviews_trainer).stdout == "nothing you may take from right now\n"


def test_report__by_hash_takes_that_deposit(decai, reviews_trainer, reporter, bad_contribution):
    txn_hash, event = bad_contribution

    result = decai.ok("report", txn_hash, account=reporter, trainer=reviews_trainer)

    assert result.stdout.splitlines()[-1] == f"took from 1 contribution(s): {event.deposit / 10**18:.6f} ETH"
    assert reviews_trainer.contract.balance == 0
    message = decai.fails("report", txn_hash, account=reporter, trainer=reviews_trainer)
    assert message == "cannot take from it: nothing left to take"


def test_report__without_good_data_nothing_is_takeable(decai, reviews_trainer, stranger, bad_contribution):
    txn_hash, event = bad_contribution
    nonce = stranger.nonce

    listed = decai.ok("report", account=stranger, trainer=reviews_trainer)
    out = decai.json("report", "--all", account=stranger, trainer=reviews_trainer)
    message = decai.fails("report", txn_hash, account=stranger, trainer=reviews_trainer)

    assert listed.stdout == "nothing you may take from right now\n"
    assert out == {"takeable": [], "taken": [], "total": 0, "network": NETWORK}
    assert message == "cannot take from it: you have no refunded (good) data yet"
    assert stranger.nonce == nonce
    assert reviews_trainer.contract.balance == event.deposit


def test_report__own_contribution_by_hash__fails(decai, reviews_trainer, contributor, bad_contribution):
    txn_hash, _ = bad_contribution
    nonce = contributor.nonce

    message = decai.fails("report", txn_hash, account=contributor, trainer=reviews_trainer)

    assert message == "cannot take from it: it is your own contribution"
    assert contributor.nonce == nonce


def test_report__before_the_wait__fails(decai, reviews_trainer, reporter, other_contributor, texts, bad_contribution):
    fresh_hash, _ = add(reviews_trainer, texts.firm["rotten"][1], "fresh", other_contributor)

    message = decai.fails("report", fresh_hash, account=reporter, trainer=reviews_trainer)

    assert message.startswith("cannot take from it: the wait is not over: possible in ")
    assert [r["transaction"] for r in decai.json("report", account=reporter, trainer=reviews_trainer)["takeable"]] == [
        bad_contribution[0]
    ]


def test_report__after_anyone_wait_anyone_takes_what_is_left(decai, chain, reviews_trainer, stranger, bad_contribution):
    txn_hash, event = bad_contribution
    chain.mine(deltatime=60 * DAY)

    out = decai.json("report", "--all", account=stranger, trainer=reviews_trainer)

    assert [(t["transaction"], t["amount"]) for t in out["taken"]] == [(txn_hash, event.deposit)]
    assert out["takeable"][0]["reason"] == "the long wait is over: everything left"
    assert reviews_trainer.contract.balance == 0


def test_report__points_mechanism__fails_with_one_line_and_sends_nothing(decai, chain, reviews_points_trainer, contributor,
                                                                        reporter, texts):
    txn_hash, _ = add(reviews_points_trainer, texts.firm["rotten"][0], "fresh", contributor)
    chain.mine(deltatime=DAY + 1)
    nonce = reporter.nonce
    expected = ("this trainer uses points: it takes no deposits, so there is nothing to report "
                "(`ape decai report` is for deposit trainers)")

    for args in ((), (txn_hash,), ("--all",)):
        assert decai.fails("report", *args, account=reporter, trainer=reviews_points_trainer) == expected
    assert reporter.nonce == nonce
