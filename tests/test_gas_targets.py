"""The gas report meets the issues' targets (gas is deterministic: this is a regression test).

The targets are stated here independently of `scripts/gas_report.py` (`ape run gas_report`), which
measures them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)

ROOT = Path(__file__).resolve().parents[1]

# Issue 2: the sparse perceptron (100 weights, 15-word sample), deposit mechanism.
TARGETS = {
    "deploy": 2_000_000,
    "add_data_agree": 80_000,
    "add_data_update": 115_000,
    "refund": 80_000,
    "report": 95_000,
}
# Issue 3: every other model (100 dimensions / 100 words, 15-word samples), deposit mechanism.
MODEL_TARGETS = {
    f"{model}_{op}": limit
    for model in ("dense_perceptron", "ncc", "sparse_ncc", "naive_bayes")
    for op, limit in (("deploy", 2_000_000), ("add_data_agree", 150_000), ("add_data_update", 150_000))
}


# The count models' deposit trainers are clones (ape_decai.clones): `{m}_deploy` is one trainer's
# creation; the shared implementation is deployed once per chain and reported apart. It stays
# bounded too (well under a block, and under the 24,576-byte code limit, or it would not deploy).
IMPLEMENTATION_CEILING = 3_000_000


MARKET_TARGETS = {
    "market_commit": 500_000,
    "market_reveal_total": 3_000_000,
    "market_settle_total": 10_000_000,
    "market_settle_max_tx": 10_000_000,
    "market_claim": 100_000,
    "market_worst_tx": 10_000_000,  # every cap, most hostile inputs (issue 10)
}


def gas_report(*args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "APE_FOUNDRY_HOST"}
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ape"), "run", "gas_report", "--json", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def gas() -> dict:
    return gas_report("--only", "deposit")


def test_gas_report__sparse_perceptron__meets_every_target(gas):
    over = {k: (gas[k], limit) for k, limit in TARGETS.items() if gas[k] > limit}
    assert not over, f"over target (measured, target): {over}"
    # The first refund of an account pays for its good-data slot once; it stays bounded too.
    assert gas["refund_first"] - gas["refund"] < 20_000 + 500


@pytest.mark.parametrize(
    "key",
    sorted(MODEL_TARGETS),
)
def test_gas_report__other_models__meet_their_target(gas, key):
    assert key in gas, f"{key} missing from the report"
    assert gas[key] <= MODEL_TARGETS[key], f"{key}: {gas[key]:,} > {MODEL_TARGETS[key]:,}"


@pytest.mark.parametrize("model", ["sparse_ncc", "naive_bayes"])
def test_gas_report__shared_implementations__are_reported_and_bounded(gas, model):
    key = f"{model}_implementation_deploy"
    assert key in gas, f"{key} missing from the report"
    assert gas[f"{model}_deploy"] < gas[key] <= IMPLEMENTATION_CEILING


def test_gas_report__market_scenario_meets_the_issue_targets():
    """1,000-word model, 100 contributions of 15 words, 500 test samples in 100 parts, 10 drawn."""
    gas = gas_report("--only", "market")
    over = {k: (gas[k], limit) for k, limit in MARKET_TARGETS.items() if gas[k] > limit}
    assert not over, f"over target (measured, target): {over}"
    assert 40 <= gas["market_updates"] <= 60  # about half of the contributions update the model
