"""Fixtures of the CLI tests: `ape decai ...` run in-process (click's CliRunner) on the test chain.

Two things make a command invoked in-process talk to the chain the test sees:

- ``APE_FOUNDRY_HOST`` is set to the test provider's own URI. Without it, every
  ``ConnectedProviderCommand`` builds a fresh Foundry provider and, with ``foundry: host: auto``,
  starts its own throwaway Anvil, so a deployment is lost before the next command (even inside
  ``ape test``). With it, the command's provider finds the already-connected test provider (same
  connection id) and uses it, so Ape's per-test snapshot/revert also isolates the commands.
  (tests/conftest.py drops a *foreign* ``APE_FOUNDRY_HOST`` at import; this one points at our own
  Anvil and is removed again after each test.)
- A temporary state dir per test. ``APE_DECAI_STATE_DIR`` alone is not enough in one process: Ape
  decodes the ``decai:`` config once and caches it (``ApeConfig._plugin_configs``), so the variable
  is read by the first test only. The cached entry is dropped so the next ``get_config("decai")``
  reads the variable again.

Helpers are fixtures, not importable names (see tests/conftest.py). Accounts come from
tests/conftest.py by role (``creator`` deploys, ``contributor``, ``other_contributor``,
``reporter``, ``stranger``).
"""

from __future__ import annotations

import csv
import json
import random
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ape_decai import DepositParameters, PointsParameters, Trainer, deploy
from ape_decai._cli import cli as decai_cli
from ape_decai.datasets import load_labelled_file, load_rotten_tomatoes
from ape_decai.training import encoder_from_model_file, model_from_file, save_model_file, train_model

NETWORK = "ethereum:local:foundry"
CHAIN_COMMANDS = {"deploy", "add-data", "predict", "evaluate", "refund", "report", "info", "time-travel"}
CLASSES = ["fresh", "rotten"]  # what `load_labelled_file` makes of rotten/fresh labels (sorted)
REVIEWS = 300
VOCAB_SIZE = 200
NO_VOCABULARY_TEXT = "zzyzx qwxv plugh"  # no word of any English vocabulary

HOUR = 3600
DAY = 24 * HOUR


# --- Environment ---------------------------------------------------------------------------------
@pytest.fixture
def state_dir(tmp_path) -> Path:
    """Where this test's `ape decai deploy` remembers trainers (not created in advance)."""
    return tmp_path / "decai-state"


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch, state_dir, chain, networks, tmp_path):
    """Commands use the test chain and a per-test state dir; the Ape log level is restored."""
    from ape.logging import logger
    from ape.managers.networks import NodeProcessMap
    from ape.utils import ManagerAccessMixin

    monkeypatch.setenv("APE_FOUNDRY_HOST", chain.provider.uri)
    monkeypatch.setenv("APE_DECAI_STATE_DIR", str(state_dir))
    # Each command connects a new provider instance and drops it again; dropping it scans Ape's
    # registry of node processes (~/.ape/processes/nodes.json), ~45 ms per entry, and that shared
    # file keeps dead entries of every earlier run (50+ here: 2 s per command). The commands get
    # an empty registry of their own.
    monkeypatch.setattr(networks, "running_nodes", NodeProcessMap.model_validate_file(tmp_path / "nodes.json"))
    plugin_configs = ManagerAccessMixin.config_manager.local_project.config._plugin_configs
    monkeypatch.delitem(plugin_configs, "decai", raising=False)
    level = logger.level
    yield
    # `--json` lowers Ape's log level for the rest of the process: undo it for the next test.
    logger.set_level(level)
    plugin_configs.pop("decai", None)


# --- Running commands ------------------------------------------------------------------------------
class Decai:
    """`ape decai ...` in this process. Chain commands get ``--network`` (unless given),
    ``account=`` becomes ``--account TEST::<index>`` and ``trainer=`` ``--trainer <address>``."""

    def __init__(self):
        self.runner = CliRunner(mix_stderr=False)

    def args(self, command, *args, account=None, trainer=None) -> list[str]:
        out = [command, *map(str, args)]
        if trainer is not None:
            out += ["--trainer", str(getattr(trainer, "address", trainer))]
        if account is not None:
            out += ["--account", f"TEST::{account.index}"]
        if command in CHAIN_COMMANDS and "--network" not in out:
            out += ["--network", NETWORK]
        return out

    def run(self, command, *args, **kwargs) -> Result:
        # Python warnings raised inside Ape (pydantic's IncompleteFieldDefinitionWarning, once per
        # process) are not the command's output: record them instead of printing them to stderr.
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            return self.runner.invoke(decai_cli, self.args(command, *args, **kwargs))

    @staticmethod
    def describe(result: Result) -> str:
        text = f"exit code {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        if result.exc_info and not isinstance(result.exception, SystemExit):
            text += "\n" + "".join(traceback.format_exception(*result.exc_info))
        return text

    def ok(self, command, *args, **kwargs) -> Result:
        """Run; the command must succeed."""
        result = self.run(command, *args, **kwargs)
        assert result.exit_code == 0, self.describe(result)
        return result

    def json(self, command, *args, **kwargs) -> dict:
        """Run with --json; it must succeed and print exactly one JSON object on stdout."""
        result = self.ok(command, *args, "--json", **kwargs)
        data = json.loads(result.stdout)  # raises on anything before or after the object
        assert isinstance(data, dict), result.stdout
        assert result.stdout.endswith("}\n") and result.stdout.count("\n") == 1, result.stdout
        return data

    def fails(self, command, *args, **kwargs) -> str:
        """Run; the command must end with exit status 1 (refused or failed) and a one-line
        `Error: ...` on stderr (no traceback, nothing on stdout). Returns the message after `Error: `."""
        return self.error(1, command, *args, **kwargs)

    def usage_error(self, command, *args, **kwargs) -> str:
        """Run; the command must end with exit status 2 (a malformed or invalid option or argument:
        click's usage, then one `Error: ...` line), nothing on stdout. Returns the message."""
        return self.error(2, command, *args, **kwargs)

    def error(self, exit_code: int, command, *args, **kwargs) -> str:
        """`fails` (exit_code 1) or `usage_error` (2)."""
        result = self.run(command, *args, **kwargs)
        assert result.exit_code == exit_code, self.describe(result)
        assert isinstance(result.exception, SystemExit), self.describe(result)
        assert result.stdout == "", self.describe(result)
        lines = result.stderr.splitlines() if exit_code == 1 else [x for x in result.stderr.splitlines() if x.startswith("Error: ")]
        assert len(lines) == 1 and lines[0].startswith("Error: "), self.describe(result)
        assert "Traceback" not in result.stderr, self.describe(result)
        return lines[0][len("Error: ") :]


@pytest.fixture
def decai(cli_environment) -> Decai:
    """Runs `ape decai` commands (see `Decai`)."""
    return Decai()


# --- Data and model files --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def reviews_csv(tmp_path_factory) -> Path:
    """A CSV (text,label) of 300 real Rotten Tomatoes reviews, labels "rotten"/"fresh"."""
    samples = random.Random(20190618).sample(load_rotten_tomatoes(), REVIEWS)
    path = tmp_path_factory.mktemp("data") / "reviews.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for text, label in samples:
            writer.writerow([text, ["rotten", "fresh"][label]])
    return path


@pytest.fixture(scope="session")
def review_model(reviews_csv) -> dict:
    """The model `ape decai train reviews.csv --vocab-size 200` makes, built with the API."""
    samples, classes = load_labelled_file(reviews_csv)
    assert classes == CLASSES
    return train_model(samples, classes, vocab_size=VOCAB_SIZE, name=reviews_csv.stem, dataset=reviews_csv.name)


@pytest.fixture(scope="session")
def model_file(review_model, tmp_path_factory) -> Path:
    """`review_model` saved as a model file (do not modify it: it is shared)."""
    return save_model_file(review_model, tmp_path_factory.mktemp("model") / "reviews.model.json")


@dataclass
class Texts:
    """Review texts sorted by how the initial model labels them.

    ``firm[label]``: predicted ``label`` by more than one update can move (plus a slack of 3), so
    adding one with the other label, or a few unrelated updates, never flips them.
    ``flippable[label]``: predicted ``label``, and one contribution with the other label flips it.
    """

    firm: dict[str, list[str]]
    flippable: dict[str, list[str]]
    unknown: str = NO_VOCABULARY_TEXT


@pytest.fixture(scope="session")
def texts(review_model) -> Texts:
    model = model_from_file(review_model)
    encoder = encoder_from_model_file(review_model)
    firm = {c: [] for c in CLASSES}
    flippable = {c: [] for c in CLASSES}
    for text, _ in load_rotten_tomatoes():
        indices = encoder.encode(text)
        if not indices or len(indices) > 8:
            continue
        margin, step = model.margin(indices), len(indices) + 1  # one update moves it by `step`
        label = CLASSES[model.predict(indices)]
        if abs(margin) >= step + 3:
            firm[label].append(text)
        elif 0 < margin < step or -step < margin <= 0:
            flippable[label].append(text)
    for group in (firm, flippable):
        for label, found in group.items():
            assert len(found) >= 6, f"too few {label} texts for the tests: {len(found)}"
    return Texts(firm=firm, flippable=flippable)


# --- Trainers (deployed with the API, so only the command under test goes through the CLI) ----------
@pytest.fixture
def deploy_reviews_trainer(review_model, creator, chain):
    """Factory: deploy a trainer of `review_model` from ``creator``: mechanism "deposit" (default
    parameters of `DepositParameters` unless overridden) or "points"."""

    def deploy_one(mechanism="deposit", **params):
        p = DepositParameters(**params) if mechanism == "deposit" else PointsParameters(**params)
        return deploy(review_model, mechanism, p, sender=creator).trainer

    return deploy_one


@pytest.fixture
def reviews_trainer(deploy_reviews_trainer) -> Trainer:
    """A deposit trainer of the review model: t/tc/ta = 1/30/60 days (stated: the tests take after tc < ta)."""
    return deploy_reviews_trainer("deposit", refund_wait=DAY, creator_wait=30 * DAY, anyone_wait=60 * DAY)


@pytest.fixture
def reviews_points_trainer(deploy_reviews_trainer) -> Trainer:
    """A points trainer of the review model: validation wait 1 day."""
    return deploy_reviews_trainer("points")


@pytest.fixture(scope="session")
def added():
    """Function receipt -> its `DataAdded` event (exactly one)."""

    def event(trainer: Trainer, receipt):
        events = receipt.events.filter(trainer.contract.DataAdded)
        assert len(events) == 1
        return events[0]

    return event
