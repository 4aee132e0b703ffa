# pragma version ~=0.4.3
"""
@title The prediction market's settlement at chosen error counts (tests only)
@license MIT
@notice Runs the real `prediction_market` module's `settle_market` on error
        counts E_0..E_T written directly, so that tests can search the
        patterns of E for the most expensive settlement without building a
        test set that produces each one.
@dev Never deployed by the plugin; used by tests/unit/test_market_worst_case.py.
@custom:security Test-only (tests/unit/test_market_worst_case.py): never
                 shipped in the package's manifests.
"""

from snekmate.auth import ownable

from contracts.incentives import prediction_market
from contracts.models import sparse_perceptron

initializes: ownable
initializes: sparse_perceptron[ownable := ownable]
initializes: prediction_market[sparse_perceptron := sparse_perceptron]

exports: (prediction_market.settle_market, prediction_market.participants)


@deploy
def __init__():
    ownable.__init__()
    sparse_perceptron.__init__(16, 0, 1)


@external
def set_evaluated(
    error_counts: DynArray[uint256, prediction_market.MAX_PARTICIPANTS + 1],
    n_samples: uint256,
    bounty: uint256,
    stake: uint256,
):
    """
    @notice Make market 1 an evaluated market with these E_t (t = 0..T).
    @param error_counts E_0..E_T, each at most n_samples.
    @param n_samples M, the number of test samples.
    @param bounty The bounty B (a multiple of the stake).
    @param stake The stake.
    """
    prediction_market.market_count = 1
    prediction_market.markets[1].phase = 6  # EVALUATED
    prediction_market.markets[1].n_samples = n_samples
    prediction_market.markets[1].bounty = bounty
    prediction_market.markets[1].stake = stake
    prediction_market.markets[1].contributions = len(error_counts) - 1
    prediction_market.markets[1].settled_count = 0
    packed: uint256 = 0
    for t: uint256 in range(len(error_counts), bound=prediction_market.MAX_PARTICIPANTS + 1):
        packed |= error_counts[t] << ((t & 15) << 4)
        if t & 15 == 15 or t + 1 == len(error_counts):
            prediction_market.error_counts[1][t >> 4] = packed
            packed = 0
    for t: uint256 in range(len(error_counts) - 1, bound=prediction_market.MAX_PARTICIPANTS):
        prediction_market.participants[1][t] = convert(msg.sender, uint256)
