# pragma version ~=0.4.3
"""
@title A contract wallet that contributes to a trainer (tests only)
@license MIT
@notice Adds data, asks for refunds and reports like an account would. Its
        receive hook writes storage and logs (far more than the 2,300 gas a
        `transfer` forwards) and, when armed, tries to re-enter the trainer
        with a prepared call. It can also refuse payments.
@dev Never deployed by the plugin; used by tests/unit/test_money_paths.py.
@custom:security Test-only (tests/unit/test_money_paths.py): never shipped
                 in the package's manifests.
"""


interface Trainer:
    def add_data(data: DynArray[uint256, 8], label: uint8): payable
    def refund(data: DynArray[uint256, 8], label: uint8, added_at: uint256): nonpayable
    def report(
        data: DynArray[uint256, 8], label: uint8, added_at: uint256, contributor: address
    ): nonpayable
    def claim(market_id: uint256, index: uint256): nonpayable


event PaymentReceived:
    amount: uint256
    reentry_attempted: bool
    reentry_succeeded: bool


# @dev Payments received and their total.
payments: public(uint256)
received: public(uint256)
# @dev Call made from the receive hook when armed (then disarmed).
reentry_target: public(address)
reentry_calldata: public(Bytes[1024])
reentry_value: public(uint256)
armed: public(bool)
# @dev Outcome of the last re-entry attempt.
reentry_attempted: public(bool)
reentry_succeeded: public(bool)
# @dev Revert on any payment.
refuse_payments: public(bool)


@external
@payable
def add_data(trainer: Trainer, data: DynArray[uint256, 8], label: uint8):
    """
    @notice Contribute through the wallet, forwarding msg.value as the deposit.
    @param trainer The trainer.
    @param data Packed feature indices.
    @param label The label.
    """
    extcall trainer.add_data(data, label, value=msg.value)


@external
def refund(trainer: Trainer, data: DynArray[uint256, 8], label: uint8, added_at: uint256):
    """
    @notice Ask for the wallet's deposit back.
    @param trainer The trainer.
    @param data Packed feature indices.
    @param label The label.
    @param added_at The contribution's time.
    """
    extcall trainer.refund(data, label, added_at)


@external
def report(
    trainer: Trainer,
    data: DynArray[uint256, 8],
    label: uint8,
    added_at: uint256,
    contributor: address,
):
    """
    @notice Take from a contribution through the wallet.
    @param trainer The trainer.
    @param data Packed feature indices.
    @param label The label.
    @param added_at The contribution's time.
    @param contributor Who added it.
    """
    extcall trainer.report(data, label, added_at, contributor)


@external
def claim(trainer: Trainer, market_id: uint256, index: uint256):
    """
    @notice Claim the wallet's payout or stake from a market trainer.
    @param trainer The market trainer.
    @param market_id The market.
    @param index The wallet's contribution index in it.
    """
    extcall trainer.claim(market_id, index)


@external
def arm(target: address, calldata: Bytes[1024], call_value: uint256):
    """
    @notice Re-enter `target` with `calldata` on the next payment received.
    @param target The contract to call.
    @param calldata The call.
    @param call_value Value sent along with it.
    """
    self.reentry_target = target
    self.reentry_calldata = calldata
    self.reentry_value = call_value
    self.armed = True


@external
def set_refuse_payments(refuse: bool):
    """
    @notice Make the wallet revert on payments (or not).
    @param refuse True to refuse.
    """
    self.refuse_payments = refuse


@external
@payable
def __default__():
    """
    @notice Receive a payment: count it and, if armed, re-enter the target
            once with the armed call (its outcome is recorded).
    """
    assert not self.refuse_payments, "wallet: payments refused"
    self.payments += 1
    self.received += msg.value
    attempted: bool = False
    succeeded: bool = False
    if self.armed:
        self.armed = False
        attempted = True
        succeeded = raw_call(
            self.reentry_target,
            self.reentry_calldata,
            value=self.reentry_value,
            revert_on_failure=False,
        )
    self.reentry_attempted = attempted
    self.reentry_succeeded = succeeded
    log PaymentReceived(amount=msg.value, reentry_attempted=attempted, reentry_succeeded=succeeded)
