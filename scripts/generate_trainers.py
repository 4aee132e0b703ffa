"""Write the deployable trainers: one per (model, mechanism) pair, from one template per mechanism.

Vyper 0.4 modules cannot be swapped at deploy time, so every pair is its own contract. The
logic lives in the modules (`contracts/models/*.vy`, `contracts/incentives/*.vy`,
`contracts/data_handler.vy`); a trainer only wires them together, and the wiring is the same
for every model. Writing the pairs by hand would repeat it ten times; this script fills
`scripts/templates/<mechanism>_trainer.vy.tmpl` with each model's entry of `MODELS` instead.

Every model module follows one convention (see `contracts/models/`):
- `MAX_PACKED_WORDS`: the largest input, in 256-bit words;
- `_predict(data) -> uint8` (a view that checks the input), `_update(data, label)` (checks the
  input, the label and that the model is sealed), `_seal()`;
- `uses: ownable`, with its owner-only initialisation functions (`seal` and the model's own,
  exported through the entry's `exports`).

Clone or whole (the one place this rule is stated; the contracts, the templates and docs/design.md
point here): a deposit trainer is deployed whole, unless its code alone would take the deploy
budget (2,000,000 gas for a trained 100-word model; code costs 200 gas a byte): then its entry
says `deposit_deployment="clone"`. Its contract is deployed once per chain as the shared
implementation (`ape_decai.clones` deploys it at a deterministic address and finds it), and its
`create_trainer` makes each trainer an EIP-1167 minimal proxy (45 bytes) with its own storage,
owner and model, set up in the same transaction. The price is ~7,000 gas a contribution: the
proxy's delegate call, and the deposit terms read from storage (`stakeable_terms_stored`) since a
clone runs the implementation's code, whose immutables are the implementation's (a whole trainer
keeps them in code, `stakeable_terms`). So such a model has no immutables either: an internal
`_configure` (the entry's `init` lines) sets it up, called by the clone's `initialize`. No admin,
no upgrade: a proxy's target is fixed in its code, and the implementation has no owner and cannot
destroy itself. Today the count models (sparse-ncc, naive-bayes) are clones; the sparse
perceptron's contribution target (80,000) has no room for a proxy.

Run: .venv/bin/python scripts/generate_trainers.py [--check]
`--check` writes nothing and exits 1 if a generated file is missing or out of date (the tests
run it).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates"
MECHANISMS = ("deposit", "points")


@dataclass(frozen=True)
class ModelEntry:
    """What a trainer needs to know about one model module."""

    module: str  # contracts/models/<module>.vy
    contract_prefix: str  # <prefix><Mechanism>Trainer.vy
    model_id: str  # the name in `TrainerDeployed` and on the command line
    title: str  # for the trainer's @title
    params: tuple[tuple[str, str, str], ...]  # constructor parameters: (name, type, NatSpec)
    init: tuple[str, ...]  # constructor lines that initialise the model
    exports: tuple[str, ...]  # the module's externals the trainer exports
    data_doc: str  # NatSpec of add_data's `data`
    label_doc: str  # NatSpec of add_data's `label`
    # How the deposit trainer is deployed: "whole" or "clone" (see "Clone or whole" above).
    deposit_deployment: str = "whole"
    # The module that holds the model's state (`_update`, `_seal`), if not `module` itself: the
    # count models predict in their own module from the counts of `sparse_counts`.
    store: str = ""
    # How the model's modules are wired (`initializes:` lines), if not `<module>[ownable := ownable]`.
    wiring: tuple[str, ...] = ()

    @property
    def state_module(self) -> str:
        return self.store or self.module

    @property
    def modules(self) -> list[str]:
        return sorted({self.module, self.state_module})

    @property
    def initializes(self) -> tuple[str, ...]:
        return self.wiring or (f"{self.module}[ownable := ownable]",)


# What a count model's trainer exports of `sparse_counts` (its views and the creator's initialisation).
COUNT_EXPORTS = tuple(
    f"sparse_counts.{name}"
    for name in (
        "n_features",
        "n_classes",
        "sealed",
        "class_stats",
        "count_words",
        "initialize_counts",
        "add_class",
        "seal",
    )
)

MODELS: tuple[ModelEntry, ...] = (
    ModelEntry(
        module="sparse_perceptron",
        contract_prefix="SparsePerceptron",
        model_id="sparse-perceptron",
        title="sparse perceptron",
        params=(
            ("n_features", "uint256", "Number of features of the model."),
            ("intercept", "int256", "Initial intercept."),
            ("learning_rate", "int256", "Learning rate."),
            (
                "weight_words",
                "DynArray[uint256, sparse_perceptron.MAX_WORDS_PER_CALL]",
                "Initial weights, packed 16 int16 lanes per word.",
            ),
        ),
        init=(
            "sparse_perceptron.__init__(n_features, intercept, learning_rate)",
            "sparse_perceptron._set_weight_words(0, weight_words)",
        ),
        exports=(
            "sparse_perceptron.predict",
            "sparse_perceptron.intercept",
            "sparse_perceptron.sealed",
            "sparse_perceptron.weight_words",
            "sparse_perceptron.n_features",
            "sparse_perceptron.learning_rate",
            "sparse_perceptron.initialize_weights",
            "sparse_perceptron.seal",
        ),
        data_doc="The sample's feature indices, packed (see sparse_perceptron).",
        label_doc="The sample's label (0 or 1).",
    ),
    ModelEntry(
        module="dense_perceptron",
        contract_prefix="DensePerceptron",
        model_id="dense-perceptron",
        title="dense perceptron",
        params=(
            ("n_features", "uint256", "Number of features of the model."),
            ("x_scale", "int256", "The encoder's scale: the integer standing for the real value 1.0."),
            ("intercept", "int256", "Initial intercept."),
            ("learning_rate", "int256", "Learning rate."),
            (
                "weight_words",
                "DynArray[uint256, dense_perceptron.MAX_WORDS_PER_CALL]",
                "Initial weights, packed 16 int16 lanes per word.",
            ),
        ),
        init=(
            "dense_perceptron.__init__(n_features, x_scale, intercept, learning_rate)",
            "dense_perceptron._set_weight_words(0, weight_words)",
        ),
        exports=(
            "dense_perceptron.predict",
            "dense_perceptron.intercept",
            "dense_perceptron.sealed",
            "dense_perceptron.weight_words",
            "dense_perceptron.n_features",
            "dense_perceptron.x_scale",
            "dense_perceptron.learning_rate",
            "dense_perceptron.initialize_weights",
            "dense_perceptron.seal",
        ),
        data_doc="The sample's n_features int16 values, packed (see dense_perceptron).",
        label_doc="The sample's label (0 or 1).",
    ),
    ModelEntry(
        module="ncc",
        contract_prefix="NearestCentroid",
        model_id="ncc",
        title="nearest centroid (dense)",
        params=(
            ("n_features", "uint256", "Number of features of the model."),
            ("counts", "DynArray[uint256, ncc.MAX_CLASSES]", "Sample count of each initial class."),
            (
                "centroid_words",
                "DynArray[uint256, ncc.MAX_WORDS_PER_CALL]",
                "Centroids of the initial classes, packed 16 int16 lanes per word, class after class.",
            ),
        ),
        init=(
            "ncc.__init__(n_features, counts, centroid_words)",
        ),
        exports=(
            "ncc.predict",
            "ncc.num_classes",
            "ncc.sealed",
            "ncc.centroid_words",
            "ncc.sample_counts",
            "ncc.n_features",
            "ncc.add_class",
            "ncc.seal",
        ),
        data_doc="The sample's n_features int16 values, packed (see ncc).",
        label_doc="The sample's class (0 .. num_classes - 1).",
    ),
    ModelEntry(
        module="sparse_ncc",
        contract_prefix="SparseNearestCentroid",
        model_id="sparse-ncc",
        title="sparse nearest centroid classifier",
        params=(
            ("n_features", "uint256", "Number of features of the model."),
            (
                "class_sizes",
                "DynArray[uint256, sparse_counts.MAX_CLASSES]",
                "Number of samples of each class (one per class).",
            ),
            (
                "count_words",
                "DynArray[uint256, sparse_counts.MAX_WORDS_PER_CALL]",
                "First count words, class-major, 15 16-bit lanes per word.",
            ),
        ),
        init=(
            "sparse_counts._configure(n_features, class_sizes, True)",
            "sparse_counts._set_count_words(0, count_words)",
        ),
        exports=(
            "sparse_ncc.predict",
            *COUNT_EXPORTS,
        ),
        data_doc="The sample's feature indices, packed (see sparse_input).",
        label_doc="The sample's class, below n_classes().",
        store="sparse_counts",
        wiring=("sparse_counts[ownable := ownable]", "sparse_ncc[sparse_counts := sparse_counts]"),
        deposit_deployment="clone",
    ),
    ModelEntry(
        module="naive_bayes",
        contract_prefix="NaiveBayes",
        model_id="naive-bayes",
        title="multinomial naive Bayes",
        params=(
            ("n_features", "uint256", "Number of features of the model."),
            (
                "class_sizes",
                "DynArray[uint256, sparse_counts.MAX_CLASSES]",
                "Number of samples of each class (one per class).",
            ),
            (
                "count_words",
                "DynArray[uint256, sparse_counts.MAX_WORDS_PER_CALL]",
                "First count words, class-major, 15 16-bit lanes per word.",
            ),
        ),
        init=(
            "sparse_counts._configure(n_features, class_sizes, False)",
            "sparse_counts._set_count_words(0, count_words)",
        ),
        exports=(
            "naive_bayes.predict",
            *COUNT_EXPORTS,
        ),
        data_doc="The sample's feature indices, packed (see sparse_input).",
        label_doc="The sample's class, below n_classes().",
        store="sparse_counts",
        wiring=("sparse_counts[ownable := ownable]", "naive_bayes[sparse_counts := sparse_counts]"),
        deposit_deployment="clone",
    ),
)


def contract_name(entry: ModelEntry, mechanism: str) -> str:
    return f"{entry.contract_prefix}{mechanism.capitalize()}Trainer"


# The deployment rule is stated once, in the module docstring ("Clone or whole").
CLONE_DOC = """\
@custom:deployment Clones (EIP-1167) of one shared implementation per
                   chain: see "Clone or whole" in scripts/generate_trainers.py.
"""


def render(entry: ModelEntry, mechanism: str) -> str:
    substitutions = {
        "module": entry.module,
        "store": entry.state_module,
        "model_imports": "".join(f"from contracts.models import {m}\n" for m in entry.modules),
        "model_wiring": "".join(f"initializes: {line}\n" for line in entry.initializes),
        "model_id": entry.model_id,
        "title": entry.title,
        "params": "\n".join(f"    {name}: {type_}," for name, type_, _ in entry.params),
        "params_doc": "\n".join(f"    @param {name} {doc}" for name, _, doc in entry.params),
        "init": "\n".join(f"    {line}" for line in entry.init),
        "exports": "\n".join(f"    {name}," for name in entry.exports),
        "data_doc": entry.data_doc,
        "label_doc": entry.label_doc,
    }
    if mechanism == "deposit":
        clone = entry.deposit_deployment == "clone"
        substitutions["terms"] = "stakeable_terms_stored" if clone else "stakeable_terms"
        substitutions["deployment_doc"] = CLONE_DOC if clone else ""
        # How the trainer reads t, td and the deposit floor: immutables directly (the least code),
        # a clone through `stakeable_terms_stored`'s getters of its one packed slot.
        terms = substitutions["terms"]
        read = (lambda name: f"{terms}._{name}()") if clone else (lambda name: f"{terms}.{name}")
        substitutions["refund_wait"] = read("refund_wait")
        substitutions["doubt_wait"] = read("doubt_wait")
        substitutions["min_deposit"] = read("min_deposit")
        substitutions["doubting"] = read("doubting") if clone else f"{terms}.doubt_wait > {terms}.refund_wait"
        setup = TEMPLATES / f"deposit_setup_{entry.deposit_deployment}.vy.tmpl"
        substitutions["errors_import"] = "from contracts.lib import errors\n" if clone else ""
        substitutions["setup"] = Template(setup.read_text()).substitute(
            substitutions,
            interface_params="\n".join(f"        {name}: {type_}," for name, type_, _ in entry.params),
            args="\n".join(f"        {name}," for name, _, _ in entry.params),
        )
    template = Template((TEMPLATES / f"{mechanism}_trainer.vy.tmpl").read_text())
    return template.substitute(substitutions)


def generated() -> dict[Path, str]:
    """Every generated file and its content."""
    return {
        ROOT / "contracts" / f"{contract_name(entry, mechanism)}.vy": render(entry, mechanism)
        for entry in MODELS
        for mechanism in MECHANISMS
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    args = parser.parse_args()
    stale = []
    for path, text in generated().items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        print("out of date (run scripts/generate_trainers.py):", *(str(p.relative_to(ROOT)) for p in stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
