"""Unit tests of the prediction market trainer (contracts/incentives/prediction_market.vy)."""

import random

import ape
import pytest

from ape_decai import market as mk
from market_support import DAY, Market, market_state

TEST_SET = [([i, 50 + i], i % 2) for i in range(12)]


@pytest.fixture
def test_samples():
    rng = random.Random(5)
    out = []
    for _ in range(40):
        x = sorted(rng.sample(range(100), 3))
        out.append((x, rng.randint(0, 1)))
    return out


@pytest.fixture
def make_market(chain, market_trainer, provider, test_samples):
    def make(**kw):
        return Market(chain, market_trainer, provider, kw.pop("samples", test_samples), **kw)

    return make


def test_market__full_life__pays_as_the_reference(make_market, contributor, other_contributor, reference_model):
    m = make_market(n_parts=8, n_reveal=2, bounty_units=5)
    rng = random.Random(1)
    contribs = []
    for k in range(10):
        x = sorted(rng.sample(range(100), 5))
        contribs.append((contributor if k % 2 else other_contributor, x, rng.randint(0, 1)))
    m.run_to_settled(contribs)
    model = reference_model()
    e = mk.error_counts(model, m.contributions, m.secrets.samples)
    assert m.error_counts() == e
    assert m.payouts() == mk.payouts(e, len(m.secrets.samples), m.bounty, m.stake)
