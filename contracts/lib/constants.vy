# pragma version ~=0.4.3
"""
@title Limits shared by every trainer
@license MIT
@notice The bounds that more than one file states: the interfaces' events,
        the mechanisms and the deployables read them from here.
@custom:security Constants only: no state, no code.
"""

# @dev Largest encoder JSON a trainer logs in `TrainerDeployed`.
MAX_ENCODER_LENGTH: constant(uint256) = 32768
# @dev Largest input of any model, in 256-bit words: the bound of `DataAdded`'s
#      data (each model takes a smaller or equal bound, MAX_PACKED_WORDS).
MAX_DATA_WORDS: constant(uint256) = 64
