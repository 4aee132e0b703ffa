"""What the two sparse multi-class twins share: per-class feature counts, as on chain.

`contracts/models/sparse_ncc.vy` and `contracts/models/naive_bayes.vy` keep the same state: per
class k its number of samples n_k, the number s[k][i] of its samples that contain feature i
(16-bit, saturating at 2**16 - 1), and one running total (Q_k = sum of squared counts for the
nearest centroid, T_k = sum of counts for naive Bayes), all updated on every contribution.

On chain the counts are packed class-major, 15 to a word: flat word k * words_per_class + j holds
s[k][15j .. 15j+14], lane l in bits [16l, 16l+16); the contract adds a marker in bit 255.
`class_stats(k)` packs n_k (bits 0..127) and the total (bits 128..191); class 0's word also holds
the number of classes (bits 192..200) and the sealed flag (bit 254).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ape_decai.chain_reads import read_words
from ape_decai.models.base import ReferenceModel
from ape_decai.models.sparse_perceptron import check_indices
from ape_decai.packing import pack_indices

COUNTS_PER_WORD = 15
LANE_BITS = 16
LANE_MASK = (1 << LANE_BITS) - 1
MAX_COUNT = LANE_MASK
MAX_FEATURES = 2**16 - 1
MAX_CLASSES = 256
MAX_CLASS_SIZE = 2**64
SIZE_MASK = (1 << 128) - 1
TOTAL_SHIFT = 128
TOTAL_MASK = (1 << 64) - 1


def words_per_class(n_features: int) -> int:
    """Count words of one class: ceil(n_features / 15)."""
    return (n_features + COUNTS_PER_WORD - 1) // COUNTS_PER_WORD


def pack_counts(counts: Sequence[Sequence[int]], n_features: int) -> list[int]:
    """All classes' counts as the contract's flat, class-major words (without the marker)."""
    per_class = words_per_class(n_features)
    words = [0] * (per_class * len(counts))
    for k, row in enumerate(counts):
        for i, c in enumerate(row):
            words[k * per_class + i // COUNTS_PER_WORD] |= c << (LANE_BITS * (i % COUNTS_PER_WORD))
    return words


def unpack_counts(words: Sequence[int], n_features: int, n_classes: int) -> list[list[int]]:
    """Inverse of `pack_counts` (ignores the marker)."""
    per_class = words_per_class(n_features)
    return [
        [
            (words[k * per_class + i // COUNTS_PER_WORD] >> (LANE_BITS * (i % COUNTS_PER_WORD))) & LANE_MASK
            for i in range(n_features)
        ]
        for k in range(n_classes)
    ]


@dataclass
class SparseCountModel(ReferenceModel):
    """Base of the sparse multi-class twins: n_k, s[k][i] and the running total of each class."""

    input_kind: ClassVar[str] = "sparse"

    n_features: int
    class_sizes: list[int] = field(default_factory=lambda: [0, 0])
    counts: list[list[int]] = field(default_factory=list)
    # Q_k or T_k as the contract keeps it; derived from the counts when not given.
    totals: list[int] = field(default_factory=list)

    # --- what the subclass defines ---------------------------------------------------------------
    @staticmethod
    def total_of(counts: Sequence[int]) -> int:
        """The running total of one class's counts (Q_k or T_k)."""
        raise NotImplementedError

    @staticmethod
    def total_step(count: int) -> int:
        """What the total grows by when a count goes from `count` to `count + 1`."""
        raise NotImplementedError

    # --- the model -------------------------------------------------------------------------------
    def __post_init__(self) -> None:
        if not 0 < self.n_features <= MAX_FEATURES:
            raise ValueError(f"n_features must be in [1, {MAX_FEATURES}]")
        if not 0 < len(self.class_sizes) <= MAX_CLASSES:
            raise ValueError(f"need 1 to {MAX_CLASSES} classes")
        if any(not 0 <= n <= MAX_CLASS_SIZE for n in self.class_sizes):
            raise ValueError(f"class sizes must be in [0, {MAX_CLASS_SIZE}]")
        if not self.counts:
            self.counts = [[0] * self.n_features for _ in self.class_sizes]
        if len(self.counts) != len(self.class_sizes) or any(len(row) != self.n_features for row in self.counts):
            raise ValueError("need one count per class and feature")
        if any(not 0 <= c <= MAX_COUNT for row in self.counts for c in row):
            raise ValueError(f"counts must be in [0, {MAX_COUNT}]")
        if any(n == 0 and any(row) for n, row in zip(self.class_sizes, self.counts, strict=True)):
            raise ValueError("a class with no sample has no counts (the contract refuses them)")
        if not self.totals:
            self.totals = [self.total_of(row) for row in self.counts]
        if len(self.totals) != len(self.class_sizes):
            raise ValueError("need one total per class")

    @property
    def n_classes(self) -> int:
        return len(self.class_sizes)

    def add_class(self) -> int:
        """Add an empty class (the contract's `add_class`); returns its label."""
        if self.n_classes >= MAX_CLASSES:
            raise ValueError("too many classes")
        self.class_sizes.append(0)
        self.counts.append([0] * self.n_features)
        self.totals.append(0)
        return self.n_classes - 1

    def _check(self, x: Sequence[int]) -> list[int]:
        indices = sorted(int(i) for i in x)
        check_indices(indices, self.n_features)
        return indices

    def update(self, x: Sequence[int], label: int) -> bool:
        """Count the sample in its class (as the contract: saturating counts); always True."""
        if not 0 <= label < self.n_classes:
            raise ValueError("unknown class")
        row = self.counts[label]
        for i in self._check(x):
            s = row[i]
            if s < MAX_COUNT:
                row[i] = s + 1
                self.totals[label] += self.total_step(s)
        self.class_sizes[label] += 1
        return True

    @classmethod
    def fit(
        cls, samples: Sequence[tuple[Sequence[int], int]], n_features: int, n_classes: int = 2, **_: Any
    ) -> SparseCountModel:
        """Count every sample once, in order (the counts do not depend on the order)."""
        model = cls(n_features=n_features, class_sizes=[0] * n_classes)
        for x, y in samples:
            model.update(x, y)
        return model

    # --- on chain --------------------------------------------------------------------------------
    def pack_input(self, x: Sequence[int]) -> list[int]:
        return pack_indices(self._check(x))

    def count_words(self) -> list[int]:
        """The flat count words, class-major (what `constructor_args` and `init_calls` send)."""
        return pack_counts(self.counts, self.n_features)

    def constructor_args(self, max_words: int) -> list[Any]:
        return [self.n_features, list(self.class_sizes), self.count_words()[:max_words]]

    def init_calls(self, max_words: int) -> list[tuple[str, tuple]]:
        words = self.count_words()
        return [
            ("initialize_counts", (k, words[k : k + max_words])) for k in range(max_words, len(words), max_words)
        ]

    @classmethod
    def from_chain(cls, contract: Any) -> SparseCountModel:
        n_features = int(contract.n_features())
        n_classes = int(contract.n_classes())
        stats = read_words(contract, "class_stats", range(n_classes))
        words = read_words(contract, "count_words", range(n_classes * words_per_class(n_features)))
        return cls(
            n_features=n_features,
            class_sizes=[s & SIZE_MASK for s in stats],
            counts=unpack_counts(words, n_features, n_classes),
            totals=[(s >> TOTAL_SHIFT) & TOTAL_MASK for s in stats],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_features": self.n_features,
            "class_sizes": list(self.class_sizes),
            "counts": [list(row) for row in self.counts],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SparseCountModel:
        return cls(
            n_features=d["n_features"],
            class_sizes=list(d["class_sizes"]),
            counts=[list(row) for row in d["counts"]],
        )
