"""What the measuring scripts share (`ape run gas_report`, `ape run model_report`): a throwaway
local chain of their own. `ape run` skips this file (its name starts with an underscore)."""

import os
from pathlib import Path

NETWORK = "ethereum:local:foundry"
# Anvil without --steps-tracing (see scripts/bin/anvil): the market's evaluation would take minutes.
ANVIL_WRAPPER = Path(__file__).resolve().parent / "bin"


def use_throwaway_anvil() -> None:
    """Measure on an Anvil this process starts (`foundry: host: auto`), never on a node someone
    started (`APE_FOUNDRY_HOST`), and start it without `--steps-tracing`."""
    os.environ.pop("APE_FOUNDRY_HOST", None)
    os.environ["PATH"] = os.pathsep.join([str(ANVIL_WRAPPER), os.environ.get("PATH", "")])
