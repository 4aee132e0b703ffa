"""What every bit-exact reference model offers the rest of the package.

Each on-chain model (`contracts/models/<module>.vy`) has a Python twin in
`ape_decai/models/<module>.py`: same integers, same truncation, same order of operations, so
that after any sequence of updates its state and predictions equal the contract's. The twin is
what `ape decai train` trains off chain, what `ape decai deploy` turns into constructor
arguments and initialisation calls, and what the property tests compare with the contract.

Inputs, as the user's code sees them (the `x` below):
- ``"sparse"`` models take a set of feature indices (`list[int]`, any order, no duplicates);
- ``"dense"`` models take a vector of `n_features` integers (`list[int]`, int16 range).
`pack_input(x)` turns `x` into the 256-bit words `add_data` / `predict` take on chain.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar


class ReferenceModel(ABC):
    """A model that can live on chain; subclasses are dataclasses with the model's state."""

    # The model's name on the command line, in model files and in `scripts/generate_trainers.py`.
    model_id: ClassVar[str]
    # The `contracts/models/<module>.vy` it mirrors, and the deployables' name prefix.
    module: ClassVar[str]
    contract_prefix: ClassVar[str]
    # "sparse" (feature indices) or "dense" (integer vector); see the module docstring.
    input_kind: ClassVar[str]
    # True for models that learn from every sample (centroids, counts); False for perceptrons,
    # which change only on a mistake.
    learns_from_every_sample: ClassVar[bool] = True
    # The most classes the model takes (the perceptrons are binary).
    max_classes: ClassVar[int] = 256

    n_features: int

    # --- the model ------------------------------------------------------------------------------
    @property
    @abstractmethod
    def n_classes(self) -> int:
        """Number of classes (labels are 0 .. n_classes - 1)."""

    @abstractmethod
    def predict(self, x: Sequence[int]) -> int:
        """The label the contract's `predict` returns; ValueError for an input it rejects."""

    @abstractmethod
    def update(self, x: Sequence[int], label: int) -> bool:
        """Train on one sample as the contract's `_update` does; True if the state changed."""

    def accuracy(self, samples: Iterable[tuple[Sequence[int], int]]) -> float:
        """Fraction of (x, label) samples predicted right (NaN for none)."""
        samples = list(samples)
        if not samples:
            return float("nan")
        return sum(self.predict(x) == y for x, y in samples) / len(samples)

    @classmethod
    @abstractmethod
    def fit(
        cls, samples: Sequence[tuple[Sequence[int], int]], n_features: int, n_classes: int, **hyper: Any
    ) -> ReferenceModel:
        """Train from scratch on `samples` in the given order (deterministic)."""

    # --- on chain -------------------------------------------------------------------------------
    @abstractmethod
    def pack_input(self, x: Sequence[int]) -> list[int]:
        """The words `add_data(data, label)` and `predict(data)` take for `x` (checked)."""

    @abstractmethod
    def constructor_args(self, max_words: int) -> list[Any]:
        """The model's part of the trainer constructor, in the order of its generator entry.

        It carries at most `max_words` words of initial state; `init_calls` sends the rest.
        """

    @abstractmethod
    def init_calls(self, max_words: int) -> list[tuple[str, tuple]]:
        """The owner's calls that complete the state after `constructor_args(max_words)`.

        Each is (trainer function name, arguments) and writes at most `max_words` words; the
        writes are positional, so sending one twice is harmless (a deployment can resume).
        `seal` is not included.
        """

    @classmethod
    @abstractmethod
    def from_chain(cls, contract: Any) -> ReferenceModel:
        """Read the whole state back from a deployed trainer (views only)."""

    # --- the model file -------------------------------------------------------------------------
    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The model's state and hyper-parameters as JSON-able values (the model file's `state`)."""

    @classmethod
    @abstractmethod
    def from_dict(cls, d: dict[str, Any]) -> ReferenceModel:
        """Inverse of `to_dict`; ValueError for anything the contract would not accept."""
