"""Bit-exact Python reference of `contracts/models/sparse_ncc.vy` (nearest centroid, sparse).

Same integers and truncations as the contract: for a sample x (a set of feature indices),
class k with n_k > 0 is at fixed-point squared distance

    d_k = Q_k * SCALE // n_k**2 + |x| * SCALE - 2 * S_k * SCALE // n_k,   SCALE = 10**18,

with Q_k = sum of the squared counts of class k and S_k = sum of its counts over x. The
prediction is the k with the smallest d_k (ties: lowest index; empty classes skipped; no
sample at all: 0). Every update counts the sample in its class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ape_decai.models.sparse_counts import SparseCountModel

SCALE = 10**18


@dataclass
class SparseNearestCentroid(SparseCountModel):
    """Multi-class nearest centroid over binary (present / absent) features."""

    model_id: ClassVar[str] = "sparse-ncc"
    module: ClassVar[str] = "sparse_ncc"
    contract_prefix: ClassVar[str] = "SparseNearestCentroid"

    @staticmethod
    def total_of(counts: Sequence[int]) -> int:
        return sum(c * c for c in counts)

    @staticmethod
    def total_step(count: int) -> int:
        return 2 * count + 1

    def distances(self, x: Sequence[int]) -> list[int | None]:
        """d_k per class as the contract computes it (None for a class without samples)."""
        indices = self._check(x)
        out: list[int | None] = []
        for n, q, row in zip(self.class_sizes, self.totals, self.counts, strict=True):
            if n == 0:
                out.append(None)
                continue
            s = sum(row[i] for i in indices)
            out.append(q * SCALE // (n * n) + len(indices) * SCALE - 2 * s * SCALE // n)
        return out

    def predict(self, x: Sequence[int]) -> int:
        best, best_d = 0, None
        for k, d in enumerate(self.distances(x)):
            if d is not None and (best_d is None or d < best_d):
                best, best_d = k, d
        return best
