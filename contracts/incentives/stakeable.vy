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

# @dev Time of the last accepted contribution (seconds since the epoch; 0: none yet).
last_update_time: public(uint256)
# @dev n(c): contributions of an address that were refunded (good data).
good_data_count: public(HashMap[address, uint256])
# @dev sum of n(c) over all addresses.
total_good_data: public(uint256)


@internal
@pure
def _check_terms(t: uint256, tc: uint256, ta: uint256, deposit_floor: uint256):
    """
    @dev Revert unless the parameters make sense (the terms modules call
         this before they store them).
    """
    if not (t <= tc and tc <= ta):
        errors._fail("stakeable: wait times must satisfy t <= tc <= ta")
    if deposit_floor > data_handler.MAX_DEPOSIT:
        errors._fail("stakeable: deposit floor too large")


@internal
@view
def _next_deposit(now: uint256, cost_weight: uint256, min_deposit: uint256) -> uint256:
    """
    @dev The deposit a contribution at time `now` needs given the contributions
         accepted so far: max(min_deposit, cost_weight // s), s = now minus
         the last contribution's time (at least 1; 0 happens when one came
         earlier in the same block). It falls as `now` grows, but jumps back
         to cost_weight // s whenever another contribution is accepted: an
         amount computed before that is no promise (see the trainers'
         `next_deposit`).
    """
    elapsed: uint256 = now - self.last_update_time
    if elapsed == 0:
        elapsed = 1
    return max(min_deposit, cost_weight // elapsed)


@internal
def _handle_add(paid: uint256, cost_weight: uint256, min_deposit: uint256) -> uint256:
    # Returns the deposit to record: everything that was sent.
    if paid < self._next_deposit(block.timestamp, cost_weight, min_deposit):
        errors._fail("stakeable: deposit too low")
    self.last_update_time = block.timestamp
    return paid


@internal
def _handle_refund(
    c: data_handler.Contribution,
    contributor: address,
    age: uint256,
    model_agrees: bool,
    refund_wait: uint256,
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
    refund_wait: uint256,
    min_share: uint256,
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
def _may_take_remaining(
    taker: address, creator: address, age: uint256, creator_wait: uint256, anyone_wait: uint256
) -> bool:
    # The creator after tc, anyone after ta: everything that is left.
    return age >= anyone_wait or (taker == creator and age >= creator_wait)


@internal
@pure
def _handle_take_remaining(c: data_handler.Contribution) -> uint256:
    if c.claimable == 0:
        errors._fail("stakeable: nothing left to take")
    return c.claimable
