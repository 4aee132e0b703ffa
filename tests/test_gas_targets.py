"""The gas report meets the issue's targets (gas is deterministic: this is a regression test)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "deploy": 2_000_000,
    "add_data_agree": 80_000,
    "add_data_update": 115_000,
    "refund": 80_000,
    "report": 95_000,
}


def test_gas_report__meets_every_target():
    env = {k: v for k, v in os.environ.items() if k != "APE_FOUNDRY_HOST"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gas_report.py"), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    gas = json.loads(out.stdout.strip().splitlines()[-1])
    over = {k: (gas[k], limit) for k, limit in TARGETS.items() if gas[k] > limit}
    assert not over, f"over target (measured, target): {over}"
    # The first refund of an account pays for its good-data slot once; it stays bounded too.
    assert gas["refund_first"] - gas["refund"] < 20_000 + 500


# --- The sparse multi-class models (issue 3) --------------------------------------------------------
SPARSE_ADD_DATA_TARGETS = {
    f"{m}_{op}": 150_000 for m in ("sparse_ncc", "naive_bayes") for op in ("add_data_agree", "add_data_update")
}
SPARSE_DEPLOY_TARGETS = {f"{m}_deploy": 2_000_000 for m in ("sparse_ncc", "naive_bayes")}
# Where deployment stands (fully trained 2-class, 100-word model in the constructor): over the target,
# see the xfail below; this bound catches regressions.
SPARSE_DEPLOY_CEILINGS = {"sparse_ncc_deploy": 2_400_000, "naive_bayes_deploy": 2_500_000}


@pytest.fixture(scope="module")
def sparse_gas():
    env = {k: v for k, v in os.environ.items() if k != "APE_FOUNDRY_HOST"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gas_report.py"), "--sparse-only"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_gas_report__sparse_models__add_data_meets_target(sparse_gas):
    over = {k: (sparse_gas[k], limit) for k, limit in SPARSE_ADD_DATA_TARGETS.items() if sparse_gas[k] > limit}
    assert not over, f"over target (measured, target): {over}"


def test_gas_report__sparse_models__deploy_stays_under_its_ceiling(sparse_gas):
    over = {k: (sparse_gas[k], limit) for k, limit in SPARSE_DEPLOY_CEILINGS.items() if sparse_gas[k] > limit}
    assert not over, f"over ceiling (measured, ceiling): {over}"


@pytest.mark.xfail(
    strict=True,
    reason="16 storage slots of counts (2 classes x 100 words) and ~8 kB of trainer code: "
    "see the sparse models' gas notes in the report",
)
def test_gas_report__sparse_models__deploy_meets_target(sparse_gas):
    over = {k: (sparse_gas[k], limit) for k, limit in SPARSE_DEPLOY_TARGETS.items() if sparse_gas[k] > limit}
    assert not over, f"over target (measured, target): {over}"
