"""`ape_decai.market.MarketClient` against a market trainer: what it refuses before sending
anything (caps read from the contract, a second draw, an abort before the deadline, settling or
claiming after a missed deadline), and the settlement inputs it reads back from the chain when
a contribution shares the reveal's block, or when the provider is a contract wallet.

Every refusal asserts the message and that nothing was sent (nonce and balance unchanged).
"""

import re

import pytest
from market_support import DAY, Market, market_state

from ape_decai import DecaiError, Trainer
from ape_decai import market as mk
from ape_decai.market import MarketClient, MarketSecrets
from ape_decai.packing import pack_indices
from ape_decai.units import iso_time

STAKE = 10**15
SAMPLES = [([1, 2], 1), ([60, 70], 0), ([3, 80], 1), ([55, 4], 0)]
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


@pytest.fixture
def client(market_trainer):
    return MarketClient(Trainer.at(market_trainer.address))


@pytest.fixture
def small(chain, market_trainer, provider):
    """2 parts of 2 samples, 1 drawn; 2 contributions at most; 2 rounds (not opened yet)."""
    return Market(chain, market_trainer, provider, SAMPLES, n_parts=2, n_reveal=1, stake=STAKE, bounty_units=2,
                  max_contributions=2)


def unchanged(*accounts):
    """Snapshot of (nonce, balance) of each account, to compare after a refusal."""
    return [(a.nonce, a.balance) for a in accounts]


def past(chain, timestamp):
    """Mine a block just after `timestamp` (the client and the dry run read the latest block)."""
    chain.pending_timestamp = timestamp + 1
    chain.mine(1)


# --- the caps come from the contract ----------------------------------------------------------------


def test_limits__are_read_from_the_contract_and_not_repeated_in_python(client):
    limits = client.limits()
    assert limits["MAX_TEST_WORDS"] == 2048  # the Python module had 4096
    assert {"MAX_PARTS", "MAX_PARTICIPANTS", "MAX_TEST_SAMPLES", "MAX_MODEL_WORDS"} <= set(limits)
    assert limits["MAX_PART_FEATURES"] == 80 and limits["MAX_CONTRIBUTION_DATA_WORDS"] == 2
    for name in ("MAX_PARTS", "MAX_PARTICIPANTS", "MAX_TEST_SAMPLES", "MAX_TEST_WORDS"):
        assert not hasattr(mk, name)


def _many(n, words_each=1):
    """n samples of 16 * words_each features (1 + words_each words each), alternate labels."""
    width = 16 * words_each
    return [(list(range(k % 50, k % 50 + width)), k % 2) for k in range(n)]


OPEN_DEFAULTS = {"n_reveal": 1, "bounty": 2 * STAKE, "stake": STAKE, "duration": DAY, "max_contributions": 2,
                 "reveal_window": DAY}


@pytest.mark.parametrize(
    "samples, n_parts, overrides, message",
    [
        (_many(300), 257, {}, "257 parts: the contract takes 1 to 256 (MAX_PARTS)"),
        (SAMPLES, 2, {"n_reveal": 3}, "3 parts to reveal early: at most the number of parts (2)"),
        (_many(1025), 4, {}, "1025 test samples: the contract takes at most 1024 (MAX_TEST_SAMPLES)"),
        (_many(700, words_each=2), 4, {},
         "the test set takes 2100 words (a header and the packed indices of each sample): the contract takes at most "
         "2048 (MAX_TEST_WORDS); use fewer or shorter samples"),
        (SAMPLES, 2, {"max_contributions": 129}, "129 contributions at most: the contract takes 1 to 128 (MAX_PARTICIPANTS)"),
        ([([1, 100], 1), ([2, 3], 0)], 2, {}, "test sample 0 has feature index 100: this model has 100 features (0 to 99)"),
        (SAMPLES, 2, {"bounty": 3 * STAKE // 2},
         "the bounty (1500000000000000 wei) must be a positive multiple of the stake (1000000000000000 wei): it pays "
         "bounty / stake rounds"),
        (SAMPLES, 2, {"stake": 0}, "the stake must be more than 0 wei"),
        (SAMPLES, 2, {"duration": 0}, "participation needs a time limit of 1 second to 31536000 seconds (MAX_WINDOW)"),
        (SAMPLES, 2, {"duration": 365 * DAY + 1},
         "participation needs a time limit of 1 second to 31536000 seconds (MAX_WINDOW)"),
        (SAMPLES, 2, {"reveal_window": 0}, "the reveal window must be 1 second to 31536000 seconds (MAX_WINDOW)"),
        (SAMPLES, 2, {"reveal_window": 365 * DAY + 1},
         "the reveal window must be 1 second to 31536000 seconds (MAX_WINDOW)"),
    ],
    ids=["parts", "reveal", "samples", "words", "contributions", "feature", "bounty", "stake", "duration",
         "duration-too-long", "window", "window-too-long"],
)
def test_open__beyond_a_cap_or_rule__refuses_before_saving_or_sending(client, provider, tmp_path, samples, n_parts,
                                                                   overrides, message):
    secrets = MarketSecrets.create(samples, n_parts)
    path = tmp_path / "secrets.json"
    before = unchanged(provider)

    with pytest.raises(DecaiError) as err:
        client.open(secrets, **{**OPEN_DEFAULTS, **overrides}, secrets_path=path, sender=provider)

    assert str(err.value) == message
    assert not path.exists() and unchanged(provider) == before and client.market_id == 0


def test_open__a_part_over_max_part_features__refuses(client, provider, tmp_path):
    secrets = MarketSecrets.create(_many(12), 2)  # 6 samples of 16 features a part: 96 occurrences
    path = tmp_path / "secrets.json"
    before = unchanged(provider)

    with pytest.raises(DecaiError, match=r"^part 0 holds 96 feature occurrences: the contract takes at most 80 a part "
                                         r"\(MAX_PART_FEATURES"):
        client.open(secrets, **OPEN_DEFAULTS, secrets_path=path, sender=provider)

    assert not path.exists() and unchanged(provider) == before


def test_open__while_a_market_runs__refuses_before_saving_or_sending(client, small, provider, tmp_path):
    small.open()
    path = tmp_path / "secrets.json"
    before = unchanged(provider)

    with pytest.raises(DecaiError, match=r"^market 1 is still running \(phase 'committed'\): a new market opens once"):
        client.open(MarketSecrets.create(SAMPLES, 2), **OPEN_DEFAULTS, secrets_path=path, sender=provider)

    assert not path.exists() and unchanged(provider) == before


def test_open__within_the_caps__saves_then_commits(client, provider, tmp_path):
    secrets = MarketSecrets.create(SAMPLES, 2)
    receipt, path = client.open(secrets, **OPEN_DEFAULTS, secrets_path=tmp_path / "s.json", sender=provider)
    assert receipt.status == 1 and path.exists() and client.status()["phase"] == "committed"


# --- draw, abort, settle and claim: refused with the reason, nothing sent --------------------------------


def test_draw__twice__says_already_drawn_and_sends_nothing(client, small, stranger):
    small.open()
    client.draw(stranger)
    drawn = small.drawn()
    before = unchanged(stranger)

    with pytest.raises(DecaiError) as err:
        client.draw(stranger)

    assert str(err.value).startswith(f"market 1 is already drawn (parts {drawn}, phase 'drawn'); next: the provider "
                                     "reveals the drawn parts with `ape decai reveal` before ")
    assert unchanged(stranger) == before


def test_draw__no_market__says_so(client, stranger):
    with pytest.raises(DecaiError, match=r"^there is no market to draw \(phase 'none'\)"):
        client.draw(stranger)


def test_abort__before_the_deadline__says_when_and_sends_nothing(chain, client, small, stranger):
    small.open()
    deadline = market_state(small.trainer)["deadline"]
    before = unchanged(stranger)

    with pytest.raises(DecaiError) as err:
        client.abort(stranger)

    assert re.fullmatch(
        rf"market 1 cannot be aborted yet \(phase 'committed'\): the reveal deadline is {ISO} \(in (23h 59m|1d)\); "
        r"abort is possible after it if the provider misses it",
        str(err.value),
    ), str(err.value)
    assert iso_time(deadline) in str(err.value)
    assert unchanged(stranger) == before


def test_abort__in_participation__is_not_possible_and_says_what_comes_next(chain, client, small, stranger):
    small.open()
    small.draw()
    small.reveal_drawn()
    before = unchanged(stranger)

    with pytest.raises(DecaiError, match=r"^market 1 cannot be aborted in phase 'participation': participation open until "):
        client.abort(stranger)
    assert unchanged(stranger) == before


def test_abort__after_a_missed_reveal__aborts_and_stakes_come_back(chain, client, small, contributor, stranger,
                                                                   ones_sample):
    small.open()
    small.draw()
    small.reveal_drawn()
    small.add(contributor, ones_sample, 1)
    small.end()
    state = market_state(small.trainer)
    # the rest is not revealed in time
    past(chain, state["deadline"])
    status = client.status()
    assert status["abortable"] and status["deadline_passed"] and status["next_command"] == "ape decai market abort"
    before = unchanged(contributor)

    problem = client.settle_problem()
    assert re.fullmatch(
        rf"cannot settle market 1: the reveal deadline passed on {ISO} \(\d+s ago\) before the test set was revealed: "
        r"run `ape decai market abort`, then `ape decai claim` returns each participant's stake",
        problem,
    ), problem
    with pytest.raises(DecaiError) as err:
        client.claim(contributor)
    assert re.fullmatch(
        rf"market 1 is not settled: the reveal deadline passed on {ISO} \(\d+s ago\): run `ape decai market abort`, "
        r"then `ape decai claim` returns your stake",
        str(err.value),
    ), str(err.value)
    assert unchanged(contributor) == before

    client.abort(stranger)

    assert client.status()["phase"] == "aborted"
    assert client.status()["next_command"] == "ape decai claim"
    with pytest.raises(DecaiError, match=r"^market 1 is already aborted$"):
        client.abort(stranger)
    receipt = client.claim(contributor)[0]
    assert int(receipt.events[0].amount) == STAKE


def test_status__next_action_through_the_phases(chain, client, small, contributor, stranger, ones_sample):
    def next_command():
        return client.status()["next_command"]

    assert next_command() == "ape decai market open"
    small.open()
    s = client.status()
    assert s["next_command"] == "ape decai market draw" and s["deadline_kind"] == "reveal"
    assert s["deadline_iso"] == iso_time(market_state(small.trainer)["deadline"])
    small.draw()
    assert next_command() == "ape decai reveal"
    small.reveal_drawn()
    s = client.status()
    assert s["next_command"] == "ape decai add-data" and s["participation_ends_at_iso"] is not None
    assert re.search(rf"participation open until {ISO} \(in (23h 59m|1d)\)", s["next_action"]), s["next_action"]
    small.add(contributor, ones_sample, 1)
    small.add(stranger, ones_sample, 0)
    assert next_command() == "ape decai market end"  # the largest number of contributions is reached
    small.end()
    assert next_command() == "ape decai reveal"
    small.reveal_rest()
    assert next_command() == "ape decai market settle"
    client.settle(stranger)
    assert next_command() == "ape decai claim"
    client.claim(contributor)
    client.claim(stranger)
    assert next_command() == "ape decai market open"


# --- settlement inputs ---------------------------------------------------------------------------------


def test_settle__a_contribution_in_the_reveal_block__reads_h0_before_it(chain, client, small, contributor, stranger,
                                                                         ones_sample):
    small.open()
    small.draw()
    h0 = small.read_model()
    reveal = small.trainer.reveal.encode_input(*small.secrets.reveal_args(small.drawn()))
    add = small.trainer.add_data.encode_input(pack_indices(ones_sample), 0)  # the model says 1: it updates
    rpc = chain.provider.make_request
    rpc("evm_setAutomine", [False])
    try:
        hashes = [
            rpc("eth_sendTransaction", [{"from": small.provider.address, "to": small.trainer.address,
                                        "data": "0x" + bytes(reveal).hex(),
                                        "gas": hex(3_000_000)}]),
            rpc("eth_sendTransaction", [{"from": contributor.address, "to": small.trainer.address,
                                        "data": "0x" + bytes(add).hex(),
                                        "value": hex(STAKE), "gas": hex(3_000_000)}]),
        ]
        rpc("evm_mine", [])
    finally:
        rpc("evm_setAutomine", [True])
    receipts = [chain.provider.web3.eth.get_transaction_receipt(h) for h in hashes]
    assert [r["status"] for r in receipts] == [1, 1]
    assert receipts[0]["blockNumber"] == receipts[1]["blockNumber"]
    assert receipts[0]["transactionIndex"] < receipts[1]["transactionIndex"]
    assert small.read_model() != h0  # the contribution moved the model in the reveal's block
    small.contributions.append((sorted(ones_sample), 0))
    small.add(stranger, ones_sample, 1)
    small.end()
    small.reveal_rest()

    assert client.initial_model(1) == h0
    client.settle(stranger)

    assert client.status()["phase"] == "settled"
    assert small.error_counts() == mk.error_counts(
        mk.SparsePerceptron(100, 1, h0[0], _weights(h0[1])), small.contributions, small.secrets.samples)


def _weights(words):
    from ape_decai.packing import unpack_weights

    return unpack_weights(words, 100)


def test_initial_model__not_matching_the_snapshot__is_a_clear_error(chain, client, small, monkeypatch):
    small.open()
    small.draw()
    small.reveal_drawn()
    monkeypatch.setattr(mk, "model_hash", lambda intercept, words: bytes(32))

    with pytest.raises(DecaiError, match=r"^wrong initial model: the weights read at block \d+ \(before participation "
                                         r"opened in block \d+\) do not hash to the snapshot 0x"):
        client.initial_model(1)


def test_settle__provider_is_a_contract_wallet__reads_the_reveals_from_the_call_trace(
    project, chain, client, market_trainer, contributor, other_contributor, stranger, ones_sample, zeros_sample
):
    """ContributorWallet forwards a call only from its receive hook (`arm`, at most 1,024 bytes
    of calldata): enough for a small market whose provider is the wallet."""
    wallet = project.ContributorWallet.deploy(sender=stranger)
    secrets = MarketSecrets.create(SAMPLES, 2)

    def through_wallet(calldata, value=0):
        wallet.arm(market_trainer, calldata, value, sender=stranger)
        return stranger.transfer(wallet, max(value, 1))  # the receive hook makes the call

    through_wallet(market_trainer.open_market.encode_input(STAKE, secrets.commitment, 2, 1, DAY, 2, DAY), 2 * STAKE)
    assert market_state(market_trainer)["provider"] == wallet.address
    client.draw(stranger)
    drawn = [k for k in range(2) if market_state(market_trainer)["drawn"] >> k & 1]
    first = through_wallet(market_trainer.reveal.encode_input(*secrets.reveal_args(drawn)))
    assert wallet.reentry_succeeded() and client.status()["phase"] == "participation"
    market_trainer.add_data(pack_indices(ones_sample), 0, sender=contributor, value=STAKE)
    market_trainer.add_data(pack_indices(zeros_sample), 0, sender=other_contributor, value=STAKE)
    client.end(stranger)
    through_wallet(market_trainer.reveal.encode_input(*secrets.reveal_args([k for k in range(2) if k not in drawn])))
    assert wallet.reentry_succeeded() and client.status()["phase"] == "revealed"
    assert chain.provider.web3.eth.get_transaction(first.txn_hash)["to"] == wallet.address  # not the trainer

    assert client.revealed_test_set(1) == secrets.evaluate_args()[2:]  # (salts, sizes, words)
    client.settle(stranger)

    assert client.status()["phase"] == "settled"


def test_settle__under_a_small_gas_cap__evaluates_in_several_transactions_with_progress(
    chain, client, market_trainer, provider, contributor, other_contributor, stranger
):
    """`settle` packs as many parts into an evaluation transaction as its estimate keeps under
    `max_gas` (down to one part a transaction), reports progress in parts then payouts, and
    ends with the payouts of the reference."""
    samples = [([k % 90 + 1, k % 90 + 3, k % 90 + 7], k % 2) for k in range(24)]
    m = Market(chain, market_trainer, provider, samples, n_parts=8, n_reveal=2, stake=STAKE, bounty_units=3,
               max_contributions=3)
    m.open()
    m.draw()
    m.reveal_drawn()
    for who, (x, y) in zip((contributor, other_contributor, contributor), samples[:3], strict=True):
        m.add(who, x, 1 - y)
    m.end()
    m.reveal_rest()
    one_part = market_trainer.evaluate_market.estimate_gas_cost(*m.evaluate_args(0, 1), sender=stranger)
    calls = []

    receipts = client.settle(stranger, per_tx=3, progress=lambda done, total: calls.append((done, total)),
                             max_gas=one_part + 1_000)

    evaluations = [r for r in receipts if r.method_called.name == "evaluate_market"]
    assert 2 <= len(evaluations) <= 8 and all(r.gas_used <= one_part + 1_000 for r in evaluations)
    assert [c for c in calls if c[1] == 8][-1] == (8, 8)  # parts
    assert calls[-1] == (3, 3)  # payouts
    assert market_state(market_trainer)["phase"] == 7
    assert m.payouts() == mk.payouts(m.error_counts(), 24, 3 * STAKE, STAKE)
