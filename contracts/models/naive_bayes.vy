# pragma version ~=0.4.3
"""
@title Multinomial naive Bayes (multi-class, word presence), in log space
@license MIT
@notice Each class k is summed up by its number of samples n_k, the number
        s[k][i] of its samples that contain feature i, and their total
        T_k = sum(s[k][i] over all features). With Laplace smoothing and
        V = n_features, a sample x (a set of feature indices) scores
            score_k = log(n_k) + sum(log(s[k][i] + 1) - log(T_k + V) for i in x)
        and goes to the class with the highest score. Every contribution
        trains: n_k, T_k and the touched counts of its label grow, whatever
        the model predicted.
@dev Logarithms in base 2, fixed point with LOG_BITS = 32 fraction bits
     (`_log2`: integer part by `snekmate.utils.math._log2`, then 32 bits by
     repeated squaring of the mantissa, each square truncated). The sum of
     logs is the log of the exact product p = n_k * prod(s[k][i] + 1), kept
     as a 256-bit integer and folded into the sum (acc += _log2(p); p = 1)
     only when it reaches 2**240 (a factor is at most 2**16): a 15-word
     sample costs one logarithm per class, and a 128-word one never
     underflows (the reference multiplied probabilities, so long inputs
     predicted class 0):
         score_k = acc_k - |x| * _log2(T_k + V)        (int256, 2**-32 units)
     Ties go to the lowest index; a class with n_k = 0 is skipped; with no
     sample at all the prediction is 0.
     The counts, their storage and training are `sparse_counts`'s; this
     module only predicts from them.
@custom:security A view over `sparse_counts`: this module writes nothing.
"""

from snekmate.utils import math

from contracts.lib import sparse_input
from contracts.models import sparse_counts

# The counts (and their training, initialisation and seal) live in `sparse_counts`.
uses: sparse_counts

# @dev Fraction bits of the base-2 logarithms (see the module @dev).
LOG_BITS: constant(uint256) = 32

# @dev Largest number of packed words in one sample (16 indices each).
MAX_PACKED_WORDS: constant(uint256) = sparse_counts.MAX_PACKED_WORDS


@external
@view
def predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    """
    @notice Classify a sample; free when called through eth_call.
    @param data The sample's feature indices, packed (see `sparse_input`).
    @return The label of the highest score.
    """
    return self._predict(data)


@internal
@pure
def _log2(x: uint256) -> uint256:
    """
    @dev log2(x) * 2**LOG_BITS, truncated, for x >= 1: the integer part, then
         LOG_BITS fraction bits by squaring the mantissa (in [1, 2) with 127
         fraction bits), each square truncated.
    """
    n: uint256 = math._log2(x, False)
    z: uint256 = 0
    if n >= 127:
        z = x >> (n - 127)
    else:
        z = x << (127 - n)
    result: uint256 = n << LOG_BITS
    bit: uint256 = 1 << (LOG_BITS - 1)
    for _: uint256 in range(LOG_BITS):
        z = unsafe_mul(z, z) >> 127  # cannot overflow: z < 2**128
        if z >= 2**128:
            z = z >> 1
            result |= bit
        bit = bit >> 1
    return result


@internal
@view
def _predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    header: uint256 = sparse_counts.class_stats[0]
    x: DynArray[uint256, sparse_input.MAX_INPUT_LENGTH] = sparse_input._decode(
        data, sparse_counts._features(header)
    )
    words_per_class: uint256 = sparse_counts._words_per_class(header)
    best: uint256 = 0
    best_score: int256 = min_value(int256)
    for k: uint256 in range(sparse_counts._classes(header), bound=sparse_counts.MAX_CLASSES):
        stats: uint256 = sparse_counts.class_stats[k]
        p: uint256 = stats & sparse_counts.SIZE_MASK
        if p == 0:
            continue
        base: uint256 = k * words_per_class
        acc: uint256 = 0
        loaded: uint256 = max_value(uint256)
        word: uint256 = 0
        for i: uint256 in x:
            w: uint256 = base + i // sparse_counts.COUNTS_PER_WORD
            if w != loaded:
                word = sparse_counts.count_words[w]
                loaded = w
            if p >= 2**240:
                acc = unsafe_add(acc, self._log2(p))  # cannot overflow: < 2**48 in all
                p = 1
            # cannot overflow: p < 2**240 and the factor is at most 2**16
            p = unsafe_mul(
                p,
                unsafe_add(
                    sparse_counts._count(word, i),
                    1,
                ),
            )
        acc = unsafe_add(acc, self._log2(p))
        # T_k < 2**32 and |x| <= 128: nothing overflows.
        total: uint256 = (
            (stats >> sparse_counts.TOTAL_SHIFT) & sparse_counts.TOTAL_MASK
        ) + sparse_counts._features(header)
        score: int256 = convert(acc, int256) - convert(len(x) * self._log2(total), int256)
        if score > best_score:
            best_score = score
            best = k
    return convert(best, uint8)
