"""Compile the deployable trainers and ship their contract types inside the package.

The plugin must work from any Ape project, which has no `contracts/` of ours, so the
compiled types live in `ape_decai/manifest/<Name>.json`. The `ast` and `sourcemap` fields
vary with compile order and are dropped; everything kept is reproducible byte for byte, and
`tests/unit/test_manifest.py` compares the shipped files with a fresh compile.

Run: .venv/bin/python scripts/build_manifest.py   (after editing any contract)
"""

from pathlib import Path

from ape import project

from ape_decai.manifest import AUXILIARY, DEPLOYABLES, MANIFEST_DIR, serialise


def main() -> None:
    # Editing an imported module does not invalidate the cache: always compile afresh.
    compiled = project.load_contracts(use_cache=False)
    for name in [*DEPLOYABLES, *AUXILIARY]:
        contract_type = compiled[name]
        path = Path(MANIFEST_DIR) / f"{name}.json"
        path.write_text(serialise(contract_type))
        print(f"wrote {path} ({len(contract_type.runtime_bytecode.bytecode) // 2 - 1} bytes of runtime code)")


if __name__ == "__main__":
    main()
