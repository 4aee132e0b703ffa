"""The contract types shipped in the package are exactly what the pinned Vyper compiles now."""

import pytest

from ape_decai.manifest import DEPLOYABLES, load_contract_type


@pytest.mark.slow  # compiles every deployable afresh
@pytest.mark.parametrize("name", sorted(DEPLOYABLES))
def test_shipped_contract_type__matches_a_fresh_compile(project, name):
    shipped = load_contract_type(name)
    compiled = project.get_contract(name).contract_type
    assert shipped.abi == compiled.abi
    assert shipped.deployment_bytecode.bytecode == compiled.deployment_bytecode.bytecode
    assert shipped.runtime_bytecode.bytecode == compiled.runtime_bytecode.bytecode
    # Something was compared: a missing field would make both sides None.
    assert len(shipped.runtime_bytecode.bytecode) > 1000


def test_generated_trainers__are_up_to_date():
    # Every (model, mechanism) deployable is written by scripts/generate_trainers.py from a
    # template; a hand edit of a generated file (or a template edit not regenerated) fails here.
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "generate_trainers.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
