"""Every model through the commands: `train --model`, `deploy`, `predict`, `add-data`.

The encoder comes from the chain (never from the local model file): texts for the sparse models,
comma-separated numbers for the dense ones. The contract's answers equal the reference model's.
"""

import pytest

from ape_decai import Trainer
from ape_decai.datasets import load_sklearn_dataset
from ape_decai.training import encoder_from_model_file, load_model_file, model_from_file

SPARSE = ["sparse-perceptron", "sparse-ncc", "naive-bayes"]
DENSE = ["dense-perceptron", "ncc"]


def _numbers(vector) -> str:
    return ", ".join(repr(v) for v in vector)


@pytest.mark.parametrize("model_id", SPARSE + DENSE)
def test_model__trained_deployed_queried_and_trained_on_chain(decai, creator, contributor, reviews_csv, tmp_path, model_id):
    output = tmp_path / f"{model_id}.json"
    if model_id in SPARSE:
        summary = decai.json("train", reviews_csv, "-o", output, "--model", model_id, "--vocab-size", 150)
        raw = ["a gorgeous, witty, seductive movie.", "the plot is dull and the acting is worse."]
    else:
        summary = decai.json("train", "--dataset", "breast-cancer", "-o", output, "--model", model_id)
        samples, _, _ = load_sklearn_dataset("breast-cancer")
        raw = [_numbers(samples[0][0]), _numbers(samples[-1][0])]
    assert summary["model"] == model_id
    assert summary["sklearn"]["test_accuracy"] is not None
    model_file = load_model_file(output)
    reference, encoder = model_from_file(model_file), encoder_from_model_file(model_file)

    deployed = decai.json("deploy", output, account=creator)
    assert deployed["model"] == model_id

    for text in raw:
        predicted = decai.json("predict", text)
        assert predicted["label_index"] == reference.predict(encoder.encode(text))
    label = model_file["classes"][1]
    added = decai.json("add-data", raw[0], "--label", label, account=contributor)
    reference.update(encoder.encode(raw[0]), 1)
    assert added["prediction_after"] == model_file["classes"][reference.predict(encoder.encode(raw[0]))]
    # The whole state on chain is the reference's after the same update.
    assert Trainer.at(deployed["address"]).reference_model() == reference


def test_dense_model__wrong_number_of_values__fails_before_any_transaction(decai, creator, contributor, tmp_path):
    output = tmp_path / "bc.json"
    decai.json("train", "--dataset", "breast-cancer", "-o", output, "--model", "ncc")
    decai.json("deploy", output, account=creator)
    nonce = contributor.nonce

    message = decai.fails("add-data", "1, 2, 3", "--label", "malignant", account=contributor)

    assert message == "this input cannot be used: encoder: expected 30 numbers, got 3"
    assert contributor.nonce == nonce
