# pragma version ~=0.4.3
"""
@title Per-class feature counts: the state the sparse count models share
@license MIT
@notice Each class k is summed up by its number of samples n_k, per feature i
        the number s[k][i] of its samples that contain i, and a total over
        its counts: T_k = sum(s[k][i]) (naive Bayes) or Q_k = sum(s[k][i]**2)
        (sparse nearest centroid), chosen at `_configure`. Every
        contribution trains: n_k, the touched counts and the total of its
        label's class grow, whatever the model predicted. The models
        (`naive_bayes`, `sparse_ncc`) only predict from these counts.
@dev Storage, shaped by gas:
     - `count_words[k * words_per_class + j]` holds s[k][15j .. 15j+14] in
       16-bit lanes (lane l in bits [16l, 16l+16)) and a marker in bit 255,
       so a written word is never zero again: an update overwrites (2,900
       gas) instead of creating (20,000). Counts saturate at 2**16 - 1
       (that count, and the total, then stop growing) so a popular feature
       never blocks contributions.
     - `class_stats[k]`: n_k in bits 0..127, the total in bits 128..191, the
       marker in bit 255 (set when the class is created). Class 0's word
       also holds the model's header: the number of classes in bits
       192..200, the number of features in bits 208..223, the total's kind
       in bit 253 (set: sums of squares) and the sealed flag in bit 254.
       Every prediction and update reads it anyway, a deployment saves a
       slot, and the module has no immutables, so it also runs in a clone
       ("Clone or whole" in `scripts/generate_trainers.py`).
     The input is decoded and checked by `sparse_input`. The Python twin is
     `ape_decai/models/sparse_counts.py`.
@custom:security Writers are `@internal` (the trainer's `_update`) or
                 owner-only before `seal`; counts saturate instead of
                 reverting, so no input can block contributions.
"""

from snekmate.auth import ownable

from contracts.lib import errors
from contracts.lib import sparse_input

# The creator (owner) initialises the counts of a large model over several
# transactions, seals it, and may then add empty classes only (see `add_class`).
uses: ownable

# @dev Largest number of packed words in one sample (16 indices each).
MAX_PACKED_WORDS: constant(uint256) = sparse_input.MAX_PACKED_WORDS

# @dev Largest number of features: index + 1 must fit in a 16-bit lane.
MAX_FEATURES: constant(uint256) = 65535

# @dev Largest number of classes (labels are uint8).
MAX_CLASSES: constant(uint256) = 256

# @dev Largest number of samples of a class set at deployment.
MAX_CLASS_SIZE: constant(uint256) = 2**64

# @dev Largest count of a feature in a class (a 16-bit lane; saturates).
MAX_COUNT: constant(uint256) = 2**16 - 1

# @dev Largest number of count words accepted in one call.
MAX_WORDS_PER_CALL: constant(uint256) = 128

# @dev Counts per storage word.
COUNTS_PER_WORD: constant(uint256) = 15

LANE_BITS: constant(uint256) = 16
LANE_MASK: constant(uint256) = 2**16 - 1
MARKER: constant(uint256) = 1 << 255
SEALED_BIT: constant(uint256) = 1 << 254
SQUARES_BIT: constant(uint256) = 1 << 253
CLASSES_SHIFT: constant(uint256) = 192
CLASSES_MASK: constant(uint256) = 2**9 - 1
FEATURES_SHIFT: constant(uint256) = 208
FEATURES_MASK: constant(uint256) = 2**16 - 1
SIZE_MASK: constant(uint256) = 2**128 - 1
TOTAL_SHIFT: constant(uint256) = 128
TOTAL_MASK: constant(uint256) = 2**64 - 1

# @dev Packed counts, class-major (see the module @dev).
count_words: public(HashMap[uint256, uint256])

# @dev Per class: n_k (bits 0..127), the total (bits 128..191), marker (bit
#      255); class 0's also holds the header (see the module @dev).
class_stats: public(HashMap[uint256, uint256])


@internal
def _configure(features: uint256, class_sizes: DynArray[uint256, MAX_CLASSES], squares: bool):
    """
    @dev Set the shape of the model and the sample count of each class.
    @param features Number of features (vocabulary size), 1 .. MAX_FEATURES.
    @param class_sizes n_k of each class (one per class, at least one
           class); the counts follow with `_set_count_words`.
    @param squares The total of a class: the sum of its squared counts
           (True) or of its counts (False).
    """
    if not (features > 0 and features <= MAX_FEATURES):
        errors._fail("sparse_counts: bad number of features")
    if len(class_sizes) == 0:
        errors._fail("sparse_counts: no class")
    k: uint256 = 0
    for n: uint256 in class_sizes:
        if n > MAX_CLASS_SIZE:
            errors._fail("sparse_counts: class too large")
        self.class_stats[k] = MARKER | n
        k = unsafe_add(k, 1)
    header: uint256 = (features << FEATURES_SHIFT) | (k << CLASSES_SHIFT)
    if squares:
        header |= SQUARES_BIT
    self.class_stats[0] |= header


@external
def initialize_counts(first_word: uint256, words: DynArray[uint256, MAX_WORDS_PER_CALL]):
    """
    @notice Write count words (without the marker) from flat word index
            `first_word` on: counts of the classes that have samples before
            the model is sealed; zero words of a class with no sample at any
            time (they pre-pay the storage of a class added by `add_class`,
            so that its first contributions overwrite words instead of
            creating them). Counts in an empty class are refused: they would
            make it win as soon as the owner adds one sample of their own.
    @param first_word Flat index k * words_per_class + j of the first word.
    @param words Packed counts, COUNTS_PER_WORD 16-bit lanes per word.
    """
    ownable._check_owner()
    self._set_count_words(first_word, words)


@external
def add_class():
    """
    @notice Add a class (label n_classes()), with no sample and no count;
            allowed before and after sealing. It changes no prediction: a
            class with no sample is skipped by predict, and after sealing
            only contributions (`_update`) give it samples and counts.
    """
    ownable._check_owner()
    k: uint256 = self._classes(self.class_stats[0])
    if k == MAX_CLASSES:
        errors._fail("sparse_counts: too many classes")
    self.class_stats[k] = MARKER
    # cannot carry: k < MAX_CLASSES
    self.class_stats[0] = unsafe_add(self.class_stats[0], 1 << CLASSES_SHIFT)


@external
def seal():
    """
    @notice End initialisation: the model starts accepting data.
    """
    ownable._check_owner()
    self._seal()


@external
@view
def n_classes() -> uint256:
    """
    @notice Number of classes (labels are 0 .. n_classes - 1).
    @return The number of classes.
    """
    return self._classes(self.class_stats[0])


@external
@view
def sealed() -> bool:
    """
    @notice Whether initialisation is over and the model accepts data.
    @return True once sealed.
    """
    return self.class_stats[0] & SEALED_BIT != 0


@external
@view
def n_features() -> uint256:
    """
    @notice Number of features (valid indices are 0 .. n_features - 1).
    @return The number of features.
    """
    return self._features(self.class_stats[0])


@internal
@pure
def _classes(header: uint256) -> uint256:
    return (header >> CLASSES_SHIFT) & CLASSES_MASK


@internal
@pure
def _features(header: uint256) -> uint256:
    return (header >> FEATURES_SHIFT) & FEATURES_MASK


@internal
@pure
def _count(word: uint256, i: uint256) -> uint256:
    # The count of feature i in its count word (word index i // COUNTS_PER_WORD).
    return (word >> (i % COUNTS_PER_WORD * LANE_BITS)) & LANE_MASK


@internal
@pure
def _words_per_class(header: uint256) -> uint256:
    # ceil(n_features / COUNTS_PER_WORD); cannot overflow: n_features < 2**16
    return unsafe_div(unsafe_add(self._features(header), COUNTS_PER_WORD - 1), COUNTS_PER_WORD)


@internal
def _update(data: DynArray[uint256, MAX_PACKED_WORDS], label: uint8) -> bool:
    """
    @dev Train on one sample (input and label checked): n_k, the touched
         counts and the total of the label's class grow. Always changes the
         model.
    """
    header: uint256 = self.class_stats[0]
    k: uint256 = convert(label, uint256)
    if k >= self._classes(header):
        errors._fail("sparse_counts: unknown class")
    if header & SEALED_BIT == 0:
        errors._fail("sparse_counts: not sealed")
    x: DynArray[uint256, sparse_input.MAX_INPUT_LENGTH] = sparse_input._decode(
        data, self._features(header)
    )
    # s -> s + 1 adds 2s + 1 to a sum of squares, 1 to a sum: s * slope + 1
    slope: uint256 = 0
    if header & SQUARES_BIT != 0:
        slope = 2
    total: uint256 = 0  # what the total grows by
    base: uint256 = k * self._words_per_class(header)
    loaded: uint256 = max_value(uint256)
    word: uint256 = 0
    for i: uint256 in x:
        w: uint256 = base + i // COUNTS_PER_WORD
        if w != loaded:
            if loaded != max_value(uint256):
                self.count_words[loaded] = word
            word = self.count_words[w] | MARKER
            loaded = w
        offset: uint256 = i % COUNTS_PER_WORD * LANE_BITS
        s: uint256 = (word >> offset) & LANE_MASK
        if s < MAX_COUNT:
            # cannot carry out of the lane: s < 2**16 - 1
            word = unsafe_add(word, 1 << offset)
            # cannot overflow: a total <= n_features * (2**16 - 1)**2 < 2**48
            total = unsafe_add(total, unsafe_add(unsafe_mul(s, slope), 1))
    self.count_words[loaded] = word
    # Adding keeps the other fields: n_k < 2**128 (it starts <= 2**64 and
    # grows by one per transaction) and the total < 2**48 do not carry.
    self.class_stats[k] = unsafe_add(self.class_stats[k], unsafe_add(total << TOTAL_SHIFT, 1))
    return True


@internal
@pure
def _total(word: uint256, squares: bool) -> uint256:
    # The word's part of its class's total: the sum of its counts, or of their squares.
    # cannot overflow: 15 terms < 2**32
    total: uint256 = 0
    rest: uint256 = word
    if squares:
        for _: uint256 in range(COUNTS_PER_WORD):
            c: uint256 = rest & LANE_MASK
            total = unsafe_add(total, unsafe_mul(c, c))
            rest = rest >> LANE_BITS
    else:
        for _: uint256 in range(COUNTS_PER_WORD):
            total = unsafe_add(total, rest & LANE_MASK)
            rest = rest >> LANE_BITS
    return total


@internal
def _set_count_words(first_word: uint256, words: DynArray[uint256, MAX_WORDS_PER_CALL]):
    """
    @dev Write count words from flat index `first_word` on (initialisation),
         keeping each class's total equal to the sum of its (squared) counts.
    """
    header: uint256 = self.class_stats[0]
    words_per_class: uint256 = self._words_per_class(header)
    if first_word + len(words) > self._classes(header) * words_per_class:
        errors._fail("sparse_counts: too many counts")
    squares: bool = header & SQUARES_BIT != 0
    w: uint256 = first_word
    last_lanes: uint256 = self._features(header) - (words_per_class - 1) * COUNTS_PER_WORD
    for word: uint256 in words:
        k: uint256 = w // words_per_class
        lanes: uint256 = COUNTS_PER_WORD
        if w % words_per_class == words_per_class - 1:
            lanes = last_lanes
        if word >> (lanes * LANE_BITS) != 0:
            errors._fail("sparse_counts: bad count word")
        stats: uint256 = self.class_stats[k]
        # A class with no sample has no counts, sealed or not, so an empty
        # class stays empty until contributions train it (a creator's counts
        # waiting in it would turn on with the creator's own first sample).
        # Once sealed, a class with samples is not written at all: only zero
        # words of an empty class, which change no prediction and pre-pay
        # storage.
        if stats & SIZE_MASK == 0:
            if word != 0:
                errors._fail("sparse_counts: counts of an empty class")
        elif header & SEALED_BIT != 0:
            errors._fail("sparse_counts: sealed")
        # The class's total: add the new word's part, take the old word's
        # (checked: the old word's part is in the total).
        total: uint256 = (stats >> TOTAL_SHIFT) & TOTAL_MASK
        total = total + self._total(word, squares) - self._total(self.count_words[w], squares)
        self.class_stats[k] = (stats & ~(TOTAL_MASK << TOTAL_SHIFT)) | (total << TOTAL_SHIFT)
        self.count_words[w] = word | MARKER
        w = unsafe_add(w, 1)


@internal
def _seal():
    # End initialisation: from now on only `_update` changes the counts.
    if self.class_stats[0] & SEALED_BIT != 0:
        errors._fail("sparse_counts: sealed")
    self.class_stats[0] |= SEALED_BIT
