"""`ape decai deploy` of a model too large for one transaction: several transactions under the
gas cap, a sealed model equal to the file's, and a deployment that resumes after an interruption.

The model is a sparse perceptron over 4,000 hashed features (250 packed weight words) trained on
real reviews; with a gas cap of 2.5M the constructor cannot carry them all. The same holds for a
naive Bayes model, whose deposit trainer is a clone of a shared implementation (`ape_decai.clones`).
"""

import json

import pytest

from ape_decai import DepositParameters, Trainer, clones, deploy
from ape_decai.datasets import load_rotten_tomatoes
from ape_decai.training import model_from_file, save_model_file, train_model

N_FEATURES = 4000
GAS_CAP = 2_500_000


def hashed_reviews_model(model: str, n_features: int, name: str, **training) -> dict:
    """`model` trained on 2,000 real reviews with the hashing encoder."""
    samples = load_rotten_tomatoes()[:2000]
    return train_model(
        samples, ["rotten", "fresh"], model=model, encoder="hashing", vocab_size=n_features, name=name, **training
    )


@pytest.fixture(scope="module")
def large_model() -> dict:
    return hashed_reviews_model("sparse-perceptron", N_FEATURES, "hashed reviews", epochs=2)


@pytest.fixture(scope="module")
def large_model_file(large_model, tmp_path_factory):
    return save_model_file(large_model, tmp_path_factory.mktemp("large") / "large.model.json")


class Interrupted(Exception):
    """Stands for a crash or a Ctrl-C in the middle of a deployment."""


def test_deploy__large_model__goes_over_several_transactions_under_the_cap(decai, creator, large_model, large_model_file):
    out = decai.json("deploy", large_model_file, "--gas-cap", GAS_CAP, account=creator)

    assert out["transactions"] > 2  # constructor, initialisation calls, seal
    assert out["max_gas_per_transaction"] <= GAS_CAP
    assert out["resumed"] is False
    trainer = Trainer.at(out["address"])
    assert trainer.contract.sealed()
    assert trainer.reference_model() == model_from_file(large_model)
    # The encoder comes from the chain: a hashing encoder has no vocabulary to publish.
    assert trainer.deployment["encoder"]["type"] == "hashing"


def test_deploy__interrupted__resumes_where_it_stopped(decai, creator, large_model, large_model_file, state_dir):
    steps = []

    def crash_after_the_third_transaction(done, total, what):
        steps.append((done, total, what))
        if done == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        deploy(large_model, "deposit", DepositParameters(), sender=creator, gas_cap=GAS_CAP, on_progress=crash_after_the_third_transaction)
    total = steps[-1][1]
    pending = json.loads((state_dir / "trainers.json").read_text())["pending"]
    (entry,) = pending.values()
    assert entry["done"] == 2  # two initialisation calls went through before the crash
    nonce = creator.nonce

    out = decai.json("deploy", large_model_file, "--gas-cap", GAS_CAP, account=creator)

    assert out["resumed"] is True
    assert out["address"] == entry["address"]
    # Only what was left: the remaining initialisation calls and the seal.
    assert creator.nonce - nonce == out["transactions"] == total - 3
    trainer = Trainer.at(out["address"])
    assert trainer.contract.sealed()
    assert trainer.reference_model() == model_from_file(large_model)
    assert json.loads((state_dir / "trainers.json").read_text())["pending"] == {}


def crash_after(transactions: int):
    """An `on_progress` that stands for a crash once `transactions` transactions went through."""

    def progress(done, total, what):
        if done == transactions:
            raise Interrupted

    return progress


def test_deploy__resumed_with_another_gas_cap__honours_it(decai, creator, large_model, large_model_file):
    with pytest.raises(Interrupted):
        deploy(large_model, "deposit", DepositParameters(), sender=creator, gas_cap=GAS_CAP, on_progress=crash_after(3))

    lower = 1_200_000  # a call of 2.5M no longer fits
    out = decai.json("deploy", large_model_file, "--gas-cap", lower, account=creator)

    assert out["resumed"] is True
    assert out["max_gas_per_transaction"] <= lower
    trainer = Trainer.at(out["address"])
    assert trainer.contract.sealed()
    assert trainer.reference_model() == model_from_file(large_model)


def test_deploy__low_gas_cap__the_calls_fill_it(decai, creator, large_model, large_model_file):
    # Under 2.5M the constructor carries few words (the code takes most of it); the calls are
    # not held to that: each carries as many words as fit under the cap.
    cap = GAS_CAP
    per_call = (cap - 60_000) // 23_000  # deployment.GAS_PER_CALL, GAS_PER_WORD: 106 words

    out = decai.json("deploy", large_model_file, "--gas-cap", cap, account=creator)

    weight_words = -(-N_FEATURES // 16)
    assert out["transactions"] <= 1 + -(-weight_words // per_call) + 1  # constructor, calls, seal
    assert out["max_gas_per_transaction"] <= cap
    assert Trainer.at(out["address"]).reference_model() == model_from_file(large_model)


def test_deploy__ctrl_c__says_how_to_resume_and_the_unfinished_trainer_says_it_is_unsealed(
    decai, monkeypatch, creator, large_model_file, state_dir
):
    from ape_decai._cli import trainer as commands

    real_deploy = commands.deploy_model

    def ctrl_c_after_the_second_transaction(*args, on_progress, **kwargs):
        def progress(done, total, what):
            on_progress(done, total, what)
            if done == 2:
                raise KeyboardInterrupt

        return real_deploy(*args, on_progress=progress, **kwargs)

    monkeypatch.setattr(commands, "deploy_model", ctrl_c_after_the_second_transaction)

    message = decai.fails("deploy", large_model_file, "--gas-cap", GAS_CAP, "--json", account=creator)

    assert message == "interrupted: run the same command to resume"
    (entry,) = json.loads((state_dir / "trainers.json").read_text())["pending"].values()
    result = decai.ok("predict", "a fine film", trainer=entry["address"])
    assert "this trainer is not sealed" in result.stderr
    assert decai.json("info", trainer=entry["address"])["sealed"] is False


def test_deploy__restart__ignores_the_unfinished_deployment(decai, creator, large_model, large_model_file):
    def crash_after_the_second_transaction(done, total, what):
        if done == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        deploy(large_model, "deposit", DepositParameters(), sender=creator, gas_cap=GAS_CAP, on_progress=crash_after_the_second_transaction)
    unfinished = creator.get_deployment_address(creator.nonce - 2)

    out = decai.json("deploy", large_model_file, "--restart", "--gas-cap", GAS_CAP, account=creator)

    assert out["resumed"] is False
    assert out["address"] != unfinished
    assert out["abandoned"] == unfinished
    assert Trainer.at(out["address"]).contract.sealed()


def test_deploy__gas_cap_below_the_smallest_constructor__fails_before_any_transaction(decai, creator, large_model_file):
    nonce = creator.nonce

    message = decai.fails("deploy", large_model_file, "--gas-cap", 1_000_000, account=creator)

    assert "cannot be deployed under a gas cap of 1,000,000" in message
    assert creator.nonce == nonce


# --- A count model: its deposit trainer is a clone of a shared implementation ------------------
# Naive Bayes over 3,000 hashed features and 2 classes: 400 count words, so the clone's creation
# cannot carry them all under the cap either. On a fresh chain the implementation goes first.
NB_FEATURES = 3000
NB_GAS_CAP = 3_000_000


@pytest.fixture(scope="module")
def large_counts_model() -> dict:
    return hashed_reviews_model("naive-bayes", NB_FEATURES, "hashed reviews, naive Bayes")


@pytest.fixture(scope="module")
def large_counts_model_file(large_counts_model, tmp_path_factory):
    return save_model_file(large_counts_model, tmp_path_factory.mktemp("large") / "nb.model.json")


def test_deploy__large_clone__implementation_then_the_trainer_under_the_cap(
    decai, creator, large_counts_model, large_counts_model_file
):
    name = "NaiveBayesDepositTrainer"
    assert not clones.implementation_deployed(name)

    out = decai.json("deploy", large_counts_model_file, "--gas-cap", NB_GAS_CAP, account=creator)

    assert clones.implementation_deployed(name)
    assert out["implementation_gas"] > 2_000_000  # the shared code, once per chain
    assert out["transactions"] > 3  # implementation, creation, initialisation calls, seal
    assert out["max_gas_per_transaction"] <= NB_GAS_CAP
    trainer = Trainer.at(out["address"])
    assert clones.proxy_target(trainer.provider.get_code(trainer.address)) == clones.implementation_address(name)
    assert trainer.contract.sealed()
    assert trainer.reference_model() == model_from_file(large_counts_model)

    # A second trainer on the same chain reuses the implementation: only its own transactions.
    again = decai.json("deploy", large_counts_model_file, "--restart", "--gas-cap", NB_GAS_CAP, account=creator)
    assert again["implementation_gas"] is None
    assert again["transactions"] == out["transactions"] - 1
    assert again["address"] != out["address"]


def test_deploy__interrupted_clone__resumes_where_it_stopped(
    decai, creator, large_counts_model, large_counts_model_file, state_dir
):
    clones.ensure_implementation("NaiveBayesDepositTrainer", creator)

    def crash_after_the_second_transaction(done, total, what):
        if done == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        deploy(
            large_counts_model, "deposit", DepositParameters(), sender=creator, gas_cap=NB_GAS_CAP,
            on_progress=crash_after_the_second_transaction,
        )  # fmt: skip
    (entry,) = json.loads((state_dir / "trainers.json").read_text())["pending"].values()
    assert entry["done"] == 1

    out = decai.json("deploy", large_counts_model_file, account=creator)

    assert out["resumed"] is True
    assert out["address"] == entry["address"]
    trainer = Trainer.at(out["address"])
    assert trainer.contract.sealed()
    assert trainer.reference_model() == model_from_file(large_counts_model)


def test_deploy__gas_cap_below_the_shared_implementation__fails_before_any_transaction(
    decai, creator, large_counts_model_file
):
    nonce = creator.nonce

    message = decai.fails("deploy", large_counts_model_file, "--gas-cap", 1_000_000, account=creator)

    assert "shared implementation of NaiveBayesDepositTrainer" in message
    assert "above the gas cap of 1,000,000" in message
    assert creator.nonce == nonce
    assert not clones.implementation_deployed("NaiveBayesDepositTrainer")
