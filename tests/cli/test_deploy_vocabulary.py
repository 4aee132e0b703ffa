"""A 20,000-word vocabulary: published in parts before the trainer (`ape_decai.publishing`), the
deployment resumable at any point, and the encoder rebuilt from the chain alone.

The model is a sparse perceptron trained on real reviews with the 20,000 words they use most;
its word list (~200 kB of JSON) is six times what a trainer's description holds (32 kB).
"""

import pytest
from eth_utils import keccak

from ape_decai import Trainer, deploy, publishing
from ape_decai.datasets import load_rotten_tomatoes
from ape_decai.errors import DecaiError
from ape_decai.training import (
    check_deployable,
    encoder_from_model_file,
    model_from_file,
    onchain_encoder_json,
    onchain_encoder_parts,
    parse_onchain_encoder,
    train_model,
)

pytestmark = pytest.mark.slow  # ~200 kB of vocabulary and 1,250 weight words on chain

WORDS = 20_000
GAS_CAP = 3_000_000


class Interrupted(Exception):
    """Stands for a crash or a Ctrl-C in the middle of a deployment."""


def crash_at(step: str, count: int):
    """An `on_progress` that crashes once the `count`-th transaction of kind `step` went through."""
    seen = []

    def progress(done, total, what):
        if what == step:
            seen.append(done)
            if len(seen) == count:
                raise Interrupted

    return progress


@pytest.fixture(scope="module")
def reviews():
    return load_rotten_tomatoes()


@pytest.fixture(scope="module")
def vocabulary_model(reviews) -> dict:
    return train_model(
        reviews, ["rotten", "fresh"], vocab_size=WORDS, epochs=1, test_fraction=0.05, name="20k words"
    )


def test_large_vocabulary__description_commits_to_parts(vocabulary_model):
    assert len(vocabulary_model["encoder"]["vocabulary"]) == WORDS
    text = onchain_encoder_json(vocabulary_model)
    parts = onchain_encoder_parts(vocabulary_model)

    assert len(text) < 2_000  # the commitment, not the list
    assert len(parts) == -(-len(publishing.vocabulary_bytes(vocabulary_model["encoder"]["vocabulary"])) // 32768)
    check_deployable(vocabulary_model)  # no error
    with pytest.raises(ValueError, match="needs a chain"):
        parse_onchain_encoder(text)
    # Off chain, the parts themselves rebuild the same encoder.
    by_hash = {publishing.part_hash(p): p for p in parts}
    assert all(h == "0x" + keccak(p).hex() for h, p in by_hash.items())


def test_check_deployable__description_that_cannot_fit__says_why(vocabulary_model):
    model = {**vocabulary_model, "classes": ["rotten" * 6000, "fresh"]}
    with pytest.raises(DecaiError, match="this model cannot be deployed: the encoder description is"):
        check_deployable(model)


def test_deploy__20000_words__interrupted_twice__resumes_and_the_chain_alone_rebuilds_the_encoder(
    creator, vocabulary_model, reviews, state_dir
):
    parts = onchain_encoder_parts(vocabulary_model)
    with pytest.raises(Interrupted):  # after two vocabulary parts
        deploy(vocabulary_model, "points", sender=creator, gas_cap=GAS_CAP, on_progress=crash_at("vocabulary part", 2))
    with pytest.raises(Interrupted):  # after two weight calls
        deploy(
            vocabulary_model, "points", sender=creator, gas_cap=GAS_CAP, on_progress=crash_at("initialize_weights", 2)
        )

    done = deploy(vocabulary_model, "points", sender=creator, gas_cap=GAS_CAP)

    assert done.resumed
    assert max(done.gas_used) <= GAS_CAP
    # Every part is on chain exactly once: the resumed runs sent only what was missing.
    logs = publishing._logs(publishing.publisher_address(), [publishing.part_hash(p) for p in parts])
    assert len(logs) == len(parts)
    trainer = Trainer(done.address)  # a fresh client: nothing but the address
    encoder = encoder_from_model_file(vocabulary_model)
    assert trainer.encoder == encoder
    assert trainer.contract.sealed()
    twin = model_from_file(vocabulary_model)
    assert trainer.reference_model() == twin
    for text, _ in reviews[-40:]:
        features = encoder.encode(text)
        if features:
            assert trainer.predict(text) == twin.predict(features)
