"""A whole contribution's life through each mechanism, for the sparse NCC and naive Bayes trainers,
and real data: the twin trained on rotten-tomatoes snippets predicts exactly as the contract.

Deposit: add, time passes, refund when the model agrees, report when it does not.
Points: add, time passes, validate.
"""

import ape
import pytest

from ape_decai.datasets import load_rotten_tomatoes
from ape_decai.encoders import VocabularyEncoder
from ape_decai.training import build_vocabulary
from sparse_models import MODEL_IDS, MODELS, PAID_DEPOSIT, T, deploy, deploy_full, example_model

AGREED = [0, 1, 2, 3]  # the example model firmly predicts 0
DISAGREED = [30, 31, 32, 33]  # ... and 1


@pytest.fixture(params=MODELS, ids=MODEL_IDS)
def cls(request):
    return request.param


def test_deposit_flow__refund_when_agreeing__report_when_not(
    project, chain, creator, contributor, other_contributor, reporter, cls
):
    model = example_model(cls)
    trainer = deploy(project, chain, creator, model, **PAID_DEPOSIT)
    chain.mine(deltatime=3600)
    good = trainer.add_data(model.pack_input(AGREED), 0, sender=reporter, value=trainer.next_deposit())
    chain.mine(deltatime=3600)
    mine = trainer.add_data(model.pack_input(AGREED), 0, sender=contributor, value=trainer.next_deposit())
    chain.mine(deltatime=3600)
    deposit = trainer.next_deposit()
    bad = trainer.add_data(model.pack_input(DISAGREED), 0, sender=other_contributor, value=deposit)
    for x, label in ((AGREED, 0), (AGREED, 0), (DISAGREED, 0)):
        model.update(x, label)
    assert cls.from_chain(trainer) == model
    assert trainer.predict(model.pack_input(DISAGREED)) == model.predict(DISAGREED) == 1

    with ape.reverts("stakeable: refund wait not over"):
        trainer.refund(model.pack_input(AGREED), 0, mine.timestamp, sender=contributor)
    chain.mine(deltatime=T + 1)
    trainer.refund(model.pack_input(AGREED), 0, good.timestamp, sender=reporter)
    before = contributor.balance
    receipt = trainer.refund(model.pack_input(AGREED), 0, mine.timestamp, sender=contributor)
    assert contributor.balance == before + mine.value - receipt.total_fees_paid
    with ape.reverts("stakeable: model disagrees"):
        trainer.refund(model.pack_input(DISAGREED), 0, bad.timestamp, sender=other_contributor)
    assert trainer.good_data_count(reporter) == 1
    before = reporter.balance
    receipt = trainer.report(
        model.pack_input(DISAGREED), 0, bad.timestamp, other_contributor, sender=reporter
    )
    taken = reporter.balance - before + receipt.total_fees_paid
    assert 0 < taken <= deposit


def test_points_flow__add_then_validate(project, chain, creator, contributor, cls):
    model = example_model(cls)
    trainer = deploy(project, chain, creator, model, mechanism="points")
    good = trainer.add_data(model.pack_input(AGREED), 0, sender=contributor)
    bad = trainer.add_data(model.pack_input(DISAGREED), 0, sender=contributor)
    trainer.add_data(model.pack_input([5, 6]), 2, sender=contributor)  # the empty class
    assert trainer.contributions(contributor) == 3
    chain.mine(deltatime=T + 1)
    trainer.validate(model.pack_input(AGREED), 0, good.timestamp, sender=contributor)
    assert trainer.good_data_count(contributor) == 1
    with ape.reverts("points: model disagrees"):
        trainer.validate(model.pack_input(DISAGREED), 0, bad.timestamp, sender=contributor)


# --- real data ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reviews():
    """Encoded rotten-tomatoes snippets over a 300-word vocabulary: (train, held out)."""
    texts = load_rotten_tomatoes()
    vocabulary = build_vocabulary([t for t, _ in texts[:8000]], 300)
    encoder = VocabularyEncoder(vocabulary)
    encoded = [(x, y) for x, y in ((encoder.encode(t), label) for t, label in texts) if 0 < len(x) <= 128]
    return encoded[:8000], encoded[-150:]


def test_real_data__contract_predicts_like_the_twin(project, chain, creator, contributor, cls, reviews):
    train, held_out = reviews
    model = cls.fit(train, n_features=300, n_classes=2)
    # 300 words: 20 words per class, deployed over several transactions (8 words each).
    trainer = deploy_full(project, chain, creator, model, max_words=8)
    assert len(model.init_calls(8)) == 4
    assert cls.from_chain(trainer) == model
    predictions = [model.predict(x) for x, _ in held_out]
    assert [trainer.predict(model.pack_input(x)) for x, _ in held_out] == predictions
    accuracy = sum(p == y for p, (_, y) in zip(predictions, held_out)) / len(held_out)
    print(f"{cls.model_id}: held-out accuracy {accuracy:.3f} on {len(held_out)} snippets")
    assert accuracy > 0.55
    # and it keeps learning on chain exactly like the twin
    for x, y in held_out[:5]:
        chain.pending_timestamp += 1
        trainer.add_data(model.pack_input(x), y, sender=contributor)
        model.update(x, y)
    assert cls.from_chain(trainer) == model
