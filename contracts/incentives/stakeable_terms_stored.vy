# pragma version ~=0.4.3
"""
@title The deposit mechanism's terms, in storage (for clones)
@license MIT
@notice The parameters of `stakeable` for a trainer deployed as a clone (a
        clone runs the implementation's code, so its terms cannot be
        immutables; "Clone or whole" in scripts/generate_trainers.py). Each
        is set once, when the clone is initialised.
@dev Same names and meaning as `stakeable_terms`. A read costs a storage
     access (2,100 gas the first time in a transaction).
@custom:security Written once, by the clone's `initialize` (which runs
                 once, called by the implementation), after
                 `stakeable._check_terms`.
"""

from contracts.incentives import stakeable

# @dev Seconds to wait before a refund or a report (t).
refund_wait: public(uint256)
# @dev Seconds before the creator may take what is left (tc >= t).
creator_wait: public(uint256)
# @dev Seconds before anyone may take what is left (ta >= tc).
anyone_wait: public(uint256)
# @dev Numerator of the deposit formula, in wei * seconds.
cost_weight: public(uint256)
# @dev Floor of the deposit, in wei.
min_deposit: public(uint256)
# @dev Smallest share a reporter takes (the paper's epsilon), in wei.
min_share: public(uint256)


@internal
def _configure(
    t: uint256,
    tc: uint256,
    ta: uint256,
    weight: uint256,
    deposit_floor: uint256,
    smallest_share: uint256,
):
    """
    @dev Fix the mechanism's terms (once: the clone's initialisation).
    """
    stakeable._check_terms(t, tc, ta, deposit_floor)
    self.refund_wait = t
    self.creator_wait = tc
    self.anyone_wait = ta
    self.cost_weight = weight
    self.min_deposit = deposit_floor
    self.min_share = smallest_share
