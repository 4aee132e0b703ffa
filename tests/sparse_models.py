"""Helpers for the tests of the sparse multi-class models (sparse nearest centroid, naive Bayes).

Plain functions, not fixtures (fixtures live in the test modules, `tests/conftest.py` is
shared): deploy a trainer for a Python twin, with either mechanism (through `tests/deploying.py`).
"""

from ape_decai.models.naive_bayes import NaiveBayes
from ape_decai.models.sparse_ncc import SparseNearestCentroid
from deploying import deploy_trainer

DAY = 24 * 60 * 60
T, TC, TA = DAY, 30 * DAY, 60 * DAY

MODELS = (SparseNearestCentroid, NaiveBayes)
MODEL_IDS = [cls.module for cls in MODELS]

FREE_DEPOSIT = dict(cost_weight=0, min_deposit=0, min_share=10**13)
PAID_DEPOSIT = dict(cost_weight=10**18, min_deposit=10**15, min_share=10**13)


def _terms(mechanism: str, mech: dict) -> dict:
    if mechanism == "deposit":
        return {"refund_wait": T, "creator_wait": TC, "anyone_wait": TA, **FREE_DEPOSIT, **mech}
    return {"validation_wait": T, **mech}


def deploy(project, chain, creator, model, mechanism="deposit", seal=True, max_words=128, sender=None, **mech):
    """Deploy `model` (a twin) with the first `max_words` count words; the rest is up to the caller.

    A deposit trainer is a clone (`ape_decai.clones`): the shared implementation is deployed
    first if the chain does not have it yet (each test reverts the chain)."""
    return deploy_trainer(
        model, mechanism, sender=sender or creator, description="A sparse multi-class model for the tests",
        words_per_call=max_words, complete=False, seal=seal, **_terms(mechanism, mech),
    )  # fmt: skip


def deploy_full(project, chain, creator, model, mechanism="deposit", max_words=128, **mech):
    """Deploy `model` completely: constructor, the owner's initialisation calls, then `seal`."""
    return deploy_trainer(model, mechanism, sender=creator, words_per_call=max_words, **_terms(mechanism, mech))


def example_model(cls, n_features=40, class_sizes=(5, 5, 0)):
    """A small model with distinct counts per class: every sample of class 0 has features 0-3 and
    10-13, every sample of class 1 has 20-23 and 30-33; other features are rare (i % 3 samples)."""
    counts = []
    for k, n in enumerate(class_sizes):
        row = [0] * n_features
        if n:
            for i in range(n_features):
                row[i] = n if (i < n_features // 2) == (k == 0) and i % 10 < 4 else min(i % 3, n)
        counts.append(row)
    return cls(n_features=n_features, class_sizes=list(class_sizes), counts=counts)
