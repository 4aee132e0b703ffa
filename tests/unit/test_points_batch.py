"""`add_data_batch` of the points trainers: several samples in one transaction, each exactly as
`add_data` would (records, events, training, tallies), for less gas per sample."""

import random

import ape
import pytest

from ape_decai.models.naive_bayes import NaiveBayes
from ape_decai.packing import pack_indices
from deploying import deploy_trainer

rng = random.Random(11)
SAMPLES = [sorted(rng.sample(range(100), 15)) for _ in range(10)]
LABELS = [rng.randint(0, 1) for _ in range(10)]


def test_add_data_batch__trains_and_records_like_one_by_one(
    points_trainer, chain, contributor, reference_model, read_weights
):
    twin = reference_model()
    receipt = points_trainer.add_data_batch([pack_indices(x) for x in SAMPLES], LABELS, sender=contributor)

    for x, y in zip(SAMPLES, LABELS, strict=True):
        twin.update(x, y)
    assert read_weights(points_trainer) == twin.weights
    assert points_trainer.intercept() == twin.intercept
    events = receipt.events.filter(points_trainer.DataAdded)
    assert [(list(e.data), e.label, e.contributor) for e in events] == [
        (pack_indices(x), y, contributor.address) for x, y in zip(SAMPLES, LABELS, strict=True)
    ]
    assert points_trainer.contributions(contributor) == len(SAMPLES)
    assert points_trainer.labels_contributed(contributor) == sum({1 << y for y in LABELS})


def test_add_data_batch__count_model__matches_its_twin(chain, creator, contributor):
    twin = NaiveBayes.fit([([1, 2], 0), ([3, 4], 1)], n_features=100, n_classes=2)
    trainer = deploy_trainer(twin, "points", sender=creator)

    trainer.add_data_batch([pack_indices(x) for x in SAMPLES], LABELS, sender=contributor)

    for x, y in zip(SAMPLES, LABELS, strict=True):
        twin.update(x, y)
    assert NaiveBayes.from_chain(trainer) == twin


def test_add_data_batch__of_ten__costs_at_least_a_fifth_less_per_sample(deploy_points_trainer, chain, contributor):
    trainer = deploy_points_trainer()
    trainer.add_data(pack_indices([1, 2]), 1, sender=contributor)  # the contributor's tallies exist
    snap = chain.snapshot()
    singles = sum(trainer.add_data(pack_indices(x), y, sender=contributor).gas_used for x, y in zip(SAMPLES, LABELS))
    chain.restore(snap)

    batch = trainer.add_data_batch([pack_indices(x) for x in SAMPLES], LABELS, sender=contributor).gas_used

    print(f"per sample: one by one {singles // 10:,}, batch of 10 {batch // 10:,}")
    assert batch <= 0.8 * singles


@pytest.mark.parametrize(
    "samples, labels, reason",
    [
        ([], [], "points: empty batch"),
        ([[3]], [1, 0], "points: one label per sample"),
        ([[3], [3]], [1, 1], "data_handler: duplicate contribution"),
        ([[3], []], [1, 1], "sparse_perceptron: empty input"),
    ],
)
def test_add_data_batch__bad_batch__reverts_and_adds_nothing(points_trainer, contributor, samples, labels, reason):
    words = [pack_indices(x) for x in samples]
    with ape.reverts(reason):
        points_trainer.add_data_batch(words, labels, sender=contributor)
    assert points_trainer.contributions(contributor) == 0


def test_max_batch__is_850_words_of_input(points_trainer):
    assert points_trainer.MAX_BATCH() == 850 // 17  # 16-word sparse samples and a length word


def test_add_data_batch__unsealed_model__reverts(deploy_points_trainer, contributor):
    trainer = deploy_points_trainer(seal=False)
    with ape.reverts("sparse_perceptron: not sealed"):
        trainer.add_data_batch([pack_indices([3])], [1], sender=contributor)
