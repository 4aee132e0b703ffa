# pragma version ~=0.4.3
"""
@title Packed sparse input: decode and check
@license MIT
@notice The input of the sparse multi-class models (`sparse_ncc`,
        `naive_bayes`): the sample's feature indices, strictly increasing,
        16 to a 256-bit word, lane j of word k (bits [16j, 16j+16)) holding
        index + 1; unused lanes are 0 and only the last word may have them.
        This is the packing of `sparse_perceptron` (and of
        `ape_decai.packing.pack_indices`).
@dev `_decode` checks the input in one pass (non-empty, canonical packing,
     strictly increasing, hence unique, and in range) and returns the
     indices. A multi-class model reads the input once per class, so it
     decodes once into memory. `sparse_perceptron` keeps its own fused copy
     of this loop: it reads its weights while it checks, one pass in all,
     which a shared decoder cannot do for free (and it has one class).
@custom:security Pure input checks; no state.
"""

from contracts.lib import errors

# @dev Indices per packed word.
LANES: constant(uint256) = 16

# @dev Largest number of packed words in one sample (16 indices each), for
#      every sparse model. Chosen from measurement (docs/gas.md, issue 11):
#      the largest power of two whose costliest contribution (every index in
#      its own zero weight word, the perceptron updating: ~6.1M gas at 16
#      words, ~12.1M at 32) stays under the 10M per-transaction cap, with
#      every gas target still met.
MAX_PACKED_WORDS: constant(uint256) = 16

# @dev Largest number of feature indices in one sample.
MAX_INPUT_LENGTH: constant(uint256) = MAX_PACKED_WORDS * LANES

LANE_BITS: constant(uint256) = 16
LANE_MASK: constant(uint256) = 2**16 - 1


@internal
@pure
def _decode(
    data: DynArray[uint256, MAX_PACKED_WORDS], n_features: uint256
) -> DynArray[uint256, MAX_INPUT_LENGTH]:
    """
    @dev The feature indices of a packed sample, or a revert with the reason.
    """
    if len(data) == 0:
        errors._fail("sparse_input: empty input")
    indices: DynArray[uint256, MAX_INPUT_LENGTH] = []
    last: uint256 = 0  # last index + 1 (0: none yet)
    for packed: uint256 in data:
        if len(indices) % LANES != 0:
            errors._fail("sparse_input: partly filled word")
        rest: uint256 = packed
        if rest == 0:
            errors._fail("sparse_input: empty packed word")
        for _: uint256 in range(LANES):
            if rest == 0:
                break
            lane: uint256 = rest & LANE_MASK
            if lane <= last:
                errors._fail("sparse_input: indices not increasing")
            last = lane
            indices.append(unsafe_sub(lane, 1))  # cannot underflow: lane > last >= 0
            rest = rest >> LANE_BITS
    if last > n_features:
        errors._fail("sparse_input: index out of range")
    return indices
