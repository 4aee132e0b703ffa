"""Helpers for the tests of the sparse multi-class models (sparse nearest centroid, naive Bayes).

Plain functions, not fixtures (fixtures live in the test modules, `tests/conftest.py` is
shared): deploy a trainer for a Python twin, with either mechanism.
"""

from ape_decai import clones
from ape_decai.models.naive_bayes import NaiveBayes
from ape_decai.models.sparse_ncc import SparseNearestCentroid

DAY = 24 * 60 * 60
T, TC, TA = DAY, 30 * DAY, 60 * DAY

MODELS = (SparseNearestCentroid, NaiveBayes)
MODEL_IDS = [cls.module for cls in MODELS]

FREE_DEPOSIT = dict(cost_weight=0, min_deposit=0, min_share=10**13)
PAID_DEPOSIT = dict(cost_weight=10**18, min_deposit=10**15, min_share=10**13)


def deploy(project, chain, creator, model, mechanism="deposit", seal=True, max_words=128, sender=None, **mech):
    """Deploy `model` (a twin) with the first `max_words` count words; the rest is up to the caller.

    A deposit trainer is a clone (`ape_decai.clones`): the shared implementation is deployed
    first if the chain does not have it yet (each test reverts the chain)."""
    sender = sender or creator
    name = f"{model.contract_prefix}{mechanism.capitalize()}Trainer"
    common = ["Test", "A sparse multi-class model for the tests", '{"type": "test"}']
    common += [*model.constructor_args(max_words), seal]
    if mechanism == "deposit":
        p = {**FREE_DEPOSIT, **mech}
        args = [T, TC, TA, p["cost_weight"], p["min_deposit"], p["min_share"]]
    else:
        args = [mech.get("validation_wait", T)]
    if clones.is_cloned(name):
        clones.ensure_implementation(name, sender)
        return clones.create_trainer(name, [*common, *args], sender)[0]
    return getattr(project, name).deploy(*common, *args, sender=sender)


def deploy_full(project, chain, creator, model, mechanism="deposit", max_words=128, **mech):
    """Deploy `model` completely: constructor, the owner's `init_calls`, then `seal`."""
    trainer = deploy(project, chain, creator, model, mechanism, seal=False, max_words=max_words, **mech)
    for name, args in model.init_calls(max_words):
        getattr(trainer, name)(*args, sender=creator)
    trainer.seal(sender=creator)
    return trainer


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
