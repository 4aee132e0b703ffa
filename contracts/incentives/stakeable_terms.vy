# pragma version ~=0.4.3
"""
@title The deposit mechanism's terms, fixed at deployment (immutables)
@license MIT
@notice The parameters of `stakeable` for a trainer deployed whole: they live
        in the contract's code, where reading one costs a few gas.
@dev `stakeable` takes its terms as arguments, so that a clone can keep them
     in storage instead (`stakeable_terms_stored`; when a trainer is a
     clone: "Clone or whole" in scripts/generate_trainers.py).
@custom:security Immutables, checked once by the constructor
                 (`stakeable._check_terms`).
"""

from contracts.incentives import stakeable

# @dev Seconds to wait before a refund or a report (t).
refund_wait: public(immutable(uint256))
# @dev Seconds a contribution the model disagreed with when it was added waits
#      before a refund or a report (td, t <= td <= tc; td = t: off).
doubt_wait: public(immutable(uint256))
# @dev Seconds before the creator may take what is left (tc >= td).
creator_wait: public(immutable(uint256))
# @dev Seconds before anyone may take what is left (ta >= tc).
anyone_wait: public(immutable(uint256))
# @dev Numerator of the deposit formula, in wei * seconds.
cost_weight: public(immutable(uint256))
# @dev Floor of the deposit, in wei.
min_deposit: public(immutable(uint256))
# @dev Smallest share a reporter takes (the paper's epsilon), in wei.
min_share: public(immutable(uint256))


@deploy
def __init__(
    t: uint256,
    tc: uint256,
    ta: uint256,
    weight: uint256,
    deposit_floor: uint256,
    smallest_share: uint256,
    td: uint256,
):
    """
    @notice Fix the mechanism's terms.
    @param t Refund wait in seconds.
    @param tc Creator's wait in seconds, td <= tc.
    @param ta Anyone's wait in seconds, tc <= ta.
    @param weight cost_weight in wei * seconds.
    @param deposit_floor Smallest deposit in wei.
    @param smallest_share Smallest (the paper's epsilon) share of a report in wei.
    @param td Doubt wait in seconds, t <= td <= tc (t: off).
    """
    stakeable._check_terms(t, td, tc, ta, deposit_floor)
    refund_wait = t
    doubt_wait = td
    creator_wait = tc
    anyone_wait = ta
    cost_weight = weight
    min_deposit = deposit_floor
    min_share = smallest_share
