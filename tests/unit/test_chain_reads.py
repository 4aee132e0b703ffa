"""Batched reads of a trainer's state (`ape_decai.chain_reads`) equal one call per word.

The model is naive Bayes over 10,000 features and 2 classes (1,334 count words): the size the
issue names for large models, deployed over several transactions (a clone's creation, then the
owner's initialisation calls).
"""

import random

from sparse_models import deploy_full

from ape_decai.chain_reads import BATCH_SIZE, read_words
from ape_decai.models.naive_bayes import NaiveBayes

N_FEATURES = 10_000


def large_model() -> NaiveBayes:
    rng = random.Random(7)
    counts = [[rng.randrange(0, 300) for _ in range(N_FEATURES)] for _ in range(2)]
    return NaiveBayes(n_features=N_FEATURES, class_sizes=[400, 500], counts=counts)


def test_read_words__batched__equals_one_call_per_word_and_from_chain_equals_the_model(project, chain, creator):
    model = large_model()
    trainer = deploy_full(project, chain, creator, model)
    n_words = 2 * ((N_FEATURES + 14) // 15)
    assert n_words > 2 * BATCH_SIZE  # several batches

    words = read_words(trainer, "count_words", range(n_words))

    sample = sorted(random.Random(1).sample(range(n_words), 40)) + [0, n_words - 1]
    assert [words[k] for k in sample] == [int(trainer.count_words(k)) for k in sample]
    assert read_words(trainer, "count_words", [n_words]) == [0]  # past the end: an unwritten slot
    assert NaiveBayes.from_chain(trainer) == model
