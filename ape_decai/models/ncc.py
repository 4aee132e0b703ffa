"""Bit-exact Python reference of `contracts/models/ncc.vy` (dense nearest centroid).

Each class c has a centroid of n int16 values and a sample count n_c. `predict` returns the
populated class (n_c > 0) nearest in squared Euclidean distance, the lowest index on a tie;
`update(x, y)` does c_i += trunc((x_i - c_i) / (n_y + 1)) (truncation toward zero, as the
EVM's sdiv; Python's // floors, hence `tdiv`) and n_y += 1. Same integers as the contract:
after any sequence of updates the centroids, the counts and every prediction equal its.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ape_decai.chain_reads import read_words
from ape_decai.models.base import ReferenceModel
from ape_decai.models.dense_perceptron import check_dense
from ape_decai.packing import dense_words, pack_dense, unpack_weights

MAX_FEATURES = 1024
MAX_PACKED_WORDS = 64
MAX_WORDS_PER_CALL = 128
MAX_CLASSES = 256


def tdiv(a: int, b: int) -> int:
    """Integer division truncated toward zero (the EVM's sdiv), for b != 0."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


@dataclass
class NearestCentroid(ReferenceModel):
    """A multi-class nearest-centroid classifier over dense int16 vectors (running means)."""

    model_id: ClassVar[str] = "ncc"
    module: ClassVar[str] = "ncc"
    contract_prefix: ClassVar[str] = "NearestCentroid"
    input_kind: ClassVar[str] = "dense"

    n_features: int
    centroids: list[list[int]] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 < self.n_features <= MAX_FEATURES:
            raise ValueError(f"n_features must be in [1, {MAX_FEATURES}]")
        if len(self.centroids) != len(self.counts):
            raise ValueError("need one count per centroid")
        if len(self.counts) > MAX_CLASSES:
            raise ValueError(f"at most {MAX_CLASSES} classes")
        self.centroids = [check_dense(c, self.n_features) for c in self.centroids]
        if any(not 0 <= n < 2**255 for n in self.counts):
            raise ValueError("sample counts must be non-negative")
        self.counts = [int(n) for n in self.counts]

    @property
    def n_classes(self) -> int:
        return len(self.counts)

    def add_class(self, centroid: Sequence[int] | None = None, count: int = 0) -> int:
        """Add a class as the contract's `add_class` does; returns its label."""
        if self.n_classes >= MAX_CLASSES:
            raise ValueError("too many classes")
        if count < 0:
            raise ValueError("sample counts must be non-negative")
        self.centroids.append(check_dense(centroid if centroid is not None else [0] * self.n_features, self.n_features))
        self.counts.append(int(count))
        return self.n_classes - 1

    def distances(self, x: Sequence[int]) -> list[int | None]:
        """Squared Euclidean distance to each class's centroid (None for an empty class)."""
        values = check_dense(x, self.n_features)
        return [
            sum((v - m) ** 2 for v, m in zip(values, centroid, strict=True)) if n else None
            for centroid, n in zip(self.centroids, self.counts, strict=True)
        ]

    def predict(self, x: Sequence[int]) -> int:
        """The nearest populated class, lowest index on a tie; ValueError if none is populated."""
        best: int | None = None
        label = -1
        for c, d in enumerate(self.distances(x)):
            if d is not None and (best is None or d < best):
                best, label = d, c
        if best is None:
            raise ValueError("no populated class")
        return label

    def update(self, x: Sequence[int], label: int) -> bool:
        """Move the label's centroid towards x (running mean); always True (the count grows)."""
        if not 0 <= label < self.n_classes:
            raise ValueError("unknown class")
        values = check_dense(x, self.n_features)
        n = self.counts[label] + 1
        self.counts[label] = n
        centroid = self.centroids[label]
        for i, v in enumerate(values):
            centroid[i] += tdiv(v - centroid[i], n)
        return True

    @classmethod
    def fit(
        cls,
        samples: Sequence[tuple[Sequence[int], int]],
        n_features: int,
        n_classes: int,
        **_: Any,
    ) -> NearestCentroid:
        """Running means from empty classes, one pass in the given order (deterministic)."""
        model = cls(n_features=n_features, centroids=[[0] * n_features for _ in range(n_classes)], counts=[0] * n_classes)
        for x, y in samples:
            model.update(x, y)
        return model

    # --- on chain -------------------------------------------------------------------------------
    def pack_input(self, x: Sequence[int]) -> list[int]:
        return pack_dense(check_dense(x, self.n_features))

    def _classes_per_call(self, max_words: int) -> int:
        per_class = dense_words(self.n_features)
        if per_class > max_words:
            raise ValueError(f"one class takes {per_class} words: more than {max_words} per call")
        return min(max_words, MAX_WORDS_PER_CALL) // per_class

    def constructor_args(self, max_words: int) -> list[Any]:
        """[n_features, counts, centroid words] of the first whole classes that fit in max_words."""
        first = min(self._classes_per_call(max_words), self.n_classes)
        words = [w for centroid in self.centroids[:first] for w in pack_dense(centroid)]
        return [self.n_features, list(self.counts[:first]), words]

    def init_calls(self, max_words: int) -> list[tuple[str, tuple]]:
        """`add_class(label, centroid, count)` for each class the constructor did not carry; the
        label is explicit, so a call sent twice before sealing overwrites the same class."""
        first = min(self._classes_per_call(max_words), self.n_classes)
        return [
            ("add_class", (c, pack_dense(self.centroids[c]), self.counts[c])) for c in range(first, self.n_classes)
        ]

    @classmethod
    def from_chain(cls, contract: Any) -> NearestCentroid:
        n = int(contract.n_features())
        per_class = dense_words(n)
        classes = int(contract.num_classes())
        centroids = [
            unpack_weights(read_words(contract, "centroid_words", range(c * per_class, (c + 1) * per_class)), n)
            for c in range(classes)
        ]
        counts = read_words(contract, "sample_counts", range(classes))
        return cls(n_features=n, centroids=centroids, counts=counts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_features": self.n_features,
            "centroids": [list(c) for c in self.centroids],
            "counts": list(self.counts),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NearestCentroid:
        return cls(
            n_features=d["n_features"],
            centroids=[list(c) for c in d["centroids"]],
            counts=list(d["counts"]),
        )

