"""Which trainer a network uses, remembered by `ape decai deploy` so later commands can omit it.

Keyed by network name, chain id and genesis block hash: a throwaway Anvil has a new genesis each
time, so a trainer remembered there is never mistaken for one on the next throwaway chain. Under a
key, each deployment is remembered with the hash of the block it was deployed in, and the newest
one whose block is part of the current chain wins. A fork shares its upstream's chain id and
genesis, so this is what tells them apart: the fork sees upstream's trainers (deployed before the
fork point), upstream never sees a trainer deployed on the fork.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ape_decai._ape import managers
from ape_decai.errors import DecaiError
from ape_decai.units import to_hex

MAX_ENTRIES = 20  # deployments remembered per network


def state_file() -> Path:
    configured = managers.config_manager.get_config("decai").state_dir
    base = Path(configured).expanduser() if configured else managers.config_manager.DATA_FOLDER / "decai"
    return base / "trainers.json"


def network_key() -> str:
    provider = managers.provider
    # Bare hex (no 0x): the key format of every state file written so far.
    genesis_hex = bytes(provider.get_block(0).hash).hex()
    return f"{provider.network.ecosystem.name}:{provider.network.name}:{provider.chain_id}:{genesis_hex}"


def _read(path: Path) -> dict:
    # A file that cannot be read is reported, not treated as empty: `deploy` would otherwise
    # overwrite it and lose every trainer it remembered.
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except OSError as err:
        raise DecaiError(f"cannot read the state file {path}: {err.strerror or err}") from None
    except ValueError:  # not JSON, or not UTF-8
        data = None
    if not isinstance(data, dict):
        raise DecaiError(f"the state file {path} is corrupted (not a JSON object): fix it, or delete it to forget the remembered trainers")
    return data


def check_state_file() -> None:
    """Raise DecaiError if the state file exists but cannot be read (before a deployment)."""
    _read(state_file())


def _entries(value: Any) -> list[dict]:
    # Older files held a bare address per network: no block to check it against.
    if isinstance(value, str):
        return [{"address": value}]
    return [e for e in value if isinstance(e, dict) and "address" in e] if isinstance(value, list) else []


def _on_this_chain(entry: dict) -> bool:
    if "block" not in entry:
        return True
    provider = managers.provider
    block = int(entry["block"])
    if block > managers.chain_manager.blocks.height:
        return False
    return to_hex(provider.get_block(block).hash) == to_hex(entry.get("block_hash", ""))


def remembered_trainer() -> str | None:
    """The newest trainer deployed on this chain (not on a fork of it, nor on its upstream's future)."""
    data = _read(state_file())
    for entry in reversed(_entries(data.get(network_key()))):
        if _on_this_chain(entry):
            return str(entry["address"])
    return None


def remember_trainer(address: str, block_number: int | None = None) -> Path:
    """Remember a deployment (with its block, so that forks and upstream keep theirs apart)."""
    path = state_file()
    data = _read(path)
    key = network_key()
    entry: dict[str, Any] = {"address": address}
    if block_number is not None:
        entry["block"] = int(block_number)
        entry["block_hash"] = to_hex(managers.provider.get_block(int(block_number)).hash)
    data[key] = [*_entries(data.get(key)), entry][-MAX_ENTRIES:]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp" + str(os.getpid()))
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path


# --- deployments under way (several transactions) -------------------------------------------


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp" + str(os.getpid()))
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def pending_deployment(model_sha256: str) -> dict | None:
    """The unfinished deployment of this model file on this chain, if one was started here."""
    pending = _read(state_file()).get("pending", {})
    entry = pending.get(network_key()) if isinstance(pending, dict) else None
    if isinstance(entry, dict) and entry.get("model_sha256") == model_sha256 and _on_this_chain(entry):
        return entry
    return None


def remember_pending(entry: dict) -> None:
    """Record (or update) this network's unfinished deployment: address, block, progress."""
    path = state_file()
    data = _read(path)
    pending: dict = data["pending"] if isinstance(data.get("pending"), dict) else {}
    pending[network_key()] = entry
    data["pending"] = pending
    _write(path, data)


def forget_pending() -> None:
    """The deployment is finished (or abandoned): nothing to resume on this network."""
    path = state_file()
    data = _read(path)
    pending = data.get("pending")
    if isinstance(pending, dict) and pending.pop(network_key(), None) is not None:
        _write(path, data)
