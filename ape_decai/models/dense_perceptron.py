"""Bit-exact Python reference of `contracts/models/dense_perceptron.vy`.

A binary perceptron over a vector of n int16 features x_i = round(real_i * x_scale):

    margin = intercept * x_scale + sum(w_i * x_i),   h(x) = 1 if margin > 0 else 0

The intercept is the weight of a constant feature whose integer value is x_scale (the real
value 1.0), so it learns like any weight. On a mistake (s = +1 for label 1, -1 for label 0):
w_i += s * lr * x_i and intercept += s * lr * x_scale, each saturating at the int16 bounds.
Same integers and saturation as the contract: after any sequence of updates the state and
every prediction equal the contract's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ape_decai.chain_reads import read_words
from ape_decai.models.base import ReferenceModel
from ape_decai.packing import LANES, pack_dense, pack_weights, unpack_weights

INT16_MIN = -(2**15)
INT16_MAX = 2**15 - 1
MAX_FEATURES = 1024
MAX_PACKED_WORDS = 64
MAX_WORDS_PER_CALL = 64
NUM_CLASSES = 2


def saturate(w: int) -> int:
    """Clamp to the int16 range, as the contract does on an update."""
    return min(max(w, INT16_MIN), INT16_MAX)


def check_dense(x: Sequence[int], n_features: int) -> list[int]:
    """The vector as ints; ValueError for one the contract rejects (wrong length, not int16)."""
    values = [int(v) for v in x]
    if len(values) != n_features:
        raise ValueError(f"wrong dimension: {len(values)} values for {n_features} features")
    if any(not INT16_MIN <= v <= INT16_MAX for v in values):
        raise ValueError("feature value out of int16 range")
    return values


@dataclass
class DensePerceptron(ReferenceModel):
    """A binary perceptron over dense int16 vectors, with a learned intercept."""

    model_id: ClassVar[str] = "dense-perceptron"
    module: ClassVar[str] = "dense_perceptron"
    contract_prefix: ClassVar[str] = "DensePerceptron"
    input_kind: ClassVar[str] = "dense"
    learns_from_every_sample: ClassVar[bool] = False
    max_classes: ClassVar[int] = NUM_CLASSES

    n_features: int
    x_scale: int = 16
    learning_rate: int = 1
    intercept: int = 0
    weights: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 < self.n_features <= MAX_FEATURES:
            raise ValueError(f"n_features must be in [1, {MAX_FEATURES}]")
        if not 0 < self.x_scale <= INT16_MAX:
            raise ValueError("x_scale must be in (0, 2**15)")
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

    def margin(self, x: Sequence[int]) -> int:
        """intercept * x_scale + sum(w_i * x_i), exact."""
        values = check_dense(x, self.n_features)
        return self.intercept * self.x_scale + sum(w * v for w, v in zip(self.weights, values, strict=True))

    def predict(self, x: Sequence[int]) -> int:
        """1 if the margin is positive, else 0 (as the contract)."""
        return 1 if self.margin(x) > 0 else 0

    def update(self, x: Sequence[int], label: int) -> bool:
        """The perceptron rule on one sample; True if the model changed (it was wrong)."""
        if label not in (0, 1):
            raise ValueError("label out of range")
        values = check_dense(x, self.n_features)
        if self.predict(values) == label:
            return False
        step = self.learning_rate if label == 1 else -self.learning_rate
        self.intercept = saturate(self.intercept + step * self.x_scale)
        for i, v in enumerate(values):
            if v:
                self.weights[i] = saturate(self.weights[i] + step * v)
        return True

    @classmethod
    def fit(
        cls,
        samples: Sequence[tuple[Sequence[int], int]],
        n_features: int,
        n_classes: int = NUM_CLASSES,
        x_scale: int = 16,
        learning_rate: int = 1,
        epochs: int = 5,
        **_: Any,
    ) -> DensePerceptron:
        """Train from scratch, `epochs` passes in the given order (deterministic)."""
        if n_classes != NUM_CLASSES:
            raise ValueError("a perceptron has exactly two classes")
        model = cls(n_features=n_features, x_scale=x_scale, learning_rate=learning_rate)
        for _epoch in range(epochs):
            for x, y in samples:
                model.update(x, y)
        return model

    # --- on chain -------------------------------------------------------------------------------
    def pack_input(self, x: Sequence[int]) -> list[int]:
        return pack_dense(check_dense(x, self.n_features))

    def constructor_args(self, max_words: int) -> list[Any]:
        """[n_features, x_scale, intercept, learning_rate, first weight words]."""
        first = min(max_words, MAX_WORDS_PER_CALL)
        return [self.n_features, self.x_scale, self.intercept, self.learning_rate, pack_weights(self.weights)[:first]]

    def init_calls(self, max_words: int) -> list[tuple[str, tuple]]:
        step = min(max_words, MAX_WORDS_PER_CALL)
        words = pack_weights(self.weights)
        return [("initialize_weights", (k, words[k : k + step])) for k in range(step, len(words), step)]

    @classmethod
    def from_chain(cls, contract: Any) -> DensePerceptron:
        n = int(contract.n_features())
        words = read_words(contract, "weight_words", range((n + LANES - 1) // LANES))
        return cls(
            n_features=n,
            x_scale=int(contract.x_scale()),
            learning_rate=int(contract.learning_rate()),
            intercept=int(contract.intercept()),
            weights=unpack_weights(words, n),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_features": self.n_features,
            "x_scale": self.x_scale,
            "learning_rate": self.learning_rate,
            "intercept": self.intercept,
            "weights": list(self.weights),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DensePerceptron:
        return cls(
            n_features=d["n_features"],
            x_scale=d["x_scale"],
            learning_rate=d["learning_rate"],
            intercept=d["intercept"],
            weights=list(d["weights"]),
        )
