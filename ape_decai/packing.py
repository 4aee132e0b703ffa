"""The packings the model contracts use, mirrored bit for bit.

- Weights: signed 16-bit integers, 16 to a 256-bit word; weight k sits in word k // 16,
  bits [16 * (k % 16), +16), two's complement.
- Sparse samples: strictly increasing feature indices, 16 to a word; lane j of word k holds
  index + 1, unused lanes (only in the last word) are 0.
- Dense samples (and centroids): a vector of n int16 values in the weights' layout: exactly
  ceil(n / 16) words, the unused lanes of the last word 0 (`pack_dense` / `unpack_dense`).
"""

LANES = 16
LANE_BITS = 16
LANE_MASK = (1 << LANE_BITS) - 1
INT16_MIN = -(2**15)
INT16_MAX = 2**15 - 1
MAX_FEATURES = LANE_MASK  # index + 1 must fit in a lane
# The sparse models' largest input (the contracts' `MAX_PACKED_WORDS` / `MAX_INPUT_LENGTH`, in
# contracts/lib/sparse_input.vy, where the choice is explained): at most this many distinct
# feature indices in one sample.
MAX_PACKED_WORDS = 16
MAX_SAMPLE_FEATURES = MAX_PACKED_WORDS * LANES


def pack_weights(values: list[int]) -> list[int]:
    """Pack int16 weights into words."""
    words = [0] * ((len(values) + LANES - 1) // LANES)
    for k, v in enumerate(values):
        if not INT16_MIN <= v <= INT16_MAX:
            raise ValueError(f"weight {k} = {v} does not fit in int16")
        words[k // LANES] |= (v & LANE_MASK) << (LANE_BITS * (k % LANES))
    return words


def unpack_weights(words: list[int], count: int) -> list[int]:
    """Inverse of `pack_weights` for the first `count` weights."""
    out = []
    for k in range(count):
        raw = (words[k // LANES] >> (LANE_BITS * (k % LANES))) & LANE_MASK
        out.append(raw - (1 << LANE_BITS) if raw > INT16_MAX else raw)
    return out


def pack_indices(indices) -> list[int]:
    """Pack a set of feature indices the way the contract expects (sorted, unique, index + 1 per lane)."""
    ordered = sorted({int(i) for i in indices})
    if ordered and (ordered[0] < 0 or ordered[-1] >= MAX_FEATURES):
        raise ValueError(f"feature indices must be in [0, {MAX_FEATURES})")
    words = []
    for k in range(0, len(ordered), LANES):
        word = 0
        for j, index in enumerate(ordered[k : k + LANES]):
            word |= (index + 1) << (LANE_BITS * j)
        words.append(word)
    return words


def unpack_indices(words) -> list[int]:
    """Inverse of `pack_indices` (for data read back from `DataAdded` events)."""
    out = []
    for word in words:
        rest = int(word)
        while rest:
            out.append((rest & LANE_MASK) - 1)
            rest >>= LANE_BITS
    return out


def dense_words(n: int) -> int:
    """Number of words of a packed dense vector of n values: ceil(n / 16)."""
    return (n + LANES - 1) // LANES


def pack_dense(values) -> list[int]:
    """Pack a dense vector of int16 values: ceil(n / 16) words, unused lanes 0 (ValueError if a
    value does not fit in int16)."""
    values = [int(v) for v in values]
    words = [0] * dense_words(len(values))
    for k, v in enumerate(values):
        if not INT16_MIN <= v <= INT16_MAX:
            raise ValueError(f"value {k} = {v} does not fit in int16")
        words[k // LANES] |= (v & LANE_MASK) << (LANE_BITS * (k % LANES))
    return words


def unpack_dense(words, n: int) -> list[int]:
    """Inverse of `pack_dense` for a vector of n values (as read back from `DataAdded` events);
    ValueError if the word count is not ceil(n / 16) or an unused lane is not 0."""
    words = [int(w) for w in words]
    if len(words) != dense_words(n):
        raise ValueError(f"a {n}-value vector takes {dense_words(n)} words, not {len(words)}")
    if n % LANES and words[-1] >> (LANE_BITS * (n % LANES)):
        raise ValueError("unused lanes of the last word are not 0")
    return unpack_weights(words, n)
