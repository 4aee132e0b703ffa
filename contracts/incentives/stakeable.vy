# pragma version ~=0.4.3
"""
@title Deposit, refund and take (paper section III-C)
@license MIT
@notice Every contribution carries a deposit d. After `refund_wait` (t), if the
        model agrees with the label, the contributor gets d back and earns one
        good-data mark n(c). A reporter with n(cr) > 0, other than the author,
        may take r = d * n(cr) / sum n(c) (at least `min_share`, at most what
        is left) of a contribution the model disagrees with, once per
        contribution. The creator takes what is left after `creator_wait`
        (tc), anyone after `anyone_wait` (ta), with t <= td <= tc <= ta.
        Doubt wait (paper III-C1, t ~ 1 / P(h(x) = y)): a contribution the
        model disagreed with when it was added (its vote before training on
        it, the one confidence measure every model has) waits `doubt_wait`
        (td) instead of t, for its refund and for reports. td = t: off.
@dev The deposit asked for is d = max(min_deposit, cost_weight / s) where s is
     the number of seconds since the last contribution (at least 1): sending
     many updates in a short time is expensive (paper: d ~ 1 / time since the
     last update). Whatever is sent above the asked deposit is part of the
     deposit (refundable in full, or taken): no change is sent back, which
     would cost every contributor a transfer.
     This module owns the flow of `add_data`, `refund` and `report`: it
     records the contribution in `data_handler`, decides, logs and pays. The
     deployable passes in what only it knows (Vyper 0.4 has no module
     generics): the model's verdict, and the terms, from immutables
     (`stakeable_terms`) or from storage in a clone (`stakeable_terms_stored`).
@custom:security Every function that pays is called from a `@nonreentrant`
                 external function; state is written before the payment,
                 which forwards all gas (contract wallets can receive) and
                 reverts if the receiver does.
"""

from contracts import data_handler
from contracts.interfaces import IStakeable
from contracts.interfaces import ITrainer
from contracts.lib import constants
from contracts.lib import errors

uses: data_handler

# @dev Time of the last accepted contribution (seconds since the epoch; 0: none yet).
last_update_time: public(uint256)
# @dev n(c): contributions of an address that were refunded (good data).
good_data_count: public(HashMap[address, uint256])
# @dev sum of n(c) over all addresses.
total_good_data: public(uint256)


@internal
@pure
def _check_terms(t: uint256, td: uint256, tc: uint256, ta: uint256, deposit_floor: uint256):
    """
    @dev Revert unless the parameters make sense (the terms modules call
         this before they store them).
    """
    if not (t <= td and td <= tc and tc <= ta):
        errors._fail("stakeable: wait times must satisfy t <= td <= tc <= ta")
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
def _add(
    data: DynArray[uint256, constants.MAX_DATA_WORDS],
    label: uint8,
    paid: uint256,
    cost_weight: uint256,
    min_deposit: uint256,
    doubted: bool,
):
    """
    @dev Accept a contribution of msg.sender with deposit `paid` (msg.value:
         all of it is the deposit), record it and log `DataAdded`. The
         deployable trains the model; `doubted`: its model disagreed with
         the label before training (only computed while td > t).
    """
    if paid < self._next_deposit(block.timestamp, cost_weight, min_deposit):
        errors._fail("stakeable: deposit too low")
    self.last_update_time = block.timestamp
    data_handler._add_judged(
        data_handler._key(keccak256(abi_encode(data)), label, block.timestamp, msg.sender),
        paid,
        doubted,
    )
    log ITrainer.DataAdded(
        contributor=msg.sender, label=label, deposit=paid, added_at=block.timestamp, data=data
    )


@internal
def _refund(
    data_hash: bytes32,
    label: uint8,
    added_at: uint256,
    model_agrees: bool,
    refund_wait: uint256,
    doubt_wait: uint256,
):
    """
    @dev Pay msg.sender back the whole deposit of its contribution (data
         `data_hash` = keccak256(abi_encode(data)), `label`, `added_at`)
         if its wait is over (`doubt_wait` if the model disagreed when it
         was added, else `refund_wait`) and the model agrees; one good-data
         mark.
    """
    key: bytes32 = data_handler._key(data_hash, label, added_at, msg.sender)
    c: data_handler.Contribution = data_handler._get(key)
    if c.refunded:
        errors._fail("stakeable: already refunded")
    if c.claimable != c.deposit:
        errors._fail("stakeable: deposit was taken")
    if block.timestamp - added_at < (doubt_wait if c.doubted else refund_wait):
        errors._fail("stakeable: refund wait not over")
    if not model_agrees:
        errors._fail("stakeable: model disagrees")
    # cannot overflow: at most one increment per contribution
    self.good_data_count[msg.sender] = unsafe_add(self.good_data_count[msg.sender], 1)
    self.total_good_data = unsafe_add(self.total_good_data, 1)
    c.refunded = True
    c.claimable = 0
    data_handler._set(key, c)
    log IStakeable.DepositRefunded(contributor=msg.sender, key=key, amount=c.deposit)
    self._pay(c.deposit)


@internal
def _report(
    data_hash: bytes32,
    label: uint8,
    added_at: uint256,
    contributor: address,
    model_agrees: bool,
    creator: address,
    refund_wait: uint256,
    doubt_wait: uint256,
    creator_wait: uint256,
    anyone_wait: uint256,
    min_share: uint256,
):
    """
    @dev Pay msg.sender from `contributor`'s contribution: everything that
         is left after `anyone_wait`, or for the `creator` (the owner)
         after `creator_wait`; before, a reporter's share of a contribution
         the model disagrees with, once per reporter, after its wait (as
         for a refund).
    """
    key: bytes32 = data_handler._key(data_hash, label, added_at, contributor)
    c: data_handler.Contribution = data_handler._get(key)
    age: uint256 = block.timestamp - added_at
    # a reporter's share, or (after the waits) everything that is left
    share: bool = age < anyone_wait and (msg.sender != creator or age < creator_wait)
    if share:
        if msg.sender == contributor:
            errors._fail("stakeable: cannot take own deposit")
        if age < (doubt_wait if c.doubted else refund_wait):
            errors._fail("stakeable: refund wait not over")
        if model_agrees:
            errors._fail("stakeable: model agrees")
    amount: uint256 = c.claimable
    if amount == 0:
        errors._fail("stakeable: nothing left to take")
    if share:
        n: uint256 = self.good_data_count[msg.sender]
        if n == 0:
            errors._fail("stakeable: no refunded data")
        data_handler._mark_taken(key, msg.sender)
        # n <= total, so the share <= deposit < 2**96: no overflow
        amount = min(max(c.deposit * n // self.total_good_data, min_share), amount)
    c.claimable -= amount
    data_handler._set(key, c)
    log IStakeable.DepositTaken(taker=msg.sender, contributor=contributor, key=key, amount=amount)
    self._pay(amount)


@internal
def _pay(amount: uint256):
    # To msg.sender, forwarding all gas (no 2,300 stipend); reverts if the receiver does.
    if amount > 0:
        raw_call(msg.sender, b"", value=amount)
