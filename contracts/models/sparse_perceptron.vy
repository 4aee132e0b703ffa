# pragma version ~=0.4.3
"""
@title Sparse perceptron (binary classifier over word indices)
@license MIT
@notice A linear classifier whose input is the set of feature indices present
        in a sample (e.g. the vocabulary indices of the words of a review):
        h(x) = 1 if intercept + sum(w[i] for i in x) > 0 else 0.
        On a mistake the perceptron rule moves every touched weight and the
        intercept by the learning rate towards the true label.
@dev Gas shapes the storage and the input:
     - Weights are signed 16-bit integers packed 16 to a storage slot, so one
       cold read (2,100 gas) brings in 16 weights. A perceptron's decision is
       the sign of the margin, so weights are plain integers in units of the
       learning rate's resolution (SCALE = 1); an update saturates at the
       int16 bounds instead of reverting, so a popular word can never block
       contributions.
     - A sample is a `PackedIndices` array: strictly increasing feature
       indices, 16 per 256-bit word, lane j of word k (bits [16j, 16j+16))
       holding index + 1; unused lanes are 0 and only the last word may have
       them. This costs a sixteenth of the calldata and log bytes of one
       index per word. Strict increase rejects duplicates in one pass and
       lets neighbouring indices share one storage read and write.
     Only the deployable that `initializes:` this module can call `_update`;
     `predict` is an external view (free through eth_call).
@custom:security Writers are `@internal` (the trainer's `_update`) or
                 owner-only before `seal`; updates saturate instead of
                 reverting, so no input can block contributions.
"""

from snekmate.auth import ownable

from contracts.lib import errors
from contracts.lib import sparse_input

# The creator (owner) initialises the weights of a large model over several
# transactions, then seals it.
uses: ownable

# @dev Fixed-point scale of weights, intercept and learning rate (see @dev above).
SCALE: constant(int256) = 1

# @dev Largest number of packed words in one sample (16 indices each): the
#      bound every sparse model shares (`sparse_input`).
MAX_PACKED_WORDS: constant(uint256) = sparse_input.MAX_PACKED_WORDS

# @dev Largest number of feature indices in one sample.
MAX_INPUT_LENGTH: constant(uint256) = sparse_input.MAX_INPUT_LENGTH

# @dev Largest number of features: index + 1 must fit in a 16-bit lane.
MAX_FEATURES: constant(uint256) = 65535

# @dev The labels of a binary classifier: 0 and 1.
NUM_CLASSES: constant(uint256) = 2

# @dev Largest number of packed weight words accepted in one call (2,048 weights).
MAX_WORDS_PER_CALL: constant(uint256) = 128

LANES: constant(uint256) = 16
LANE_BITS: constant(uint256) = 16
LANE_MASK: constant(uint256) = 2**16 - 1
INT16_MIN: constant(int256) = -(2**15)
INT16_MAX: constant(int256) = 2**15 - 1
SEALED_BIT: constant(uint256) = 1 << 255

# @dev Number of features (valid indices are 0 .. n_features - 1).
n_features: public(immutable(uint256))

# @dev Step of the perceptron update, in (0, 2**15).
learning_rate: public(immutable(int256))

# @dev Packed weights: word k holds the weights of features 16k .. 16k+15,
#      feature 16k+j in bits [16j, 16j+16), two's complement.
weight_words: public(HashMap[uint256, uint256])

# @dev The intercept (int16 lane 0) and the sealed flag (bit 255) share one
#      slot, since every prediction reads the first and every update both.
header: uint256


@deploy
def __init__(features: uint256, initial_intercept: int256, rate: int256):
    """
    @notice Set the shape and the learning rate of the model.
    @param features Number of features (vocabulary size), 1 .. MAX_FEATURES.
    @param initial_intercept Starting intercept, an int16 value.
    @param rate Learning rate, in (0, 2**15).
    """
    if not (features > 0 and features <= MAX_FEATURES):
        errors._fail("sparse_perceptron: bad number of features")
    if not (rate > 0 and rate <= INT16_MAX):
        errors._fail("sparse_perceptron: bad learning rate")
    if not (initial_intercept >= INT16_MIN and initial_intercept <= INT16_MAX):
        errors._fail("sparse_perceptron: intercept out of range")
    n_features = features
    learning_rate = rate
    self.header = self._with_lane(0, 0, initial_intercept)


@external
@view
def predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    """
    @notice Classify a sample; free when called through eth_call.
    @param data The sample's feature indices, packed (see the module @dev).
    @return The predicted label, 0 or 1.
    """
    return self._predict(data)


@external
def initialize_weights(first_word: uint256, weight_words: DynArray[uint256, MAX_WORDS_PER_CALL]):
    """
    @notice Add packed weights before the model is sealed (large models).
    @param first_word Index of the first packed word written.
    @param weight_words Packed weights, 16 int16 lanes per word.
    """
    ownable._check_owner()
    self._set_weight_words(first_word, weight_words)


@external
def seal():
    """
    @notice End initialisation: the model starts accepting data.
    """
    ownable._check_owner()
    self._seal()


@external
@view
def intercept() -> int256:
    """
    @notice The intercept (bias) of the decision function.
    @return The intercept.
    """
    return self._lane(self.header, 0)


@external
@view
def sealed() -> bool:
    """
    @notice Whether initialisation is over and the model accepts data.
    @return True once sealed.
    """
    return self.header & SEALED_BIT != 0


@internal
@pure
def _lane(word: uint256, lane: uint256) -> int256:
    # Sign-extend the 16-bit two's complement lane.
    raw: int256 = convert((word >> (lane * LANE_BITS)) & LANE_MASK, int256)
    if raw > INT16_MAX:
        # cannot underflow: raw < 2**16
        return unsafe_sub(raw, 2**16)
    return raw


@internal
@pure
def _with_lane(word: uint256, lane: uint256, w: int256) -> uint256:
    # Assumes INT16_MIN <= w <= INT16_MAX.
    encoded: uint256 = convert(w, uint256) if w >= 0 else convert(unsafe_add(w, 2**16), uint256)
    offset: uint256 = lane * LANE_BITS
    return (word & ~(LANE_MASK << offset)) | (encoded << offset)


@internal
@view
def _margin(data: DynArray[uint256, MAX_PACKED_WORDS]) -> int256:
    """
    @dev The margin intercept + sum of weights, validating the input on the way:
         non-empty, canonical packing, strictly increasing, in range.
    """
    if len(data) == 0:
        errors._fail("sparse_perceptron: empty input")
    m: int256 = self._lane(self.header, 0)
    last: uint256 = 0  # last index + 1 (0: none yet)
    loaded: uint256 = max_value(uint256)
    weights: uint256 = 0
    count: uint256 = 0
    for packed: uint256 in data:
        if count % LANES != 0:
            errors._fail("sparse_perceptron: partly filled word")
        rest: uint256 = packed
        if rest == 0:
            errors._fail("sparse_perceptron: empty packed word")
        for _: uint256 in range(LANES):
            if rest == 0:
                break
            lane: uint256 = rest & LANE_MASK
            if lane <= last:
                errors._fail("sparse_perceptron: indices not increasing")
            last = lane
            i: uint256 = unsafe_sub(lane, 1)  # cannot underflow: lane > 0
            slot: uint256 = i // LANES
            if slot != loaded:
                weights = self.weight_words[slot]
                loaded = slot
            # Inlined _lane (an internal call per index costs more than this).
            # cannot overflow: at most MAX_INPUT_LENGTH + 1 int16 terms
            raw: int256 = convert((weights >> ((i % LANES) * LANE_BITS)) & LANE_MASK, int256)
            if raw > INT16_MAX:
                raw = unsafe_sub(raw, 2**16)
            m = unsafe_add(m, raw)
            rest = rest >> LANE_BITS
            count = unsafe_add(count, 1)
    if last > n_features:
        errors._fail("sparse_perceptron: index out of range")
    return m


@internal
@view
def _predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    if self._margin(data) > 0:
        return 1
    return 0


@internal
@pure
def _saturate(w: int256) -> int256:
    return min(max(w, INT16_MIN), INT16_MAX)


@internal
def _update(data: DynArray[uint256, MAX_PACKED_WORDS], label: uint8) -> bool:
    """
    @dev Train on one sample (input and label checked). Returns True if the
         model changed, i.e. it was wrong.
    """
    if convert(label, uint256) >= NUM_CLASSES:
        errors._fail("sparse_perceptron: label out of range")
    header: uint256 = self.header
    if header & SEALED_BIT == 0:
        errors._fail("sparse_perceptron: not sealed")
    prediction: uint8 = 1 if self._margin(data) > 0 else 0
    if prediction == label:
        return False
    step: int256 = learning_rate if label == 1 else -learning_rate
    self.header = self._with_lane(header, 0, self._saturate(self._lane(header, 0) + step))
    loaded: uint256 = max_value(uint256)
    weights: uint256 = 0
    for packed: uint256 in data:
        rest: uint256 = packed
        for _: uint256 in range(LANES):
            if rest == 0:
                break
            i: uint256 = unsafe_sub(rest & LANE_MASK, 1)  # validated by _margin
            slot: uint256 = i // LANES
            if slot != loaded:
                if loaded != max_value(uint256):
                    self.weight_words[loaded] = weights
                weights = self.weight_words[slot]
                loaded = slot
            # Inlined _lane / _saturate / _with_lane: this loop is the hot path.
            offset: uint256 = (i % LANES) * LANE_BITS
            w: int256 = convert((weights >> offset) & LANE_MASK, int256)
            if w > INT16_MAX:
                w = unsafe_sub(w, 2**16)
            # cannot overflow: |w| < 2**15 and |step| < 2**15
            w = min(max(unsafe_add(w, step), INT16_MIN), INT16_MAX)
            if w < 0:
                w = unsafe_add(w, 2**16)
            weights = (weights & ~(LANE_MASK << offset)) | (convert(w, uint256) << offset)
            rest = rest >> LANE_BITS
    self.weight_words[loaded] = weights
    return True


@internal
def _set_weight_words(first_word: uint256, words: DynArray[uint256, MAX_WORDS_PER_CALL]):
    """
    @dev Write packed weight words starting at word `first_word` (initialisation).
    """
    if self.header & SEALED_BIT != 0:
        errors._fail("sparse_perceptron: sealed")
    if (first_word + len(words)) * LANES >= n_features + LANES:
        errors._fail("sparse_perceptron: too many weights")
    k: uint256 = first_word
    for w: uint256 in words:
        self.weight_words[k] = w
        k = unsafe_add(k, 1)


@internal
def _seal():
    # End initialisation: from now on only `_update` changes the model.
    if self.header & SEALED_BIT != 0:
        errors._fail("sparse_perceptron: sealed")
    self.header |= SEALED_BIT
