"""Fig. 2's reward loop: the literal reference (B rounds one by one, exact fractions) against
the contract's integer loop that jumps over rounds in which nobody drops out.

Rounding, documented: balances are exact integers in units of stake / M on both sides, so the
only difference is the final conversion to wei: the contract pays floor(b * stake / M), the
literal reference b * stake as a fraction; each payout is below it by less than 1 wei.
"""

from fractions import Fraction

import pytest
from ape import chain
from hypothesis import given, note
from hypothesis import strategies as st

from ape_decai import market as mk
from ape_decai.models.sparse_perceptron import SparsePerceptron
from market_support import Market
from strategies import error_curves, small_markets

STAKE = 10**15 + 7  # not a multiple of M: payouts round


@given(curve=error_curves(), rounds=st.integers(0, 60))
def test_jumping_loop__equals_fig2_round_by_round(curve, rounds):
    """Pure Python: no chain, no snapshot needed."""
    from market_support import fig2_payouts

    e, m = curve
    literal = fig2_payouts(e, m, rounds)
    units = mk.balances(e, rounds, m)
    assert [Fraction(b, m) for b in units] == literal
    paid = mk.payouts(e, m, rounds * STAKE, STAKE)
    for wei, exact in zip(paid, literal):
        assert 0 <= exact * STAKE - wei < 1
    # never more than the stakes plus the bounty; never negative
    assert all(b >= 0 for b in literal)
    assert sum(literal) <= len(literal) + rounds
    # nobody dropped out: the bounty paid is B * [L(h0) - L(hT)] exactly (in units)
    if all(b >= 1 for b in literal):
        assert sum(literal) - len(literal) == rounds * (Fraction(e[0], m) - Fraction(e[-1], m))


@pytest.mark.slow
@given(market=small_markets())
def test_onchain_payouts__equal_fig2(deploy_market_trainer, provider, accounts, market):
    from market_support import fig2_payouts

    weights = [(-1) ** i * (i % 5 + 1) for i in range(16)]
    snapshot = chain.snapshot()
    try:
        trainer = deploy_market_trainer(n_features=16, weights=weights)
        m = Market(chain, trainer, provider, market["test"], n_parts=market["n_parts"],
                   n_reveal=market["n_reveal"], stake=STAKE, bounty_units=market["rounds"],
                   max_contributions=max(1, len(market["contributions"])))
        contributors = accounts[6:9]
        m.run_to_settled([(contributors[k % 3], x, y) for k, (x, y) in enumerate(market["contributions"])])
        onchain = m.payouts()
        e = m.error_counts()
    finally:
        chain.restore(snapshot)
    model = SparsePerceptron(16, 1, 0, list(weights))
    assert e == mk.error_counts(model, market["contributions"], m.secrets.samples)
    literal = fig2_payouts(e, len(market["test"]), market["rounds"])
    note(f"E = {e}, rounds = {market['rounds']}, payouts = {onchain}")
    assert len(onchain) == len(literal)
    for wei, exact in zip(onchain, literal):
        assert 0 <= exact * STAKE - wei < 1
