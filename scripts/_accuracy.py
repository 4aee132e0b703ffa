"""Every model on real data, measured on a chain (`model_rows`): what `ape run model_report` prints
as JSON and `ape run gas_report --models` as its last table (see scripts/model_report.py). `ape
run` skips this file (its name starts with an underscore)."""

from __future__ import annotations

TEXT_SAMPLES = 4000  # rotten-tomatoes snippets used (train + held-out)
TEXT_VOCABULARY = 1000
TEST_FRACTION = 0.2
DENSE_DATASETS = {"dense-perceptron": "breast-cancer", "ncc": "digits"}


def _dataset(model_id: str, input_kind: str):
    from ape_decai.datasets import CLASSES_ROTTEN_TOMATOES, load_rotten_tomatoes, load_sklearn_dataset

    if input_kind == "sparse":
        return load_rotten_tomatoes()[:TEXT_SAMPLES], list(CLASSES_ROTTEN_TOMATOES), None, "rotten-tomatoes"
    name = DENSE_DATASETS.get(model_id, "breast-cancer")
    samples, classes, features = load_sklearn_dataset(name)
    return samples, classes, features, name


def model_rows(sender) -> list[dict]:
    """One row per model (needs a connected provider and a funded `sender`)."""
    from ape_decai import DepositParameters, deploy
    from ape_decai.datasets import train_test_split
    from ape_decai.models import REFERENCE_MODELS
    from ape_decai.training import encoder_from_model_file, model_from_file, train_model

    rows = []
    for model_id, cls in REFERENCE_MODELS.items():
        samples, classes, features, dataset = _dataset(model_id, cls.input_kind)
        model = train_model(
            samples, classes, model=model_id, vocab_size=TEXT_VOCABULARY, feature_names=features,
            test_fraction=TEST_FRACTION, name=f"{model_id} on {dataset}", dataset=dataset,
        )  # fmt: skip
        reference = model_from_file(model)
        encoder = encoder_from_model_file(model)
        _, test = train_test_split(samples, TEST_FRACTION, 0)
        test_x = []
        for raw, label in test:
            x = encoder.encode(raw)
            if cls.input_kind == "dense" or 0 < len(x) <= 128:
                test_x.append((x, label))
        deployed = deploy(model, "deposit", DepositParameters(), sender=sender)
        trainer = deployed.trainer
        off_chain = [reference.predict(x) for x, _ in test_x]
        on_chain = [int(trainer.contract.predict(reference.pack_input(x))) for x, _ in test_x]
        truth = [y for _, y in test_x]
        sklearn = model["training"].get("sklearn") or {}
        rows.append(
            {
                "model": model_id,
                "dataset": dataset,
                "classes": len(classes),
                "features": reference.n_features,
                "test_samples": len(test_x),
                "off_chain_accuracy": round(sum(p == y for p, y in zip(off_chain, truth, strict=True)) / len(truth), 4),
                "on_chain_accuracy": round(sum(p == y for p, y in zip(on_chain, truth, strict=True)) / len(truth), 4),
                "mismatches": sum(a != b for a, b in zip(off_chain, on_chain, strict=True)),
                "sklearn_estimator": sklearn.get("estimator"),
                "sklearn_accuracy": sklearn.get("test_accuracy"),
                # The trainer's own transactions; a clone's shared implementation (once per
                # chain, the first of the transactions if this deployment sent it) apart.
                "deploy_transactions": deployed.transactions - (deployed.implementation_gas is not None),
                "deploy_gas": sum(deployed.gas_used) - (deployed.implementation_gas or 0),
                "implementation_gas": deployed.implementation_gas,
            }
        )
    return rows
