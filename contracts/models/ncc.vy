# pragma version ~=0.4.3
"""
@title Nearest-centroid classifier, dense (multi-class)
@license MIT
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
        The owner adds classes at any time, but once sealed only empty ones
        (count 0): predict skips an empty class, and its first contributed
        sample becomes its centroid exactly (the placeholder centroid sent
        with it is overwritten), so after `seal` no owner call changes any
        prediction; only contributions do.
@dev Gas shapes the storage and the input:
     - Centroids are int16, packed 16 to a storage slot, in one flat map:
       word k of class c is `centroid_words[c * N_WORDS + k]` with N_WORDS
       = ceil(n / 16). A 100-dimension update reads and writes 7 slots and
       one count; it does not need a prediction.
     - A sample (and a centroid passed to `add_class`) is exactly N_WORDS
       words, lane j of word k (bits [16j, 16j + 16)) holding value 16k+j
       in two's complement; the unused lanes of the last word must be 0
       (also in stored centroids, so that they add nothing to a distance).
     - Counts are one slot per class (`sample_counts`); the number of
       classes is an immutable (those of the constructor) plus the classes
       added since, kept with the open flag in one slot (see `header`).
     Only the deployable that `initializes:` this module can call `_update`;
     `predict` is an external view (free through eth_call).
     Reverts: "ncc: wrong dimension" (not ceil(n / 16) words, or a value in
     an unused lane; also for centroids), "unknown class" (a label not below
     `num_classes()`), "no populated class" (predict with every count 0),
     "not sealed" (update before `seal`), "sealed" (`seal` twice), "not next
     class, or sealed" (`add_class` with a label above `num_classes()`, or,
     after sealing, an existing label or a count other than 0: one check,
     one reason, because every byte of this deployable's code costs ~200
     gas at each deployment), and at deployment "bad number of features". A count of 2**256 - 1 cannot grow: the update reverts.
@custom:security Writers are `@internal` (the trainer's `_update`) or
                 owner-only before `seal`; updates saturate instead of
                 reverting, so no input can block contributions.
"""

from snekmate.auth import ownable

from contracts.lib import errors

# The creator (owner) completes a large model class by class (`add_class`),
# seals it, and may then add empty classes only.
uses: ownable

# @dev Largest number of features.
MAX_FEATURES: constant(uint256) = 1024

# @dev Largest number of packed words in one sample (16 features each).
MAX_PACKED_WORDS: constant(uint256) = 64

# @dev Largest number of packed centroid words the constructor accepts (whole
#      classes; `add_class` sends the others one by one).
MAX_WORDS_PER_CALL: constant(uint256) = 128

# @dev Largest number of classes (labels are uint8).
MAX_CLASSES: constant(uint256) = 256

LANES: constant(uint256) = 16
LANE_BITS: constant(uint256) = 16
LANE_MASK: constant(uint256) = 2**16 - 1
SIGN_BIT: constant(uint256) = 2**15
OPEN_BIT: constant(uint256) = 1 << 255

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

# @dev Number of classes the constructor created.
INITIAL_CLASSES: immutable(uint256)

# @dev The number of classes added since (low bits) and the open flag (bit
#      255: set until sealed). Inverted so that a trainer sealed in its
#      constructor leaves this slot 0: 0 -> 1 -> 0 in one transaction is
#      refunded, which saves a new slot (~20,000 gas) at every deployment.
header: uint256


@deploy
def __init__(
    features: uint256,
    counts: DynArray[uint256, MAX_CLASSES],
    centroids: DynArray[uint256, MAX_WORDS_PER_CALL],
):
    """
    @notice Set the dimension and the first classes (`add_class` adds more).
    @param features Number of features, 1 .. MAX_FEATURES.
    @param counts Sample count of each initial class; their number is the number of classes.
    @param centroids Their centroids, packed like samples, one after the other.
    """
    if not (features > 0 and features <= MAX_FEATURES):
        errors._fail("ncc: bad number of features")
    n_features = features
    N_WORDS = (features + LANES - 1) // LANES
    PADDING_SHIFT = ((features - 1) % LANES + 1) * LANE_BITS
    if len(centroids) != len(counts) * N_WORDS:
        errors._fail("ncc: wrong dimension")
    k: uint256 = 0
    for w: uint256 in centroids:
        # The last word of each class keeps its unused lanes 0.
        if (k + 1) % N_WORDS == 0 and w >> PADDING_SHIFT != 0:
            errors._fail("ncc: wrong dimension")
        self.centroid_words[k] = w
        k += 1
    c: uint256 = 0
    for count: uint256 in counts:
        self.sample_counts[c] = count
        c += 1
    INITIAL_CLASSES = c
    self.header = OPEN_BIT


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
def add_class(label: uint8, centroid: DynArray[uint256, MAX_PACKED_WORDS], count: uint256):
    """
    @notice Add class `label` (the next label: `num_classes()`), before or after
            sealing; before sealing, an existing label is overwritten instead, so
            that an interrupted deployment can resend its calls. After sealing
            the class must be empty (`count` 0): it is skipped by predict until
            a contribution gives it its first sample, which then becomes its
            centroid exactly, so the owner cannot change any prediction.
    @param label The class: `num_classes()` to add one, or a smaller one before sealing.
    @param centroid Its centroid, packed like a sample (after sealing a placeholder:
           the first sample replaces it).
    @param count Its sample count (0: skipped by predict until its first sample);
           must be 0 after sealing.
    """
    ownable._check_owner()
    self._check_shape(centroid)
    header: uint256 = self.header
    c: uint256 = convert(label, uint256)
    # cannot overflow: both terms <= MAX_CLASSES
    classes: uint256 = unsafe_add(INITIAL_CLASSES, header & ~OPEN_BIT)
    if c > classes or (header & OPEN_BIT == 0 and (c < classes or count != 0)):
        errors._fail("ncc: not next class, or sealed")
    k: uint256 = c * N_WORDS
    for w: uint256 in centroid:
        self.centroid_words[k] = w
        k = unsafe_add(k, 1)
    self.sample_counts[c] = count
    if c == classes:
        # cannot overflow: c <= 255 (a uint8 label), so at most MAX_CLASSES classes
        self.header = unsafe_add(header, 1)


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
    return INITIAL_CLASSES + (self.header & ~OPEN_BIT)


@external
@view
def sealed() -> bool:
    """
    @notice Whether initialisation is over and the model accepts data.
    @return True once sealed.
    """
    return self.header & OPEN_BIT == 0


@internal
@view
def _check_shape(data: DynArray[uint256, MAX_PACKED_WORDS]):
    # A value in an unused lane of the last word is a value beyond the n-th.
    if len(data) != N_WORDS or data[unsafe_sub(N_WORDS, 1)] >> PADDING_SHIFT != 0:
        errors._fail("ncc: wrong dimension")


@internal
@view
def _predict(data: DynArray[uint256, MAX_PACKED_WORDS]) -> uint8:
    """
    @dev The nearest populated class; reverts if no class has a sample.
    """
    self._check_shape(data)
    best: uint256 = max_value(uint256)
    label: uint256 = MAX_CLASSES
    k: uint256 = 0  # word k of class c is at c * N_WORDS + k
    # cannot overflow: both terms <= MAX_CLASSES
    classes: uint256 = unsafe_add(INITIAL_CLASSES, self.header & ~OPEN_BIT)
    for c: uint256 in range(classes, bound=MAX_CLASSES):
        if self.sample_counts[c] == 0:
            k = unsafe_add(k, N_WORDS)
        else:
            d: uint256 = 0
            for packed: uint256 in data:
                # Lanes biased by 2**15 (v ^ 2**15 = v + 2**15 in [0, 2**16)):
                # their difference is x_i - c_i modulo 2**256, and its square
                # modulo 2**256 is exact. cannot overflow: at most 1024 squares
                # < 2**32
                rest: uint256 = packed
                centre: uint256 = self.centroid_words[k]
                for _: uint256 in range(LANES):
                    diff: uint256 = unsafe_sub(
                        (rest & LANE_MASK) ^ SIGN_BIT, (centre & LANE_MASK) ^ SIGN_BIT
                    )
                    d = unsafe_add(d, unsafe_mul(diff, diff))
                    rest = rest >> LANE_BITS
                    centre = centre >> LANE_BITS
                k = unsafe_add(k, 1)
            if d < best:
                best = d
                label = c
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
    c: uint256 = convert(label, uint256)
    # cannot overflow: both terms <= MAX_CLASSES
    if c >= unsafe_add(INITIAL_CLASSES, header & ~OPEN_BIT):
        errors._fail("ncc: unknown class")
    if header & OPEN_BIT != 0:
        errors._fail("ncc: not sealed")
    self._check_shape(data)
    n: uint256 = self.sample_counts[c] + 1
    self.sample_counts[c] = n
    k: uint256 = c * N_WORDS
    for packed: uint256 in data:
        # Lanes biased by 2**15 (v ^ 2**15 = v + 2**15 in [0, 2**16)): the bias
        # cancels in x - m, and m moves by |x - m| // n toward x, which is the
        # division truncated toward zero. The result lies between m and x, so
        # it stays in [0, 2**16). n >= 1: no division by zero. Unused lanes
        # are 0 on both sides, so they stay 0.
        rest: uint256 = packed
        centre: uint256 = self.centroid_words[k]
        moved: uint256 = 0
        offset: uint256 = 0
        for _: uint256 in range(LANES):
            x: uint256 = (rest & LANE_MASK) ^ SIGN_BIT
            m: uint256 = (centre & LANE_MASK) ^ SIGN_BIT
            if x >= m:
                m = unsafe_add(m, unsafe_div(unsafe_sub(x, m), n))
            else:
                m = unsafe_sub(m, unsafe_div(unsafe_sub(m, x), n))
            moved |= (m ^ SIGN_BIT) << offset
            rest = rest >> LANE_BITS
            centre = centre >> LANE_BITS
            offset = unsafe_add(offset, LANE_BITS)
        self.centroid_words[k] = moved
        k = unsafe_add(k, 1)
    return True


@internal
def _seal():
    # End initialisation: from now on only `_update` changes the model, and
    # `add_class` only adds empty classes (which no prediction can return).
    if self.header & OPEN_BIT == 0:
        errors._fail("ncc: sealed")
    self.header ^= OPEN_BIT
