"""Held-out accuracy of the on-chain models under the chain's limits, against scikit-learn.

For a labelled text corpus, a sparse model and a vocabulary size, one *split* (a seed of
`train_test_split`) goes:

1. the vocabulary is built on the training split (`build_vocabulary`: most frequent words
   first, the order `train` publishes), optionally reordered (`ORDERINGS`);
2. every sample is encoded, then cut to the per-sample limit: a sample with more than
   `max_features` distinct features keeps its `max_features` lowest feature indices (the lowest
   vocabulary ranks; the encoders' truncation policy); None means no limit;
3. the model's bit-exact twin (`ape_decai.models`, what the contract computes) is trained on the
   cut training samples and scored on the cut held-out samples;
4. scikit-learn's same-family classifier (`ape_decai.baselines`) is trained and scored on the
   same samples with all their features: the same tokenisation and vocabulary, no limit.

`compare` averages over several splits, which matters for the perceptrons (their last iterate
moves a lot with the order of the samples) and for small corpora. `scripts/accuracy_report.py`
prints the results; docs/accuracy.md shows them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ape_decai.baselines import SKLEARN_EQUIVALENTS, sklearn_accuracy
from ape_decai.datasets import Sample, train_test_split
from ape_decai.encoders import VocabularyEncoder
from ape_decai.models import REFERENCE_MODELS
from ape_decai.training import build_vocabulary

# The sparse models and the classifier each is compared with.
SPARSE_MODELS = ("sparse-perceptron", "naive-bayes", "sparse-ncc")

Encoded = list[tuple[list[int], int]]


def truncate(indices: Sequence[int], max_features: int | None) -> list[int]:
    """The `max_features` lowest of a sample's feature indices (all of them when None)."""
    ordered = sorted(indices)
    return ordered if max_features is None else ordered[:max_features]


# --- Vocabulary orderings (what truncation keeps) --------------------------------------------------


def _class_counts(encoded: Encoded, n_features: int) -> tuple[list[int], list[list[int]]]:
    sizes = [0, 0]
    counts = [[0] * n_features, [0] * n_features]
    for x, y in encoded:
        sizes[y] += 1
        for i in x:
            counts[y][i] += 1
    return sizes, counts


def _log_odds(encoded: Encoded, n_features: int) -> list[float]:
    """|log P(word | class 1) / P(word | class 0)|, Laplace-smoothed document frequencies."""
    (n0, n1), (c0, c1) = _class_counts(encoded, n_features)
    return [abs(math.log(((c1[i] + 1) / (n1 + 2)) / ((c0[i] + 1) / (n0 + 2)))) for i in range(n_features)]


def _chi2(encoded: Encoded, n_features: int) -> list[float]:
    """The chi-squared statistic of word presence against the class."""
    (n0, n1), (c0, c1) = _class_counts(encoded, n_features)
    total = n0 + n1
    scores = []
    for i in range(n_features):
        df = c0[i] + c1[i]
        e1, e0 = df * n1 / total, df * n0 / total
        scores.append((c1[i] - e1) ** 2 / max(e1, 1e-9) + (c0[i] - e0) ** 2 / max(e0, 1e-9))
    return scores


# How to order the vocabulary before truncation: a score per feature (highest first) computed
# on the encoded training split, or None to keep `build_vocabulary`'s order (document frequency).
ORDERINGS: dict[str, Callable[[Encoded, int], list[float]] | None] = {
    "frequency": None,
    "chi2": _chi2,
    "log-odds": _log_odds,
}


def order_vocabulary(vocabulary: list[str], train: Encoded, ordering: str) -> list[str]:
    """`vocabulary` reordered by `ordering` (a key of `ORDERINGS`), ties in the original order."""
    if ordering not in ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}; choose from {', '.join(ORDERINGS)}")
    score = ORDERINGS[ordering]
    if score is None:
        return list(vocabulary)
    scores = score(train, len(vocabulary))
    return [vocabulary[i] for i in sorted(range(len(vocabulary)), key=lambda i: (-scores[i], i))]


# --- One split, then several ------------------------------------------------------------------------


@dataclass
class SplitResult:
    """Accuracies on one split: ours per (model, max_features), scikit-learn's per model."""

    seed: int
    samples: int
    held_out: int
    # Fraction of the encoded samples with more than max_features features, per max_features.
    truncated: dict[int | None, float] = field(default_factory=dict)
    ours: dict[tuple[str, int | None], float] = field(default_factory=dict)
    sklearn: dict[str, float | None] = field(default_factory=dict)


def _encode(encoder: VocabularyEncoder, samples: Iterable[Sample]) -> Encoded:
    """Encoded samples with at least one feature (the others cannot be sent to a contract)."""
    return [(x, y) for x, y in ((encoder.encode(text), y) for text, y in samples) if x]


def compare_split(
    samples: Sequence[Sample], models: Sequence[str], vocab_size: int, limits: Sequence[int | None],
    seed: int = 0, test_fraction: float = 0.2, epochs: int = 5, ordering: str = "frequency",
) -> SplitResult:
    """Ours (each model, each per-sample limit) and scikit-learn (each model) on one split."""
    train_texts, test_texts = train_test_split(samples, test_fraction, seed)
    vocabulary = build_vocabulary((t for t, _ in train_texts), vocab_size)
    train = _encode(VocabularyEncoder(vocabulary), train_texts)
    if ordering != "frequency":
        vocabulary = order_vocabulary(vocabulary, train, ordering)
        train = _encode(VocabularyEncoder(vocabulary), train_texts)
    test = _encode(VocabularyEncoder(vocabulary), test_texts)
    n_classes = 1 + max(y for _, y in samples)
    result = SplitResult(seed=seed, samples=len(train) + len(test), held_out=len(test))
    for model_id in models:
        sk = sklearn_accuracy(model_id, train, test, len(vocabulary), "sparse", epochs)
        result.sklearn[model_id] = None if sk is None else sk["test_accuracy"]
    longest = max(len(x) for x, _ in train + test)
    untruncated: dict[str, float] = {}
    for limit in limits:
        result.truncated[limit] = sum(limit is not None and len(x) > limit for x, _ in train + test) / len(train + test)
        for model_id in models:
            if (limit is None or limit >= longest) and model_id in untruncated:
                result.ours[(model_id, limit)] = untruncated[model_id]  # nothing is cut: same model
                continue
            cut_train = [(truncate(x, limit), y) for x, y in train]
            cut_test = [(truncate(x, limit), y) for x, y in test]
            twin = REFERENCE_MODELS[model_id].fit(cut_train, len(vocabulary), n_classes, learning_rate=1, epochs=epochs)
            result.ours[(model_id, limit)] = twin.accuracy(cut_test)
            if limit is None or limit >= longest:
                untruncated[model_id] = result.ours[(model_id, limit)]
    return result


@dataclass
class Comparison:
    """One dataset, model, vocabulary size and per-sample limit, averaged over the splits."""

    dataset: str
    model: str
    vocab_size: int
    max_features: int | None
    estimator: str
    ours: list[float]
    sklearn: list[float | None]
    truncated: list[float]

    @property
    def ours_mean(self) -> float:
        return statistics.fmean(self.ours)

    @property
    def sklearn_mean(self) -> float | None:
        values = [v for v in self.sklearn if v is not None]
        return statistics.fmean(values) if values and len(values) == len(self.sklearn) else None

    @property
    def gap(self) -> float | None:
        """Our mean accuracy minus scikit-learn's (negative: the chain's model does worse)."""
        return None if self.sklearn_mean is None else self.ours_mean - self.sklearn_mean

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "model": self.model,
            "vocab_size": self.vocab_size,
            "max_features": self.max_features,
            "estimator": self.estimator,
            "splits": len(self.ours),
            "ours": round(self.ours_mean, 4),
            "sklearn": None if self.sklearn_mean is None else round(self.sklearn_mean, 4),
            "gap": None if self.gap is None else round(self.gap, 4),
            "truncated_fraction": round(statistics.fmean(self.truncated), 4),
            "ours_per_split": [round(v, 4) for v in self.ours],
            "sklearn_per_split": [None if v is None else round(v, 4) for v in self.sklearn],
        }


def compare(
    dataset: str, samples: Sequence[Sample], models: Sequence[str], vocab_size: int,
    limits: Sequence[int | None], seeds: Sequence[int], test_fraction: float = 0.2, epochs: int = 5,
    ordering: str = "frequency", on_split: Callable[[], None] | None = None,
) -> list[Comparison]:
    """`compare_split` over `seeds`, one `Comparison` per (model, limit); `on_split` after each."""
    unknown = [m for m in models if m not in SPARSE_MODELS]
    if unknown:
        raise ValueError(f"not a sparse model: {', '.join(unknown)} (choose from {', '.join(SPARSE_MODELS)})")
    splits = []
    for seed in seeds:
        splits.append(compare_split(samples, models, vocab_size, limits, seed, test_fraction, epochs, ordering))
        if on_split is not None:
            on_split()
    return [
        Comparison(
            dataset, model_id, vocab_size, limit, SKLEARN_EQUIVALENTS[model_id],
            ours=[s.ours[(model_id, limit)] for s in splits],
            sklearn=[s.sklearn[model_id] for s in splits],
            truncated=[s.truncated[limit] for s in splits],
        )
        for model_id in models
        for limit in limits
    ]  # fmt: skip
