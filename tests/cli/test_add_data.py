"""`ape decai add-data`: the deposit paid, the output, and inputs refused before any transaction."""

import pytest

ADD_KEYS = {"transaction", "gas_used", "label", "deposit", "added_at", "prediction_before", "prediction_after", "model_updated", "network"}


def test_add_data__pays_the_asked_deposit(decai, chain, reviews_trainer, contributor, texts, added, record_key, unpack_record):
    trainer, text = reviews_trainer, texts.firm["fresh"][0]
    asked = trainer.contract.next_deposit()
    contract_balance, contributor_balance = trainer.contract.balance, contributor.balance

    out = decai.json("add-data", text, "--label", "fresh", account=contributor, trainer=trainer)

    receipt = chain.get_receipt(out["transaction"])
    event = added(trainer, receipt)
    assert set(out) == ADD_KEYS
    assert out["deposit"] == event.deposit == asked
    assert out["gas_used"] == receipt.gas_used
    assert out["added_at"] == event.added_at == chain.blocks.head.timestamp
    assert (event.contributor, event.label) == (contributor.address, 0)
    assert event.data == trainer.encode(text)
    assert trainer.contract.balance == contract_balance + event.deposit
    assert contributor.balance == contributor_balance - event.deposit - receipt.total_fees_paid
    record = unpack_record(trainer.contract.records(record_key(event.data, 0, event.added_at, contributor)))
    assert (record.exists, record.refunded, record.deposit, record.claimable) == (True, False, asked, asked)
    assert (out["label"], out["prediction_before"], out["prediction_after"]) == ("fresh", "fresh", "fresh")
    assert out["model_updated"] is False


def test_add_data__the_next_contribution_pays_the_higher_asked_deposit(decai, chain, reviews_trainer, contributor, other_contributor, texts, added):
    trainer = reviews_trainer
    decai.ok("add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor, trainer=trainer)
    asked = trainer.contract.next_deposit()  # cost weight / seconds since the last contribution
    assert asked > trainer.contract.min_deposit()
    contract_balance = trainer.contract.balance

    out = decai.json("add-data", texts.firm["rotten"][0], "-l", "rotten", account=other_contributor, trainer=trainer)

    receipt = chain.get_receipt(out["transaction"])
    assert out["deposit"] == added(trainer, receipt).deposit
    assert trainer.contract.balance == contract_balance + out["deposit"]
    # The deposit for its own block (at most `asked`: one more second has passed), plus the margin.
    cost_weight, floor = trainer.contract.cost_weight(), trainer.contract.min_deposit()
    elapsed = max(receipt.timestamp - chain.blocks[receipt.block_number - 1].timestamp, 1)
    with_margin = -(-cost_weight * 11 // (10 * elapsed))
    assert min(with_margin, max(floor, cost_weight)) <= out["deposit"] <= max(floor, cost_weight)
    assert out["deposit"] >= max(floor, cost_weight // elapsed)


def test_add_data__prints_gas_deposit_and_the_prediction_change(decai, chain, reviews_trainer, contributor, texts, added):
    trainer, text = reviews_trainer, texts.flippable["fresh"][0]
    assert trainer.predict(text) == 0

    result = decai.ok("add-data", text, "-l", "rotten", account=contributor, trainer=trainer)

    assert trainer.predict(text) == 1  # the model learnt from it
    first, second, third = result.stdout.splitlines()
    txn_hash = first.split(" in ")[-1]
    receipt = chain.get_receipt(txn_hash)
    deposit = added(trainer, receipt).deposit
    assert first == f"added as 'rotten' in {txn_hash}"
    assert second == f"gas used: {receipt.gas_used:,}; deposit: {deposit / 10**18:.6f} ETH"
    assert third == "prediction: fresh -> rotten (model updated)"


def test_add_data__label_by_number(decai, reviews_trainer, contributor, texts):
    out = decai.json("add-data", texts.firm["rotten"][0], "-l", "1", account=contributor, trainer=reviews_trainer)

    assert out["label"] == "rotten"
    assert out["model_updated"] is False


def test_add_data__deposit_larger_than_asked_is_all_at_stake(decai, chain, reviews_trainer, contributor, texts, added, record_key, unpack_record):
    trainer = reviews_trainer
    contract_balance, text = trainer.contract.balance, texts.firm["fresh"][0]

    out = decai.json("add-data", text, "-l", "fresh", "--deposit", "0.5 ether", account=contributor, trainer=trainer)

    event = added(trainer, chain.get_receipt(out["transaction"]))
    assert out["deposit"] == event.deposit == 5 * 10**17
    assert trainer.contract.balance == contract_balance + 5 * 10**17
    record = unpack_record(trainer.contract.records(record_key(event.data, 0, event.added_at, contributor)))
    assert record.deposit == record.claimable == 5 * 10**17


def test_add_data__deposit_smaller_than_asked_pays_the_asked_one(decai, chain, reviews_trainer, contributor, other_contributor, texts):
    trainer = reviews_trainer
    decai.ok("add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor, trainer=trainer)
    asked = trainer.contract.next_deposit()
    text = texts.firm["fresh"][1]

    out = decai.json("add-data", text, "-l", "fresh", "--deposit", "1", account=other_contributor, trainer=trainer)

    assert out["deposit"] >= asked > 1


def test_add_data__points_mechanism_takes_no_deposit(decai, chain, reviews_points_trainer, contributor, texts, added):
    trainer = reviews_points_trainer

    out = decai.json("add-data", texts.firm["rotten"][0], "-l", "rotten", account=contributor, trainer=trainer)

    assert out["deposit"] == added(trainer, chain.get_receipt(out["transaction"])).deposit == 0
    assert trainer.contract.balance == 0
    assert trainer.contract.labels_contributed(contributor) == 0b10


def test_add_data__points_mechanism_refuses_a_deposit(decai, reviews_points_trainer, contributor, texts):
    nonce = contributor.nonce

    message = decai.fails(
        "add-data", texts.firm["rotten"][0], "-l", "rotten", "--deposit", "1 gwei", account=contributor, trainer=reviews_points_trainer
    )

    assert message == "this trainer uses points: it takes no deposit"
    assert contributor.nonce == nonce


@pytest.mark.parametrize(
    "text, label, expected",
    [
        pytest.param("FIRM", "meh", "unknown label 'meh'; this model's labels are: fresh, rotten (or 0..1)", id="unknown-label"),
        pytest.param("FIRM", "2", "unknown label '2'", id="label-number-out-of-range"),
        pytest.param("FIRM", "Fresh", "unknown label 'Fresh'", id="label-case"),
        pytest.param("", "fresh", "the text is empty", id="empty-text"),
        pytest.param(" \t ", "fresh", "the text is empty", id="blank-text"),
        pytest.param("UNKNOWN", "fresh", "none of the words of this text is in the model's vocabulary", id="no-vocabulary-word"),
    ],
)
def test_add_data__bad_input__fails_before_any_transaction(decai, reviews_trainer, contributor, texts, text, label, expected):
    text = {"FIRM": texts.firm["fresh"][0], "UNKNOWN": texts.unknown}.get(text, text)
    nonce, balance = contributor.nonce, reviews_trainer.contract.balance

    message = decai.fails("add-data", text, "-l", label, account=contributor, trainer=reviews_trainer)

    assert expected in message
    assert contributor.nonce == nonce
    assert reviews_trainer.contract.balance == balance


def test_add_data__without_a_trainer__fails_before_any_transaction(decai, reviews_trainer, contributor, texts, state_dir):
    # A trainer exists on chain, but this state dir remembers none and no --trainer is given.
    nonce = contributor.nonce

    message = decai.fails("add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor)

    assert message == "no trainer on this network: run `ape decai deploy MODEL_FILE`, choose one with `ape decai use ADDRESS`, or pass --trainer ADDRESS"
    assert contributor.nonce == nonce
    assert not state_dir.exists()


@pytest.mark.parametrize(
    "trainer, expected",
    [
        # A malformed address is a usage error (2); a well-formed one with no trainer, a failure (1).
        pytest.param("not-an-address", (2, "Invalid value for '--trainer': not an address: 'not-an-address'"), id="not-an-address"),
        pytest.param("0x1234", (2, "Invalid value for '--trainer': not an address: '0x1234'"), id="too-short"),
        pytest.param(
            "0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266", (2, "Invalid value for '--trainer': not an address"), id="bad-checksum",
        ),
        pytest.param("STRANGER", (1, "no contract at"), id="address-without-code"),
    ],
)  # fmt: skip
def test_add_data__bad_trainer_address__fails_before_any_transaction(decai, contributor, stranger, texts, trainer, expected):
    trainer = stranger.address if trainer == "STRANGER" else trainer
    nonce = contributor.nonce
    exit_code, expected = expected

    message = decai.error(exit_code, "add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor, trainer=trainer)

    assert message.startswith(expected)
    assert contributor.nonce == nonce


def test_add_data__account_without_ether__fails_before_any_transaction(decai, accounts, reviews_trainer, texts):
    penniless = accounts.generate_test_account()
    assert penniless.balance == 0
    asked = reviews_trainer.contract.next_deposit()

    message = decai.fails("add-data", texts.firm["fresh"][0], "-l", "fresh", account=penniless, trainer=reviews_trainer)

    assert message.startswith(f"insufficient funds: {penniless.address} holds 0 wei, this needs about ")
    assert f"(deposit {asked} + gas)" in message
    assert penniless.nonce == 0
    assert reviews_trainer.contract.balance == 0


def test_add_data__balance_below_the_deposit__fails_before_any_transaction(decai, reviews_trainer, contributor, texts):
    contributor.balance = reviews_trainer.contract.next_deposit() - 1
    nonce = contributor.nonce

    message = decai.fails("add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor, trainer=reviews_trainer)

    assert message.startswith(f"insufficient funds: {contributor.address} holds ")
    assert contributor.nonce == nonce


def test_add_data__balance_covering_the_deposit_but_not_the_gas__fails_with_one_line(decai, reviews_trainer, contributor, texts):
    contributor.balance = reviews_trainer.contract.next_deposit()
    nonce = contributor.nonce

    message = decai.fails("add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor, trainer=reviews_trainer)

    assert "insufficient funds" in message
    assert contributor.nonce == nonce


def test_add_data__points__account_without_ether__fails_with_one_line(decai, accounts, reviews_points_trainer, texts):
    penniless = accounts.generate_test_account()

    message = decai.fails("add-data", texts.firm["fresh"][0], "-l", "fresh", account=penniless, trainer=reviews_points_trainer)

    assert "insufficient funds" in message
    assert penniless.nonce == 0


@pytest.fixture
def duplicate(chain, reviews_trainer, contributor, texts):
    """A contribution of `contributor` added through the API, and the next block pinned to its
    second: adding the same text and label again is a duplicate the contract refuses."""
    text = texts.firm["fresh"][0]
    receipt = reviews_trainer.add_data(text, "fresh", contributor)
    chain.provider.make_request("evm_setNextBlockTimestamp", [chain.blocks[receipt.block_number].timestamp])
    return text


def test_add_data__duplicate__the_contracts_refusal_in_one_line(decai, reviews_trainer, contributor, duplicate):
    balance = reviews_trainer.contract.balance

    message = decai.fails("add-data", duplicate, "-l", "fresh", account=contributor, trainer=reviews_trainer)

    assert message.startswith(f"duplicate: {contributor.address} added this sample with this label in a block of the same second")
    assert reviews_trainer.contract.balance == balance


def test_add_data__duplicate__prints_no_call_trace(decai, monkeypatch, reviews_trainer, contributor, duplicate):
    # ape_foundry shows a refused call's trace ("reverted without message", tx.origin, a call
    # tree) with `trace.show()`, on the stdout of the process as it was at import, which click's
    # runner does not capture: record the calls instead.
    from ape_ethereum.trace import Trace

    shown = []
    monkeypatch.setattr(Trace, "show", lambda self, *args, **kwargs: shown.append(self))

    message = decai.fails("add-data", duplicate, "-l", "fresh", "--json", account=contributor, trainer=reviews_trainer)

    assert message.startswith(f"duplicate: {contributor.address} added this sample with this label in a block of the same second")
    assert shown == []


def test_add_data__signature_declined__says_so(decai, monkeypatch, reviews_trainer, contributor, texts):
    # What Ape's "Sign: [y/N]" prompt of a keyfile account does when answered no.
    monkeypatch.setattr(type(contributor), "sign_transaction", lambda self, txn, **kwargs: None)
    nonce = contributor.nonce

    message = decai.fails("add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor, trainer=reviews_trainer)

    assert message == "declined: the transaction was not signed, nothing was sent"
    assert contributor.nonce == nonce


def test_add_data__duplicate__sends_no_transaction(decai, reviews_trainer, contributor, duplicate):
    nonce = contributor.nonce

    decai.run("add-data", duplicate, "-l", "fresh", account=contributor, trainer=reviews_trainer)

    assert contributor.nonce == nonce


# --- the deposit of the pending block, and --max-deposit ------------------------------------------


def test_add_data__contribution_earlier_in_the_same_block__still_pays_enough(chain, reviews_trainer, contributor, other_contributor, texts):
    # Issue 10, item 6: `next_deposit()` is computed for the latest block; a contribution earlier
    # in the same block makes the asked deposit max(min_deposit, cost_weight), and paying the
    # view's amount reverted. The client reads the pending block: both contributions succeed.
    import threading

    trainer = reviews_trainer
    trainer.add_data(texts.firm["fresh"][0], "fresh", contributor)  # the view is now tiny for the next
    chain.mine(deltatime=3600)
    asked = trainer.contract.next_deposit()
    cost_weight = trainer.contract.cost_weight()
    assert asked < cost_weight
    first_words = trainer.encode(texts.firm["fresh"][1])
    web3 = chain.provider.web3
    chain.provider.make_request("evm_setAutomine", [False])
    receipts: list = []
    try:
        tx = {
            "from": contributor.address,
            "to": trainer.address,
            "data": "0x" + trainer.contract.add_data.encode_input(first_words, 0).hex(),
            "gas": hex(1_000_000),
            "value": hex(asked),
        }
        first = chain.provider.make_request("eth_sendTransaction", [tx])
        assert trainer.deposit_quote()[0] == cost_weight  # the pending contribution counts
        second = threading.Thread(
            # A gas limit below the block's (Ape's local default) so that both fit in one block.
            target=lambda: receipts.append(
                trainer.add_data(texts.firm["rotten"][0], "rotten", other_contributor, gas=1_000_000)
            )
        )
        second.start()
        for _ in range(200):  # until the client's transaction waits in the pending block too
            if len(web3.eth.get_block("pending")["transactions"]) == 2:
                break
            second.join(0.05)
        chain.mine()
        second.join(30)
    finally:
        chain.provider.make_request("evm_setAutomine", [True])
    assert len(receipts) == 1
    first_receipt = web3.eth.get_transaction_receipt(first)
    ours = web3.eth.get_transaction_receipt(receipts[0].txn_hash)  # sent unmined: read it again
    assert first_receipt.status == ours.status == 1
    assert (ours.blockNumber, ours.transactionIndex) == (first_receipt.blockNumber, 1)  # one block, ours second
    events = list(trainer.contract.DataAdded.range(ours.blockNumber, ours.blockNumber + 1))
    assert [(e.contributor, e.deposit) for e in events] == [
        (contributor.address, asked),
        (other_contributor.address, cost_weight),  # s = 0, counted as 1: the most the formula asks
    ]


def test_add_data__max_deposit_below_the_asked_deposit__refuses_before_any_transaction(decai, chain, reviews_trainer, contributor, other_contributor, texts):
    trainer = reviews_trainer
    decai.ok("add-data", texts.firm["fresh"][0], "-l", "fresh", account=contributor, trainer=trainer)
    required, _ = trainer.deposit_quote()
    assert required > 10**12
    nonce, balance = other_contributor.nonce, other_contributor.balance
    contract_balance, last_update = trainer.contract.balance, trainer.contract.last_update_time()

    message = decai.fails(
        "add-data", texts.firm["rotten"][0], "-l", "rotten", "--max-deposit", "0.000001 ether", account=other_contributor, trainer=trainer
    )

    assert message.startswith("the deposit asked for the next block is ")
    assert "more than --max-deposit 1000000000000 wei: nothing sent" in message
    assert (other_contributor.nonce, other_contributor.balance) == (nonce, balance)
    assert (trainer.contract.balance, trainer.contract.last_update_time()) == (contract_balance, last_update)


def test_add_data__max_deposit_above_the_asked_one__cuts_the_margin(chain, reviews_trainer, contributor, other_contributor, texts, added):
    trainer = reviews_trainer
    trainer.add_data(texts.firm["fresh"][0], "fresh", contributor)
    chain.pending_timestamp = chain.blocks.head.timestamp + 100
    required, to_pay = trainer.deposit_quote()
    assert to_pay > required + 1

    receipt = trainer.add_data(texts.firm["rotten"][0], "rotten", other_contributor, max_deposit=required + 1)

    assert added(trainer, receipt).deposit == required + 1


def test_add_data__deposit_above_max_deposit__refuses_before_any_transaction(decai, reviews_trainer, contributor, texts):
    nonce = contributor.nonce

    message = decai.fails(
        "add-data", texts.firm["fresh"][0], "-l", "fresh", "--deposit", "0.2 ether", "--max-deposit", "0.1 ether",
        account=contributor, trainer=reviews_trainer,
    )  # fmt: skip

    assert message == f"--deposit {2 * 10**17} wei is more than --max-deposit {10**17} wei: nothing sent"
    assert contributor.nonce == nonce
