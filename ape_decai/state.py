"""Which trainer a network uses, remembered by `ape decai deploy` so later commands can omit it.

Keyed by chain id and genesis block hash: a throwaway Anvil has a new genesis each time, so a
trainer remembered there is never mistaken for one on the next throwaway chain.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def state_file() -> Path:
    from ape.utils import ManagerAccessMixin

    configured = ManagerAccessMixin.config_manager.get_config("decai").state_dir
    base = Path(configured).expanduser() if configured else ManagerAccessMixin.config_manager.DATA_FOLDER / "decai"
    return base / "trainers.json"


def network_key() -> str:
    from ape.utils import ManagerAccessMixin

    provider = ManagerAccessMixin.provider
    genesis = provider.get_block(0).hash
    genesis_hex = genesis.hex() if isinstance(genesis, (bytes, bytearray)) else str(genesis)
    return f"{provider.network.ecosystem.name}:{provider.network.name}:{provider.chain_id}:{genesis_hex}"


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remembered_trainer() -> str | None:
    return _read(state_file()).get(network_key())


def remember_trainer(address: str) -> Path:
    path = state_file()
    data = _read(path)
    data[network_key()] = address
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp" + str(os.getpid()))
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path
