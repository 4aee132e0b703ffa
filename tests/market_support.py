"""Drive a prediction market through its phases in tests (and read it back).

`Market` wraps a market trainer and the provider's `MarketSecrets`; each method is one
transaction of the market's life, with the arguments a client would compute. The Fig. 2
reference written literally (B rounds one by one, exact fractions) is `fig2_payouts`.
"""

from __future__ import annotations

from fractions import Fraction

from ape_decai.market import MARKET_FIELDS, MarketSecrets, encode_samples
from ape_decai.packing import LANES, pack_indices

HOUR = 3600
DAY = 24 * HOUR


def market_state(trainer, market_id=None) -> dict:
    market_id = trainer.market_count() if market_id is None else market_id
    return dict(zip(MARKET_FIELDS, trainer.markets(market_id)))


def fig2_payouts(e: list[int], n_samples: int, bounty_units: int) -> list[Fraction]:
    """Fig. 2 literally: B rounds one by one; losses L_t = E_t / M as exact fractions;
    balances in units of the stake; returns each participant's final balance (units)."""
    loss = [Fraction(x, n_samples) for x in e]
    n = len(e) - 1
    b = [Fraction(1)] * n
    s = list(range(n))
    for _ in range(bounty_units):
        prev = 0  # h_0
        for t in s:
            b[t] += loss[prev] - loss[t + 1]
            prev = t + 1
        s = [t for t in s if b[t] >= 1]
    return b


class Market:
    """One market on `trainer`, opened by `provider` with the test set `samples`."""

    def __init__(self, chain, trainer, provider, samples, n_parts=4, n_reveal=1, stake=10**15,
                 bounty_units=3, duration=DAY, max_contributions=20, reveal_window=DAY, secrets=None):
        self.chain, self.trainer, self.provider = chain, trainer, provider
        self.secrets = secrets or MarketSecrets.create(samples, n_parts)
        self.n_reveal, self.stake, self.bounty = n_reveal, stake, bounty_units * stake
        self.duration, self.max_contributions, self.reveal_window = duration, max_contributions, reveal_window
        self.contributions: list[tuple[list[int], int]] = []
        self.contributors: list = []
        self.h0 = None
        self.id = None

    # --- phases -----------------------------------------------------------------------------
    def open(self, sender=None, **overrides):
        args = dict(
            stake=self.stake,
            commitment=self.secrets.commitment,
            n_parts=len(self.secrets.parts),
            n_reveal=self.n_reveal,
            duration=self.duration,
            max_contributions=self.max_contributions,
            reveal_window=self.reveal_window,
        )
        args.update(overrides)
        value = args.pop("value", self.bounty)
        receipt = self.trainer.open_market(*args.values(), sender=sender or self.provider, value=value)
        self.id = self.trainer.market_count()
        return receipt

    def draw(self, sender=None):
        self.chain.mine(1)
        return self.trainer.draw_parts(sender=sender or self.provider)

    def drawn(self) -> list[int]:
        bits = market_state(self.trainer)["drawn"]
        return [k for k in range(len(self.secrets.parts)) if bits >> k & 1]

    def reveal(self, parts, sender=None, **tx):
        return self.trainer.reveal(*self.secrets.reveal_args(parts), sender=sender or self.provider, **tx)

    def reveal_drawn(self):
        receipt = self.reveal(self.drawn())
        self.h0 = self.read_model()
        return receipt

    def add(self, who, indices, label, value=None):
        receipt = self.trainer.add_data(pack_indices(indices), label, sender=who,
                                        value=self.stake if value is None else value)
        self.contributions.append((sorted(indices), label))
        self.contributors.append(who)
        return receipt

    def end(self, sender=None):
        state = market_state(self.trainer)
        if state["contributions"] < state["max_contributions"]:
            now = self.chain.pending_timestamp
            if now < state["ends_at"]:
                self.chain.pending_timestamp = state["ends_at"]
        return self.trainer.end_market(sender=sender or self.provider)

    def rest(self) -> list[int]:
        bits = market_state(self.trainer)["revealed"]
        return [k for k in range(len(self.secrets.parts)) if not bits >> k & 1]

    def reveal_rest(self, per_tx=None):
        rest = self.rest()
        per_tx = per_tx or max(1, len(rest))
        return [self.reveal(rest[i : i + per_tx]) for i in range(0, len(rest), per_tx)]

    def evaluate_args(self, first=0, count=None):
        intercept, words = self.h0
        return (intercept, words, encode_samples(self.contributions), *self.secrets.evaluate_args(first, count))

    def evaluate(self, sender=None, per_tx=None, **tx):
        """Every part, `per_tx` parts a transaction (default: all in one); the receipts."""
        n_parts = len(self.secrets.parts)
        per_tx = per_tx or n_parts
        return [
            self.trainer.evaluate_market(*self.evaluate_args(first, min(per_tx, n_parts - first)),
                                         sender=sender or self.provider, **tx)
            for first in range(market_state(self.trainer)["evaluated_parts"], n_parts, per_tx)
        ]

    def settle(self, sender=None, per_tx=200):
        receipts = []
        while market_state(self.trainer)["phase"] != 7:
            receipts.append(self.trainer.settle_market(per_tx, sender=sender or self.provider))
        return receipts

    def claim(self, t, sender=None):
        return self.trainer.claim(self.id, t, sender=sender or self.contributors[t])

    def run_to_revealed(self, contributions=()):
        """Open, draw, reveal the drawn parts, add each (who, indices, label), end, reveal the rest."""
        self.open()
        self.draw()
        self.reveal_drawn()
        for who, indices, label in contributions:
            self.add(who, indices, label)
        self.end()
        self.reveal_rest()

    def run_to_settled(self, contributions, sender=None):
        """`run_to_revealed`, then evaluate and settle."""
        self.run_to_revealed(contributions)
        self.evaluate()
        self.settle()

    # --- reads ------------------------------------------------------------------------------
    def read_model(self):
        n = self.trainer.n_features()
        return self.trainer.intercept(), [self.trainer.weight_words(k) for k in range((n + LANES - 1) // LANES)]

    def payouts(self) -> list[int]:
        return [(self.trainer.participants(self.id, t) >> 160) & (2**95 - 1) for t in range(len(self.contributors))]

    def error_counts(self) -> list[int]:
        n = len(self.contributions) + 1
        return [(self.trainer.error_counts(self.id, t // 16) >> (16 * (t % 16))) & 0xFFFF for t in range(n)]
