# pragma version ~=0.4.3
"""
@title Deposit, refund and take (paper section III-C)
@notice Every contribution carries a deposit d. After `refund_wait` (t), if the
        model agrees with the label, the contributor gets d back and earns one
        good-data mark n(c). A reporter with n(cr) > 0, other than the author,
        may take r = d * n(cr) / sum n(c) (at least `min_share`, at most what
        is left) of a contribution the model disagrees with, once per
        contribution. The creator takes what is left after `creator_wait`
        (tc), anyone after `anyone_wait` (ta), with t <= tc <= ta.
@dev The deposit asked for is d = max(min_deposit, cost_weight / s) where s is
     the number of seconds since the last contribution (at least 1): sending
     many updates in a short time is expensive (paper: d ~ 1 / time since the
     last update). Whatever is sent above the asked deposit is part of the
     deposit (refundable in full, or taken): no change is sent back, which
     would cost every contributor a transfer.
     This module only computes amounts and keeps the good-data tallies; the
     trainer that initializes it records, sends value and logs.
"""

from contracts.lib import errors

from contracts import data_handler

# @dev Seconds to wait before a refund or a report (t).
refund_wait: public(immutable(uint256))
# @dev Seconds before the creator may take what is left (tc >= t).
creator_wait: public(immutable(uint256))
# @dev Seconds before anyone may take what is left (ta >= tc).
anyone_wait: public(immutable(uint256))
# @dev Numerator of the deposit formula, in wei * seconds.
cost_weight: public(immutable(uint256))
# @dev Floor of the deposit, in wei.
min_deposit: public(immutable(uint256))
# @dev Smallest share a reporter takes (the paper's epsilon), in wei.
min_share: public(immutable(uint256))

# @dev Time of the last accepted contribution (seconds since the epoch; 0: none yet).
last_update_time: public(uint256)
# @dev n(c): contributions of an address that were refunded (good data).
good_data_count: public(HashMap[address, uint256])
# @dev sum of n(c) over all addresses.
total_good_data: public(uint256)


@deploy
def __init__(
    t: uint256,
    tc: uint256,
    ta: uint256,
    weight: uint256,
    deposit_floor: uint256,
    smallest_share: uint256,
):
    """
    @notice Fix the mechanism's parameters.
    @param t Refund wait in seconds.
    @param tc Creator's wait in seconds, t <= tc.
    @param ta Anyone's wait in seconds, tc <= ta.
    @param weight cost_weight in wei * seconds.
    @param deposit_floor Smallest deposit in wei.
    @param smallest_share Smallest (the paper's epsilon) share of a report in wei.
    """
    if not (t <= tc and tc <= ta):
        errors._fail("stakeable: wait times must satisfy t <= tc <= ta")
    if deposit_floor > data_handler.MAX_DEPOSIT:
        errors._fail("stakeable: deposit floor too large")
    refund_wait = t
    creator_wait = tc
    anyone_wait = ta
    cost_weight = weight
    min_deposit = deposit_floor
    min_share = smallest_share
    # last_update_time starts at 0, so the first deposit counts the seconds
    # since the epoch (in practice the floor): not writing it here saves a
    # new slot at deployment; the first contribution pays for it instead.


@internal
@view
def _next_deposit(now: uint256) -> uint256:
    elapsed: uint256 = now - self.last_update_time
    if elapsed == 0:
        elapsed = 1
    return max(min_deposit, cost_weight // elapsed)


@external
@view
def next_deposit() -> uint256:
    """
    @notice The deposit a contribution made in the next block needs (wei).
    @dev Computed for the current block's timestamp; the next block's is at
         least as late, so paying this is always enough.
    @return The deposit in wei.
    """
    return self._next_deposit(block.timestamp)


@internal
def _handle_add(paid: uint256) -> uint256:
    # Returns the deposit to record: everything that was sent.
    if paid < self._next_deposit(block.timestamp):
        errors._fail("stakeable: deposit too low")
    self.last_update_time = block.timestamp
    return paid


@internal
def _handle_refund(
    c: data_handler.Contribution, contributor: address, age: uint256, model_agrees: bool
) -> uint256:
    if c.refunded:
        errors._fail("stakeable: already refunded")
    if c.claimable != c.deposit:
        errors._fail("stakeable: deposit was taken")
    if age < refund_wait:
        errors._fail("stakeable: refund wait not over")
    if not model_agrees:
        errors._fail("stakeable: model disagrees")
    # cannot overflow: at most one increment per contribution
    self.good_data_count[contributor] = unsafe_add(self.good_data_count[contributor], 1)
    self.total_good_data = unsafe_add(self.total_good_data, 1)
    return c.deposit


@internal
@view
def _handle_report(
    c: data_handler.Contribution,
    reporter: address,
    contributor: address,
    age: uint256,
    model_agrees: bool,
) -> uint256:
    if reporter == contributor:
        errors._fail("stakeable: cannot take own deposit")
    if age < refund_wait:
        errors._fail("stakeable: refund wait not over")
    if model_agrees:
        errors._fail("stakeable: model agrees")
    if c.claimable == 0:
        errors._fail("stakeable: nothing left to take")
    n: uint256 = self.good_data_count[reporter]
    if n == 0:
        errors._fail("stakeable: no refunded data")
    # n <= total, so share <= deposit < 2**96: no overflow
    share: uint256 = c.deposit * n // self.total_good_data
    return min(max(share, min_share), c.claimable)


@internal
@view
def _may_take_remaining(taker: address, creator: address, age: uint256) -> bool:
    # The creator after tc, anyone after ta: everything that is left.
    return age >= anyone_wait or (taker == creator and age >= creator_wait)


@internal
@pure
def _handle_take_remaining(c: data_handler.Contribution) -> uint256:
    if c.claimable == 0:
        errors._fail("stakeable: nothing left to take")
    return c.claimable
