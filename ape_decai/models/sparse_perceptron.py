"""Bit-exact Python reference of `contracts/models/sparse_perceptron.vy`.

Same integers, same saturation, same order of operations: after any sequence of updates the
weights and the intercept equal the contract's, and so does every prediction. `ape decai train`
uses it to train the initial model off chain; the tests compare it with the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ape_decai.chain_reads import read_words
from ape_decai.models.base import ReferenceModel
from ape_decai.packing import LANES, MAX_SAMPLE_FEATURES, pack_indices, pack_weights, unpack_weights

INT16_MIN = -(2**15)
INT16_MAX = 2**15 - 1
MAX_FEATURES = 2**16 - 1
MAX_INPUT_LENGTH = MAX_SAMPLE_FEATURES
NUM_CLASSES = 2


def saturate(w: int) -> int:
    """Clamp to the int16 range, as the contract does on an update."""
    return min(max(w, INT16_MIN), INT16_MAX)


def check_indices(indices: Sequence[int], n_features: int) -> None:
    """Raise ValueError for an input the contract rejects (after packing, which sorts)."""
    if len(indices) == 0:
        raise ValueError("empty input")
    if len(indices) > MAX_INPUT_LENGTH:
        raise ValueError(f"more than {MAX_INPUT_LENGTH} features in one sample")
    if len(set(indices)) != len(indices):
        raise ValueError("duplicate feature index")
    if min(indices) < 0 or max(indices) >= n_features:
        raise ValueError(f"feature index out of range [0, {n_features})")


@dataclass
class SparsePerceptron(ReferenceModel):
    """A binary perceptron over sets of feature indices, in int16 integers."""

    model_id: ClassVar[str] = "sparse-perceptron"
    module: ClassVar[str] = "sparse_perceptron"
    contract_prefix: ClassVar[str] = "SparsePerceptron"
    input_kind: ClassVar[str] = "sparse"
    learns_from_every_sample: ClassVar[bool] = False
    max_classes: ClassVar[int] = NUM_CLASSES

    n_features: int
    learning_rate: int = 1
    intercept: int = 0
    weights: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 < self.n_features <= MAX_FEATURES:
            raise ValueError(f"n_features must be in [1, {MAX_FEATURES}]")
        if not 0 < self.learning_rate <= INT16_MAX:
            raise ValueError("learning_rate must be in (0, 2**15)")
        if not INT16_MIN <= self.intercept <= INT16_MAX:
            raise ValueError("intercept out of int16 range")
        if not self.weights:
            self.weights = [0] * self.n_features
        if len(self.weights) != self.n_features:
            raise ValueError("need one weight per feature")
        if any(not INT16_MIN <= w <= INT16_MAX for w in self.weights):
            raise ValueError("weight out of int16 range")

    @property
    def n_classes(self) -> int:
        return NUM_CLASSES

    def margin(self, indices: Iterable[int]) -> int:
        """intercept + sum of the weights of the present features."""
        indices = list(indices)
        check_indices(indices, self.n_features)
        return self.intercept + sum(self.weights[i] for i in indices)

    def predict(self, indices: Iterable[int]) -> int:
        """1 if the margin is positive, else 0 (as the contract)."""
        return 1 if self.margin(indices) > 0 else 0

    def update(self, indices: Iterable[int], label: int) -> bool:
        """The perceptron rule on one sample; True if the model changed."""
        indices = list(indices)
        if label not in (0, 1):
            raise ValueError("label out of range")
        if self.predict(indices) == label:
            return False
        step = self.learning_rate if label == 1 else -self.learning_rate
        self.intercept = saturate(self.intercept + step)
        for i in indices:
            self.weights[i] = saturate(self.weights[i] + step)
        return True

    @classmethod
    def fit(
        cls,
        samples: Sequence[tuple[Sequence[int], int]],
        n_features: int,
        n_classes: int = NUM_CLASSES,
        learning_rate: int = 1,
        epochs: int = 5,
        **_: Any,
    ) -> SparsePerceptron:
        """Train from scratch, `epochs` passes in the given order (deterministic)."""
        if n_classes != NUM_CLASSES:
            raise ValueError("a perceptron has exactly two classes")
        model = cls(n_features=n_features, learning_rate=learning_rate)
        for _epoch in range(epochs):
            for x, y in samples:
                model.update(x, y)
        return model

    # Kept for callers of the first release.
    train = fit

    # --- on chain -------------------------------------------------------------------------------
    def pack_input(self, x: Sequence[int]) -> list[int]:
        check_indices(list(x), self.n_features)
        return pack_indices(x)

    def constructor_args(self, max_words: int) -> list[Any]:
        return [self.n_features, self.intercept, self.learning_rate, pack_weights(self.weights)[:max_words]]

    def init_calls(self, max_words: int) -> list[tuple[str, tuple]]:
        words = pack_weights(self.weights)
        return [
            ("initialize_weights", (k, words[k : k + max_words]))
            for k in range(max_words, len(words), max_words)
        ]

    @classmethod
    def from_chain(cls, contract: Any) -> SparsePerceptron:
        n = int(contract.n_features())
        words = read_words(contract, "weight_words", range((n + LANES - 1) // LANES))
        return cls(
            n_features=n,
            learning_rate=int(contract.learning_rate()),
            intercept=int(contract.intercept()),
            weights=unpack_weights(words, n),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_features": self.n_features,
            "learning_rate": self.learning_rate,
            "intercept": self.intercept,
            "weights": list(self.weights),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SparsePerceptron:
        return cls(
            n_features=d["n_features"],
            learning_rate=d["learning_rate"],
            intercept=d["intercept"],
            weights=list(d["weights"]),
        )
