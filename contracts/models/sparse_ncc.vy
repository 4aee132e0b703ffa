# pragma version ~=0.4.3
"""
@title Sparse nearest centroid classifier (multi-class, binary features)
@license MIT
@notice Each class k is summed up by its number of samples n_k and, per
        feature i, the number s[k][i] of its samples that contain i; its
        centroid is s[k] / n_k. A sample x (a set of feature indices, i.e. a
        binary vector) goes to the class whose centroid is nearest in
        squared Euclidean distance:
            |x - s/n|^2 = Q/n^2 - 2 * sum(s[i] for i in x) / n + |x|
        with Q = sum(s[i]^2 over all features), kept up to date on every
        update (s -> s + 1 adds 2s + 1). Every contribution trains: the
        centroid of its label moves (running mean), whatever the model
        predicted, and only the touched features change.
@dev Fixed point (SCALE = 10**18), truncating divisions, in this order:
         d_k = Q_k * SCALE // n_k**2 + |x| * SCALE - 2 * S_k * SCALE // n_k
     with S_k = sum(s[k][i] for i in x). d_k >= 0 always (the exact value is
     >= 0 and the truncations lose less than one unit). The prediction is
     the k with the smallest d_k; ties go to the lowest index; a class with
     n_k = 0 has no centroid and is skipped; with no sample at all the
     prediction is 0.
     The counts, their storage and training are `sparse_counts`'s; this
     module only predicts from them.
@custom:security A view over `sparse_counts`: this module writes nothing.
"""

from contracts.lib import sparse_input
from contracts.models import sparse_counts

# The counts (and their training, initialisation and seal) live in `sparse_counts`.
uses: sparse_counts

# @dev Fixed-point scale of the distances (see the module @dev).
SCALE: constant(uint256) = 10**18

# @dev Largest number of packed words in one sample (16 indices each).
MAX_PACKED_WORDS: constant(uint256) = sparse_counts.MAX_PACKED_WORDS


@external
@view
def predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    """
    @notice Classify a sample; free when called through eth_call.
    @param data The sample's feature indices, packed (see `sparse_input`).
    @return The label of the nearest centroid.
    """
    return self._predict(data)


@internal
@view
def _predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    header: uint256 = sparse_counts.class_stats[0]
    x: DynArray[uint256, sparse_input.MAX_INPUT_LENGTH] = sparse_input._decode(
        data, sparse_counts._features(header)
    )
    words_per_class: uint256 = sparse_counts._words_per_class(header)
    # cannot overflow: |x| <= 128
    x_norm: uint256 = unsafe_mul(len(x), SCALE)
    best: uint256 = 0
    best_distance: uint256 = max_value(uint256)
    for k: uint256 in range(sparse_counts._classes(header), bound=sparse_counts.MAX_CLASSES):
        stats: uint256 = sparse_counts.class_stats[k]
        n: uint256 = stats & sparse_counts.SIZE_MASK
        if n == 0:
            continue
        base: uint256 = k * words_per_class
        s_sum: uint256 = 0
        loaded: uint256 = max_value(uint256)
        word: uint256 = 0
        for i: uint256 in x:
            w: uint256 = base + i // sparse_counts.COUNTS_PER_WORD
            if w != loaded:
                word = sparse_counts.count_words[w]
                loaded = w
            # cannot overflow: at most 128 16-bit counts
            s_sum = unsafe_add(
                s_sum,
                sparse_counts._count(word, i),
            )
        q: uint256 = (stats >> sparse_counts.TOTAL_SHIFT) & sparse_counts.TOTAL_MASK
        # Checked arithmetic: n < 2**128 and Q < 2**48, so nothing overflows,
        # and the subtraction cannot underflow (see the module @dev).
        distance: uint256 = q * SCALE // (n * n) + x_norm - 2 * s_sum * SCALE // n
        if distance < best_distance:
            best_distance = distance
            best = k
    return convert(best, uint8)
