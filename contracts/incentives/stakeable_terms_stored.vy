# pragma version ~=0.4.3
"""
@title The deposit mechanism's terms, in storage (for clones)
@license MIT
@notice The parameters of `stakeable` for a trainer deployed as a clone (a
        clone runs the implementation's code, so its terms cannot be
        immutables; "Clone or whole" in scripts/generate_trainers.py). Each
        is set once, when the clone is initialised.
@dev Same names and meaning as `stakeable_terms`. A read costs a storage
     access (2,100 gas the first time in a transaction): min_deposit, t
     and td share one slot, so `add_data` (which needs min_deposit) learns
     whether the doubt wait is on, and `refund` gets t and td, in one read.
@custom:security Written once, by the clone's `initialize` (which runs
                 once, called by the implementation), after
                 `stakeable._check_terms`.
"""

from contracts.incentives import stakeable
from contracts.lib import errors

WAIT_MASK: constant(uint256) = 2**64 - 1
DEPOSIT_MASK: constant(uint256) = 2**96 - 1

# @dev min_deposit (bits 0..95), t (bits 96..159) and td (bits 160..223).
packed_terms: uint256
# @dev Seconds before the creator may take what is left (tc >= td).
creator_wait: public(uint256)
# @dev Seconds before anyone may take what is left (ta >= tc).
anyone_wait: public(uint256)
# @dev Numerator of the deposit formula, in wei * seconds.
cost_weight: public(uint256)
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
    td: uint256,
):
    """
    @dev Fix the mechanism's terms (once: the clone's initialisation).
    """
    stakeable._check_terms(t, td, tc, ta, deposit_floor)
    if td > WAIT_MASK:
        errors._fail("stakeable_terms_stored: waits t and td must be below 2**64 s")
    # deposit_floor <= MAX_DEPOSIT (checked), t <= td < 2**64
    self.packed_terms = deposit_floor | (t << 96) | (td << 160)
    self.creator_wait = tc
    self.anyone_wait = ta
    self.cost_weight = weight
    self.min_share = smallest_share


@external
@view
def refund_wait() -> uint256:
    """
    @notice t: seconds to wait before a refund or a report.
    """
    return self._refund_wait()


@external
@view
def doubt_wait() -> uint256:
    """
    @notice td: the wait of a contribution the model disagreed with when it
            was added (t <= td <= tc; td = t: off).
    """
    return self._doubt_wait()


@external
@view
def min_deposit() -> uint256:
    """
    @notice The floor of the deposit, in wei.
    """
    return self._min_deposit()


@internal
@view
def _refund_wait() -> uint256:
    return (self.packed_terms >> 96) & WAIT_MASK


@internal
@view
def _doubt_wait() -> uint256:
    return self.packed_terms >> 160


@internal
@view
def _doubting() -> bool:
    # The doubt wait is on: the model's vote before training is worth recording.
    packed: uint256 = self.packed_terms
    return packed >> 160 > (packed >> 96) & WAIT_MASK


@internal
@view
def _min_deposit() -> uint256:
    return self.packed_terms & DEPOSIT_MASK
