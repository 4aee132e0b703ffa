"""Unit tests of the prediction market trainer (contracts/incentives/prediction_market.vy).

Every revert reason of the market, the events of each phase, the abort paths (a missed
deadline, a mismatching part) and the payouts against the reference. `market_support.Market`
drives the phases; `ape_decai.market` computes what the contract should.
"""

import random

import ape
import pytest

from ape_decai import market as mk
from ape_decai.packing import pack_indices
from market_support import DAY, Market, market_state

STAKE = 10**15
PHASE = {name: k for k, name in mk.PHASES.items()}


@pytest.fixture
def test_samples():
    """40 samples of 3 features, random labels (seeded)."""
    rng = random.Random(5)
    return [(sorted(rng.sample(range(100), 3)), rng.randint(0, 1)) for _ in range(40)]


@pytest.fixture
def market(chain, market_trainer, provider, test_samples):
    """A market with 8 parts, 2 drawn, 5 rounds, at most 4 contributions (not opened yet)."""
    return Market(chain, market_trainer, provider, test_samples, n_parts=8, n_reveal=2,
                  bounty_units=5, max_contributions=4, stake=STAKE)


@pytest.fixture
def participating(market):
    market.open()
    market.draw()
    market.reveal_drawn()
    return market


@pytest.fixture
def ended(participating, contributor, other_contributor, ones_sample, zeros_sample):
    participating.add(contributor, ones_sample, 0)  # bad: the model disagrees, updates
    participating.add(other_contributor, zeros_sample, 0)  # good: agrees
    participating.add(contributor, [1, 2, 60], 1)
    participating.add(other_contributor, [5, 70, 80], 0)
    participating.end()
    return participating


@pytest.fixture
def revealed(ended):
    ended.reveal_rest()
    return ended


@pytest.fixture
def settled(revealed):
    revealed.evaluate()
    revealed.settle()
    return revealed


def phase(trainer):
    return mk.PHASES[market_state(trainer)["phase"]]


# --- open -----------------------------------------------------------------------------------------


def test_open__records_the_market_and_logs_the_commitment(market, market_trainer, provider):
    receipt = market.open()

    state = market_state(market_trainer)
    assert market_trainer.market_count() == 1
    assert state["provider"] == provider.address
    assert phase(market_trainer) == "committed"
    assert state["bounty"] == 5 * STAKE and state["stake"] == STAKE
    assert state["commitment"] == market.secrets.commitment
    assert state["deadline"] == receipt.timestamp + DAY
    assert market_trainer.balance == 5 * STAKE
    assert receipt.events == [
        market_trainer.TestSetCommitted(
            provider=provider, market_id=1, bounty=5 * STAKE, stake=STAKE,
            commitment=market.secrets.commitment, n_parts=8, n_reveal=2, duration=DAY,
            max_contributions=4, reveal_window=DAY,
        )
    ]


@pytest.mark.parametrize(
    "overrides, reason",
    [
        (dict(stake=0), "bad stake"),
        (dict(stake=2**90 + 1, value=0), "bad stake"),
        (dict(value=0), "bounty not a multiple of the stake"),
        (dict(value=STAKE + 1), "bounty not a multiple of the stake"),
        (dict(n_parts=0, n_reveal=0), "bad number of parts"),
        (dict(n_parts=257), "bad number of parts"),
        (dict(n_reveal=9), "bad number of parts"),
        (dict(duration=0), "no time limit"),
        (dict(duration=365 * DAY + 1), "no time limit"),  # MAX_WINDOW: deadlines within a year
        (dict(max_contributions=0), "bad number of contributions"),
        (dict(max_contributions=129), "bad number of contributions"),
        (dict(reveal_window=0), "no reveal window"),
        (dict(reveal_window=365 * DAY + 1), "no reveal window"),
    ],
)
def test_open__with_bad_parameters__reverts(market, overrides, reason):
    with ape.reverts(f"prediction_market: {reason}"):
        market.open(**overrides)


def test_open__while_a_market_runs__reverts(market):
    market.open()
    with ape.reverts("prediction_market: a market is running"):
        market.open()


def test_open__on_an_unsealed_model__reverts(chain, deploy_market_trainer, provider, test_samples):
    trainer = deploy_market_trainer(seal=False)
    with ape.reverts("prediction_market: model not sealed"):
        Market(chain, trainer, provider, test_samples).open()


def test_open__on_a_model_too_large_to_replay__reverts(chain, deploy_market_trainer, provider, test_samples):
    trainer = deploy_market_trainer(n_features=2049, weights=[1] * 16)
    with ape.reverts("prediction_market: model too large"):
        Market(chain, trainer, provider, test_samples).open()


def test_open__after_a_settled_market__starts_market_two(settled, market_trainer, provider, test_samples, chain):
    second = Market(chain, market_trainer, provider, test_samples, n_parts=4)
    second.open()
    assert market_trainer.market_count() == 2
    assert phase(market_trainer) == "committed"


# --- draw -----------------------------------------------------------------------------------------


def test_draw__picks_exactly_k_parts_and_logs_them(market, market_trainer, stranger):
    market.open()
    receipt = market.draw(sender=stranger)
    drawn = market_state(market_trainer)["drawn"]
    assert bin(drawn).count("1") == 2 and drawn < 2**8
    assert phase(market_trainer) == "drawn"
    assert receipt.events == [market_trainer.PartsDrawn(caller=stranger, market_id=1, drawn=drawn)]


def test_draw__all_parts__draws_every_part(chain, market_trainer, provider, test_samples):
    m = Market(chain, market_trainer, provider, test_samples, n_parts=5, n_reveal=5)
    m.open()
    m.draw()
    assert m.drawn() == [0, 1, 2, 3, 4]


def test_draw__before_a_commit_or_twice__reverts(market):
    with ape.reverts("prediction_market: not committed"):
        market.draw()
    market.open()
    market.draw()
    with ape.reverts("prediction_market: already drawn"):
        market.draw()


def test_draw__in_the_commit_block__fails(chain, market, market_trainer, provider):
    """Committing and drawing in one block would let the provider pick a commitment for a
    known prevrandao: the draw must come from a later block."""
    web3 = chain.provider.web3
    chain.provider.auto_mine = False
    try:
        args = (STAKE, market.secrets.commitment, 8, 2, DAY, 4, DAY)
        open_tx = dict(market_trainer.open_market.as_transaction(*args, sender=provider, value=5 * STAKE).model_dump(by_alias=True))
        commit = web3.eth.send_transaction({"from": provider.address, "to": market_trainer.address,
                                            "data": open_tx["data"], "value": 5 * STAKE, "gas": 1_000_000})
        draw = web3.eth.send_transaction({"from": provider.address, "to": market_trainer.address,
                                          "data": market_trainer.draw_parts.encode_input(), "gas": 1_000_000})
        chain.mine()
    finally:
        chain.provider.auto_mine = True
    assert web3.eth.get_transaction_receipt(commit)["status"] == 1
    assert web3.eth.get_transaction_receipt(draw)["status"] == 0
    assert phase(market_trainer) == "committed"


# --- reveal the drawn parts -----------------------------------------------------------------------


def test_reveal_drawn__opens_participation_with_the_h0_snapshot(market, market_trainer, provider):
    market.open()
    market.draw()
    receipt = market.reveal(market.drawn())
    state = market_state(market_trainer)
    assert phase(market_trainer) == "participation"
    assert state["ends_at"] == receipt.timestamp + DAY
    intercept, words = market.read_model()
    from eth_abi import encode
    from eth_utils import keccak

    assert state["h0_hash"] == keccak(encode(["int256", "uint256[]"], [intercept, words]))
    bits = sum(1 << k for k in market.drawn())
    assert receipt.events == [
        market_trainer.TestSetRevealed(provider=provider, market_id=1, parts=bits),
        market_trainer.ParticipationOpened(provider=provider, market_id=1, ends_at=state["ends_at"],
                                           initial_model_hash=state["h0_hash"]),
    ]


def test_reveal__by_anyone_but_the_provider__reverts(market, stranger):
    market.open()
    market.draw()
    with ape.reverts("prediction_market: not the provider"):
        market.reveal(market.drawn(), sender=stranger)


def test_reveal__before_the_draw__reverts(market):
    market.open()
    with ape.reverts("prediction_market: nothing to reveal"):
        market.reveal([0, 1])


def test_reveal__after_the_deadline__reverts(chain, market):
    market.open()
    market.draw()
    chain.mine(deltatime=DAY + 1)
    with ape.reverts("prediction_market: reveal deadline passed"):
        market.reveal(market.drawn())


def test_reveal__other_parts_than_drawn__reverts(market):
    market.open()
    market.draw()
    other = [k for k in range(8) if k not in market.drawn()][:2]
    with ape.reverts("prediction_market: reveal exactly the drawn parts"):
        market.reveal(other)
    with ape.reverts("prediction_market: reveal exactly the drawn parts"):
        market.reveal(market.drawn()[:1])


def test_reveal__a_changed_drawn_part__reverts(market, market_trainer, provider):
    """The provider cannot change a drawn part: anything but the committed words reverts."""
    market.open()
    market.draw()
    hashes, parts, salts, sizes, data = market.secrets.reveal_args(market.drawn())
    data = list(data)
    data[1] ^= 1  # one index of the first sample
    with ape.reverts("prediction_market: parts do not match the commitment"):
        market_trainer.reveal(hashes, parts, salts, sizes, data, sender=provider)
    salts = [bytes(32)] + list(salts[1:])
    with ape.reverts("prediction_market: parts do not match the commitment"):
        market_trainer.reveal(hashes, parts, salts, sizes, market.secrets.reveal_args(market.drawn())[4], sender=provider)
    wrong_hashes = list(hashes)
    wrong_hashes[parts[0]] = bytes(32)
    with ape.reverts("prediction_market: parts do not match the commitment"):
        market_trainer.reveal(wrong_hashes, *market.secrets.reveal_args(market.drawn())[1:], sender=provider)


@pytest.mark.parametrize("flaw", ["salts", "sizes", "hashes", "data"])
def test_reveal__with_inconsistent_lengths__reverts(market, market_trainer, provider, flaw):
    market.open()
    market.draw()
    hashes, parts, salts, sizes, data = market.secrets.reveal_args(market.drawn())
    if flaw == "salts":
        salts = salts[:1]
    elif flaw == "sizes":
        sizes = sizes + [1]
    elif flaw == "hashes":
        hashes = hashes[:-1]
    else:
        data = data + [5]
    with ape.reverts("prediction_market: bad reveal lengths"):
        market_trainer.reveal(hashes, parts, salts, sizes, data, sender=provider)


def test_reveal__an_unknown_or_repeated_part__reverts(market, market_trainer, provider):
    market.open()
    market.draw()
    hashes, parts, salts, sizes, data = market.secrets.reveal_args(market.drawn())
    with ape.reverts("prediction_market: no such part"):
        market_trainer.reveal(hashes, [8], salts[:1], sizes[:1], data[: sizes[0]], sender=provider)
    twice = [parts[0], parts[0]]
    with ape.reverts("prediction_market: part already revealed"):
        market_trainer.reveal(hashes, twice, [salts[0]] * 2, [sizes[0]] * 2, data[: sizes[0]] * 2, sender=provider)


# --- participation --------------------------------------------------------------------------------


def test_add_data__stakes_one_unit_trains_and_records_the_participant(participating, market_trainer, contributor,
                                                                      ones_sample, reference_model, read_weights):
    receipt = participating.add(contributor, ones_sample, 0)
    model = reference_model()
    model.update(ones_sample, 0)
    assert read_weights(market_trainer) == model.weights
    assert market_state(market_trainer)["contributions"] == 1
    assert market_trainer.participants(1, 0) == int(contributor.address, 16)
    assert market_state(market_trainer)["replay_hash"] == mk.replay_hash(mk.encode_samples([(ones_sample, 0)]))
    assert receipt.events == [
        market_trainer.DataAdded(contributor=contributor, label=0, deposit=STAKE, added_at=receipt.timestamp,
                                 data=pack_indices(ones_sample))
    ]
    assert market_trainer.balance == 6 * STAKE


def test_add_data__outside_participation__reverts(market, contributor, ones_sample):
    with ape.reverts("prediction_market: not in participation"):
        market.add(contributor, ones_sample, 1)
    market.open()
    with ape.reverts("prediction_market: not in participation"):
        market.add(contributor, ones_sample, 1)


@pytest.mark.parametrize("paid", [0, STAKE - 1, STAKE + 1, 2 * STAKE])
def test_add_data__without_exactly_one_stake__reverts(participating, contributor, ones_sample, paid):
    with ape.reverts("prediction_market: stake one unit"):
        participating.add(contributor, ones_sample, 1, value=paid)


def test_add_data__after_the_last_contribution_or_the_time_limit__reverts(chain, participating, contributor,
                                                                         ones_sample):
    for _ in range(4):
        participating.add(contributor, ones_sample, 1)
    with ape.reverts("prediction_market: participation is over"):
        participating.add(contributor, ones_sample, 1)


def test_add_data__at_the_time_limit__reverts(chain, participating, contributor, ones_sample):
    chain.pending_timestamp = market_state(participating.trainer)["ends_at"]
    with ape.reverts("prediction_market: participation is over"):
        participating.add(contributor, ones_sample, 1)


def test_add_data__with_an_invalid_sample__reverts_in_the_model(participating, contributor):
    with ape.reverts("sparse_perceptron: label out of range"):
        participating.add(contributor, [1, 2], 2)


# --- end ------------------------------------------------------------------------------------------


def test_end__before_the_end_condition__reverts(participating, contributor, ones_sample):
    participating.add(contributor, ones_sample, 1)
    with ape.reverts("prediction_market: end condition not met"):
        participating.trainer.end_market(sender=contributor)


def test_end__outside_participation__reverts(market, stranger):
    with ape.reverts("prediction_market: not in participation"):
        market.trainer.end_market(sender=stranger)


def test_end__by_anyone_at_the_time_limit__opens_the_reveal(chain, participating, market_trainer, stranger):
    chain.pending_timestamp = market_state(market_trainer)["ends_at"]
    receipt = market_trainer.end_market(sender=stranger)
    assert phase(market_trainer) == "ended"
    assert receipt.events == [
        market_trainer.MarketEnded(caller=stranger, market_id=1, contributions=0,
                                   reveal_deadline=receipt.timestamp + DAY)
    ]


def test_end__when_every_part_was_drawn__skips_to_revealed(chain, market_trainer, provider, test_samples):
    m = Market(chain, market_trainer, provider, test_samples, n_parts=3, n_reveal=3)
    m.open()
    m.draw()
    m.reveal_drawn()
    m.end()
    assert phase(market_trainer) == "revealed"


# --- reveal the rest ------------------------------------------------------------------------------


def test_reveal_rest__over_several_transactions__reaches_revealed(ended, market_trainer):
    receipts = ended.reveal_rest(per_tx=2)
    assert len(receipts) == 3
    assert phase(market_trainer) == "revealed"
    assert market_state(market_trainer)["n_samples"] == 40


def test_reveal_rest__a_part_that_does_not_match__aborts(ended, market_trainer, provider):
    hashes, parts, salts, sizes, data = ended.secrets.reveal_args(ended.rest()[:1])
    data = list(data)
    data[-1] ^= 1 << 16  # changes the sample (still a valid sample)
    receipt = market_trainer.reveal(hashes, parts, salts, sizes, data, sender=provider)
    assert phase(market_trainer) == "aborted"
    assert receipt.events == [market_trainer.MarketAborted(caller=provider, market_id=1)]


def test_reveal_rest__a_malformed_part__aborts(chain, market_trainer, provider, contributor):
    """A part the contract could not evaluate (here an index outside the model) aborts.
    Nothing is drawn, so the malformed part is always among the rest."""
    samples = [([1, 2], 1), ([3, 4], 0), ([5, 6], 1), ([7, 200], 0)]
    m = Market(chain, market_trainer, provider, samples, n_parts=4, n_reveal=0)
    m.open()
    m.draw()
    m.reveal_drawn()
    m.end()
    m.reveal_rest()
    assert phase(market_trainer) == "aborted"


def test_reveal_rest__after_the_deadline__reverts_and_anyone_aborts(chain, ended, market_trainer, stranger):
    chain.mine(deltatime=DAY + 1)
    with ape.reverts("prediction_market: reveal deadline passed"):
        ended.reveal(ended.rest())
    receipt = market_trainer.abort_market(sender=stranger)
    assert receipt.events == [market_trainer.MarketAborted(caller=stranger, market_id=1)]
    assert phase(market_trainer) == "aborted"


def oversized_market(chain, market_trainer, provider):
    """Two parts: part 0 of MAX_PART_FEATURES + 1 feature occurrences, part 1 small."""
    limit = market_trainer.MAX_PART_FEATURES()
    big = [(list(range(k, k + 50)), k % 2) for k in range(limit // 50)] + [(list(range(limit % 50 + 1)), 1)]
    secrets = mk.MarketSecrets(parts=[big, [([1, 2], 1)]], salts=[bytes([7]) * 32, bytes([8]) * 32])
    assert sum(len(x) for x, _ in big) == limit + 1
    return Market(chain, market_trainer, provider, [], secrets=secrets, n_parts=2, n_reveal=0)


def test_reveal_rest__a_part_over_the_evaluation_bound__aborts(chain, market_trainer, provider):
    oversized_market(chain, market_trainer, provider).run_to_revealed()
    assert phase(market_trainer) == "aborted"


def test_reveal_rest__a_part_at_the_evaluation_bound__is_accepted(chain, market_trainer, provider):
    limit = market_trainer.MAX_PART_FEATURES()
    part = [(list(range(k, k + 40)), k % 2) for k in range(limit // 40)]
    assert sum(len(x) for x, _ in part) == limit
    secrets = mk.MarketSecrets(parts=[part, [([1, 2], 1)]], salts=[bytes([7]) * 32, bytes([8]) * 32])
    Market(chain, market_trainer, provider, [], secrets=secrets, n_parts=2, n_reveal=0).run_to_revealed()
    assert phase(market_trainer) == "revealed"


def test_add__larger_than_a_market_contribution__reverts(participating, contributor):
    limit = participating.trainer.MAX_CONTRIBUTION_DATA_WORDS()
    too_large = list(range(16 * limit + 1))
    with ape.reverts("prediction_market: contribution too large"):
        participating.add(contributor, too_large, 1)
    participating.add(contributor, too_large[:-1], 1)  # the largest is accepted


def test_reveal_drawn__a_part_over_the_evaluation_bound__reverts(chain, market_trainer, provider):
    m = oversized_market(chain, market_trainer, provider)
    m.open(n_reveal=2)
    m.draw()
    with ape.reverts("prediction_market: parts do not match the commitment"):
        m.reveal([0, 1])


# --- abort ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("evaluated", [False, True])
def test_abort__after_the_settlement_deadline__returns_every_stake(chain, revealed, market_trainer, stranger,
                                                                 evaluated):
    """Nobody evaluates (or nobody settles) for SETTLEMENT_WINDOW after the last reveal: anyone
    aborts, every stake goes back, the bounty is burned."""
    window = market_trainer.SETTLEMENT_WINDOW()
    assert window == 7 * DAY
    last_reveal = chain.blocks.head.timestamp
    assert market_state(market_trainer)["deadline"] == last_reveal + window
    if evaluated:
        market_trainer.evaluate_market(*revealed.evaluate_args(0, 3), sender=stranger)  # partly
        revealed.evaluate()
        market_trainer.settle_market(1, sender=stranger)  # one payout written, not settled
    chain.pending_timestamp = last_reveal + window
    with ape.reverts("prediction_market: deadline not passed"):
        market_trainer.abort_market(sender=stranger)
    chain.pending_timestamp = last_reveal + window + 1
    receipt = market_trainer.abort_market(sender=stranger)
    assert receipt.events == [market_trainer.MarketAborted(caller=stranger, market_id=1)]
    assert phase(market_trainer) == "aborted"
    for t, who in enumerate(revealed.contributors):
        receipt = revealed.claim(t)
        assert receipt.events == [market_trainer.StakeReturned(participant=who, market_id=1, index=t, amount=STAKE)]
    assert market_trainer.balance == 5 * STAKE  # the bounty, burned
    with ape.reverts("prediction_market: not evaluated"):
        market_trainer.settle_market(1, sender=stranger)


def test_abort__of_a_settled_market__reverts(chain, settled, market_trainer, stranger):
    chain.mine(deltatime=30 * DAY)
    with ape.reverts("prediction_market: cannot abort now"):
        market_trainer.abort_market(sender=stranger)


def test_end__with_every_part_drawn__starts_the_settlement_window(chain, market_trainer, provider, contributor):
    samples = [([k, k + 1], k % 2) for k in range(4)]
    m = Market(chain, market_trainer, provider, samples, n_parts=4, n_reveal=4, max_contributions=1)
    m.open()
    m.draw()
    m.reveal_drawn()
    m.add(contributor, [1, 2], 1)
    receipt = m.end()
    assert phase(market_trainer) == "revealed"
    assert market_state(market_trainer)["deadline"] == receipt.timestamp + 7 * DAY


def test_market__with_256_parts__ends_evaluates_and_settles(chain, market_trainer, provider, contributor):
    """The largest number of parts: the full bitmap is 2**256 - 1 (no 1 << 256)."""
    assert market_trainer.MAX_PARTS() == 256
    samples = [([k % 90 + 1, k % 90 + 2], k % 2) for k in range(256)]
    m = Market(chain, market_trainer, provider, samples, n_parts=256, n_reveal=3, max_contributions=2)
    m.open()
    m.draw()
    m.reveal_drawn()
    m.add(contributor, [1, 2, 3], 1)
    m.add(contributor, [4, 5], 0)
    m.end()
    m.reveal_rest(per_tx=128)
    assert market_state(market_trainer)["revealed"] == 2**256 - 1
    assert phase(market_trainer) == "revealed"
    m.evaluate(per_tx=100)
    m.settle()
    assert phase(market_trainer) == "settled"
    m.claim(0)
    m.claim(1)
    assert Market(chain, market_trainer, provider, samples[:4], n_parts=4).open()  # a new market opens


def test_settle__with_the_largest_count_after_a_partial_call__settles(revealed, market_trainer, stranger):
    revealed.evaluate()
    market_trainer.settle_market(1, sender=stranger)
    market_trainer.settle_market(2**256 - 1, sender=stranger)
    assert phase(market_trainer) == "settled"
    assert revealed.payouts() == mk.payouts(revealed.error_counts(), 40, 5 * STAKE, STAKE)


def test_abort__before_the_deadline__reverts(market, stranger):
    market.open()
    with ape.reverts("prediction_market: deadline not passed"):
        market.trainer.abort_market(sender=stranger)


def test_abort__during_participation_or_after_the_reveal__reverts(chain, participating, stranger):
    chain.mine(deltatime=3 * DAY)
    with ape.reverts("prediction_market: cannot abort now"):
        participating.trainer.abort_market(sender=stranger)


def test_abort__when_the_drawn_parts_are_never_revealed__locks_the_bounty(chain, market, market_trainer, stranger):
    market.open()
    market.draw()
    chain.mine(deltatime=DAY + 1)
    market_trainer.abort_market(sender=stranger)
    assert phase(market_trainer) == "aborted"
    assert market_trainer.balance == 5 * STAKE  # locked: nobody can take it


def test_aborted_market__returns_every_stake_once(chain, ended, market_trainer, contributor, other_contributor):
    chain.mine(deltatime=DAY + 1)
    market_trainer.abort_market(sender=contributor)
    before = {a.address: a.balance for a in (contributor, other_contributor)}
    gas = {a.address: 0 for a in (contributor, other_contributor)}
    for t, who in enumerate(ended.contributors):
        receipt = ended.claim(t)
        assert receipt.events == [market_trainer.StakeReturned(participant=who, market_id=1, index=t, amount=STAKE)]
        gas[who.address] += receipt.total_fees_paid
    for a in (contributor, other_contributor):
        assert a.balance == before[a.address] + 2 * STAKE - gas[a.address]
    assert market_trainer.balance == 5 * STAKE
    with ape.reverts("prediction_market: already claimed"):
        ended.claim(0)


# --- evaluate -------------------------------------------------------------------------------------


def test_evaluate__computes_the_reference_error_counts(revealed, market_trainer, reference_model, stranger):
    [receipt] = revealed.evaluate(sender=stranger)
    e = mk.error_counts(reference_model(), revealed.contributions, revealed.secrets.samples)
    assert revealed.error_counts() == e
    assert phase(market_trainer) == "evaluated"
    assert receipt.events == [
        market_trainer.LossesEvaluated(caller=stranger, market_id=1, n_samples=40, initial_errors=e[0],
                                       final_errors=e[-1])
    ]


@pytest.mark.parametrize("per_tx", [1, 3])
def test_evaluate__over_several_transactions__adds_up_to_the_same_counts(revealed, market_trainer,
                                                                        reference_model, stranger, per_tx):
    receipts = revealed.evaluate(sender=stranger, per_tx=per_tx)
    assert len(receipts) == -(-8 // per_tx)
    e = mk.error_counts(reference_model(), revealed.contributions, revealed.secrets.samples)
    assert revealed.error_counts() == e
    assert all(r.events == [] for r in receipts[:-1])  # only the last call logs the totals
    assert receipts[-1].events == [
        market_trainer.LossesEvaluated(caller=stranger, market_id=1, n_samples=40, initial_errors=e[0],
                                       final_errors=e[-1])
    ]
    assert market_state(market_trainer)["evaluated_parts"] == 8
    assert phase(market_trainer) == "evaluated"


def test_evaluate__out_of_order_or_past_the_last_part__reverts(revealed, market_trainer, provider):
    market_trainer.evaluate_market(*revealed.evaluate_args(0, 2), sender=provider)
    assert phase(market_trainer) == "revealed" and market_state(market_trainer)["evaluated_parts"] == 2
    for first in (0, 1, 3):  # done already, or skipping part 2
        with ape.reverts("prediction_market: evaluate the next part"):
            market_trainer.evaluate_market(*revealed.evaluate_args(first, 1), sender=provider)
    intercept, words, contributions, hashes, first, salts, sizes, data = revealed.evaluate_args(2)
    extra = revealed.secrets.part_words(0)
    with ape.reverts("prediction_market: wrong test set"):  # a ninth part
        market_trainer.evaluate_market(intercept, words, contributions, hashes, first, salts + [salts[0]],
                                       sizes + [len(extra)], data + extra, sender=provider)
    with ape.reverts("prediction_market: wrong test set"):  # no part at all
        market_trainer.evaluate_market(intercept, words, contributions, hashes, first, [], [], [], sender=provider)
    # the rest still evaluates
    market_trainer.evaluate_market(*revealed.evaluate_args(2), sender=provider)
    assert phase(market_trainer) == "evaluated"


def test_evaluate__before_the_reveal__reverts(ended):
    with ape.reverts("prediction_market: not revealed"):
        ended.evaluate()


def test_evaluate__with_another_initial_model__reverts(revealed, market_trainer, provider):
    intercept, words, *rest = revealed.evaluate_args()
    with ape.reverts("prediction_market: wrong initial model"):
        market_trainer.evaluate_market(intercept + 1, words, *rest, sender=provider)


def test_evaluate__with_another_test_set__reverts(revealed, market_trainer, provider):
    intercept, words, contributions, hashes, first, salts, sizes, data = revealed.evaluate_args()
    head = (intercept, words, contributions)
    wrong_cases = [
        (hashes, first, salts, sizes, [data[0] ^ 1, *data[1:]]),  # a word changed
        (hashes, first, salts, sizes, [*data[:-1], data[-1] ^ 1]),  # the last word changed
        (hashes, first, salts, sizes[:-2] + [sizes[-2] + 1, sizes[-1] - 1], data),  # a boundary moved
        (hashes, first, salts, sizes[:-1] + [sizes[-1] + 1], data + [3]),  # a word added
        (hashes, first, salts[:1] + salts[:-1], sizes, data),  # salts shifted
        (hashes[:-1], first, salts, sizes, data),  # a part hash missing
        ([hashes[1], hashes[0], *hashes[2:]], first, salts, sizes, data),  # hashes swapped
        (hashes, first, salts, [*sizes[:-1], 0], data[: len(data) - sizes[-1]]),  # an empty part
        (hashes, first, salts, [*sizes[:-1], 2**256 - 1], data),  # a size that overflows
    ]
    for args in wrong_cases:
        with ape.reverts("prediction_market: wrong test set"):
            market_trainer.evaluate_market(*head, *args, sender=provider)
    assert market_state(market_trainer)["evaluated_parts"] == 0


def test_evaluate__with_other_contributions__reverts(revealed, market_trainer, provider):
    intercept, words, contributions, *rest = revealed.evaluate_args()
    changed = [contributions[0] ^ 1, *contributions[1:]]  # a label flipped
    for wrong in (changed, contributions[:-2], contributions + [2, 1]):
        with ape.reverts("prediction_market: wrong contributions"):
            market_trainer.evaluate_market(intercept, words, wrong, *rest, sender=provider)


# --- settle and claim -----------------------------------------------------------------------------


def test_settle__pays_as_the_reference_and_logs_the_total(revealed, market_trainer, stranger):
    revealed.evaluate()
    receipts = revealed.settle(sender=stranger, per_tx=3)
    assert len(receipts) == 2
    e = revealed.error_counts()
    expected = mk.payouts(e, 40, 5 * STAKE, STAKE)
    assert revealed.payouts() == expected
    assert receipts[-1].events == [market_trainer.MarketSettled(caller=stranger, market_id=1, total_payout=sum(expected))]
    assert phase(market_trainer) == "settled"


def test_settle__before_the_evaluation_or_with_zero__reverts(revealed):
    with ape.reverts("prediction_market: not evaluated"):
        revealed.trainer.settle_market(1, sender=revealed.provider)
    revealed.evaluate()
    with ape.reverts("prediction_market: settle at least one"):
        revealed.trainer.settle_market(0, sender=revealed.provider)


def test_claim__pays_each_participant_once(settled, market_trainer, contributor):
    payouts = settled.payouts()
    t = 0
    before = contributor.balance
    receipt = settled.claim(t)
    assert contributor.balance == before + payouts[t] - receipt.total_fees_paid
    assert receipt.events == [market_trainer.PayoutClaimed(participant=contributor, market_id=1, index=t, amount=payouts[t])]
    assert market_state(market_trainer)["paid"] == payouts[t]
    with ape.reverts("prediction_market: already claimed"):
        settled.claim(t)


def test_claim__by_someone_else__reverts(settled, stranger):
    with ape.reverts("prediction_market: not your contribution"):
        settled.claim(0, sender=stranger)


def test_claim__before_settlement__reverts(revealed):
    with ape.reverts("prediction_market: not settled"):
        revealed.claim(0)


def test_market__full_life__balance_is_bounty_plus_stakes_minus_payouts(settled, market_trainer):
    for t in range(4):
        settled.claim(t)
    paid = sum(settled.payouts())
    assert market_trainer.balance == 5 * STAKE + 4 * STAKE - paid
    assert paid <= 5 * STAKE + 4 * STAKE
