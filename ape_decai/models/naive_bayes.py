"""Bit-exact Python reference of `contracts/models/naive_bayes.vy` (multinomial, log space).

Same integers and truncations as the contract. For a sample x (a set of feature indices) and
class k with n_k > 0, in base-2 fixed point with `LOG_BITS` = 32 fraction bits:

    acc_k   = sum of log2_fixed(p) over the chunks p of n_k * prod(s[k][i] + 1 for i in x), a
              chunk closing when the running product reaches 2**240;
    score_k = acc_k - |x| * log2_fixed(T_k + V)

(Laplace smoothing; T_k = sum of the counts of class k, V = n_features). The prediction is the
k with the highest score (ties: lowest index; empty classes skipped; no sample at all: 0).
Every update counts the sample in its class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ape_decai.models.sparse_counts import SparseCountModel

LOG_BITS = 32
PRODUCT_LIMIT = 2**240


def log2_fixed(x: int) -> int:
    """floor-ish log2(x) * 2**LOG_BITS for x >= 1, exactly as the contract's `_log2`."""
    if x < 1:
        raise ValueError("log2 of a number below 1")
    n = x.bit_length() - 1
    z = x >> (n - 127) if n >= 127 else x << (127 - n)
    result = n << LOG_BITS
    bit = 1 << (LOG_BITS - 1)
    for _ in range(LOG_BITS):
        z = (z * z) >> 127
        if z >= 2**128:
            z >>= 1
            result |= bit
        bit >>= 1
    return result


@dataclass
class NaiveBayes(SparseCountModel):
    """Multi-class multinomial naive Bayes over word presence, with Laplace smoothing."""

    model_id: ClassVar[str] = "naive-bayes"
    module: ClassVar[str] = "naive_bayes"
    contract_prefix: ClassVar[str] = "NaiveBayes"

    @staticmethod
    def total_of(counts: Sequence[int]) -> int:
        return sum(counts)

    @staticmethod
    def total_step(count: int) -> int:
        return 1

    def scores(self, x: Sequence[int]) -> list[int | None]:
        """score_k per class as the contract computes it (None for a class without samples)."""
        indices = self._check(x)
        out: list[int | None] = []
        for n, t, row in zip(self.class_sizes, self.totals, self.counts, strict=True):
            if n == 0:
                out.append(None)
                continue
            acc, p = 0, n
            for i in indices:
                if p >= PRODUCT_LIMIT:
                    acc += log2_fixed(p)
                    p = 1
                p *= row[i] + 1
            acc += log2_fixed(p)
            out.append(acc - len(indices) * log2_fixed(t + self.n_features))
        return out

    def predict(self, x: Sequence[int]) -> int:
        best, best_score = 0, None
        for k, score in enumerate(self.scores(x)):
            if score is not None and (best_score is None or score > best_score):
                best, best_score = k, score
        return best
