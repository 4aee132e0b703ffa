"""A state machine over the prediction market's whole life, against a Python model of it.

Providers open markets, anyone draws, the provider reveals (honestly, or tampering with a drawn
part, which must revert), contributors stake and train, anyone ends the market, the provider
reveals the rest (honestly, or with a changed part, which aborts), time passes (missed
deadlines abort), anyone evaluates (a few parts a transaction) and settles in chunks, or nobody
does until the settlement deadline and anyone aborts; participants claim. Hostile shapes: a
contribution over the market's size cap reverts, a tampered part reverts or aborts (the worst cases
at every cap are in tests/unit/test_market_worst_case.py). Several markets
follow each other on one trainer. Invariants, after every step:

- the contract's balance is every bounty plus every stake minus what was paid out;
- the phase on chain is the one the model expects (no phase can be skipped or repeated);
- a settled market's payouts are the reference's (Fig. 2, `ape_decai.market.payouts` on the
  error counts of the bit-exact reference model), none negative, their sum at most stakes + B,
  and, when nobody dropped out, stakes + B * [L(h0) - L(hT)] up to rounding (< 1 wei each);
- nobody is paid twice (a second claim reverts), an aborted market returns every stake.

The chain is snapshot in `@initialize` and restored in `teardown` (Ape isolates per test only).
"""

import random
from types import SimpleNamespace

import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from web3.exceptions import ContractLogicError as Web3ContractLogicError

from ape_decai import market as mk
from ape_decai.models.sparse_perceptron import SparsePerceptron
from ape_decai.packing import pack_indices
from market_support import DAY, Market, market_state

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)

N_FEATURES = 40  # room for a contribution over the market's size cap (32 features)
_rng = random.Random(4242)
WEIGHTS = [_rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(N_FEATURES)]
TEST_POOL = [(sorted(_rng.sample(range(N_FEATURES), _rng.randint(1, 4))), _rng.randint(0, 1)) for _ in range(12)]
del _rng
STAKE = 10**15
SAMPLES = st.tuples(st.lists(st.integers(0, N_FEATURES - 1), min_size=1, max_size=4, unique=True).map(sorted),
                    st.integers(0, 1))

ROLES = ["contributor", "other_contributor", "reporter"]


class MarketMachine(RuleBasedStateMachine):
    env: SimpleNamespace = None

    @initialize()
    def deploy(self):
        env = self.env
        self.snapshot = env.chain.snapshot()
        self.trainer = env.trainer  # deployed once by the test: every example starts from it
        self.model = SparsePerceptron(N_FEATURES, 1, 0, list(WEIGHTS))
        self.market = None  # the current Market driver
        self.phase = "none"
        self.markets = []  # (driver, settled payouts or None, aborted)
        self.expected_balance = 0
        self.claimed = set()  # (market id, t)
        self.h0 = None

    def teardown(self):
        if getattr(self, "snapshot", None) is not None:
            self.env.chain.restore(self.snapshot)

    # --- helpers ----------------------------------------------------------------------------

    def _reverts(self, method, args, sender, reason, value=0):
        tx = {"from": sender.address, "to": self.trainer.address, "data": method.encode_input(*args), "value": value}
        with pytest.raises(Web3ContractLogicError) as reverted:
            self.env.chain.provider.web3.eth.estimate_gas(tx, "pending")
        assert reverted.value.message == f"execution reverted: {reason}"

    def _abort_model(self):
        self.phase = "aborted"

    # --- rules ------------------------------------------------------------------------------

    @precondition(lambda self: self.phase in ("none", "settled", "aborted"))
    @rule(n_parts=st.integers(1, 4), reveal_all=st.booleans(), rounds=st.integers(1, 12),
          max_contributions=st.integers(1, 5), test=st.lists(st.sampled_from(TEST_POOL), min_size=4, max_size=8))
    def open(self, n_parts, reveal_all, rounds, max_contributions, test):
        n_reveal = n_parts if reveal_all else min(1, n_parts - 1)
        self.market = Market(self.env.chain, self.trainer, self.env.provider, test, n_parts=n_parts,
                             n_reveal=n_reveal, stake=STAKE, bounty_units=rounds, max_contributions=max_contributions)
        self.market.open()
        self.markets.append([self.market, None, False])
        self.expected_balance += self.market.bounty
        self.phase = "committed"

    @precondition(lambda self: self.phase == "committed")
    @rule()
    def draw(self):
        self.market.draw(sender=self.env.stranger)
        self.phase = "drawn"

    @precondition(lambda self: self.phase == "drawn" and self.market.drawn())
    @rule(data=st.data())
    def tamper_with_a_drawn_part(self, data):
        """The provider cannot change the drawn parts: a changed word, salt or hash reverts."""
        hashes, parts, salts, sizes, words = self.market.secrets.reveal_args(self.market.drawn())
        # which parts were drawn depends on prevrandao (random on Anvil, also after a
        # restore): draw nothing whose range depends on it
        what = data.draw(st.sampled_from(["word", "salt"]))
        k = data.draw(st.integers(0, 2**16))
        if what == "word":
            words = list(words)
            words[k % len(words)] ^= 1
        else:
            salts = [bytes(32)] + list(salts[1:])
        self._reverts(self.trainer.reveal, (hashes, parts, salts, sizes, words), self.env.provider,
                      "prediction_market: parts do not match the commitment")

    @precondition(lambda self: self.phase == "drawn")
    @rule()
    def reveal_drawn(self):
        self.market.reveal_drawn()
        self.h0 = (self.model.intercept, list(self.model.weights))
        self.phase = "participation"

    @precondition(lambda self: self.phase == "participation")
    @rule(who=st.sampled_from(ROLES), sample=SAMPLES)
    def add(self, who, sample):
        state = market_state(self.trainer)
        if state["contributions"] >= state["max_contributions"]:
            self._reverts(self.trainer.add_data, (pack_indices(sample[0]), sample[1]), getattr(self.env, who),
                          "prediction_market: participation is over", value=STAKE)
            return
        self.market.add(getattr(self.env, who), *sample)
        changed = self.model.update(*sample)
        event(f"add: model changed {changed}")
        self.expected_balance += STAKE

    @precondition(lambda self: self.phase == "participation")
    @rule(who=st.sampled_from(ROLES), extra=st.integers(1, N_FEATURES - 32))
    def add_too_large(self, who, extra):
        """A hostile shape: a contribution over MAX_CONTRIBUTION_DATA_WORDS packed words (more
        than 32 features) would make every evaluation transaction replay more than it bounds."""
        indices = list(range(32 + extra))
        self._reverts(self.trainer.add_data, (pack_indices(indices), 1), getattr(self.env, who),
                      "prediction_market: contribution too large", value=STAKE)

    @precondition(lambda self: self.phase == "participation")
    @rule()
    def end(self):
        self.market.end(sender=self.env.stranger)
        self.phase = "revealed" if self.market.n_reveal == len(self.market.secrets.parts) else "ended"

    @precondition(lambda self: self.phase == "ended")
    @rule(per_tx=st.integers(1, 3), tamper=st.booleans())
    def reveal_rest(self, per_tx, tamper):
        rest = self.market.rest()[:per_tx]
        if tamper:
            hashes, parts, salts, sizes, words = self.market.secrets.reveal_args(rest)
            words = [words[0] ^ 2, *words[1:]]  # a header with another label
            self.trainer.reveal(hashes, parts, salts, sizes, words, sender=self.env.provider)
            self._abort_model()
            return
        self.market.reveal(rest)
        if not self.market.rest():
            self.phase = "revealed"

    @precondition(lambda self: self.phase in ("committed", "drawn", "ended"))
    @rule(abort=st.booleans())
    def miss_the_deadline(self, abort):
        self.env.chain.mine(deltatime=DAY + 1)
        if not abort and self.phase != "committed":
            self._reverts(self.trainer.reveal, self.market.secrets.reveal_args([]), self.env.provider,
                          "prediction_market: reveal deadline passed")
        self.trainer.abort_market(sender=self.env.stranger)
        self._abort_model()

    @precondition(lambda self: self.phase == "revealed")
    @rule(per_tx=st.integers(1, 3))
    def evaluate(self, per_tx):
        """One evaluation transaction of up to `per_tx` parts (resumable)."""
        first = market_state(self.trainer)["evaluated_parts"]
        n_parts = len(self.market.secrets.parts)
        if first > 0:  # a part already done cannot be evaluated again
            self._reverts(self.trainer.evaluate_market, self.market.evaluate_args(0, 1), self.env.stranger,
                          "prediction_market: evaluate the next part")
        count = min(per_tx, n_parts - first)
        self.trainer.evaluate_market(*self.market.evaluate_args(first, count), sender=self.env.stranger)
        if first + count == n_parts:
            self.phase = "evaluated"

    @precondition(lambda self: self.phase in ("revealed", "evaluated"))
    @rule(abort=st.booleans())
    def nobody_settles_in_time(self, abort):
        """Before the settlement deadline nobody can abort; after it anyone can, and every
        stake goes back (the bounty is burned)."""
        deadline = market_state(self.trainer)["deadline"]
        if self.env.chain.pending_timestamp < deadline - 60:  # clear of the wall clock's seconds
            self._reverts(self.trainer.abort_market, (), self.env.stranger, "prediction_market: deadline not passed")
        if not abort:
            return
        self.env.chain.pending_timestamp = max(self.env.chain.pending_timestamp, deadline + 1)
        self.trainer.abort_market(sender=self.env.stranger)
        self._abort_model()

    @precondition(lambda self: self.phase == "evaluated")
    @rule(per_tx=st.integers(1, 4))
    def settle(self, per_tx):
        self.trainer.settle_market(per_tx, sender=self.env.stranger)
        if market_state(self.trainer)["settled_count"] == len(self.market.contributors):
            self.phase = "settled"
            self.markets[-1][1] = self.market.payouts()

    @precondition(lambda self: any(d.contributors for d, _, _ in self.markets))
    @rule(data=st.data())
    def claim(self, data):
        d, payouts, _ = data.draw(st.sampled_from([m for m in self.markets if m[0].contributors]))
        t = data.draw(st.integers(0, len(d.contributors) - 1))
        phase = mk.PHASES[market_state(self.trainer, d.id)["phase"]]
        who = d.contributors[t]
        if phase not in ("settled", "aborted"):
            self._reverts(self.trainer.claim, (d.id, t), who, "prediction_market: not settled")
        elif (d.id, t) in self.claimed:
            self._reverts(self.trainer.claim, (d.id, t), who, "prediction_market: already claimed")
        else:
            receipt = d.claim(t)
            amount = receipt.events[0].amount
            assert amount == (STAKE if phase == "aborted" else payouts[t])
            self.claimed.add((d.id, t))
            self.expected_balance -= amount

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def balance_is_bounties_plus_stakes_minus_paid(self):
        if getattr(self, "trainer", None) is not None:
            assert self.trainer.balance == self.expected_balance

    @invariant()
    def no_phase_is_skipped(self):
        if getattr(self, "trainer", None) is not None and self.market is not None:
            assert mk.PHASES[market_state(self.trainer)["phase"]] == self.phase

    @invariant()
    def settled_payouts_follow_fig2(self):
        if getattr(self, "trainer", None) is None:
            return
        for d, payouts, checked in self.markets:
            if payouts is None or checked:
                continue
            intercept, weights = self.h0
            h0 = SparsePerceptron(N_FEATURES, 1, intercept, list(weights))
            e = mk.error_counts(h0, d.contributions, d.secrets.samples)
            n_samples = len(d.secrets.samples)
            assert d.error_counts() == e
            assert payouts == mk.payouts(e, n_samples, d.bounty, STAKE)
            assert all(p >= 0 for p in payouts)
            stakes = STAKE * len(payouts)
            assert sum(payouts) <= stakes + d.bounty
            if all(b >= n_samples for b in mk.balances(e, d.bounty // STAKE, n_samples)):
                exact = stakes + d.bounty * (e[0] - e[-1]) / n_samples
                assert abs(sum(payouts) - exact) < len(payouts) + 1
            self.markets[self.markets.index([d, payouts, checked])][2] = True


def test_market_machine(
    chain, deploy_market_trainer, provider, contributor, other_contributor, reporter, stranger, stateful_settings
):
    MarketMachine.env = SimpleNamespace(
        chain=chain, deploy_market_trainer=deploy_market_trainer, provider=provider, contributor=contributor,
        other_contributor=other_contributor, reporter=reporter, stranger=stranger,
    )
    # One deployment per test, before the examples' snapshots: each example restores to it.
    MarketMachine.env.trainer = deploy_market_trainer(n_features=N_FEATURES, weights=WEIGHTS)
    # The profile's depth, like the other machines: 100 runs of 30 steps in CI, 1,000 in "deep".
    run_state_machine_as_test(MarketMachine, settings=stateful_settings)
