"""Compiled contract types shipped with the package (built by `scripts/build_manifest.py`)."""

from functools import cache
from pathlib import Path

from ethpm_types import ContractType

MANIFEST_DIR = Path(__file__).parent

# The deployable trainers, by the mechanism they carry.
DEPLOYABLES = {
    "SparsePerceptronDepositTrainer": "deposit",
    "SparsePerceptronPointsTrainer": "points",
    "SparsePerceptronMarketTrainer": "market",
}
TRAINER_FOR_MECHANISM = {mechanism: name for name, mechanism in DEPLOYABLES.items()}

# Fields that change with compile order or are only useful to debuggers.
UNSTABLE_FIELDS = {"ast", "sourcemap", "pcmap"}


def serialise(contract_type: ContractType) -> str:
    """The JSON we ship: stable fields only, sorted keys, one trailing newline."""
    return contract_type.model_dump_json(by_alias=True, exclude=UNSTABLE_FIELDS, exclude_none=True) + "\n"


@cache
def load_contract_type(name: str) -> ContractType:
    """The shipped contract type of one deployable."""
    if name not in DEPLOYABLES:
        raise KeyError(f"unknown contract {name!r}; known: {', '.join(DEPLOYABLES)}")
    return ContractType.model_validate_json((MANIFEST_DIR / f"{name}.json").read_text())
