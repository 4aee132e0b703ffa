"""The prediction market at every cap at once, with the most hostile inputs it accepts.

Liveness (issue 10): from every reachable market state there is a sequence of transactions,
each at most `TX_BOUND` gas, after which every participant can claim and a new market opens.
This builds the worst case the contract accepts and asserts the gas of every transaction:

- the largest model a market replays (MAX_MODEL_WORDS * 16 = 2,048 features);
- the largest test set (MAX_TEST_WORDS words, at most MAX_TEST_SAMPLES samples, MAX_PARTS
  parts), every part holding MAX_PART_FEATURES feature occurrences, all of them among the
  features every contribution holds: dense (samples of 32 features, the fewest words) or
  sparse (samples of one feature, the most samples and lanes);
- MAX_PARTICIPANTS contributions of the largest size a market takes (MAX_CONTRIBUTION_DATA_WORDS
  packed words: 32 features), each labelled against the model's prediction at that moment, so
  every one updates all its weights (learning rate 1: no weight saturates, so no update is
  skipped) and walks every occurrence of every part;
- every part drawn: all revealed in the one transaction that opens participation.

Evaluation goes one part a transaction (the contract's own bound); the client packs more parts
into a transaction only while its estimate stays under the bound.
"""

import pytest

from ape_decai import market as mk
from ape_decai.packing import pack_indices
from market_support import Market, market_state

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)

TX_BOUND = 10_000_000
N_FEATURES = 2048
CONTRIBUTION = list(range(32))  # every contribution's features (the largest a market takes)
CAPS = ("MAX_PARTS", "MAX_TEST_WORDS", "MAX_PART_FEATURES", "MAX_PARTICIPANTS", "MAX_TEST_SAMPLES",
        "MAX_MODEL_WORDS", "MAX_CONTRIBUTION_DATA_WORDS", "MAX_PART_WORDS")


@pytest.fixture
def worst_trainer(deploy_market_trainer):
    return deploy_market_trainer(n_features=N_FEATURES, weights=[0] * N_FEATURES, learning_rate=1,
                                 encoder='{"type": "test", "n_features": 2048}')


@pytest.mark.parametrize("sample_size", [32, 1], ids=["dense", "sparse"])
def test_market__worst_case_at_every_cap__every_transaction_is_bounded(chain, worst_trainer, provider,
                                                                       contributor, stranger, sample_size):
    trainer = worst_trainer
    caps = {name: getattr(trainer, name)() for name in CAPS}
    assert N_FEATURES == caps["MAX_MODEL_WORDS"] * 16
    assert len(pack_indices(CONTRIBUTION)) == caps["MAX_CONTRIBUTION_DATA_WORDS"]
    parts = mk.hostile_parts(caps, CONTRIBUTION, sample_size)
    secrets = mk.MarketSecrets(parts=parts, salts=[bytes([k % 251 + 1]) * 32 for k in range(len(parts))])
    words = sum(len(secrets.part_words(k)) for k in range(len(parts)))
    print(f"\n{len(parts)} parts, {words} words, {len(secrets.samples)} samples")
    assert all(sum(len(x) for x, _ in part) == caps["MAX_PART_FEATURES"] for part in parts)
    assert words > caps["MAX_TEST_WORDS"] - caps["MAX_PART_WORDS"] or len(parts) == caps["MAX_PARTS"] \
        or len(secrets.samples) > caps["MAX_TEST_SAMPLES"] - caps["MAX_PART_FEATURES"]
    n = caps["MAX_PARTICIPANTS"]
    m = Market(chain, trainer, provider, [], secrets=secrets, n_parts=len(parts), n_reveal=len(parts),
               stake=1, bounty_units=10**6, max_contributions=n)
    gas = {}
    gas["open"] = m.open().gas_used
    gas["draw"] = m.draw(sender=stranger).gas_used
    gas["reveal (every part, one transaction)"] = m.reveal_drawn().gas_used
    adds = []
    packed = pack_indices(CONTRIBUTION)
    for _ in range(n):
        adds.append(m.add(contributor, CONTRIBUTION, 1 - trainer.predict(packed)).gas_used)
    assert len(adds) == n
    gas["add_data (largest)"] = max(adds)
    gas["end"] = m.end(sender=stranger).gas_used
    assert market_state(trainer)["phase"] == 5  # every part was drawn: revealed
    evaluations = m.evaluate(sender=stranger, per_tx=1)
    gas["evaluate (largest part)"] = max(r.gas_used for r in evaluations)
    settles = m.settle(sender=stranger, per_tx=n)
    gas["settle (all payouts)"] = max(r.gas_used for r in settles)
    claims = [m.claim(t).gas_used for t in range(n)]
    gas["claim (largest)"] = max(claims)
    print("\nworst case, gas per transaction:", {k: f"{v:,}" for k, v in gas.items()})
    over = {k: v for k, v in gas.items() if v > TX_BOUND}
    assert not over, f"transactions over {TX_BOUND:,} gas: {over}"
    # every update really happened (the case is as hostile as intended) and the counts are right
    e = m.error_counts()
    assert len(e) == n + 1
    assert m.payouts() == mk.payouts(e, market_state(trainer)["n_samples"], m.bounty, m.stake)
    # and the trainer opens a new market
    Market(chain, trainer, provider, [([1, 2], 1), ([3], 0)], n_parts=2).open()
    assert trainer.market_count() == 2


# --- settlement: Fig. 2's rounds over the most expensive error counts -----------------------------

from hypothesis import HealthCheck, given, settings, target  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

MAX_T = 128


@pytest.fixture(scope="module")
def settlement(project, accounts):
    return project.MarketSettlementHarness.deploy(sender=accounts[0])


def settle_gas(chain, harness, sender, e, n_samples, rounds):
    """Gas of settling in one transaction (the harness writes E, then `settle_market(T)`),
    and the payouts, checked against the reference. The chain is restored after."""
    snapshot = chain.snapshot()
    try:
        harness.set_evaluated(e, n_samples, rounds, 1, sender=sender)
        gas = harness.settle_market.estimate_gas_cost(len(e) - 1, sender=sender)
        receipt = harness.settle_market(len(e) - 1, sender=sender)
        payouts = [(harness.participants(1, t) >> 160) & (2**95 - 1) for t in range(len(e) - 1)]
        assert payouts == mk.payouts(e, n_samples, rounds, 1)
        return max(gas, receipt.gas_used)
    finally:
        chain.restore(snapshot)


def cascade(n_samples):
    """Participant 1 loses everything in round 1; each drop makes the next one a loser."""
    return [0] + [n_samples] * MAX_T


def staggered(n_samples):
    """Gains then losses of every size: many losers, each dropping in its own round."""
    return [0] + [(t * 7919) % (n_samples + 1) for t in range(1, MAX_T + 1)]


@pytest.mark.parametrize("pattern", [cascade, staggered])
def test_settle__hand_built_hostile_error_counts__one_bounded_transaction(chain, settlement, accounts, pattern):
    for n_samples in (1, 17, 1024):
        gas = settle_gas(chain, settlement, accounts[0], pattern(n_samples), n_samples, 2**90)
        assert gas <= TX_BOUND


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_settle__searched_error_counts__one_bounded_transaction(chain, settlement, accounts, data):
    """Hypothesis steers E (and M, R) towards the most gas (`target`); every settlement of the
    full 128 participants stays in one bounded transaction and pays as the reference."""
    n_samples = data.draw(st.sampled_from([1, 2, 3, 8, 100, 1024]))
    e = data.draw(st.lists(st.integers(0, n_samples), min_size=MAX_T + 1, max_size=MAX_T + 1))
    rounds = data.draw(st.sampled_from([1, 7, 1000, 2**90]))
    gas = settle_gas(chain, settlement, accounts[0], e, n_samples, rounds)
    target(float(gas))
    assert gas <= TX_BOUND
