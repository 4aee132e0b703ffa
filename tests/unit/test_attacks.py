"""Attacks on the deposit and points trainers: each test plays one attacker and fails if it wins.

- Sybil and self-dealing: an author reporting its own bad data from a second address gets only
  the paper's share, d * n(cr) / sum n(c) (at least min_share, at most what is left); an address
  without refunded data takes nothing; nobody takes a share twice; nobody reports their own data.
- Front-running and timing: every wait is enforced to the second (one second early reverts with
  its reason, the boundary pays), and a report racing a refund in the same block cannot pay both.
- Griefing: oversized input, the most expensive contribution (a stated gas bound), duplicates in
  the same second, zero or short deposits.
- Integer edges: weights kept at the int16 bounds, labels out of range, the largest model,
  deposits at and beyond the record's 96 bits, a min_share larger than the deposit.

Actors by role (tests/conftest.py): ``creator`` (the owner), ``contributor`` (the author under
attack or the attacker's main address), ``sybil`` (the author's second address), ``reporter``
(an honest reporter), ``stranger``. Default trainer: t / tc / ta = 1 / 30 / 60 days, cost_weight
1e18 wei*s, min_deposit 1e15 wei, min_share 1e13 wei.
"""

from dataclasses import dataclass

import ape
import pytest

from ape_decai.models.sparse_perceptron import INT16_MAX, INT16_MIN, SparsePerceptron
from ape_decai.packing import MAX_PACKED_WORDS, MAX_SAMPLE_FEATURES, pack_indices, pack_weights

MIN_DEPOSIT = 10**15
COST_WEIGHT = 10**18
UINT96_MAX = 2**96 - 1


@dataclass
class Added:
    """A contribution as its author knows it."""

    words: list
    label: int
    added_at: int
    contributor: object
    deposit: int
    key: bytes

    @property
    def args(self):
        """(data, label, added_at) as refund takes them."""
        return self.words, self.label, self.added_at

    @property
    def report_args(self):
        """(data, label, added_at, contributor) as report takes them."""
        return self.words, self.label, self.added_at, self.contributor.address


@pytest.fixture
def sybil(accounts):
    """The author's second address."""
    return accounts[5]


@pytest.fixture
def add(record_key):
    """Function (trainer, sender, indices, label, value=None) -> Added; pays next_deposit()
    unless a value is given."""

    def add(trainer, sender, indices, label, value=None):
        words = pack_indices(indices)
        if value is None:
            value = trainer.next_deposit()
        receipt = trainer.add_data(words, label, sender=sender, value=value)
        return Added(words, label, receipt.timestamp, sender, value, record_key(words, label, receipt.timestamp, sender))

    return add


@pytest.fixture
def earn_good_data(add, chain, t):
    """Function (trainer, account, times=1): the account adds data the default model agrees
    with and is refunded, `times` times, so good_data_count(account) grows by `times`."""

    def earn(trainer, account, times=1):
        for k in range(times):
            c = add(trainer, account, [k], 1)
            chain.mine(deltatime=t)
            trainer.refund(*c.args, sender=account)

    return earn


def paid(receipt) -> int:
    """The amount of the one DepositRefunded or DepositTaken event of a receipt."""
    (log,) = [e for e in receipt.events if e.event_name in ("DepositRefunded", "DepositTaken")]
    return log.amount


# --- Sybil and self-dealing ---------------------------------------------------------------------------


def test_report__authors_second_address__gets_only_the_share_of_its_own_good_data(
    deposit_trainer, add, earn_good_data, chain, contributor, sybil, reporter, ones_sample, t
):
    earn_good_data(deposit_trainer, sybil, 1)
    earn_good_data(deposit_trainer, reporter, 2)
    deposit = 9 * MIN_DEPOSIT + 2
    bad = add(deposit_trainer, contributor, ones_sample, 0, value=deposit)
    chain.mine(deltatime=t)

    taken = paid(deposit_trainer.report(*bad.report_args, sender=sybil))

    assert taken == deposit * 1 // 3  # n(sybil) = 1 of sum n(c) = 3
    assert deposit_trainer.balance == deposit - taken
    # The honest reporter still gets its own full share, d * 2 // 3; one wei of rounding is left.
    assert paid(deposit_trainer.report(*bad.report_args, sender=reporter)) == deposit * 2 // 3
    assert deposit_trainer.balance == deposit - deposit // 3 - deposit * 2 // 3 == 1


def test_report__many_sybils__each_get_at_most_max_of_their_share_and_min_share(
    deploy_deposit_trainer, add, earn_good_data, chain, accounts, contributor, reporter, ones_sample, t
):
    # The paper's epsilon is a floor per report: k addresses with one good data each get min_share
    # each when their proportional shares are smaller, never more, and never more than is left.
    # (So many addresses can take more together than their proportional shares: the rule as the
    # paper states it; min_share is the creator's choice.)
    deposit = 10 * MIN_DEPOSIT
    min_share = 3 * MIN_DEPOSIT
    trainer = deploy_deposit_trainer(min_share=min_share)
    sybils = [accounts[k] for k in (5, 6, 7, 8)]
    for s in sybils:
        earn_good_data(trainer, s, 1)
    earn_good_data(trainer, reporter, 6)  # sum n(c) = 10: a sybil's proportional share is d / 10
    bad = add(trainer, contributor, ones_sample, 0, value=deposit)
    chain.mine(deltatime=t)

    takes = [paid(trainer.report(*bad.report_args, sender=s)) for s in sybils]

    assert takes == [min_share, min_share, min_share, MIN_DEPOSIT]  # the last one: what was left
    assert sum(takes) == deposit
    with ape.reverts("stakeable: nothing left to take"):
        trainer.report(*bad.report_args, sender=reporter)
    assert trainer.balance == 0


def test_refund__after_the_authors_second_address_took_a_share__reverts(
    deposit_trainer, add, earn_good_data, chain, contributor, sybil, reporter, initial_weights, t
):
    # Self-dealing both ways: the author cannot take a share of its own bad data and then get the
    # deposit back too (here the model even agrees again by the time the author asks).
    earn_good_data(deposit_trainer, sybil, 1)
    earn_good_data(deposit_trainer, reporter, 1)
    bad = add(deposit_trainer, contributor, [60], 1, value=4 * MIN_DEPOSIT)  # model says 0
    chain.mine(deltatime=t)
    taken = paid(deposit_trainer.report(*bad.report_args, sender=sybil))

    with ape.reverts("stakeable: deposit was taken"):
        deposit_trainer.refund(*bad.args, sender=contributor)

    assert taken == 2 * MIN_DEPOSIT
    assert deposit_trainer.balance == 4 * MIN_DEPOSIT - taken
    assert deposit_trainer.good_data_count(contributor) == 0


@pytest.mark.parametrize("history", ["never contributed", "contributed, not refunded", "its data was taken"])
def test_report__address_without_refunded_data__cannot_take(
    deposit_trainer, add, earn_good_data, chain, contributor, sybil, reporter, ones_sample, zeros_sample, t, history
):
    earn_good_data(deposit_trainer, reporter, 1)
    if history != "never contributed":
        own = add(deposit_trainer, sybil, zeros_sample, 1 if history == "its data was taken" else 0)
    bad = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=t)
    if history == "its data was taken":
        deposit_trainer.report(*own.report_args, sender=reporter)

    with ape.reverts("stakeable: no refunded data"):
        deposit_trainer.report(*bad.report_args, sender=sybil)

    assert not deposit_trainer.taken_by(bad.key, sybil)


def test_report__the_same_reporter_again__reverts_even_with_more_good_data(
    deposit_trainer, add, earn_good_data, chain, contributor, sybil, reporter, ones_sample, t
):
    earn_good_data(deposit_trainer, sybil, 1)
    earn_good_data(deposit_trainer, reporter, 3)
    bad = add(deposit_trainer, contributor, ones_sample, 0, value=8 * MIN_DEPOSIT)
    chain.mine(deltatime=t)
    first = paid(deposit_trainer.report(*bad.report_args, sender=sybil))
    earn_good_data(deposit_trainer, sybil, 2)  # n(sybil) grows: a second share would be larger

    with ape.reverts("data_handler: already taken by sender"):
        deposit_trainer.report(*bad.report_args, sender=sybil)

    assert first == 2 * MIN_DEPOSIT
    assert deposit_trainer.balance == 8 * MIN_DEPOSIT - first


def test_report__own_data_with_the_most_good_data__reverts(
    deposit_trainer, add, earn_good_data, chain, contributor, reporter, ones_sample, t
):
    earn_good_data(deposit_trainer, contributor, 3)
    earn_good_data(deposit_trainer, reporter, 1)
    bad = add(deposit_trainer, contributor, ones_sample, 0)
    chain.mine(deltatime=t)

    with ape.reverts("stakeable: cannot take own deposit"):
        deposit_trainer.report(*bad.report_args, sender=contributor)

    assert deposit_trainer.balance == bad.deposit


# --- Front-running and timing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, good, wait, reason",
    [
        ("refund by the author", True, "t", "stakeable: refund wait not over"),
        ("share by a reporter", False, "t", "stakeable: refund wait not over"),
        ("claim by the creator", True, "tc", "stakeable: model agrees"),
        ("claim by anyone", True, "ta", "stakeable: model agrees"),
    ],
)
def test_wait__one_second_early__reverts_and_at_the_boundary_pays(
    deposit_trainer, add, earn_good_data, chain, creator, contributor, reporter, stranger,
    ones_sample, t, tc, ta, action, good, wait, reason,
):  # fmt: skip
    earn_good_data(deposit_trainer, reporter, 1)
    c = add(deposit_trainer, contributor, ones_sample, 1 if good else 0, value=2 * MIN_DEPOSIT)
    sender = {"refund by the author": contributor, "share by a reporter": reporter}.get(
        action, creator if action == "claim by the creator" else stranger
    )
    call = (lambda: deposit_trainer.refund(*c.args, sender=sender)) if action.startswith("refund") else (
        lambda: deposit_trainer.report(*c.report_args, sender=sender)
    )
    boundary = c.added_at + {"t": t, "tc": tc, "ta": ta}[wait]

    chain.pending_timestamp = boundary - 1
    with ape.reverts(reason):
        call()
    chain.pending_timestamp = boundary
    receipt = call()

    assert receipt.timestamp == boundary
    assert paid(receipt) == 2 * MIN_DEPOSIT  # the only reporter's share is the whole deposit
    assert deposit_trainer.balance == 0


def _send_unmined(chain, contract, method: str, args, sender, value=0) -> str:
    """Put a transaction in Anvil's mempool (automine off) without waiting for it."""
    tx = {
        "from": sender.address,
        "to": contract.address,
        "data": "0x" + getattr(contract, method).encode_input(*args).hex(),
        "gas": hex(1_000_000),
        "value": hex(value),
    }
    return chain.provider.make_request("eth_sendTransaction", [tx])


def _mine_together(chain, timestamp, sends) -> list[bool]:
    """Send every transaction with automine off, mine them in one block at `timestamp`, and
    return which succeeded (in the order sent). Automine is restored whatever happens."""
    web3 = chain.provider.web3
    chain.provider.make_request("evm_setAutomine", [False])
    try:
        hashes = [send() for send in sends]
        chain.mine(timestamp=timestamp)
    finally:
        chain.provider.make_request("evm_setAutomine", [True])
    receipts = [web3.eth.get_transaction_receipt(h) for h in hashes]
    assert len({r.blockNumber for r in receipts}) == 1  # one block, in the order sent
    assert [r.transactionIndex for r in receipts] == list(range(len(receipts)))
    return [r.status == 1 for r in receipts]


@pytest.mark.parametrize("taker_role, wait", [("creator", "tc"), ("stranger", "ta")])
@pytest.mark.parametrize("first", ["refund", "report"])
def test_refund_and_claim_in_one_block__only_the_first_pays(
    deposit_trainer, add, chain, creator, contributor, stranger, ones_sample, unpack_record, tc, ta,
    taker_role, wait, first,
):  # fmt: skip
    # Good data left unclaimed until tc (ta): both the author's refund and the creator's (anyone's)
    # claim are valid on their own. In one block, whichever comes first takes it all.
    c = add(deposit_trainer, contributor, ones_sample, 1, value=3 * MIN_DEPOSIT)
    taker = creator if taker_role == "creator" else stranger
    refund = lambda: _send_unmined(chain, deposit_trainer, "refund", c.args, contributor)  # noqa: E731
    report = lambda: _send_unmined(chain, deposit_trainer, "report", c.report_args, taker)  # noqa: E731
    sends = [refund, report] if first == "refund" else [report, refund]
    before = {contributor.address: contributor.balance, taker.address: taker.balance}

    ok = _mine_together(chain, c.added_at + {"tc": tc, "ta": ta}[wait], sends)

    assert ok == [True, False]
    winner = contributor if first == "refund" else taker
    gained = {a.address: a.balance - before[a.address] for a in (contributor, taker)}
    # Gas is paid in ETH too: the winner gained the deposit less its fee, the loser only paid a fee.
    assert 0 < 3 * MIN_DEPOSIT - gained[winner.address] < 10**15
    assert deposit_trainer.balance == 0
    record = unpack_record(deposit_trainer.records(c.key))
    assert (record.refunded, record.claimable) == (first == "refund", 0)
    assert deposit_trainer.good_data_count(contributor) == (1 if first == "refund" else 0)


@pytest.mark.parametrize("order", ["refund, flip, report", "flip, refund, report"])
def test_refund_and_share_in_one_block_around_a_model_flip__cannot_pay_both(
    deploy_deposit_trainer, add, earn_good_data, chain, contributor, other_contributor, reporter,
    initial_weights, unpack_record, t, order,
):  # fmt: skip
    # The model barely agrees with the contribution (margin -1 for label 0); an attacker's bad
    # contribution in the same block flips it, and a reporter tries to take a share. Whatever the
    # order, the deposit is paid once: to the author (refund first) or partly to the reporter.
    weights = list(initial_weights)
    weights[98] = -1
    trainer = deploy_deposit_trainer(weights=weights)
    earn_good_data(trainer, reporter, 1)
    c = add(trainer, contributor, [98], 0, value=5 * MIN_DEPOSIT)
    chain.mine(deltatime=t)
    refund = lambda: _send_unmined(chain, trainer, "refund", c.args, contributor)  # noqa: E731
    flip = lambda: _send_unmined(chain, trainer, "add_data", (pack_indices([98]), 1), other_contributor, value=COST_WEIGHT)  # noqa: E731
    report = lambda: _send_unmined(chain, trainer, "report", c.report_args, reporter)  # noqa: E731
    sends = {"refund, flip, report": [refund, flip, report], "flip, refund, report": [flip, refund, report]}[order]
    balance = trainer.balance

    ok = _mine_together(chain, c.added_at + t + 10, sends)

    record = unpack_record(trainer.records(c.key))
    if order == "refund, flip, report":
        assert ok == [True, True, False]
        assert (record.refunded, record.claimable) == (True, 0)
        paid_out = 5 * MIN_DEPOSIT
    else:
        assert ok == [True, False, True]
        assert (record.refunded, record.claimable) == (False, 0)  # the only reporter: all of it
        paid_out = 5 * MIN_DEPOSIT
    assert trainer.balance == balance + COST_WEIGHT - paid_out


# --- Griefing -----------------------------------------------------------------------------------------


def nine_packed_words() -> list[int]:
    """Full words of 16 indices, one word more than MAX_PACKED_WORDS allows (the name is from
    when that bound was 8 words)."""
    return [sum((16 * k + j + 1) << (16 * j) for j in range(16)) for k in range(MAX_PACKED_WORDS + 1)]


@pytest.mark.parametrize("method", ["add_data", "refund", "report"])
def test_oversized_input__reverts_cleanly_and_keeps_everything(
    deploy_deposit_trainer, chain, contributor, method
):
    trainer = deploy_deposit_trainer(n_features=200, weights=[1] * 200)
    data = nine_packed_words()
    args = {"add_data": (data, 1), "refund": (data, 1, 1), "report": (data, 1, 1, contributor.address)}[method]
    balance = contributor.balance

    with ape.reverts():
        getattr(trainer, method)(*args, sender=contributor, **({"value": COST_WEIGHT} if method == "add_data" else {}))

    assert trainer.balance == 0
    assert trainer.last_update_time() == 0
    assert balance - contributor.balance < MIN_DEPOSIT  # at most the gas of the reverted call


# Bound on the most expensive contribution: MAX_SAMPLE_FEATURES (256) indices, each in its own
# packed weight word (no two share a storage read or write), the model wrong so that all 256
# words and the intercept are rewritten. With 128 indices it cost 888,006 gas on words that
# already hold non-zero weights and 3,072,198 on all-zero words (~17,000 more per word on the
# first write), measured on Anvil 1.7.1; at 256, ~6.0M on zero words (scripts/gas_report.py,
# `max_input_*`). Both stay under the 10M per-transaction cap the bound was chosen by.
MAX_GAS_NONZERO_WORDS = 2_000_000
MAX_GAS_ZERO_WORDS = 7_000_000


@pytest.mark.parametrize("weights, bound", [("non-zero", MAX_GAS_NONZERO_WORDS), ("zero", MAX_GAS_ZERO_WORDS)])
def test_add_data__max_indices_each_in_its_own_word_updating__stays_under_the_gas_bound(
    deploy_deposit_trainer, creator, contributor, reference_model, read_weights, weights, bound
):
    n = MAX_SAMPLE_FEATURES * 16
    initial = [-1] * n if weights == "non-zero" else [0] * n
    words = pack_weights(initial)  # more than a constructor carries: the rest in a call, then seal
    trainer = deploy_deposit_trainer(n_features=n, weights=initial, weight_words=words[:128], seal=False)
    trainer.initialize_weights(128, words[128:], sender=creator)
    trainer.seal(sender=creator)
    indices = list(range(0, n, 16))
    reference = reference_model(n_features=n, weights=initial)
    assert trainer.predict(pack_indices(indices)) == 0 == reference.predict(indices)

    receipt = trainer.add_data(pack_indices(indices), 1, sender=contributor, value=trainer.next_deposit())

    print(f"gas of the most expensive contribution ({weights} words): {receipt.gas_used:,}")
    assert receipt.gas_used < bound
    assert reference.update(indices, 1)
    assert read_weights(trainer) == reference.weights
    assert trainer.intercept() == reference.intercept


@pytest.mark.parametrize("trainer_kind", ["deposit", "points"])
def test_add_data__duplicate_in_the_same_second__reverts_and_keeps_the_first_record(
    deposit_trainer, points_trainer, chain, contributor, record_key, unpack_record, read_weights, trainer_kind
):
    trainer = deposit_trainer if trainer_kind == "deposit" else points_trainer
    value = {"value": COST_WEIGHT} if trainer_kind == "deposit" else {}
    words = pack_indices([60])  # the default model says 0: label 1 updates it
    now = chain.pending_timestamp + 5
    chain.pending_timestamp = now
    trainer.add_data(words, 1, sender=contributor, **value)
    key = record_key(words, 1, now, contributor)
    record, weights, intercept = trainer.records(key), read_weights(trainer), trainer.intercept()

    chain.pending_timestamp = now
    more = {"value": 2 * COST_WEIGHT} if trainer_kind == "deposit" else {}
    with ape.reverts("data_handler: duplicate contribution"):
        trainer.add_data(words, 1, sender=contributor, **more)

    assert trainer.records(key) == record
    assert unpack_record(record).deposit == (COST_WEIGHT if trainer_kind == "deposit" else 0)
    assert (read_weights(trainer), trainer.intercept()) == (weights, intercept)
    assert trainer.balance == value.get("value", 0)


@pytest.mark.parametrize("value", [0, 1, MIN_DEPOSIT - 1])
def test_add_data__zero_or_short_deposit__reverts(deposit_trainer, contributor, value):
    with ape.reverts("stakeable: deposit too low"):
        deposit_trainer.add_data(pack_indices([0]), 1, sender=contributor, value=value)
    assert deposit_trainer.last_update_time() == 0


def test_add_data__spam_in_the_next_second__costs_cost_weight(deposit_trainer, add, chain, contributor, other_contributor):
    # 1 ether a second after the last contribution: a burst of spam is expensive, not free.
    first = add(deposit_trainer, other_contributor, [0], 1, value=MIN_DEPOSIT)
    chain.pending_timestamp = first.added_at + 1
    with ape.reverts("stakeable: deposit too low"):
        deposit_trainer.add_data(pack_indices([1]), 1, sender=contributor, value=COST_WEIGHT - 1)
    chain.pending_timestamp = first.added_at + 1
    receipt = deposit_trainer.add_data(pack_indices([1]), 1, sender=contributor, value=COST_WEIGHT)
    assert receipt.events[0].deposit == COST_WEIGHT


# --- Integer edges ------------------------------------------------------------------------------------


def test_add_data__weights_kept_at_the_int16_bounds__saturate_and_match_the_reference(
    deploy_deposit_trainer, chain, contributor, read_weights
):
    # Alternating labels on one sample with a learning rate of 20,000 overshoots both bounds on
    # every round: weight 0 and the intercept sit at 32,767 / -32,768 and keep being pushed.
    n = 16
    weights = [0] * n
    weights[0] = 30_000
    model = SparsePerceptron(n_features=n, learning_rate=20_000, intercept=INT16_MIN, weights=list(weights))
    trainer = deploy_deposit_trainer(
        n_features=n, weights=weights, intercept=INT16_MIN, learning_rate=20_000, cost_weight=0, min_deposit=0
    )
    seen_weight, seen_intercept = set(), set()
    for step in range(12):
        label = 1 - step % 2 if step else 1
        chain.mine(deltatime=1)
        trainer.add_data(pack_indices([0]), label, sender=contributor)
        model.update([0], label)
        assert read_weights(trainer) == model.weights
        assert trainer.intercept() == model.intercept
        seen_weight.add(model.weights[0])
        seen_intercept.add(model.intercept)
    assert INT16_MAX in seen_weight and INT16_MIN in seen_intercept


@pytest.mark.parametrize("trainer_kind", ["deposit", "points"])
@pytest.mark.parametrize("label", [2, 255])
def test_add_data__label_out_of_range__reverts(deposit_trainer, points_trainer, contributor, trainer_kind, label):
    trainer = deposit_trainer if trainer_kind == "deposit" else points_trainer
    value = {"value": COST_WEIGHT} if trainer_kind == "deposit" else {}
    with ape.reverts("sparse_perceptron: label out of range"):
        trainer.add_data(pack_indices([0]), label, sender=contributor, **value)
    assert trainer.balance == 0


def test_add_data__largest_model_last_feature__updates_the_last_weight_word(
    deploy_points_trainer, contributor, reference_model
):
    n = 65535  # index + 1 must fit in 16 bits
    trainer = deploy_points_trainer(n_features=n, weight_words=[])
    trainer.add_data(pack_indices([n - 1]), 1, sender=contributor)
    reference = reference_model(n_features=n, weights=[0] * n)
    reference.update([n - 1], 1)
    assert trainer.weight_words((n - 1) // 16) == pack_weights(reference.weights[-15:])[0]
    assert trainer.predict(pack_indices([n - 1])) == reference.predict([n - 1]) == 1


def test_deploy__one_feature_more_than_the_largest_model__reverts(deploy_points_trainer):
    with ape.reverts("sparse_perceptron: bad number of features"):
        deploy_points_trainer(n_features=65536, weight_words=[])


# Anvil itself refuses a value of 2**128 wei or more ("Insufficient funds for gas * price +
# value" whatever the balance), so 2**127 is the largest value a test can send.
@pytest.mark.parametrize("value", [2**96, 2**96 + 1, 2**127])
def test_add_data__deposit_beyond_96_bits__reverts_instead_of_truncating(
    deposit_trainer, contributor, value
):
    contributor.balance = 2**129
    with ape.reverts("data_handler: deposit too large"):
        deposit_trainer.add_data(pack_indices([0]), 1, sender=contributor, value=value)
    assert deposit_trainer.balance == 0
    assert deposit_trainer.last_update_time() == 0
    assert 2**129 - contributor.balance < MIN_DEPOSIT  # at most the gas of the reverted call


def test_refund__largest_deposit__pays_it_back_exactly(deposit_trainer, add, chain, contributor, ones_sample, t):
    contributor.balance = 2**97
    c = add(deposit_trainer, contributor, ones_sample, 1, value=UINT96_MAX)
    chain.mine(deltatime=t)
    before = contributor.balance

    receipt = deposit_trainer.refund(*c.args, sender=contributor)

    assert paid(receipt) == UINT96_MAX
    assert contributor.balance == before + UINT96_MAX - receipt.total_fees_paid
    assert deposit_trainer.balance == 0


def test_report__largest_deposit__share_is_exact(
    deposit_trainer, add, earn_good_data, chain, contributor, sybil, reporter, ones_sample, t
):
    earn_good_data(deposit_trainer, sybil, 1)
    earn_good_data(deposit_trainer, reporter, 2)
    contributor.balance = 2**97
    bad = add(deposit_trainer, contributor, ones_sample, 0, value=UINT96_MAX)
    chain.mine(deltatime=t)

    first = paid(deposit_trainer.report(*bad.report_args, sender=reporter))
    second = paid(deposit_trainer.report(*bad.report_args, sender=sybil))

    assert first == UINT96_MAX * 2 // 3
    assert second == UINT96_MAX // 3  # d * 1 // 3 is exactly what is left
    assert first + second == UINT96_MAX
    assert deposit_trainer.balance == 0


def test_report__min_share_larger_than_the_deposit__takes_the_deposit_and_no_more(
    deploy_deposit_trainer, add, earn_good_data, chain, contributor, sybil, reporter, ones_sample, t
):
    trainer = deploy_deposit_trainer(min_share=UINT96_MAX)
    earn_good_data(trainer, reporter, 1)
    earn_good_data(trainer, sybil, 1)
    bad = add(trainer, contributor, ones_sample, 0, value=2 * MIN_DEPOSIT)
    chain.mine(deltatime=t)

    assert paid(trainer.report(*bad.report_args, sender=reporter)) == 2 * MIN_DEPOSIT
    with ape.reverts("stakeable: nothing left to take"):
        trainer.report(*bad.report_args, sender=sybil)
    assert trainer.balance == 0
