# pragma version ~=0.4.3
"""
@title Gamification: points and badges (paper section III-A)
@notice No money moves. Every address earns on-chain tallies that a front end
        can turn into badges: contributions made, contributions validated
        (after `validation_wait` the model still agrees with them: good data),
        which labels it contributed (diversity) and in how many distinct weeks
        it contributed (routine).
"""

from contracts.lib import errors

# @dev Seconds a contribution must wait before it can be validated.
validation_wait: public(immutable(uint256))

WEEK: constant(uint256) = 7 * 24 * 60 * 60

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
def _handle_add(contributor: address, label: uint8):
    # cannot overflow: one increment per transaction
    self.contributions[contributor] = unsafe_add(self.contributions[contributor], 1)
    self.labels_contributed[contributor] |= 1 << convert(label, uint256)
    week: uint256 = block.timestamp // WEEK + 1
    if self.last_active_week[contributor] != week:
        self.last_active_week[contributor] = week
        self.active_weeks[contributor] = unsafe_add(self.active_weeks[contributor], 1)


@internal
def _handle_validate(
    already_validated: bool, contributor: address, age: uint256, model_agrees: bool
):
    if already_validated:
        errors._fail("points: already validated")
    if age < validation_wait:
        errors._fail("points: validation wait not over")
    if not model_agrees:
        errors._fail("points: model disagrees")
    self.good_data_count[contributor] = unsafe_add(self.good_data_count[contributor], 1)
    self.total_good_data = unsafe_add(self.total_good_data, 1)
