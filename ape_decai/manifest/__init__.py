"""Compiled contract types shipped with the package (built by `scripts/build_manifest.py`)."""

from functools import cache
from pathlib import Path

from ethpm_types import ContractType

MANIFEST_DIR = Path(__file__).parent

# The incentive mechanisms every model can be deployed with (scripts/generate_trainers.py).
MECHANISMS = ("deposit", "points")


def trainer_name(contract_prefix: str, mechanism: str) -> str:
    """The deployable of one (model, mechanism) pair, e.g. SparsePerceptronDepositTrainer."""
    return f"{contract_prefix}{mechanism.capitalize()}Trainer"


def _deployables() -> dict[str, tuple[str, str]]:
    from ape_decai.models import REFERENCE_MODELS

    return {
        trainer_name(cls.contract_prefix, mechanism): (model_id, mechanism)
        for model_id, cls in REFERENCE_MODELS.items()
        for mechanism in MECHANISMS
    }


# Every deployable trainer: contract name -> (model id, mechanism). The prediction market
# (issue 5) exists for the sparse perceptron only: its settlement replays that model.
MARKET_TRAINER = "SparsePerceptronMarketTrainer"
DEPLOYABLES = {**_deployables(), MARKET_TRAINER: ("sparse-perceptron", "market")}

# Shipped contracts that are no trainer: the encoder publisher (`ape_decai.publishing`).
AUXILIARY = ("EncoderPublisher",)

# Fields that change with compile order or are only useful to debuggers.
UNSTABLE_FIELDS = {"ast", "sourcemap", "pcmap"}


def serialise(contract_type: ContractType) -> str:
    """The JSON we ship: stable fields only, sorted keys, one trailing newline."""
    return contract_type.model_dump_json(by_alias=True, exclude=UNSTABLE_FIELDS, exclude_none=True) + "\n"


@cache
def load_contract_type(name: str) -> ContractType:
    """The shipped contract type of one deployable."""
    if name not in DEPLOYABLES and name not in AUXILIARY:
        raise KeyError(f"unknown contract {name!r}; known: {', '.join([*DEPLOYABLES, *AUXILIARY])}")
    return ContractType.model_validate_json((MANIFEST_DIR / f"{name}.json").read_text())
