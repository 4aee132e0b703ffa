"""Market claims to a contract wallet: more than 2,300 gas to receive, refusal, re-entry.

`contracts/testing/ContributorWallet.vy` stakes in a market and claims like an account; its
receive hook writes storage and, when armed, re-enters the trainer's `claim`. The lock must turn
the re-entry away, and nothing may be paid twice.
"""

import ape
import eth_abi
import pytest
from eth_utils import function_signature_to_4byte_selector as selector

from ape_decai.packing import pack_indices
from market_support import Market, market_state

STAKE = 10**15


@pytest.fixture
def wallet(project, contributor):
    return project.ContributorWallet.deploy(sender=contributor)


@pytest.fixture
def wallet_market(chain, market_trainer, provider, wallet, contributor, ones_sample):
    """A market in which the wallet contributed once (index 0), ended and revealed."""
    samples = [([1, 2], 1), ([60, 70], 0), ([3, 80], 1), ([55, 4], 0)]
    m = Market(chain, market_trainer, provider, samples, n_parts=2, n_reveal=1, stake=STAKE, bounty_units=2,
               max_contributions=1)
    m.open()
    m.draw()
    m.reveal_drawn()
    wallet.add_data(market_trainer, pack_indices(ones_sample), 1, sender=contributor, value=STAKE)
    m.contributions.append((sorted(ones_sample), 1))
    m.contributors.append(wallet)
    m.end()
    m.reveal_rest()
    return m


def test_claim__to_a_gas_hungry_wallet__arrives(wallet_market, market_trainer, wallet, contributor):
    wallet_market.evaluate()
    wallet_market.settle()
    payout = wallet_market.payouts()[0]
    assert payout == STAKE  # the model agreed: nothing changed, the stake comes back

    wallet.claim(market_trainer, 1, 0, sender=contributor)

    assert wallet.received() == payout and wallet.payments() == 1
    assert market_state(market_trainer)["paid"] == payout


def test_claim__refused_by_the_wallet__reverts_and_stays_claimable(wallet_market, market_trainer, wallet, contributor):
    wallet_market.evaluate()
    wallet_market.settle()
    wallet.set_refuse_payments(True, sender=contributor)
    with ape.reverts():
        wallet.claim(market_trainer, 1, 0, sender=contributor)
    wallet.set_refuse_payments(False, sender=contributor)
    wallet.claim(market_trainer, 1, 0, sender=contributor)
    assert wallet.received() == STAKE


def test_claim__reentered_from_the_receive_hook__is_turned_away(wallet_market, market_trainer, wallet, contributor):
    wallet_market.evaluate()
    wallet_market.settle()
    again = selector("claim(uint256,uint256)") + eth_abi.encode(["uint256", "uint256"], [1, 0])
    wallet.arm(market_trainer, again, 0, sender=contributor)

    wallet.claim(market_trainer, 1, 0, sender=contributor)

    assert wallet.reentry_attempted() and not wallet.reentry_succeeded()
    assert wallet.payments() == 1 and wallet.received() == STAKE
    assert market_trainer.balance == 2 * STAKE  # the bounty, locked; the stake paid once
