# pragma version ~=0.4.3
"""
@title Dense perceptron (binary classifier over a fixed-length integer vector)
@license MIT
@notice A linear classifier over n int16 features x_1 .. x_n, where each x_i
        = round(real_i * x_scale) with the encoder's scale `x_scale` (so a
        real value of 1.0 is the integer x_scale):
            margin = intercept * x_scale + sum(w_i * x_i)
            h(x) = 1 if margin > 0 else 0.
        The intercept is the weight of a constant feature whose real value is
        1, i.e. whose integer value is x_scale: it sits in the margin and
        learns exactly like every other weight. On a mistake, with s = +1
        for label 1 and -1 for label 0 and lr the learning rate:
            w_i += s * lr * x_i            (every feature)
            intercept += s * lr * x_scale  (the constant feature)
        each saturating at the int16 bounds. The margin is exact (int256).
@dev Gas shapes the storage and the input:
     - Weights are int16, packed 16 to a storage slot (a 100-feature model
       is 7 slots: 7 cold reads to predict, 7 writes to update); the
       intercept and the sealed flag (bit 255) share one more slot. int32
       weights would double both and break the 150,000-gas target of an
       update. Saturation instead of a revert: an extreme sample can never
       block contributions. Keep x_scale small enough that |w| stays well
       inside int16 (e.g. standardised features at x_scale 16: a weight
       moves by ~16 * lr per mistake).
     - A sample is exactly ceil(n / 16) words, lane j of word k (bits
       [16j, 16j + 16)) holding x_{16k+j} in two's complement; the unused
       lanes of the last word must be 0. Zero features cost nothing to
       update, and a word whose remaining lanes are 0 ends its loop early.
     Only the deployable that `initializes:` this module can call `_update`;
     `predict` is an external view (free through eth_call).
     Reverts: "dense_perceptron: wrong dimension" (not ceil(n / 16) words,
     or a value in an unused lane), "label out of range" (not 0 or 1), "not
     sealed" (update before `seal`), "sealed" (initialisation or `seal`
     after `seal`), "too many weights" (a weight word past ceil(n / 16)),
     and at deployment "bad number of features", "bad input scale", "bad
     learning rate", "intercept out of range".
@custom:security Writers are `@internal` (the trainer's `_update`) or
                 owner-only before `seal`; updates saturate instead of
                 reverting, so no input can block contributions.
"""

from snekmate.auth import ownable

from contracts.lib import errors

# The creator (owner) initialises the weights of a large model over several
# transactions, then seals it.
uses: ownable

# @dev Largest number of features.
MAX_FEATURES: constant(uint256) = 1024

# @dev Largest number of packed words in one sample (16 features each).
MAX_PACKED_WORDS: constant(uint256) = 64

# @dev Largest number of packed weight words accepted in one call.
MAX_WORDS_PER_CALL: constant(uint256) = 64

# @dev The labels of a binary classifier: 0 and 1.
NUM_CLASSES: constant(uint256) = 2

LANES: constant(uint256) = 16
LANE_BITS: constant(uint256) = 16
LANE_MASK: constant(uint256) = 2**16 - 1
SIGN_BIT: constant(uint256) = 2**15
INT16_MIN: constant(int256) = -(2**15)
INT16_MAX: constant(int256) = 2**15 - 1
SEALED_BIT: constant(uint256) = 1 << 255

# @dev Number of features n (a sample is n int16 values).
n_features: public(immutable(uint256))

# @dev The encoder's scale: the integer that stands for the real value 1.0,
#      in (0, 2**15). Also the value of the intercept's constant feature.
x_scale: public(immutable(int256))

# @dev Step of the perceptron update, in (0, 2**15), in weight units per
#      feature unit.
learning_rate: public(immutable(int256))

# @dev ceil(n / 16): the number of words of a sample and of the weights.
N_WORDS: immutable(uint256)

# @dev Bit offset of the first unused lane of the last word (256: none).
PADDING_SHIFT: immutable(uint256)

# @dev Packed weights: word k holds the weights of features 16k .. 16k+15,
#      feature 16k+j in bits [16j, 16j+16), two's complement.
weight_words: public(HashMap[uint256, uint256])

# @dev The intercept (int16 lane 0) and the sealed flag (bit 255) share one
#      slot, since every prediction reads the first and every update both.
header: uint256


@deploy
def __init__(features: uint256, scale: int256, initial_intercept: int256, rate: int256):
    """
    @notice Set the shape, the input scale and the learning rate.
    @param features Number of features, 1 .. MAX_FEATURES.
    @param scale The encoder's scale x_scale (integer of the real value 1.0), in (0, 2**15).
    @param initial_intercept Starting intercept, an int16 value.
    @param rate Learning rate, in (0, 2**15).
    """
    if not (features > 0 and features <= MAX_FEATURES):
        errors._fail("dense_perceptron: bad number of features")
    if not (scale > 0 and scale <= INT16_MAX):
        errors._fail("dense_perceptron: bad input scale")
    if not (rate > 0 and rate <= INT16_MAX):
        errors._fail("dense_perceptron: bad learning rate")
    if not (initial_intercept >= INT16_MIN and initial_intercept <= INT16_MAX):
        errors._fail("dense_perceptron: intercept out of range")
    n_features = features
    x_scale = scale
    learning_rate = rate
    N_WORDS = (features + LANES - 1) // LANES
    PADDING_SHIFT = ((features - 1) % LANES + 1) * LANE_BITS
    self.header = convert(unsafe_add(initial_intercept, 2**16), uint256) & LANE_MASK


@external
@view
def predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    """
    @notice Classify a sample; free when called through eth_call.
    @param data The sample: n int16 values, packed (see the module @dev).
    @return The predicted label, 0 or 1.
    """
    return self._predict(data)


@external
def initialize_weights(first_word: uint256, weight_words: DynArray[uint256, MAX_WORDS_PER_CALL]):
    """
    @notice Write packed weights before the model is sealed (large models).
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
    @notice The intercept: the weight of the constant feature x_scale.
    @return The intercept (the margin holds intercept * x_scale).
    """
    return self._lane(self.header)


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
def _lane(word: uint256) -> int256:
    # Sign-extend the low 16-bit lane: (v ^ 2**15) - 2**15.
    # cannot overflow: the operand is < 2**16
    return unsafe_sub(convert((word & LANE_MASK) ^ SIGN_BIT, int256), 2**15)


@internal
@view
def _margin(data: DynArray[uint256, MAX_PACKED_WORDS]) -> int256:
    """
    @dev intercept * x_scale + sum(w_i * x_i), checking the input's shape.
    """
    # A value in an unused lane of the last word is a value beyond the n-th.
    if len(data) != N_WORDS or data[unsafe_sub(N_WORDS, 1)] >> PADDING_SHIFT != 0:
        errors._fail("dense_perceptron: wrong dimension")
    # cannot overflow: |intercept * x_scale| < 2**30, and at most 1024
    # products of two int16 values (< 2**30 each) follow
    m: int256 = unsafe_mul(self._lane(self.header), x_scale)
    k: uint256 = 0
    for packed: uint256 in data:
        rest: uint256 = packed
        if rest != 0:
            weights: uint256 = self.weight_words[k]
            for _: uint256 in range(LANES):
                if rest == 0:
                    break
                # Inlined _lane (an internal call per feature costs more).
                x: int256 = unsafe_sub(convert((rest & LANE_MASK) ^ SIGN_BIT, int256), 2**15)
                w: int256 = unsafe_sub(convert((weights & LANE_MASK) ^ SIGN_BIT, int256), 2**15)
                m = unsafe_add(m, unsafe_mul(x, w))
                rest = rest >> LANE_BITS
                weights = weights >> LANE_BITS
        k = unsafe_add(k, 1)
    return m


@internal
@view
def _predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    if self._margin(data) > 0:
        return 1
    return 0


@internal
def _update(data: DynArray[uint256, MAX_PACKED_WORDS], label: uint8) -> bool:
    """
    @dev Train on one sample (input and label checked). Returns True if the
         model changed, i.e. it was wrong. One pass computes the margin and,
         speculatively, the updated weight words (in memory); they are
         written only if the prediction was wrong.
    """
    if convert(label, uint256) >= NUM_CLASSES:
        errors._fail("dense_perceptron: label out of range")
    header: uint256 = self.header
    if header & SEALED_BIT == 0:
        errors._fail("dense_perceptron: not sealed")
    # A value in an unused lane of the last word is a value beyond the n-th.
    if len(data) != N_WORDS or data[unsafe_sub(N_WORDS, 1)] >> PADDING_SHIFT != 0:
        errors._fail("dense_perceptron: wrong dimension")
    step: int256 = learning_rate if label == 1 else -learning_rate
    b: int256 = self._lane(header)
    # cannot overflow: see _margin
    m: int256 = unsafe_mul(b, x_scale)
    updated: DynArray[uint256, MAX_PACKED_WORDS] = []
    k: uint256 = 0
    for packed: uint256 in data:
        rest: uint256 = packed
        out: uint256 = 0
        if rest != 0:
            weights: uint256 = self.weight_words[k]
            offset: uint256 = 0
            for _: uint256 in range(LANES):
                if rest == 0:
                    # the remaining lanes are unchanged
                    out |= weights << offset
                    break
                x: int256 = unsafe_sub(convert((rest & LANE_MASK) ^ SIGN_BIT, int256), 2**15)
                w: int256 = unsafe_sub(convert((weights & LANE_MASK) ^ SIGN_BIT, int256), 2**15)
                m = unsafe_add(m, unsafe_mul(x, w))
                # cannot overflow: |w| <= 2**15 and |step * x| <= 2**30
                w = unsafe_add(w, unsafe_mul(step, x))
                if w > INT16_MAX:
                    w = INT16_MAX
                elif w < INT16_MIN:
                    w = INT16_MIN
                # two's complement lane: w + 2**16 >= 2**15 > 0
                out |= (convert(unsafe_add(w, 2**16), uint256) & LANE_MASK) << offset
                rest = rest >> LANE_BITS
                weights = weights >> LANE_BITS
                offset = unsafe_add(offset, LANE_BITS)
        updated.append(out)
        k = unsafe_add(k, 1)
    prediction: uint8 = 1 if m > 0 else 0
    if prediction == label:
        return False
    # cannot overflow: |step * x_scale| < 2**30
    b = min(max(unsafe_add(b, unsafe_mul(step, x_scale)), INT16_MIN), INT16_MAX)
    self.header = SEALED_BIT | (convert(unsafe_add(b, 2**16), uint256) & LANE_MASK)
    k = 0
    for packed: uint256 in data:
        if packed != 0:
            self.weight_words[k] = updated[k]
        k = unsafe_add(k, 1)
    return True


@internal
def _set_weight_words(first_word: uint256, words: DynArray[uint256, MAX_WORDS_PER_CALL]):
    """
    @dev Write packed weight words starting at word `first_word` (initialisation).
    """
    if self.header & SEALED_BIT != 0:
        errors._fail("dense_perceptron: sealed")
    if first_word + len(words) > N_WORDS:
        errors._fail("dense_perceptron: too many weights")
    k: uint256 = first_word
    for w: uint256 in words:
        self.weight_words[k] = w
        k = unsafe_add(k, 1)


@internal
def _seal():
    # End initialisation: from now on only `_update` changes the model.
    if self.header & SEALED_BIT != 0:
        errors._fail("dense_perceptron: sealed")
    self.header |= SEALED_BIT
