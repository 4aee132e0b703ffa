# pragma version ~=0.4.3
"""
@title Gamification: points and badges (paper section III-A)
@license MIT
@notice No money moves. Every address earns on-chain tallies that a front end
        can turn into badges: contributions made, contributions validated
        (after `validation_wait` the model still agrees with them: good data),
        which labels it contributed (diversity) and in how many distinct weeks
        it contributed (routine).
@dev This module owns the flow of `add_data` and `validate`: it records the
     contribution in `data_handler` (with a zero deposit), keeps the tallies
     and logs. The deployable passes in the model's verdict and trains the
     model (Vyper 0.4 has no module generics).
@custom:security Nothing is payable and nothing is paid: no value can enter
                 or leave a points trainer.
"""

from contracts import data_handler
from contracts.interfaces import IPoints
from contracts.interfaces import ITrainer
from contracts.lib import constants
from contracts.lib import errors

uses: data_handler

# @dev Seconds a contribution must wait before it can be validated.
validation_wait: public(immutable(uint256))

WEEK: constant(uint256) = 7 * 24 * 60 * 60

# @dev Most words of input in one batch (`add_data_batch` of the trainers):
#      a trainer takes MAX_BATCH_WORDS // (its model's MAX_PACKED_WORDS + 1)
#      samples at most (50 sparse samples, 13 dense), keeping the call's
#      memory frame under ~30 kB.
MAX_BATCH_WORDS: constant(uint256) = 850

# @dev Contributions made by an address.
contributions: public(HashMap[address, uint256])
# @dev Contributions of an address validated as good data (its points).
good_data_count: public(HashMap[address, uint256])
# @dev Bit k set: the address contributed label k.
labels_contributed: public(HashMap[address, uint256])
# @dev Distinct weeks (since the epoch) in which the address contributed.
active_weeks: public(HashMap[address, uint256])
# @dev Last week in which the address contributed, plus one (0: never).
last_active_week: public(HashMap[address, uint256])
# @dev Sum of good_data_count over all addresses.
total_good_data: public(uint256)


@deploy
def __init__(wait: uint256):
    """
    @notice Fix the validation wait.
    @param wait Seconds a contribution waits before it can be validated.
    """
    validation_wait = wait


@internal
def _add(data: DynArray[uint256, constants.MAX_DATA_WORDS], label: uint8):
    """
    @dev Record a contribution of msg.sender (no deposit), count it and log
         `DataAdded`. The deployable trains the model.
    """
    data_handler._add(
        data_handler._key(keccak256(abi_encode(data)), label, block.timestamp, msg.sender), 0
    )
    # cannot overflow: one increment per contribution
    self.contributions[msg.sender] = unsafe_add(self.contributions[msg.sender], 1)
    self.labels_contributed[msg.sender] |= 1 << convert(label, uint256)
    week: uint256 = block.timestamp // WEEK + 1
    if self.last_active_week[msg.sender] != week:
        self.last_active_week[msg.sender] = week
        self.active_weeks[msg.sender] = unsafe_add(self.active_weeks[msg.sender], 1)
    log ITrainer.DataAdded(
        contributor=msg.sender, label=label, deposit=0, added_at=block.timestamp, data=data
    )


@internal
@pure
def _check_batch(n_samples: uint256, n_labels: uint256):
    """
    @dev Revert unless a batch has at least one sample (the type bounds the
         most) and one label per sample.
    """
    if n_samples == 0:
        errors._fail("points: empty batch")
    if n_samples != n_labels:
        errors._fail("points: one label per sample")


@internal
def _validate(data_hash: bytes32, label: uint8, added_at: uint256, model_agrees: bool):
    """
    @dev Give msg.sender a good-data point for its contribution (data
         `data_hash` = keccak256(abi_encode(data)), `label`, `added_at`) if
         `validation_wait` is over and the model agrees; once.
    """
    key: bytes32 = data_handler._key(data_hash, label, added_at, msg.sender)
    c: data_handler.Contribution = data_handler._get(key)
    if c.refunded:
        errors._fail("points: already validated")
    if block.timestamp - added_at < validation_wait:
        errors._fail("points: validation wait not over")
    if not model_agrees:
        errors._fail("points: model disagrees")
    # cannot overflow: at most one increment per contribution
    self.good_data_count[msg.sender] = unsafe_add(self.good_data_count[msg.sender], 1)
    self.total_good_data = unsafe_add(self.total_good_data, 1)
    c.refunded = True
    data_handler._set(key, c)
    log IPoints.DataValidated(contributor=msg.sender, key=key)
