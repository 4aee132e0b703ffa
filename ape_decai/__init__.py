"""ape-decai: Decentralized & Collaborative AI on Blockchain, as an Ape plugin.

The public API, for scripts and notebooks (the `ape decai` commands are built on it)::

    from ape_decai import Trainer, deploy, train

    model = train(dataset="rotten-tomatoes", vocab_size=1000)
    trainer = deploy(model, "deposit", sender=account).trainer
    trainer.add_data("a moving, funny film", "fresh", sender=account)
    trainer.classes[trainer.predict("dull and far too long")]

The simulation of the paper's experiment is `ape_decai.simulate.simulate(Scenario(...))` (the
function shares its module's name, so the package exports `Scenario`, `Agent` and `sweep` but
not it). Its names are imported on first use (module `__getattr__`): loading the plugin at every `ape`
start stays cheap. At import, this module only registers the plugin's config.

The prediction market as a scenario is `simulate_market(MarketScenario(...))`, exported (its
module, `ape_decai.market_simulation`, is named apart so that the function's name stays free).
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

from ape import plugins

# ape-vyper's config triggers a harmless pydantic-settings warning on every command
# ("Field 'import_remapping' has an incomplete definition"); keep `ape decai` output clean.
warnings.filterwarnings("ignore", message=r"Field 'import_remapping' has an incomplete definition")

if TYPE_CHECKING:
    from ape_decai.batch import Contributed, Evaluation, Prediction
    from ape_decai.deployment import Deployment, deploy
    from ape_decai.errors import CloneError, DecaiError, DeclinedError, DeploymentError
    from ape_decai.ledger import Ledger, accuracy_history, read_ledger
    from ape_decai.market import MarketClient, MarketSecrets
    from ape_decai.market_simulation import MarketScenario, MarketSimulationResult, simulate_market, sweep_market
    from ape_decai.parameters import DepositParameters, MarketParameters, PointsParameters
    from ape_decai.records import Contribution, Record, Verdict
    from ape_decai.simulate import Agent, Scenario, SimulationResult, sweep
    from ape_decai.simulate_points import PointsResult
    from ape_decai.state import RememberedTrainer, remembered_trainer, remembered_trainers, use_trainer
    from ape_decai.trainers import DepositTrainer, MarketTrainer, PointsTrainer, Trainer
    from ape_decai.training import ModelFile, train, train_model
    from ape_decai.units import format_duration, parse_amount, parse_duration

# Public name -> the module that defines it.
_EXPORTS = {
    "Trainer": "trainers",
    "Prediction": "batch",
    "Evaluation": "batch",
    "Contributed": "batch",
    "DepositTrainer": "trainers",
    "PointsTrainer": "trainers",
    "MarketTrainer": "trainers",
    "deploy": "deployment",
    "Deployment": "deployment",
    "train": "training",
    "train_model": "training",
    "ModelFile": "training",
    "DepositParameters": "parameters",
    "PointsParameters": "parameters",
    "MarketParameters": "parameters",
    "Contribution": "records",
    "Record": "records",
    "Verdict": "records",
    "MarketClient": "market",
    "MarketSecrets": "market",
    "MarketScenario": "market_simulation",
    "MarketSimulationResult": "market_simulation",
    "simulate_market": "market_simulation",
    "sweep_market": "market_simulation",
    "DecaiError": "errors",
    "DeploymentError": "errors",
    "CloneError": "errors",
    "DeclinedError": "errors",
    "remembered_trainer": "state",
    "remembered_trainers": "state",
    "RememberedTrainer": "state",
    "use_trainer": "state",
    "parse_amount": "units",
    "parse_duration": "units",
    "format_duration": "units",
    "sweep": "simulate",
    "Scenario": "simulate",
    "Agent": "simulate",
    "SimulationResult": "simulate",
    "PointsResult": "simulate_points",
    "read_ledger": "ledger",
    "Ledger": "ledger",
    "accuracy_history": "ledger",
}

__all__ = [
    "Agent",
    "CloneError",
    "Contributed",
    "Contribution",
    "DecaiError",
    "DeclinedError",
    "Deployment",
    "DeploymentError",
    "DepositParameters",
    "DepositTrainer",
    "Evaluation",
    "Ledger",
    "MarketClient",
    "MarketParameters",
    "MarketScenario",
    "MarketSecrets",
    "MarketSimulationResult",
    "MarketTrainer",
    "ModelFile",
    "PointsParameters",
    "PointsResult",
    "PointsTrainer",
    "Prediction",
    "Record",
    "RememberedTrainer",
    "Scenario",
    "SimulationResult",
    "Trainer",
    "Verdict",
    "accuracy_history",
    "deploy",
    "format_duration",
    "parse_amount",
    "parse_duration",
    "read_ledger",
    "remembered_trainer",
    "remembered_trainers",
    "simulate_market",
    "sweep",
    "sweep_market",
    "train",
    "train_model",
    "use_trainer",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ape_decai' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"ape_decai.{module}"), name)
    globals()[name] = value  # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


@plugins.register(plugins.Config)
def config_class():
    from ape_decai.config import DecaiConfig  # the config class is loaded when Ape asks for it

    return DecaiConfig
