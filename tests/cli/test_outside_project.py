"""The plugin works from an Ape project that is not this repository (it ships its contracts).

`ape decai` runs as a real subprocess in a temporary folder whose only file is an ape-config.yaml
(no contracts/), so the trainer can only come from the package's shipped contract types. One
throwaway Anvil per process: each command here is self-contained.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # see docs/testing.md (tiers)

APE = str(Path(sys.executable).parent / "ape")


def run_ape(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APE_FOUNDRY_HOST", "APE_DECAI_"))}
    env["APE_DECAI_STATE_DIR"] = str(project / "state")
    return subprocess.run([APE, "decai", *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_deploy_and_predict__in_a_foreign_project__use_the_shipped_contracts(tmp_path, model_file):
    project = tmp_path / "someone-elses-project"
    project.mkdir()
    (project / "ape-config.yaml").write_text("name: elsewhere\nfoundry:\n  host: auto\n")

    deployed = run_ape(project, "deploy", str(model_file), "--network", "ethereum:local:foundry", "--account", "TEST::0", "--json")

    assert deployed.returncode == 0, deployed.stderr
    result = json.loads(deployed.stdout)
    assert result["mechanism"] == "deposit"
    assert result["address"].startswith("0x") and len(result["address"]) == 42
    assert result["gas_used"] > 1_000_000
    assert not (project / "contracts").exists()
    # The throwaway chain is gone, so a later command must say so (not use a stale address).
    predicted = run_ape(project, "predict", "a fine film", "--network", "ethereum:local:foundry")
    assert predicted.returncode == 1
    assert predicted.stderr.strip().splitlines()[-1].startswith("Error: no trainer on this network")
