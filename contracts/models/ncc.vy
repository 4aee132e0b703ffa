# pragma version ~=0.4.3
"""
@title Nearest-centroid classifier, dense (multi-class)
@notice Each class c has a centroid (n int16 values, the running mean of
        its samples) and a sample count n_c. A sample x (n int16 values) is
        labelled with the populated class (n_c > 0) whose centroid is
        nearest in squared Euclidean distance, sum((x_i - c_i)^2), ties
        going to the lowest class index; classes with n_c = 0 are skipped.
        Training on (x, y) moves class y's centroid towards x:
            c_i += trunc((x_i - c_i) / (n_y + 1)),   n_y += 1
        with the division truncated toward zero (as Vyper and the Python
        twin do). The new c_i lies between c_i and x_i, so it stays an int16
        without saturation; a class's first sample (n_y = 0) becomes its
        centroid exactly. Truncation makes the mean drift toward the old
        centroid once |x_i - c_i| <= n_y: keep the encoder's scale large
        (the whole int16 range is usable) so that the drift is negligible.
        The owner adds classes at any time, even after sealing.
@dev Gas shapes the storage and the input:
     - Centroids are int16, packed 16 to a storage slot, in one flat map:
       word k of class c is `centroid_words[c * N_WORDS + k]` with N_WORDS
       = ceil(n / 16). A 100-dimension update reads and writes 7 slots and
       one count; it does not need a prediction.
     - A sample (and a centroid passed to `add_class`) is exactly N_WORDS
       words, lane j of word k (bits [16j, 16j + 16)) holding value 16k+j
       in two's complement; the unused lanes of the last word must be 0
       (also in stored centroids, so that they add nothing to a distance).
     Only the deployable that `initializes:` this module can call `_update`;
     `predict` is an external view (free through eth_call).
"""

from snekmate.auth import ownable

from contracts.lib import errors

# The creator (owner) initialises the centroids of a large model over several
# transactions, seals it, and may add classes at any time.
uses: ownable

# @dev Largest number of features.
MAX_FEATURES: public(constant(uint256)) = 1024

# @dev Largest number of packed words in one sample (16 features each).
MAX_PACKED_WORDS: public(constant(uint256)) = 64

# @dev Largest number of packed centroid words accepted in one call.
MAX_WORDS_PER_CALL: public(constant(uint256)) = 128

# @dev Largest number of classes (labels are uint8).
MAX_CLASSES: public(constant(uint256)) = 256

LANES: constant(uint256) = 16
LANE_BITS: constant(uint256) = 16
LANE_MASK: constant(uint256) = 2**16 - 1
SIGN_BIT: constant(uint256) = 2**15
SEALED_BIT: constant(uint256) = 1 << 255

# @dev Number of features n (a sample is n int16 values).
n_features: public(immutable(uint256))

# @dev ceil(n / 16): the number of words of a sample and of a centroid.
N_WORDS: immutable(uint256)

# @dev Bit offset of the first unused lane of the last word (256: none).
PADDING_SHIFT: immutable(uint256)

# @dev Packed centroids: word k of class c at c * N_WORDS + k; feature
#      16k+j in bits [16j, 16j+16), two's complement.
centroid_words: public(HashMap[uint256, uint256])

# @dev Number of samples behind each class's centroid (0: skipped by predict).
sample_counts: public(HashMap[uint256, uint256])

# @dev The number of classes (low bits) and the sealed flag (bit 255).
header: uint256


@deploy
def __init__(features: uint256, counts: DynArray[uint256, MAX_CLASSES]):
    """
    @notice Set the dimension and the initial classes (their centroids follow).
    @param features Number of features, 1 .. MAX_FEATURES.
    @param counts Sample count of each initial class; their number is the number of classes.
    """
    if not (features > 0 and features <= MAX_FEATURES):
        errors._fail("ncc: bad number of features")
    n_features = features
    N_WORDS = (features + LANES - 1) // LANES
    PADDING_SHIFT = ((features - 1) % LANES + 1) * LANE_BITS
    c: uint256 = 0
    for count: uint256 in counts:
        self.sample_counts[c] = count
        c = unsafe_add(c, 1)
    self.header = c


@external
@view
def predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    """
    @notice Classify a sample; free when called through eth_call.
    @param data The sample: n int16 values, packed (see the module @dev).
    @return The nearest populated class (lowest index on a tie).
    """
    return self._predict(data)


@external
def initialize_centroids(first_word: uint256, centroid_words: DynArray[uint256, MAX_WORDS_PER_CALL]):
    """
    @notice Write packed centroid words before the model is sealed (large models).
    @param first_word Flat index of the first word written (class * words per class + word).
    @param centroid_words Packed centroid words, 16 int16 lanes per word.
    """
    ownable._check_owner()
    self._set_centroid_words(first_word, centroid_words)


@external
def add_class(centroid: DynArray[uint256, MAX_PACKED_WORDS], count: uint256):
    """
    @notice Add a class (label = the number of classes so far), before or after sealing.
    @param centroid Its initial centroid, packed like a sample.
    @param count Its initial sample count (0: skipped by predict until its first sample).
    """
    ownable._check_owner()
    self._check_shape(centroid)
    c: uint256 = self.header & ~SEALED_BIT
    if c == MAX_CLASSES:
        errors._fail("ncc: too many classes")
    base: uint256 = c * N_WORDS
    for w: uint256 in centroid:
        self.centroid_words[base] = w
        base = unsafe_add(base, 1)
    self.sample_counts[c] = count
    # cannot overflow: c < MAX_CLASSES
    self.header = unsafe_add(self.header, 1)


@external
def seal():
    """
    @notice End initialisation: the model starts accepting data.
    """
    ownable._check_owner()
    self._seal()


@external
@view
def num_classes() -> uint256:
    """
    @notice The number of classes (labels are 0 .. num_classes - 1).
    @return The number of classes.
    """
    return self.header & ~SEALED_BIT


@external
@view
def sealed() -> bool:
    """
    @notice Whether initialisation is over and the model accepts data.
    @return True once sealed.
    """
    return self.header & SEALED_BIT != 0


@internal
@view
def _check_shape(data: DynArray[uint256, MAX_PACKED_WORDS]):
    if len(data) != N_WORDS:
        errors._fail("ncc: wrong dimension")
    if data[unsafe_sub(N_WORDS, 1)] >> PADDING_SHIFT != 0:
        errors._fail("ncc: unused lanes not zero")


@internal
@view
def _predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    """
    @dev The nearest populated class; reverts if no class has a sample.
    """
    self._check_shape(data)
    best: int256 = max_value(int256)
    label: uint256 = MAX_CLASSES
    base: uint256 = 0
    for c: uint256 in range(self.header & ~SEALED_BIT, bound=MAX_CLASSES):
        if self.sample_counts[c] != 0:
            # cannot overflow: at most 1024 squares of differences < 2**16
            d: int256 = 0
            k: uint256 = base
            for packed: uint256 in data:
                rest: uint256 = packed
                centre: uint256 = self.centroid_words[k]
                for _: uint256 in range(LANES):
                    if rest | centre == 0:
                        break
                    diff: int256 = unsafe_sub(
                        convert((rest & LANE_MASK) ^ SIGN_BIT, int256),
                        convert((centre & LANE_MASK) ^ SIGN_BIT, int256),
                    )
                    d = unsafe_add(d, unsafe_mul(diff, diff))
                    rest = rest >> LANE_BITS
                    centre = centre >> LANE_BITS
                k = unsafe_add(k, 1)
            if d < best:
                best = d
                label = c
        base = unsafe_add(base, N_WORDS)
    if label == MAX_CLASSES:
        errors._fail("ncc: no populated class")
    return convert(label, uint8)


@internal
def _update(data: DynArray[uint256, MAX_PACKED_WORDS], label: uint8) -> bool:
    """
    @dev Move class `label`'s centroid towards the sample (input and label
         checked). Always changes the model (the count grows): returns True.
    """
    header: uint256 = self.header
    if convert(label, uint256) >= header & ~SEALED_BIT:
        errors._fail("ncc: unknown class")
    if header & SEALED_BIT == 0:
        errors._fail("ncc: not sealed")
    self._check_shape(data)
    c: uint256 = convert(label, uint256)
    n: uint256 = self.sample_counts[c] + 1
    self.sample_counts[c] = n
    divisor: int256 = convert(n, int256)
    k: uint256 = c * N_WORDS
    for packed: uint256 in data:
        rest: uint256 = packed
        centre: uint256 = self.centroid_words[k]
        moved: uint256 = 0
        offset: uint256 = 0
        for _: uint256 in range(LANES):
            if rest | centre == 0:
                break
            x: int256 = unsafe_sub(convert((rest & LANE_MASK) ^ SIGN_BIT, int256), 2**15)
            m: int256 = unsafe_sub(convert((centre & LANE_MASK) ^ SIGN_BIT, int256), 2**15)
            # sdiv truncates toward zero; cannot divide by zero: divisor >= 1;
            # the result lies between m and x, so it is an int16
            m = unsafe_add(m, unsafe_div(unsafe_sub(x, m), divisor))
            # two's complement lane: m + 2**16 > 0
            moved |= (convert(unsafe_add(m, 2**16), uint256) & LANE_MASK) << offset
            rest = rest >> LANE_BITS
            centre = centre >> LANE_BITS
            offset = unsafe_add(offset, LANE_BITS)
        self.centroid_words[k] = moved
        k = unsafe_add(k, 1)
    return True


@internal
def _set_centroid_words(first_word: uint256, words: DynArray[uint256, MAX_WORDS_PER_CALL]):
    """
    @dev Write packed centroid words from flat index `first_word` (initialisation).
    """
    header: uint256 = self.header
    if header & SEALED_BIT != 0:
        errors._fail("ncc: sealed")
    if first_word + len(words) > (header & ~SEALED_BIT) * N_WORDS:
        errors._fail("ncc: too many centroid words")
    k: uint256 = first_word
    for w: uint256 in words:
        # The last word of a class keeps its unused lanes 0.
        if unsafe_add(k, 1) % N_WORDS == 0 and w >> PADDING_SHIFT != 0:
            errors._fail("ncc: unused lanes not zero")
        self.centroid_words[k] = w
        k = unsafe_add(k, 1)


@internal
def _seal():
    # End initialisation: from now on only `_update` and `add_class` change the model.
    if self.header & SEALED_BIT != 0:
        errors._fail("ncc: sealed")
    self.header |= SEALED_BIT
